"""The noise chapter's claims: each claim of the MNIST white-noise study beside our measurement,
its rule and verdict, the verdicts' stability over two halves of the seeds, and the chapter's
findings in words chosen from the numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import report, stats, zoo
from .experiments import TARGET_ACCURACY, accuracy, pair_table, share_of_class


TOLERANCE = 0.10  # a claimed agreement is reproduced when our CI lies within ±10 points of it


def _band(claimed: float, tol: float = TOLERANCE) -> tuple[float, float]:
    return max(0.0, claimed - tol), min(1.0, claimed + tol)


def verdict_table(answers_at: dict[float, np.ndarray], z: zoo.Groups, n_classes: int = 10) -> pd.DataFrame:
    """Each claim of the study beside our estimate (95% interval over seeds), the rule applied,
    its verdict, and — where inconclusive — about how many seeds would decide."""
    pairs = pair_table(answers_at, z, n_classes=n_classes)
    rows = []

    def add(*args, **kwargs):
        rows.append(report.verdict_row(*args, **kwargs))

    def agreement(claim, source, comparison, claimed):
        p = pairs.loc[comparison]
        low, high = _band(claimed)
        add(claim, source, (p.p_o, p.p_o_lo, p.p_o_hi), low, high,
            f"p_o CI inside [{low:.0%}, {high:.0%}]", int(p.seeds))

    def uncorrelated(claim, comparison):
        p = pairs.loc[comparison]
        low, high = stats.side_band(0.2, "below")
        verdict = stats.DEGENERATE if p["degenerate models"] or p.kappa != p.kappa else None
        add(claim, "uncorrelated", (p.kappa, p.kappa_lo, p.kappa_hi), low, high,
            "κ CI below 0.2 (slight at most, Landis & Koch)", int(p.seeds), percent=False, verdict=verdict)

    agreement("two MLPs agree on noise", "81%", "MLP–MLP", 0.81)
    p = pairs.loc["MLP–MLP"]
    add("…compared with ~10% if uncorrelated (our chance agreement p_e)", "10%", (p.p_e, p.p_e_lo, p.p_e_hi),
        *_band(0.10, 0.05), "p_e CI inside [5%, 15%]", int(p.seeds))
    agreement("two CNNs agree (LeNet)", "76%", "LeNet–LeNet", 0.76)
    agreement("two CNNs agree (VGG)", "76%", "VGG–VGG", 0.76)
    agreement("two CNNs agree (AllCNN)", "76%", "AllCNN–AllCNN", 0.76)
    lenet = z.rows["lenet"]
    share_full, share_half = share_of_class(answers_at[1.0], lenet, 8), share_of_class(answers_at[0.5], lenet, 8)
    add("CNNs call 90% of noise \"8\" (LeNet)", "90%", share_full, 0.8, 1.0, "share CI inside [80%, 100%]", len(lenet))
    gone = stats.verdict_all(stats.verdict_side(share_full[1:], 0.5, "above"),
                             stats.verdict_side(share_half[1:], 0.1, "below"))
    add("at 50% brightness the \"8\" disappears (share of \"8\" at 50%)", "≈ 0%", share_half, 0.0, 0.1,
        "share of \"8\" CI above 50% at full brightness and below 10% at half", len(lenet), verdict=gone)
    agreement("at 50% brightness two CNNs agree (LeNet)", "60%", "LeNet–LeNet at 50%", 0.60)
    agreement("CNN and MLP agree (LeNet–MLP)", "≈ 20%", "LeNet–MLP", 0.20)
    for comparison in ("LeNet–VGG", "LeNet–AllCNN", "VGG–AllCNN"):
        uncorrelated(f"different CNN architectures do not agree ({comparison}, κ)", comparison)
    acc = accuracy(z, "lenet·perm")
    add("CNNs on pixel-permuted MNIST reach 98% accuracy (LeNet)", "98%", acc, TARGET_ACCURACY, 1.0,
        f"accuracy CI above {TARGET_ACCURACY:.1%}", len(z.rows["lenet·perm"]))
    p = pairs.loc["LeNet·perm–LeNet·perm"]
    low, high = _band(0.21)
    add("pixel-permuted CNNs agree on only 21% (LeNet)", "21%", (p.p_o, p.p_o_lo, p.p_o_hi), low, high,
        f"p_o CI inside [{low:.0%}, {high:.0%}]; not tested below {TARGET_ACCURACY:.1%} accuracy", int(p.seeds),
        verdict=stats.gated(stats.verdict_band((p.p_o_lo, p.p_o_hi), low, high), acc[0], TARGET_ACCURACY))
    for w in ("0.5", "1", "2"):
        suffix = "" if w == "1" else f"·w{w}"
        perm, plain = (pairs.loc[f"LeNet{suffix}{p}–LeNet{suffix}{p}"] for p in ("·perm", ""))
        diff = stats.difference_ci((plain.p_o, plain.p_o_lo, plain.p_o_hi), (perm.p_o, perm.p_o_lo, perm.p_o_hi))
        acc_w = accuracy(z, f"lenet{suffix}·perm")[0]
        verdict = stats.gated(stats.verdict_side(diff[1:], 0.0, "above"), acc_w, TARGET_ACCURACY)
        add(f"not a matter of neuron count: permuted LeNets agree less (width ×{w}, p_o plain − permuted)", "yes",
            diff, 0.0, np.inf, f"difference CI above 0; not tested below {TARGET_ACCURACY:.1%} accuracy",
            int(min(perm.seeds, plain.seeds)), verdict=verdict)
    return pd.DataFrame(rows)


def stability(answers_at: dict[float, np.ndarray], z: zoo.Groups, n_classes: int = 10) -> pd.DataFrame:
    """Every verdict computed on two disjoint halves of the seeds, side by side with the verdict
    on all seeds; a verdict that differs between the halves is marked unstable."""
    full = verdict_table(answers_at, z, n_classes)
    halves = [verdict_table(answers_at, z.half(k), n_classes) for k in (0, 1)]
    out = full[["claim", "verdict"]].copy()
    out["first half"], out["second half"] = halves[0]["verdict"].values, halves[1]["verdict"].values
    out["stable"] = out["first half"] == out["second half"]
    return out


HEADLINE = ["MLP–MLP", "LeNet–LeNet", "VGG–VGG", "AllCNN–AllCNN", "LeNet–MLP", "LeNet·perm–LeNet·perm",
            "MLP·perm–MLP·perm"]


def chance_and_top_kappa(pairs: pd.DataFrame) -> tuple[float, tuple[float, float, float]]:
    """Over the headline comparisons: the mean share p_e/p_o of chance in the observed agreement,
    and the largest defined mean κ with its interval."""
    sub = pairs.loc[HEADLINE]
    defined = sub[sub.kappa == sub.kappa]
    top = defined.loc[defined.kappa.idxmax()] if len(defined) else None
    share = float((sub.p_e / sub.p_o).mean())
    return share, ((top.kappa, top.kappa_lo, top.kappa_hi) if top is not None else (np.nan, np.nan, np.nan))


def summary_finding(pairs: pd.DataFrame) -> str:
    """The chapter's finding in two sentences, its wording chosen from the numbers."""
    mlp, lenet = pairs.loc["MLP–MLP"], pairs.loc["LeNet–LeNet"]
    share, top = chance_and_top_kappa(pairs)
    return (f"Two MLPs agree on {report.with_ci(mlp.p_o, mlp.p_o_lo, mlp.p_o_hi, digits=0)} of noise and two "
            f"LeNets on {report.with_ci(lenet.p_o, lenet.p_o_lo, lenet.p_o_hi, digits=0)}; their chance agreement "
            f"is {report.pct(mlp.p_e)} and {report.pct(lenet.p_e)}, so the agreement is "
            f"{report.chance_clause(share, top)}.")
