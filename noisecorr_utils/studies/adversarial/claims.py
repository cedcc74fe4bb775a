"""The adversarial chapter's claims: each claim of Szegedy et al. (2014) beside our numbers, with
the book's rules, and the chapter's findings in words chosen from the numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import report, stats
from ...verdicts import Figure, Finding
from .experiments import off_diagonal_gap


SMALL = 0.15             # "small distortion": at most the paper's largest average (0.14), rounded up
SOURCE_ACCURACY = 0.98   # the paper's FC100-100-10 and FC200-200-10 reach 98.4–98.5% on MNIST
ERROR_MARGIN = 0.01      # a network of the paper is matched when its test error is within 1 point of the paper's


def _ci(table: pd.DataFrame, name: str, column: str) -> tuple[float, float, float]:
    return tuple(table.loc[name, [column, f"{column}_lo", f"{column}_hi"]])


def _gate(t1: pd.DataFrame, name: str) -> tuple:
    """The accuracy gate of one network: the paper's own test error (plus a point) where the paper
    trained it, the paper's FC networks' 98% for ours."""
    paper = t1.loc[name, "paper test error"]
    required = 1 - paper - ERROR_MARGIN if paper == paper else SOURCE_ACCURACY
    return 1 - t1.loc[name, "test error"], required, "test accuracy (the paper's network)"


def verdict_table(t1: pd.DataFrame, t2: pd.DataFrame, t3: pd.DataFrame, units: dict[str, tuple],
                  halves_accuracy: float) -> pd.DataFrame:
    """Each claim of Szegedy et al. beside our numbers at both levels (``report.claim_row``), per
    network where the paper speaks of every network; each claim gated on the accuracy of the paper's
    network it speaks of."""
    n = int(t1.seeds.min())
    fc_accuracy = 1 - float(t1.loc[["FC100-100-10", "FC200-200-10"], "test error"].mean())
    fc_gate = (fc_accuracy, SOURCE_ACCURACY, "test accuracy of FC100-100-10 and FC200-200-10")
    worst = t1["attack success"].idxmin()
    success = _ci(t1, worst, "attack success")
    out = [report.claim_row(
        f"every network has adversarial examples for nearly every image (the lowest success rate: {worst})",
        Figure("all images", 0.95, 1.0, "above"), "success", success,
        Finding("every network has adversarial examples close to nearly every image", "success", 0.9), success, n,
        finding_percent=True, finding_bounds=(0, 1), gate=_gate(t1, worst))]
    for name, row in t1.iterrows():
        paper = row["paper distortion"]
        figure = None if paper != paper else Figure(f"{paper:g}", paper / 1.5, paper * 1.5, "below")
        dist = _ci(t1, name, "distortion")
        out.append(report.claim_row(
            f"…at a small distortion ({name}: mean minimal distortion)", figure, "distortion", dist,
            Finding(f"the adversarial examples of {name} are imperceptibly close to their images", "distortion",
                    SMALL, "below"), dist, int(row.seeds), percent=False, bounds=(0, np.inf),
            finding_bounds=(0, np.inf), gate=_gate(t1, name)))
    decay = stats.difference_ci(_ci(t1, "FC10(1)", "distortion"), _ci(t1, "FC10(1e-4)", "distortion"))
    out.append(report.claim_row(
        "stronger weight decay needs larger distortion (FC10(1) − FC10(1e-4))", Figure("0.14 − 0.062", 0.04, 0.12,
                                                                                      "above"),
        "difference", decay, Finding("stronger weight decay makes a softmax regression harder to fool", "difference",
                                     0.0), decay, n, percent=False, bounds=(-np.inf, np.inf),
        finding_bounds=(-np.inf, np.inf), gate=min((_gate(t1, k) for k in ("FC10(1)", "FC10(1e-4)")),
                                                    key=lambda g: g[0] - g[1])))
    for name, table, accuracy in (("other hyper-parameters and architectures", t2, fc_accuracy),
                                  ("a disjoint training set", t3, halves_accuracy)):
        diff = off_diagonal_gap(table, "adversarial", "noise of the same size")
        out.append(report.claim_row(
            f"examples transfer to {name} (error on the other networks, minus Gaussian noise of the same size)",
            None, "difference", diff,
            Finding(f"adversarial examples fool networks trained with {name}, far more than noise of their size",
                    "difference", 0.05), diff, n, finding_percent=True, bounds=(-1, 1), finding_bounds=(-1, 1),
            gate=(accuracy, SOURCE_ACCURACY, "test accuracy of the networks")))
    same = off_diagonal_gap(t2, "noise of the same size", "originals")
    out.append(report.claim_row(
        "Gaussian noise of the examples' size does almost nothing (extra error on the other networks over the "
        "unperturbed images)", None, "extra error", same,
        Finding("random noise as large as the adversarial perturbation barely changes the answers", "extra error",
                0.05, "below"), same, n, finding_percent=True, bounds=(-1, 1), finding_bounds=(-1, 1), gate=fc_gate))
    for model, gap in units.items():
        out.append(report.claim_row(
            f"single units are no more class-pure than random directions ({model}: unit minus random purity)", None,
            "gap", gap, Finding("the semantic information lies in directions of activation space, not in single units",
                                "gap", -0.05, "inside", 0.05), gap, n, finding_percent=True, bounds=(-1, 1),
            finding_bounds=(-1, 1)))
    return pd.DataFrame(out)


def ddn_clause(ddn: pd.DataFrame) -> str:
    lo, hi = ddn.ratio.min(), ddn.ratio.max()
    if lo >= 1:
        word = "L-BFGS never finds smaller perturbations than DDN: it overestimates the minimum"
    elif hi <= 1:
        word = "L-BFGS finds smaller perturbations than DDN on every network"
    else:
        word = "Neither attack is uniformly closer to the minimum"
    return f"{word}, by a factor of {report.num(lo)} to {report.num(hi)} across networks."


def transfer_clause(rates: dict, halves: tuple) -> str:
    adv, same = rates["adversarial"], rates["noise of the same size"]
    _, lo, hi = stats.difference_ci(adv, same)
    if lo == lo and lo > 0:
        ratio = adv[0] / same[0] if same[0] > 0 else float("inf")
        size = f"about {ratio:.0f} times as often as" if ratio >= 2 else "more often than"
    elif hi == hi and hi < 0:
        size = "less often than"
    else:
        size = "not measurably more often than"
    return (f"Across networks, the examples are misclassified {report.with_ci(*adv, digits=1)} of the time "
            f"(mean over the off-diagonal cells), the same images with Gaussian noise of exactly the same size "
            f"{report.with_ci(*same, digits=1)}: the examples fool other networks {size} noise does. Between "
            f"disjoint halves of the training set the rate is {report.with_ci(*halves, digits=1)}.")


def units_clause(gaps: dict) -> str:
    parts = []
    for name, (m, lo, hi) in gaps.items():
        if lo > 0.05:
            word = "purer than"
        elif hi < -0.05:
            word = "less pure than"
        elif -0.05 <= lo and hi <= 0.05:
            word = "as pure as"
        else:
            word = "not clearly different from"
        parts.append(f"in the {name}, single units are {word} random directions (purity of units minus "
                     f"directions: {report.with_ci(m, lo, hi, digits=1)} over seeds)")
    return "Measured, " + "; ".join(parts) + "."


def link_clause(rho: tuple) -> str:
    m, lo, hi = rho
    if lo != lo:
        return f"Undecided: Spearman ρ = {report.num(m)}, with too few seeds for an interval over seeds."
    if lo > 0:
        word = "Yes: pairs that agree more on noise also share more adversarial examples"
    elif hi < 0:
        word = "No — the opposite: pairs that agree more on noise share fewer adversarial examples"
    else:
        word = "Not measurably: the correlation's interval includes zero"
    return (f"{word} (Spearman ρ = {report.num(m)}, 95% delete-one-seed jackknife interval "
            f"[{report.num(lo)}, {report.num(hi)}]).")


SUMMARY_CLAIMS = ("every network has adversarial examples", "…at a small distortion (FC100-100-10",
                  "examples transfer to other", "examples transfer to a disjoint", "Gaussian noise of the examples",
                  "single units are no more")


def summary_finding(verdicts: pd.DataFrame) -> str:
    """The chapter's findings, each sentence produced from its verdict row (``report.findings``)."""
    return report.findings(verdicts, SUMMARY_CLAIMS)
