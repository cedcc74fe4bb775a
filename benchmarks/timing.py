"""Shared by the benchmarks: wall time of one call."""
import time


def timed(fn):
    """(seconds, result) of ``fn()``."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result
