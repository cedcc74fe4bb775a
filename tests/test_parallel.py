"""Parallel jobs: every result arrives once, tagged with its job, however many workers."""
import math
import os
import signal
import time

import pytest

from noisecorr_utils import parallel


@pytest.mark.parametrize("workers", [1, 2])
def test_each_yields_every_job_once_with_its_index(workers):
    jobs = [(2.0, float(k)) for k in range(5)]
    got = dict(parallel.each(math.pow, jobs, workers=workers))
    assert got == {k: 2.0 ** k for k in range(5)}
    assert parallel.run(math.pow, jobs, workers=workers) == [2.0 ** k for k in range(5)]


def test_the_workers_start_once_and_serve_every_later_call():
    first = set(parallel.run(os.getpid, [()] * 4, workers=2))
    second = set(parallel.run(os.getpid, [()] * 4, workers=2))
    assert os.getpid() not in first | second
    assert len(first | second) <= 2     # a pool per call would have started new processes


def test_a_pool_whose_worker_died_is_replaced():
    pids = set(parallel.run(os.getpid, [()] * 4, workers=2))
    os.kill(next(iter(pids)), signal.SIGKILL)
    deadline = time.time() + 10
    while not parallel._SHARED[2]._broken and time.time() < deadline:
        time.sleep(0.05)
    again = set(parallel.run(os.getpid, [()] * 4, workers=2))
    assert again and not again & pids
