"""Verdicts at two levels: direction-aware figures, findings as rules, gates, degenerate κ,
failed runs left out, per-network shares, prose that follows the verdict, and every interval of
every verdict table of the built CI book inside its quantity's range."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from noisecorr_utils import report, verdicts as V, zoo
from noisecorr_utils.studies.noise_mnist import experiments


@pytest.mark.parametrize("ci,argues,expected", [
    ((1.0, 1.0), "above", V.EXCEEDED),       # two AllCNNs agree on 100% against a claimed 76%
    ((0.30, 0.40), "above", V.FELL_SHORT),
    ((0.70, 0.80), "above", V.REPRODUCED),
    ((0.60, 0.80), "above", V.INCONCLUSIVE),  # reaches over the band's lower edge
    ((0.05, 0.95), "above", V.INCONCLUSIVE),  # a wide interval never passes
    ((0.02, 0.05), "below", V.EXCEEDED),      # "agree on only 21%": less still is beyond the claim
    ((0.40, 0.50), "below", V.FELL_SHORT),
    ((0.95, 0.99), None, V.DIFFERS),
    ((float("nan"), float("nan")), "above", V.INCONCLUSIVE),
])
def test_figure_verdicts_know_the_side_a_claim_argues_for(ci, argues, expected):
    band = V.Figure("76%", 0.66, 0.86, argues) if argues != "below" else V.Figure("21%", 0.11, 0.31, "below")
    assert band.verdict(*ci) == expected


@pytest.mark.parametrize("ci,side,expected", [
    ((0.3, 0.5), "above", V.HOLDS), ((0.0, 0.1), "above", V.FAILS), ((0.1, 0.3), "above", V.UNDECIDED),
    ((0.0, 0.1), "below", V.HOLDS), ((0.5, 0.6), "below", V.FAILS),
    ((0.2, 0.2), "above", V.FAILS), ((0.1, 0.2), "above", V.FAILS), ((0.2, 0.2), "below", V.FAILS),
    ((0.2, 0.3), "below", V.FAILS), ((0.19, 0.21), "above", V.UNDECIDED),
])
def test_finding_rules(ci, side, expected):
    assert V.Finding("x", "κ", 0.2, side).verdict(*ci) == expected


def test_a_band_finding_holds_inside_and_fails_outside():
    f = V.Finding("within a factor of 2", "ratio", 0.5, "inside", 2.0)
    assert (f.verdict(0.8, 1.5), f.verdict(3, 4), f.verdict(1.5, 3)) == (V.HOLDS, V.FAILS, V.UNDECIDED)


def _row(estimate=(0.3, 0.25, 0.35), gate=None, degenerate=False, finding=(0.3, 0.25, 0.35)):
    return report.claim_row("two MLPs agree on noise", V.Figure("81%", 0.71, 0.91, "above"), "p_o", estimate,
                            V.Finding("two MLPs' answers are correlated", "κ", 0.2), finding, 5, gate=gate,
                            degenerate=degenerate, finding_percent=False)


def test_a_claim_row_has_both_levels_and_its_gate():
    r = _row()
    assert (r["figure verdict"], r["finding verdict"]) == (V.FELL_SHORT, V.HOLDS)
    assert r["figure rule"] == "p_o CI inside [71%, 91%]" and r["finding rule"] == "κ CI above 0.2"
    weak = _row(gate=(0.96, 0.975, "test accuracy"))
    assert weak["figure verdict"] == weak["finding verdict"] == V.NOT_TESTED
    assert "not tested below 97.5% test accuracy" in weak["finding rule"]
    flat = _row(degenerate=True)
    assert flat["finding verdict"] == V.DEGENERATE and flat["figure verdict"] == V.FELL_SHORT


@pytest.mark.parametrize("finding,expected", [
    ((0.35, 0.3, 0.4), "That two MLPs' answers are correlated holds (κ 0.35 [0.30, 0.40])"),
    ((0.05, 0.0, 0.1), "That two MLPs' answers are correlated fails (κ 0.05 [0.00, 0.10])"),
    ((0.2, 0.1, 0.3), "Whether two MLPs' answers are correlated is undecided with 5 seeds"),
])
def test_prose_follows_a_forced_verdict(finding, expected):
    sentence = report.finding_sentence(_row(finding=finding))
    assert sentence.startswith(expected) and "81% falls short" not in sentence
    assert "the source's 81% fell short (ours 30.0% [25.0, 35.0])" in sentence
    table = pd.DataFrame([_row(finding=finding)])
    assert report.findings(table) == sentence      # a chapter's summary is made of these sentences


def test_untested_findings_are_one_sentence_after_the_tested_ones():
    weak = dict(_row(gate=(0.96, 0.975, "test accuracy")))
    other = {**weak, "finding": "two MLPs call most noise 8"}
    table = pd.DataFrame([weak, weak, _row(), other])
    text = report.findings(table)
    assert text.startswith("That two MLPs' answers are correlated holds")
    assert text.endswith("so 2 of its findings are not tested here: that two MLPs' answers are correlated and "
                         "that two MLPs call most noise 8.")
    assert report.findings(pd.DataFrame([weak])) == report.finding_sentence(weak)
    raw = {**_row(), "finding quantity": "p_o"}           # symbols as the prose's maths writes them
    assert "(pₒ 0.30 [0.25, 0.35])" in report.findings(pd.DataFrame([raw]))


def test_each_network_has_its_own_favourite_class():
    """Every seed sends all noise to a different class: one class per network holds, although no
    class is anyone's favourite when the seeds are pooled."""
    answers = np.stack([np.full(200, k) for k in range(4)])
    (share, lo, hi), favourites = experiments.favourite_shares(answers, [0, 1, 2, 3])
    assert favourites == [0, 1, 2, 3] and share == lo == hi == 1.0
    assert V.Finding("noise goes to one class", "share", 0.5).verdict(lo, hi) == V.HOLDS
    pooled = np.bincount(answers.ravel(), minlength=10).max() / answers.size
    assert pooled == 0.25


