"""The noise chapter's study module on tiny stand-in models: groups, answers, pair tables with
seed-level intervals, verdicts and their stability, sweeps and caching."""
import numpy as np
import pytest
import torch
from torch import nn

from noisecorr_utils import confidence, stats, zoo
from noisecorr_utils.studies import noise_mnist
from noisecorr_utils.studies.noise_mnist import claims
from noisecorr_utils.studies.noise_mnist import experiments as study


def test_groups_share_one_permutation_and_need_two_seeds():
    groups = study.groups(2, 2, 2, epochs=1, n_train=100)
    perm = [s for specs in groups.values() for s in specs if s.permutation_seed is not None]
    assert perm and {s.permutation_seed for s in perm} == {study.PERMUTATION_SEED}
    assert {s.width for s in groups["lenet·w2·perm"]} == {2.0}
    assert len(study.groups(5, 3, 2)["mlp"]) == 5 and len(study.groups(5, 3, 2)["vgg"]) == 3
    with pytest.raises(ValueError, match="cheap_seeds=1: confidence intervals need at least 2 seeds"):
        noise_mnist.Params(cheap_seeds=1)
    with pytest.raises(ValueError, match="epochs=-1 must be a positive integer"):
        noise_mnist.Params(epochs=-1)


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


class FakeSpec:
    def __init__(self, key, seed=0):
        self.key, self.seed, self.label = key, seed, f"fake·s{seed}"
        self.recipe = zoo.ModelSpec("mlp").recipe.replace(precision="fp32")


def fake_zoo(models, rows):
    for i, m in enumerate(models):
        m.spec = FakeSpec(f"fake{i}", i)
        m.record = {"test_accuracy": 0.99}
    return zoo.Groups(models, rows)


def test_sweep_shape_and_brightness_dependence(tmp_path, monkeypatch):
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path))
    z = fake_zoo([Constant(3), Brightness()], {"a": [0], "b": [1]})
    answers = study.sweep(z, ["uniform", "gaussian"], [0.2, 1.0], 50, seed=0)
    assert answers.shape == (2, 2, 2, 50) and answers.dtype == np.uint8
    assert (answers[:, :, 0] == 3).all()
    assert (answers[0, 0, 1] == 1).all() and (answers[0, 1, 1] == 8).all()  # uniform: mean 0.1 vs 0.5


def test_sweep_rejects_bad_input_before_work():
    z = fake_zoo([Constant(1)], {"a": [0]})
    with pytest.raises(ValueError, match="unknown noise kind 'white'"):
        study.sweep(z, ["white"], [1.0], 10, 0)
    with pytest.raises(ValueError, match=r"brightness=0 is outside \(0, 1\]"):
        study.sweep(z, ["uniform"], [0], 10, 0)


def _simulated(rng, n_models, n=600, rho=0.6):
    shared = rng.integers(0, 10, n)
    return np.stack([np.where(rng.random(n) < rho, shared, rng.integers(0, 10, n)) for _ in range(n_models)])


def test_pair_table_matches_hand_computed_means_and_intervals():
    rng = np.random.default_rng(0)
    a = _simulated(rng, 6)
    z = zoo.Groups([None] * 6, {"g": [0, 1, 2], "h": [3, 4, 5]})
    table = study.pair_table({1.0: a}, z, {"g–g": ("g", None, 1.0), "g–h": ("g", "h", 1.0)})
    kappa = stats.pair_matrices(a, 10)["kappa"]
    within = [kappa[0, 1], kappa[0, 2], kappa[1, 2]]
    assert table.loc["g–g", "kappa"] == pytest.approx(np.mean(within))
    assert table.loc["g–h", "kappa"] == pytest.approx(kappa[:3, 3:].mean())
    assert (table.loc["g–g", "kappa_lo"], table.loc["g–g", "kappa_hi"]) == pytest.approx(
        stats.jackknife_within(kappa[:3, :3])[1:])
    assert table.loc["g–g", "degenerate models"] == 0


def test_representative_pair_has_the_median_kappa():
    rng = np.random.default_rng(1)
    a = np.stack([_simulated(rng, 1, rho=r)[0] for r in (0.2, 0.5, 0.8)])
    z = zoo.Groups([None] * 3, {"g": [0, 1, 2]})
    pair = study.representative_pairs({1.0: a}, z, {"g–g": ("g", None, 1.0)})["g–g"]
    kappas = {p: stats.agreement(a[p[0]], a[p[1]], 10).kappa for p in [(0, 1), (0, 2), (1, 2)]}
    assert kappas[pair] == sorted(kappas.values())[1]


def _verdict_zoo(rng, shares, n_seeds: int):
    """A fake chapter zoo: every group's models answer noise like ``_simulated``; LeNet seed i
    answers '8' with probability ``shares[i]``."""
    groups = study.groups(n_seeds, n_seeds, n_seeds)
    rows, i = {}, 0
    for g, specs in groups.items():
        rows[g] = list(range(i, i + len(specs)))
        i += len(specs)
    a = {b: _simulated(rng, i) for b in (1.0, 0.5)}
    for r, p in zip(rows["lenet"], shares):
        a[1.0][r] = np.where(rng.random(a[1.0].shape[1]) < p, 8, a[1.0][r])
    models = [nn.Identity() for _ in range(i)]
    return a, fake_zoo(models, rows)


