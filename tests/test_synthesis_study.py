"""The synthesis chapter: the factorial zoo's settings, label spaces, pair tables and ensembles,
on tiny real models and constructed answers."""
import numpy as np
import pytest
import torch

from noisecorr_utils import data, figures, noise, zoo
from noisecorr_utils.studies.synthesis import claims, ensembles, factorial


def test_cells_cross_the_grid_and_keep_the_expensive_architectures_on_mnist():
    grid = factorial.cells(["mlp"], ["vgg"])
    assert len(grid) == len(factorial.DATA) + len(factorial.TASKS) - 1 + 1
    assert factorial.Cell("vgg") in grid and factorial.Cell("vgg", "permuted") not in grid
    assert factorial.Cell("mlp", "MNIST", "clothes").images == "Fashion-MNIST"
    assert factorial.Cell("mlp", "half B").spec(2, n_train=100) == zoo.ModelSpec("mlp", seed=2, half=1)


@pytest.mark.parametrize("call, message", [
    (lambda: factorial.cells(["mlp", "resnet50"]), "unknown architecture 'resnet50'; allowed: mlp, lenet, vgg, allcnn"),
    (lambda: factorial.Cell("mlp", "rotated"), "unknown data 'rotated'; allowed: MNIST, permuted"),
    (lambda: factorial.Cell("mlp", "permuted", "even/odd"), "other tasks are trained on MNIST only"),
    (lambda: factorial.order_by([factorial.Cell("mlp")], "colour"), "unknown factor 'colour'; allowed: architecture, data, task"),
    (lambda: ensembles.draw_ensembles([factorial.Cell("mlp")] * 3, [0, 1, 2], 4, "any", 5),
     "ensemble size=4 is larger than the 3 models available; allowed: 1 to 3"),
    (lambda: ensembles.draw_ensembles([factorial.Cell("mlp")] * 3, [0, 1, 2], 2, "wild", 5), "unknown diversity 'wild'"),
    (lambda: ensembles.check_sizes([2, 9], factorial.cells(["mlp"]), 1), "ensemble size=9 is larger than the 5 models available"),
    (lambda: zoo.ModelSpec("mlp", task="colour"), "task='colour'; allowed: None (the data set's classes), parity"),
])
def test_bad_levels_fail_in_one_line(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        call()
    assert "\n" not in str(info.value)


def test_parity_and_flat_brightness_data_sets():
    ds = zoo.dataset(zoo.ModelSpec("mlp", task="parity"))
    plain = data.load("mnist")
    assert ds.classes == ("even", "odd") and torch.equal(ds.y_test, plain.y_test % 2)
    flat = zoo.dataset(zoo.ModelSpec("mlp", flat=True))
    means = flat.x_train[:2000].double().mean(dim=(1, 2, 3))
    assert means.std() < 0.5 and plain.x_train[:2000].double().mean(dim=(1, 2, 3)).std() > 5
    assert torch.equal(flat.y_train, plain.y_train)


def test_new_spec_fields_change_the_key_but_not_the_old_keys():
    base = zoo.ModelSpec("mlp")
    assert len({base.key, base.replace(task="parity").key, base.replace(flat=True).key}) == 3
    assert zoo.ModelSpec("mlp", task=None, flat=False).key == base.key
    assert base.replace(flat=True, task="parity").label == "mlp·flat·parity·s0"


def test_label_spaces_map_digits_to_parity_and_keep_clothes_apart():
    digits, parity, clothes = factorial.Cell("mlp"), factorial.Cell("mlp", "MNIST", "even/odd"), factorial.Cell("mlp", "MNIST", "clothes")
    assert factorial.label_space(digits, factorial.Cell("lenet", "permuted")) == "digits"
    assert factorial.label_space(digits, parity) == "parity"
    assert factorial.label_space(clothes, clothes) == "clothes" and factorial.label_space(digits, clothes) is None
    answers = np.array([[0, 2, 4, 6, 1, 3] * 20, [0, 0, 0, 0, 1, 1] * 20], np.uint8)   # digits; their parity
    pairs = factorial.pair_frame(answers, [digits, parity])
    assert len(pairs) == 1 and pairs.space[0] == "parity" and pairs.kappa[0] == pytest.approx(1.0)
    assert pairs["same task"][0] == 0 and pairs["same data"][0] == 1 and pairs["same architecture"][0] == 1


def test_order_by_groups_a_factor_together():
    cell_of = [factorial.Cell("mlp"), factorial.Cell("lenet"), factorial.Cell("mlp", "permuted"), factorial.Cell("lenet", "permuted")]
    assert factorial.order_by(cell_of, "architecture") == [0, 2, 1, 3]
    assert factorial.order_by(cell_of, "data") == [0, 1, 2, 3]


def test_draw_ensembles_respects_the_kind_of_diversity():
    cell_of = [factorial.Cell("mlp")] * 3 + [factorial.Cell("mlp", "permuted")] * 3 + [factorial.Cell("lenet")] * 3
    rows = list(range(9))
    for members in ensembles.draw_ensembles(cell_of, rows, 2, "different architectures", 10):
        assert len({cell_of[m].arch for m in members}) == 2
    for members in ensembles.draw_ensembles(cell_of, rows, 3, "one setting", 10):
        assert len({cell_of[m] for m in members}) == 1
    assert ensembles.draw_ensembles(cell_of, rows, 3, "different architectures", 10) == []   # only two architectures


def test_kappa_figure_carries_one_grid_cell_per_noise_and_factor():
    cell_of = [factorial.Cell("mlp"), factorial.Cell("lenet"), factorial.Cell("mlp", "permuted")]
    m = np.array([[np.nan, 0.2, 0.5], [0.2, np.nan, 0.1], [0.5, 0.1, np.nan]])
    fig = figures.kappa_by_factor({"uniform": m, "gaussian": -m}, ["a", "b", "c"],
                                  {f: factorial.order_by(cell_of, f) for f in factorial.FACTORS})
    grid = fig.layout.meta["grid"]
    assert grid["dims"] == ["noise", "grouped by"] and len(grid["cells"]) == 2
    assert len(grid["cells"][0]) == len(factorial.FACTORS)
    assert grid["cells"][0][0]["x"][0] == ["a", "c", "b"]          # grouped by architecture: the two MLPs first
    assert list(fig.data[0].x) == ["a", "c", "b"]


@pytest.fixture
def tiny(tmp_path, monkeypatch, model_cache):
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    grid = [factorial.Cell("mlp"), factorial.Cell("mlp", "permuted"), factorial.Cell("mlp", "MNIST", "even/odd")]
    z = zoo.load_groups(factorial.specs(grid, 2, epochs=1, n_train=1000), workers=1)
    return z, factorial.model_cells(z, grid)


def test_pair_tables_and_ensembles_on_tiny_models(tiny):
    z, cell_of = tiny
    probs = noise.cached_probabilities(z.models, "uniform", 200, 1.0, 0)
    answers = np.stack([p.argmax(1) for p in probs])
    pairs = factorial.pair_frame(answers, cell_of)
    assert len(pairs) == 15 and set(pairs.space) == {"digits", "parity"}    # 6 digit pairs, 8 mixed, 1 parity
    assert noise.cached_probabilities(z.models, "uniform", 200, 1.0, 0)[0].tobytes() == probs[0].tobytes()   # cached
    ens = ensembles.pair_ensembles(z, cell_of, answers, 100, "uniform", 200, 1.0)
    assert len(ens) == 6 and set(ens.kind) == {"same setting", "same architecture"}   # the 4 digit models
    sized = ensembles.ensemble_sizes(z, cell_of, [2], 100, "uniform", 200, 1.0, n_draws=3)
    assert set(sized.diversity) == set(ensembles.DIVERSITY)


def test_the_eight_is_only_tested_on_networks_that_call_noise_eight():
    import pandas as pd

    k = len(factorial.FACTORS)
    effects = pd.DataFrame({"effect": [0.1] * k, "effect_lo": [0.05] * k, "effect_hi": [0.2] * k,
                            "pairs different": [10] * k}, index=list(factorial.FACTORS))
    kg = pd.DataFrame([{"gain": "auroc_confidence", "rho": -0.4, "lo": -0.6, "hi": -0.2},
                       {"gain": "ece", "rho": 0.3, "lo": 0.1, "hi": 0.5}]).set_index("gain")
    eights = {"lenet": ((0.9, 0.8, 1.0), (0.1, 0.0, 0.2)), "mlp": ((0.1, 0.0, 0.2), (0.0, 0.0, 0.0))}
    same = {"pair auroc": (0.8, 0.7, 0.9), "auroc_confidence": (0.0, -0.005, 0.005), "ece": (0.02, 0.01, 0.03)}
    t = claims.verdict_table(effects, eights, kg, same, 3, accuracy=0.99)
    verdict = dict(zip(t.claim.str.extract(r"\((\w+):")[0], t["finding verdict"]))
    assert verdict["lenet"] == "holds" and verdict["mlp"] == "not tested"
    useless = t.set_index("claim")["finding verdict"]
    # ensembles are useless for noise detection by this pair's numbers, but not for calibration, and
    # agreeing pairs gain less detection but *more* calibration: both signs are counted
    assert useless.filter(like="cannot tell noise").iloc[0] == "fails"
    assert useless.filter(like="detects noise no better").iloc[0] == "holds"
    assert useless.filter(like="calibrated no better").iloc[0] == "fails"
    assert list(useless.filter(like="the less their ensemble gains")) == ["holds", "fails"]
    weak = claims.verdict_table(effects, eights, kg, same, 3, accuracy=0.95)
    assert (weak.set_index("claim")["finding verdict"].filter(like="shapes") == "not tested").all()