class _Model(nn.Module):
    def __init__(self, spec, accuracy, loss):
        super().__init__()
        self.spec, self.record = spec, {"test_accuracy": accuracy, "curve_train_loss": [2.3, loss]}


def test_a_dead_seed_is_flagged_left_out_and_replaced(monkeypatch):
    """A LeNet whose loss stays at ln 10 is a failed run: load_groups trains the next seed in its
    place and lists it; the group keeps its size."""
    def fake_get_models(specs, workers=None):
        return [_Model(s, 0.11, 2.30) if s.seed == 1 else _Model(s, 0.99, 0.1) for s in specs]

    monkeypatch.setattr(zoo, "get_models", fake_get_models)
    z = zoo.load_groups({"lenet": zoo.seeds_of("lenet", 3)})
    assert [m.spec.seed for m in z.models] == [0, 3, 2]
    assert z.failed == {"lenet": [("lenet·s1", "final training loss 2.30, ln 10 = 2.30")]}
    assert "1 failed training run — lenet·s1" in z.failed_note()
    assert zoo.failed(_Model(zoo.ModelSpec("lenet"), 0.12, 1.0)) == "test accuracy 12.0%, chance 10%"
    assert zoo.failed(_Model(zoo.ModelSpec("lenet"), 0.99, 0.2)) is None


def test_training_on_n_images_draws_them_at_random():
    """CIFAR-10's canonical order is sorted by class: the first 4,000 images are all airplanes."""
    spec = zoo.ModelSpec("resnet", dataset="cifar10", n_train=4000)
    labels = zoo.training_labels(spec)
    assert len(labels) == 4000 and len(torch.unique(labels)) == 10
    assert spec.key != zoo.ModelSpec("resnet", dataset="cifar10").key


def test_every_interval_of_every_verdict_table_is_inside_its_range():
    from conftest import built_book

    from noisecorr_utils import results

    built_book("ci")
    tables = sorted(results.table_path("ci", "x").parent.glob("*_verdicts.csv"))
    assert len(tables) >= 5
    for path in tables:
        t = pd.read_csv(path, index_col=0)
        for prefix, rng in (("", "range"), ("finding_", "finding_range")):
            lo, hi = t[f"{prefix}lo" if prefix else "lo"], t[f"{prefix}hi" if prefix else "hi"]
            ok = lo.isna() | ((lo >= t[f"{rng}_lo"] - 1e-12) & (hi <= t[f"{rng}_hi"] + 1e-12) & (lo <= hi))
            assert ok.all(), f"{path.name}: {t.claim[~ok].tolist()}"
