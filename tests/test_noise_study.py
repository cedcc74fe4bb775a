import numpy as np
import pytest
import torch
from torch import nn

from noisecorr_utils import data, noise_study as ns


def test_zoo_groups_share_one_permutation_and_need_two_seeds():
    groups = ns.zoo_groups(2, 2, epochs=1, n_train=100)
    perm = [s for specs in groups.values() for s in specs if s.permutation_seed is not None]
    assert perm and {s.permutation_seed for s in perm} == {ns.PERMUTATION_SEED}
    assert {s.width for s in groups["lenet·w2·perm"]} == {2.0}
    with pytest.raises(ValueError, match="n_seeds=1: confidence intervals need at least 2 seeds"):
        ns.zoo_groups(1, 2, epochs=1, n_train=None)


class Constant(nn.Module):
    """Answers class ``k`` to everything."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        out = torch.zeros(len(x), 10)
        out[:, self.k] = 1
        return out


class Brightness(nn.Module):
    """Answers 8 for bright images and 1 for dark ones."""

    def forward(self, x):
        bright = x.flatten(1).mean(1) > 0.3
        out = torch.zeros(len(x), 10)
        out[bright, 8] = 1
        out[~bright, 1] = 1
        return out


def test_sweep_shape_and_brightness_dependence():
    ds = data.load("mnist")
    answers = ns.sweep([Constant(3), Brightness()], ["uniform", "gaussian"], [0.2, 1.0], 50, ds)
    assert answers.shape == (2, 2, 2, 50) and answers.dtype == np.uint8
    assert (answers[:, :, 0] == 3).all()
    assert (answers[0, 0, 1] == 1).all() and (answers[0, 1, 1] == 8).all()  # uniform: mean 0.1 vs 0.5


def test_sweep_rejects_bad_input_before_work():
    with pytest.raises(ValueError, match="unknown noise kind 'white'"):
        ns.sweep([Constant(1)], ["white"], [1.0], 10, "mnist")
    with pytest.raises(ValueError, match=r"brightness=0 is outside \(0, 1\]"):
        ns.sweep([Constant(1)], ["uniform"], [0], 10, "mnist")
    with pytest.raises(ValueError, match="model list is empty"):
        ns.sweep([], ["uniform"], [1.0], 10, "mnist")


def test_pair_summary_of_identical_and_constant_models():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 10, 500)
    answers = np.stack([a, a, a])
    s = ns.pair_summary(answers, ns.pairs_within([0, 1, 2]), 10)
    assert s["pairs"] == 3 and s["p_o"] == pytest.approx(1) and s["kappa"] == pytest.approx(1)
    with pytest.raises(ValueError, match="no model pairs"):
        ns.pair_summary(answers, [], 10)


def test_cached_sweep_is_stored_once_and_reread(tmp_path, monkeypatch, model_cache):
    from noisecorr_utils import zoo

    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    model = zoo.get_model(zoo.ModelSpec("mlp", n_train=128, epochs=1, width=0.1), progress=False)
    first = ns.cached_sweep([model], ["uniform"], [0.5, 1.0], 40, "mnist", seed=3)
    files = list((tmp_path / "results" / "cache").glob("*.npy"))
    assert len(files) == 1
    assert np.array_equal(first, ns.sweep([model], ["uniform"], [0.5, 1.0], 40, "mnist", seed=3))
    mtime = files[0].stat().st_mtime_ns
    assert np.array_equal(ns.cached_sweep([model], ["uniform"], [0.5, 1.0], 40, "mnist", seed=3), first)
    assert files[0].stat().st_mtime_ns == mtime


def test_cached_array_computes_once(tmp_path, monkeypatch):
    from noisecorr_utils import results

    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return np.arange(5.0)

    a = results.cached_array({"what": "test", "n": 5}, compute)
    b = results.cached_array({"what": "test", "n": 5}, compute)
    c = results.cached_array({"what": "test", "n": 6}, compute)
    assert np.array_equal(a, b) and np.array_equal(a, c) and len(calls) == 2
