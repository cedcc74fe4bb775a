"""Parallel jobs: every result arrives once, tagged with its job, however many workers."""
import math

import pytest

from noisecorr_utils import parallel


@pytest.mark.parametrize("workers", [1, 2])
def test_each_yields_every_job_once_with_its_index(workers):
    jobs = [(2.0, float(k)) for k in range(5)]
    got = dict(parallel.each(math.pow, jobs, workers=workers))
    assert got == {k: 2.0 ** k for k in range(5)}
    assert parallel.run(math.pow, jobs, workers=workers) == [2.0 ** k for k in range(5)]
