"""Interpretive sentences are chosen from the numbers: contrary numbers flip the wording."""
import pandas as pd
import pytest

from noisecorr_utils import report
from noisecorr_utils.studies.adversarial import claims as adversarial
from noisecorr_utils.studies.input_similarity import labels, registration_task


@pytest.mark.parametrize("kappa,expected", [
    ((0.05, 0.02, 0.08), "almost entirely chance agreement"),
    ((0.6, 0.5, 0.7), "far more than chance agreement"),
    ((0.3, 0.1, 0.5), "partly chance agreement"),
])
def test_chance_clause_follows_kappa_not_the_share_of_chance(kappa, expected):
    assert report.chance_clause(0.86, kappa).startswith(expected)   # the same p_e/p_o, three readings


@pytest.mark.parametrize("kappa,expected", [
    ((0.05, 0.02, 0.08), "close to independent"),
    ((0.6, 0.5, 0.7), "removes little of their blind spot"),
    ((0.3, 0.1, 0.5), "averaging helps, but less"),
])
def test_ensemble_clause_flips_with_kappa(kappa, expected):
    assert expected in report.ensemble_clause(kappa)


def test_an_undefined_kappa_is_explained_in_prose_not_dashed():
    assert report.kappa_text(float("nan"), float("nan"), float("nan")) == "undefined (one network gives a single answer)"
    assert report.kappa_text(0.371, 0.21, 0.52) == "0.37 [0.21, 0.52]" == report.with_ci(0.371, 0.21, 0.52, percent=False)


def test_a_claim_without_a_source_number_is_listed_without_empty_slots():
    table = pd.DataFrame([{"claim": "two MLPs agree", "source": "81%", "figure verdict": "fell short", "finding verdict": "holds"},
                          {"claim": "beyond habits", "source": "—", "figure verdict": "—", "finding verdict": "fails"}])
    first, second = report.verdict_lines(table, "noise-verdict").splitlines()
    assert first == '- <a href="#noise-verdict-1">two MLPs agree</a> (81%): the figure **fell short**, the finding **holds**'
    assert second == '- <a href="#noise-verdict-2">beyond habits</a>: the finding **fails**'


@pytest.mark.parametrize("word,expected", [
    ("LeNet", "a LeNet"), ("AllCNN", "an AllCNN"), ("MLP", "an MLP"), ("VGG", "a VGG"), ("ResNet", "a ResNet"),
    ("airnet", "an airnet"),
])
def test_indefinite_article_follows_the_sound(word, expected):
    assert report.a(word) == expected


def test_a_change_of_shares_is_in_signed_points():
    assert report.change_in_points(0.56, 0.43, 0.70) == "+56 points [+43, +70]"
    assert report.change_in_points(-0.021, -0.05, 0.004) == "-2 points [-5, 0]"
    assert report.change_in_points(float("nan")) == report.DASH


def test_landis_koch_reading():
    assert [report.landis_koch(k) for k in (-0.1, 0.1, 0.3, 0.5, 0.7, 0.9)] == [
        "no more than chance", "slight", "fair", "moderate", "substantial", "almost perfect"]


@pytest.mark.parametrize("gap,expected", [((0.1, 0.05, 0.15), "more often than"), ((-0.1, -0.15, -0.05), "*less* often"),
                                          ((0.0, -0.05, 0.05), "do not tell")])
def test_vote_clause_flips_with_the_gap(gap, expected):
    assert expected in labels.vote_clause(gap)


def test_readings_clause_names_the_readings_that_fit():
    fits = registration_task.readings_clause({"raw": (1.0, 0.8, 1.3), "effective": (10.0, 8.0, 12.0)})
    assert fits.startswith("the raw reading of N predicts") and "effective misses it" in fits
    none = registration_task.readings_clause({"raw": (10.0, 8.0, 12.0), "centred": (1.5, 0.4, 3.0)})
    assert none == "raw misses it by more; for centred the seeds do not decide."


@pytest.mark.parametrize("adv,expected", [((0.4, 0.35, 0.45), "about 20 times as often as"),
                                          ((0.03, 0.0, 0.06), "not measurably more often than")])
def test_transfer_clause_compares_with_noise_of_the_same_size(adv, expected):
    rates = {"adversarial": adv, "noise of the same size": (0.02, 0.015, 0.025)}
    assert expected in adversarial.transfer_clause(rates, (0.1, 0.05, 0.15))


@pytest.mark.parametrize("gap,expected", [((0.2, 0.1, 0.3), "purer than"), ((0.0, -0.02, 0.02), "as pure as"),
                                          ((-0.2, -0.3, -0.1), "less pure than"), ((0.0, -0.2, 0.2), "not clearly")])
def test_units_clause_flips_with_the_purity_gap(gap, expected):
    assert f"single units are {expected}" in adversarial.units_clause({"MLP": gap})


@pytest.mark.parametrize("rho,expected", [((0.6, 0.3, 0.9), "Yes"), ((-0.6, -0.9, -0.3), "No — the opposite"),
                                          ((0.1, -0.3, 0.5), "Not measurably"), ((0.1, float("nan"), float("nan")), "Undecided")])
def test_link_clause_flips_with_the_correlation(rho, expected):
    assert adversarial.link_clause(rho).startswith(expected)


