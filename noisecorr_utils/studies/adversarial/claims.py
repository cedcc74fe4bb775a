"""The adversarial chapter's claims: each claim of Szegedy et al. (2014) beside our numbers, with
the book's rules, and the chapter's findings in words chosen from the numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import report, stats
from .experiments import off_diagonal


SMALL = 0.15   # "small distortion": at most the paper's largest average (0.14), rounded up


SOURCE_ACCURACY = 0.98   # the paper's fully connected networks reach 98.4–98.5% on MNIST


def verdict_table(t1: pd.DataFrame, t2: pd.DataFrame, t3: pd.DataFrame, units: dict[str, tuple],
                  halves_accuracy: float) -> pd.DataFrame:
    """Each claim of Szegedy et al. beside our numbers, with the book's rules. The claims about the
    paper's ~98% networks are *not tested* when our fully connected networks (FC100-100-10,
    FC200-200-10; the half-set networks for Table 3) are weaker than 98%."""
    n = int(t1.seeds.min())
    fc_accuracy = 1 - float(t1.loc[["FC100-100-10", "FC200-200-10"], "test error"].mean())
    gate_rule = f"; not tested below {SOURCE_ACCURACY:.0%} accuracy"
    success = (t1["attack success"].min(), t1["attack success_lo"].min(), t1["attack success_hi"].min())
    worst = t1["distortion"].idxmax()
    dist = tuple(t1.loc[worst, ["distortion", "distortion_lo", "distortion_hi"]])
    strong, weak = t1.loc["FC10(1)"], t1.loc["FC10(1e-4)"]
    decay = stats.difference_ci((strong.distortion, strong.distortion_lo, strong.distortion_hi),
                                (weak.distortion, weak.distortion_lo, weak.distortion_hi))
    out = [
        report.verdict_row("every network has adversarial examples for nearly every image (lowest success rate)",
                           "all images", success, 0.95, 1.0, "success CI inside [95%, 100%]" + gate_rule, n,
                           verdict=stats.gated(stats.verdict_band(success[1:], 0.95, 1.0), fc_accuracy, SOURCE_ACCURACY)),
        report.verdict_row(f"…at a small distortion (largest network mean: {worst})", "0.058–0.14", dist, 0, SMALL,
                           f"distortion CI below {SMALL}" + gate_rule, n, percent=False,
                           verdict=stats.gated(stats.verdict_band(dist[1:], 0, SMALL), fc_accuracy, SOURCE_ACCURACY)),
        report.verdict_row("stronger weight decay needs larger distortion (FC10(1) − FC10(1e-4))", "0.14 − 0.062",
                           decay, 0, np.inf, "difference CI above 0", n, percent=False),
    ]
    for name, table, accuracy in (("other hyper-parameters and architectures", t2, fc_accuracy),
                                  ("a disjoint training set", t3, halves_accuracy)):
        diff = stats.difference_ci(off_diagonal(table, "adversarial"), off_diagonal(table, "noise of the same size"))
        out.append(report.verdict_row(f"examples transfer to {name} (error on the other networks, minus Gaussian "
                                      "noise of the same size)", "well above noise", diff, 0.05, 1.0,
                                      "difference CI above 5 points" + gate_rule, n,
                                      verdict=stats.gated(stats.verdict_band(diff[1:], 0.05, 1.0), accuracy, SOURCE_ACCURACY)))
    same = off_diagonal(t2, "noise of the same size")
    out.append(report.verdict_row("Gaussian noise of the examples' size does almost nothing (error on the other "
                                  "networks)", "≈ test error", same, 0, 0.05, "error CI below 5%", n))
    for model, gap in units.items():
        out.append(report.verdict_row(f"single units are no more class-pure than random directions ({model}: unit "
                                      "minus random purity)", "no difference", gap, -0.05, 0.05,
                                      "gap CI inside ±5 points", n))
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


def summary_finding(t1: pd.DataFrame, rates: dict, gaps: dict) -> str:
    lo_success = t1["attack success"].min()
    d = t1["distortion"]
    adv, same = rates["adversarial"], rates["noise of the same size"]
    unit_words = ", ".join(f"{n} {report.with_ci(*g, digits=1)}" for n, g in gaps.items())
    return (f"Our attack turned at least {report.pct(lo_success)} of the digits of every network into its target, "
            f"at mean distortions from {report.num(d.min(), 3)} to {report.num(d.max(), 3)} (paper: 0.058–0.14). "
            f"The examples fool other networks {report.with_ci(*adv, digits=1)} of the time, noise of the same "
            f"size {report.with_ci(*same, digits=1)}. Class purity of single units minus that of random directions: "
            f"{unit_words}.")
