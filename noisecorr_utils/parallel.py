"""Independent trainings in parallel: a pool of spawned worker processes with one thread each.

On two cores, two small models in two processes train faster than one model on two threads
(``benchmarks/bench_zoo.py``); each worker runs on ``train.TRAIN_THREADS`` threads, so a result
computed in a worker equals the one computed in this process. Workers only compute and return
their result; the caller writes any cache.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os

import torch

from . import checks


def _init_worker():
    from . import train

    torch.set_num_threads(train.TRAIN_THREADS)


def default_workers() -> int:
    """Worker processes by default: one per core, at most 2 (``NOISECORR_WORKERS`` overrides)."""
    value = os.environ.get("NOISECORR_WORKERS")
    if value is not None:
        try:
            return checks.positive_int("NOISECORR_WORKERS", int(value))
        except ValueError:
            raise ValueError(f"NOISECORR_WORKERS={value!r} must be a positive integer") from None
    return max(1, min(2, os.cpu_count() or 1))


def pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (spawn: safe after torch has started its threads)."""
    return cf.ProcessPoolExecutor(max_workers=checks.positive_int("workers", workers),
                                  mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker)


def each(fn, jobs: list[tuple], workers: int | None = None):
    """Yield ``(i, fn(*jobs[i]))`` as each job finishes (in ``workers`` processes when there is more
    than one job), so that a caller can store every result at once: a build that is stopped keeps
    what was finished. ``fn`` must be importable (a module-level function)."""
    workers = default_workers() if workers is None else checks.positive_int("workers", workers)
    if workers == 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            yield i, fn(*job)
        return
    with pool(min(workers, len(jobs))) as executor:
        futures = {executor.submit(fn, *job): i for i, job in enumerate(jobs)}
        for future in cf.as_completed(futures):
            yield futures[future], future.result()


def run(fn, jobs: list[tuple], workers: int | None = None) -> list:
    """``[fn(*job) for job in jobs]``, in ``workers`` processes when there is more than one job."""
    out = [None] * len(jobs)
    for i, value in each(fn, jobs, workers):
        out[i] = value
    return out