def test_ddn_clause_says_which_attack_is_closer():
    assert "overestimates" in adversarial.ddn_clause(pd.DataFrame({"ratio": [1.1, 1.3]}))
    assert "smaller perturbations than DDN on every" in adversarial.ddn_clause(pd.DataFrame({"ratio": [0.8, 0.9]}))
    assert adversarial.ddn_clause(pd.DataFrame({"ratio": [0.9, 1.2]})).startswith("Neither")


def _effects(arch, data, task):
    rows = {"architecture": arch, "data": data, "task": task}
    t = pd.DataFrame([{"factor": k, "effect": v[0], "effect_lo": v[1], "effect_hi": v[2], "share": v[3],
                       "share_lo": v[3] / 2, "share_hi": v[3] * 2} for k, v in rows.items()]).set_index("factor")
    t.loc["interactions"] = [float("nan")] * 3 + [0.01, 0.0, 0.02]
    t.loc["total (R²)"] = [float("nan")] * 3 + [sum(v[3] for v in rows.values()) + 0.01, 0.0, 1.0]
    return t


def test_factor_clause_names_the_factor_with_the_largest_share():
    from noisecorr_utils.studies.synthesis import claims as synthesis

    arch_wins = synthesis.factor_clause(_effects((0.3, 0.2, 0.4, 0.5), (0.0, -0.1, 0.1, 0.01), (0.0, -0.1, 0.1, 0.01)))
    task_wins = synthesis.factor_clause(_effects((0.0, -0.1, 0.1, 0.01), (0.0, -0.1, 0.1, 0.01), (0.3, 0.2, 0.4, 0.5)))
    nothing = synthesis.factor_clause(_effects((0.0, -0.1, 0.1, 0.01), (0.0, -0.1, 0.1, 0.02), (0.0, -0.1, 0.1, 0.01)))
    assert "the architecture's" in arch_wins and "Sharing the same architecture raises κ" in arch_wins
    assert "the task's" in task_wins and "Sharing the same task raises κ" in task_wins
    assert "No factor raises κ" in nothing


@pytest.mark.parametrize("rho,auroc,expected", [
    ((-0.4, -0.6, -0.2), (0.55, 0.5, 0.58), ["agree more on noise gain less", "barely disagree"]),
    ((0.4, 0.2, 0.6), (0.8, 0.7, 0.9), ["gain more, not less", "not useless"]),
    ((0.0, -0.2, 0.2), (0.6, 0.5, 0.7), ["does not clearly predict", "flags noise with AUROC"]),
])
def test_synthesis_ensemble_clause_flips(rho, auroc, expected):
    from noisecorr_utils.studies.synthesis import claims as synthesis

    kg = pd.DataFrame([{"gain": "auroc_confidence", "rho": rho[0], "lo": rho[1], "hi": rho[2]}]).set_index("gain")
    text = synthesis.ensemble_clause(kg, auroc)
    assert all(e in text for e in expected), text


def test_relation_clause_names_the_closest_measure():
    from noisecorr_utils.studies.synthesis import claims as synthesis

    rho = pd.DataFrame([{"x": "noise κ", "y": "CKA", "rho": 0.1, "lo": -0.1, "hi": 0.3},
                        {"x": "noise κ", "y": "error consistency", "rho": -0.5, "lo": -0.7, "hi": -0.3}])
    text = synthesis.relation_clause(rho)
    assert text.startswith("Noise κ goes most closely with error consistency") and "with error consistency has" in text
    rho.loc[1, ["rho", "lo", "hi"]] = [0.05, -0.2, 0.3]
    assert "none of its correlations" in synthesis.relation_clause(rho)


def test_the_books_answer_follows_the_verdicts():
    from noisecorr_utils.studies import conclusions

    def table(beyond, factor):
        rows = [("two MLPs agree on noise", "holds"), ("…and beyond their own answer habits (MLP, κ)", beyond),
                ("…compared with ~10% if uncorrelated (MLP: p_e, and the share of chance p_e / p_o)", "fails"),
                ("the architecture shapes agreement on noise (κ effect of the same architecture)", factor)]
        return pd.DataFrame(rows, columns=["claim", "finding verdict"])

    holds = conclusions.answer(table("holds", "holds"))
    assert "the finding holds for 1 of 1 architectures" in holds and "sharing the architecture raises" in holds
    assert "chance explains little of the agreement for 0 of 1 architectures and most of it for 1 of 1" in holds
    fails = conclusions.answer(table("fails", "undecided"))
    assert "fails for 1 of 1" in fails and "no factor raises agreement" in fails


def test_tables_show_names_not_identifiers():
    import pandas as pd

    assert report.readable("p_e / p_o 0.8") == "pₑ / pₒ 0.8"
    assert report.readable("two_nn") == "intrinsic dimension (TwoNN)"
    assert report.readable("some_new_measure") == "some new measure"
    kept = "N_S, x_2 and [CSV](../downloads/noise/noise_verdicts.csv) or noise_verdicts.csv"
    assert report.readable(kept) == kept   # maths and paths stay as they are
    table = report.md_table(pd.DataFrame({"p_o": [0.5], "measure": ["salt_and_pepper"], "n": [3]}))
    assert "pₒ" in table and "salt and pepper" in table and "_" not in table
