"""Independent trainings in parallel: a pool of spawned worker processes with one thread each.

On two cores, two small models in two processes train faster than one model on two threads
(``benchmarks/bench_zoo.py``); each worker runs on ``train.TRAIN_THREADS`` threads, so a result
computed in a worker equals the one computed in this process. Workers only compute and return
their result; the caller writes any cache.

With ``DASK_SCHEDULER_ADDRESS`` set (dask's own convention, e.g. ``tcp://host:8786``; ``make book
SCHEDULER=…`` and ``build --scheduler`` set it for the notebooks), every pool is the executor of a
``dask.distributed`` client of that scheduler instead: training, kernels and attacks then run on
the cluster's workers, which need this package and the data (see the README).
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import sys

import torch

from . import checks


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have Linux send ``sig`` to this process when its parent exits (``prctl(PR_SET_PDEATHSIG)``),
    so that a killed build leaves no kernel and no worker running; elsewhere, nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(1, int(sig))   # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:   # the parent died before the call
        os.kill(os.getpid(), sig)


def _init_worker():
    """A local pool's worker: it exits with the process that started it, and trains on
    ``train.TRAIN_THREADS`` threads."""
    from . import train

    die_with_parent()
    torch.set_num_threads(train.TRAIN_THREADS)


def _on_one_thread(fn, *args, **kwargs):
    """``fn(*args)`` on the threads a local worker uses, so that a cluster computes what a local pool does."""
    from . import train

    torch.set_num_threads(train.TRAIN_THREADS)
    return fn(*args, **kwargs)


def default_workers() -> int:
    """Worker processes by default: one per core, at most 2 (``NOISECORR_WORKERS`` overrides)."""
    value = os.environ.get("NOISECORR_WORKERS")
    if value is not None:
        try:
            return checks.positive_int("NOISECORR_WORKERS", int(value))
        except ValueError:
            raise ValueError(f"NOISECORR_WORKERS={value!r} must be a positive integer") from None
    return max(1, min(2, os.cpu_count() or 1))


def scheduler() -> str | None:
    """The address of the dask scheduler to send work to (``DASK_SCHEDULER_ADDRESS``), or None."""
    return os.environ.get("DASK_SCHEDULER_ADDRESS") or None


class _ClusterPool:
    """The executor of a dask client of ``scheduler()``, closed with the pool (a context manager)."""

    def __init__(self, address: str):
        from dask.distributed import Client

        try:
            self.client = Client(address, timeout="20s")
        except OSError as err:
            raise ValueError(f"DASK_SCHEDULER_ADDRESS={address!r}: no dask scheduler answers there "
                             f"({str(err).splitlines()[0][:100]})") from None
        self.executor = self.client.get_executor(pure=False)

    def submit(self, fn, *args, **kwargs):
        return self.executor.submit(_on_one_thread, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False):
        self.executor.shutdown(wait=wait)
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


_SHARED: dict[int, cf.ProcessPoolExecutor] = {}


class _SharedPool:
    """A view of the process's one pool of ``workers`` spawned processes, kept for the next
    caller: a worker starts (imports torch, loads the data) once per process, not once per
    pool — that was 1.5 s per call on this machine's two cores. Leaving the view (``shutdown``,
    or the ``with`` block) cancels this caller's jobs that have not started and waits for its
    running ones, as shutting down a pool of its own would; the workers stay."""

    def __init__(self, workers: int):
        executor = _SHARED.get(workers)
        if executor is None or executor._broken:   # a worker died (killed, out of memory): start afresh
            executor = _SHARED[workers] = cf.ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker)
        self.executor, self.futures = executor, []

    def submit(self, fn, *args, **kwargs):
        future = self.executor.submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False):
        if cancel_futures:
            for future in self.futures:
                future.cancel()
        if wait:
            cf.wait(self.futures)
        self.futures = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown(cancel_futures=exc[0] is not None)


def pool(workers: int):
    """The process's pool of ``workers`` spawned processes (spawn: safe after torch has started its
    threads; shared by every caller, see ``_SharedPool``), or, with ``DASK_SCHEDULER_ADDRESS``
    set, the executor of a dask cluster."""
    checks.positive_int("workers", workers)
    if scheduler():
        return _ClusterPool(scheduler())
    return _SharedPool(workers)


def each(fn, jobs: list[tuple], workers: int | None = None):
    """Yield ``(i, fn(*jobs[i]))`` as each job finishes (in ``workers`` processes when there is more
    than one job), so that a caller can store every result at once: a build that is stopped keeps
    what was finished. ``fn`` must be importable (a module-level function)."""
    workers = default_workers() if workers is None else checks.positive_int("workers", workers)
    if (workers == 1 and not scheduler()) or len(jobs) <= 1:
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