def test_stability_marks_a_verdict_that_differs_between_halves():
    # stable: every LeNet calls about 95% of noise "8"
    answers, z = _verdict_zoo(np.random.default_rng(2), [0.95, 0.96] * 4, 8)
    table = claims.stability(answers, z)
    assert {"figure: first half", "finding: second half", "stable"} <= set(table.columns)
    row = table[table.claim.str.startswith("90% of noise is called \"8\" (LeNet")].iloc[0]
    assert row["figure: first half"] == row["figure: second half"] == row["figure verdict"] == "reproduced"
    assert row["finding: first half"] == row["finding verdict"] == "holds"
    # unstable: the even seeds (first half) call 95% "8", the odd ones (second half) 50%
    answers, z = _verdict_zoo(np.random.default_rng(2), [0.95, 0.5] * 4, 8)
    row = claims.stability(answers, z).set_index("claim").filter(like="(LeNet;", axis=0).iloc[0]
    assert (row["figure: first half"], row["figure: second half"]) == ("reproduced", "fell short")
    assert not row["stable"]


def test_cached_sweep_is_stored_once_and_reread(tmp_path, monkeypatch, model_cache):
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    model = zoo.get_model(zoo.ModelSpec("mlp", n_train=128, epochs=1, width=0.1), progress=False)
    z = zoo.Groups([model], {"mlp": [0]})
    first = study.sweep(z, ["uniform"], [0.5, 1.0], 40, seed=3)
    files = sorted((tmp_path / "results" / "cache").glob("*.npy"))
    assert len(files) == 2  # one per brightness
    mtimes = [f.stat().st_mtime_ns for f in files]
    assert np.array_equal(study.sweep(z, ["uniform"], [0.5, 1.0], 40, seed=3), first)
    assert [f.stat().st_mtime_ns for f in files] == mtimes
    # a change to one input (the seed of the noise) is a new computation
    study.sweep(z, ["uniform"], [0.5, 1.0], 40, seed=4)
    assert len(list((tmp_path / "results" / "cache").glob("*.npy"))) == 4


def test_cache_keys_change_with_the_noise_version(tmp_path, monkeypatch, model_cache):
    from noisecorr_utils import noise

    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    model = zoo.get_model(zoo.ModelSpec("mlp", n_train=128, epochs=1, width=0.1), progress=False)
    z = zoo.Groups([model], {"mlp": [0]})
    study.answers(z, "uniform", 20, [1.0], 0)
    monkeypatch.setattr(noise, "VERSION", noise.VERSION + 1)
    study.answers(z, "uniform", 20, [1.0], 0)
    assert len(list((tmp_path / "results" / "cache").glob("*.npy"))) == 2


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


def test_hein_protocol_finds_the_smallest_alpha():
    class Linear(nn.Module):
        def forward(self, x):  # logits grow with the scale of the input: confidence rises with α
            s = x.flatten(1).sum(1, keepdim=True)
            return torch.cat([s, torch.zeros_like(s).repeat(1, 9)], 1)

    x = torch.full((3, 1, 2, 2), 1.0) * torch.tensor([0.5, 1.0, 2.0]).view(3, 1, 1, 1)
    alphas = [1, 2, 4, 8]
    got = confidence.scale_to_confidence(Linear(), x, alphas, level=0.999)
    # confidence ≥ 0.999 needs a logit gap of log(999·9) ≈ 9.1: s = 4·v·α ≥ 9.1
    expected = [next((a for a in alphas if 4 * v * a >= np.log(0.999 / 0.001 * 9)), np.inf) for v in (0.5, 1.0, 2.0)]
    assert list(got) == expected


def test_hein_scales_of_a_zoo_model_are_computed_once_per_image_set(tmp_path, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path))

    class Scaled(nn.Module):
        spec = SimpleNamespace(key="test-model", recipe=SimpleNamespace(precision="fp32"))

        def forward(self, x):
            calls.append(len(x))
            s = x.flatten(1).sum(1, keepdim=True)
            return torch.cat([s, torch.zeros_like(s).repeat(1, 9)], 1)

    calls = []
    x = torch.rand(6, 1, 2, 2)
    first = confidence.cached_scale_to_confidence(Scaled(), x, [1, 2, 4, 8])
    assert len(calls) == 4   # one batch per scale
    assert np.array_equal(confidence.cached_scale_to_confidence(Scaled(), x, [1, 2, 4, 8]), first) and len(calls) == 4
    assert np.array_equal(first, confidence.scale_to_confidence(Scaled(), x, [1, 2, 4, 8]))
    confidence.cached_scale_to_confidence(Scaled(), x * 0.5, [1, 2, 4, 8])   # other images: computed
    assert len(calls) == 12
