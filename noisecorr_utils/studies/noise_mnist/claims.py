"""The noise chapter's claims at two levels (``verdicts``): each number of the MNIST white-noise
study against ours, and what the study concluded from it, as a rule fixed before the run — measured
per network, on every network the claim speaks of; the verdicts' stability over two halves of the
seeds; and the chapter's findings in sentences produced from the verdict table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import report, stats, zoo
from ...verdicts import Figure, Finding
from .experiments import TARGET_ACCURACY, accuracy, drop_of_class, favourite_shares, pair_table, share_of_class

TOLERANCE = 0.10        # a claimed share is reproduced when our interval lies within ±10 points of it
UNIFORM_CHANCE = 0.10   # the chance agreement the study compares with: ten classes, answered uniformly
SLIGHT = 0.2            # κ above this is more than "slight" agreement beyond chance (Landis & Koch)
MOSTLY = 0.5            # "most": a share above one half
ARCHS = {"mlp": "MLP", "lenet": "LeNet", "vgg": "VGG", "allcnn": "AllCNN"}
CNNS = ("lenet", "vgg", "allcnn")
GATE_WHAT = "test accuracy (the study's networks)"


def _band(claimed: float, argues: str | None, source: str, tol: float = TOLERANCE) -> Figure:
    return Figure(source, max(0.0, claimed - tol), min(1.0, claimed + tol), argues)


def _ci(row: pd.Series, key: str) -> tuple[float, float, float]:
    return row[key], row[f"{key}_lo"], row[f"{key}_hi"]


def headline_rows(answers_at: dict[float, np.ndarray], z: zoo.Groups, pairs: pd.DataFrame,
                  n_classes: int = 10) -> list[dict]:
    """The claims about networks of one architecture — agreement (as the study reads it, and beyond
    the answer habits), the 10% comparison, the "8" at full and half brightness, agreement at half
    brightness, CNN against MLP — for every architecture of ``ARCHS`` that ``z`` has a group of
    (the noise chapter's zoo, or the networks of one recipe)."""
    archs = {g: n for g, n in ARCHS.items() if g in z.rows}
    full, half = answers_at[1.0], answers_at[0.5]
    rows = []

    def gate(*groups):
        return min(accuracy(z, g)[0] for g in groups), TARGET_ACCURACY, GATE_WHAT

    def seeds(comparison):
        return int(pairs.loc[comparison, "seeds"])

    for g, name in archs.items():
        c = f"{name}–{name}"
        p = pairs.loc[c]
        claimed, source = (0.81, "81%") if g == "mlp" else (0.76, "76% (CNNs)")
        rows.append(report.claim_row(
            f"two {name}s agree on noise", _band(claimed, "above", source), "p_o", _ci(p, "p_o"),
            Finding(f"two {name}s agree on noise far beyond chance, read as the study reads it (10% for ten "
                    "classes)", "p_o", UNIFORM_CHANCE), _ci(p, "p_o"), seeds(c), finding_percent=True,
            finding_bounds=(0, 1), gate=gate(g)))
        rows.append(report.claim_row(
            f"…and beyond their own answer habits ({name}, κ)", None, "κ", _ci(p, "kappa"),
            Finding(f"two {name}s' answers to noise are correlated beyond the agreement their answer habits imply",
                    "κ", SLIGHT), _ci(p, "kappa"), seeds(c), percent=False, bounds=(-1, 1), gate=gate(g),
            degenerate=p["kappa pairs"] == 0))
        rows.append(report.claim_row(
            f"…compared with ~10% if uncorrelated ({name}: p_e, and the share of chance p_e / p_o)",
            Figure("10%", 0.05, 0.15), "p_e", _ci(p, "p_e"),
            Finding(f"chance explains little of two {name}s' agreement", "p_e / p_o", MOSTLY, "below"),
            _ci(p, "chance_share"), seeds(c), finding_bounds=(0, np.inf), gate=gate(g)))
    for g, name in archs.items():
        r = z.rows[g]
        share8 = share_of_class(full, r, 8)
        (fav, fav_lo, fav_hi), favourites = favourite_shares(full, r, n_classes)
        rows.append(report.claim_row(
            f"90% of noise is called \"8\" ({name}; favourites per seed: "
            f"{', '.join(str(f) for f in favourites)}; own favourite's share {report.with_ci(fav, fav_lo, fav_hi)})",
            Figure("90%", 0.8, 1.0, "above"), "share of \"8\"", share8,
            Finding(f"{name}s call most noise \"8\"", "share of \"8\"", MOSTLY), share8, len(r),
            finding_percent=True, finding_bounds=(0, 1), gate=gate(g)))
    for g, name in archs.items():
        r = z.rows[g]
        share_half, drop = share_of_class(half, r, 8), drop_of_class(full, half, r, 8)
        eight = share_of_class(full, r, 8)
        rows.append(report.claim_row(
            f"at 50% brightness the \"8\" disappears ({name})", Figure("≈ 0%", 0.0, 0.1, "below"),
            "share of \"8\" at 50%", share_half,
            Finding(f"the share of \"8\" falls when {name}s see noise at half brightness", "fall of the share",
                    0.0), drop, len(r), finding_percent=True, finding_bounds=(-1, 1),
            gate=(min(accuracy(z, g)[0], 1.0 if eight[0] > MOSTLY else 0.0), TARGET_ACCURACY,
                  GATE_WHAT + " and most noise called \"8\" at full brightness")))
    for g in [c for c in CNNS if c in archs]:
        name = ARCHS[g]
        p = pairs.loc[f"{name}–{name} at 50%"]
        rows.append(report.claim_row(
            f"at 50% brightness two CNNs agree ({name})", _band(0.60, "above", "60%"), "p_o", _ci(p, "p_o"),
            Finding(f"two {name}s still agree beyond their answer habits once the \"8\" is gone", "κ", SLIGHT),
            _ci(p, "kappa"), seeds(f"{name}–{name} at 50%"), gate=gate(g), degenerate=p["kappa pairs"] == 0))
    for g in [c for c in CNNS if c in archs and "mlp" in archs]:
        name = ARCHS[g]
        c = f"{name}–MLP"
        p = pairs.loc[c]
        rows.append(report.claim_row(
            f"CNN and MLP agree ({c})", _band(0.20, "below", "≈ 20%"), "p_o", _ci(p, "p_o"),
            Finding(f"{report.a(name)} and an MLP answer noise nearly independently", "κ", SLIGHT, "below"),
            _ci(p, "kappa"), seeds(c), gate=gate(g, "mlp"), degenerate=p["kappa pairs"] == 0))
    return rows


def verdict_table(answers_at: dict[float, np.ndarray], z: zoo.Groups, n_classes: int = 10) -> pd.DataFrame:
    """Every claim of the study beside our estimates (95% intervals over seeds), both rules and
    both verdicts (``report.claim_row``)."""
    pairs = pair_table(answers_at, z, n_classes=n_classes)
    rows = headline_rows(answers_at, z, pairs, n_classes)

    def gate(*groups):
        return min(accuracy(z, g)[0] for g in groups), TARGET_ACCURACY, GATE_WHAT

    def seeds(comparison):
        return int(pairs.loc[comparison, "seeds"])

    for c, (a, b) in {"LeNet–VGG": ("lenet", "vgg"), "LeNet–AllCNN": ("lenet", "allcnn"),
                      "VGG–AllCNN": ("vgg", "allcnn")}.items():
        p = pairs.loc[c]
        rows.append(report.claim_row(
            f"different CNN architectures do not agree ({c})", None, "κ", _ci(p, "kappa"),
            Finding("CNNs of different architectures answer noise nearly independently", "κ", SLIGHT, "below"),
            _ci(p, "kappa"), seeds(c), percent=False, bounds=(-1, 1), gate=gate(a, b),
            degenerate=p["kappa pairs"] == 0))
    for group, name in (("lenet·perm", "LeNet"), ("allcnn·w2·perm", "AllCNN ×2")):
        if group not in z.rows:
            continue
        acc = accuracy(z, group)
        rows.append(report.claim_row(
            f"CNNs on pixel-permuted MNIST reach 98% accuracy ({name})", Figure("98%", TARGET_ACCURACY, 1.0, "above"),
            "test accuracy", acc, Finding("a CNN learns MNIST whose pixels are shuffled", "test accuracy", 0.9), acc,
            len(z.rows[group]), finding_percent=True, finding_bounds=(0, 1)))
    for arch, name, w in (("lenet", "LeNet", "0.5"), ("lenet", "LeNet", "1"), ("lenet", "LeNet", "2"),
                          ("allcnn", "AllCNN", "2")):
        suffix = "" if w == "1" else f"·w{w}"
        if f"{arch}{suffix}·perm" not in z.rows:
            continue
        perm, plain = (pairs.loc[f"{name}{suffix}{p}–{name}{suffix}{p}"] for p in ("·perm", ""))
        diff = stats.difference_ci(_ci(plain, "p_o"), _ci(perm, "p_o"), bounds=(-1, 1))
        figure = _band(0.21, "below", "21%") if w == "1" or arch == "allcnn" else None
        rows.append(report.claim_row(
            f"pixel-permuted CNNs agree on only 21%, and that is not a matter of neuron count ({name} width ×{w})",
            figure, f"p_o of permuted {name}s", _ci(perm, "p_o"),
            Finding(f"permuted {name}s of width ×{w} agree less than plain ones", "p_o plain − permuted", 0.0), diff,
            int(min(perm.seeds, plain.seeds)), finding_percent=True, finding_bounds=(-1, 1),
            gate=(accuracy(z, f"{arch}{suffix}·perm")[0], TARGET_ACCURACY, f"test accuracy of the permuted {name}s")))
    return pd.DataFrame(rows)


def stability(answers_at: dict[float, np.ndarray], z: zoo.Groups, n_classes: int = 10) -> pd.DataFrame:
    """Both verdicts of every claim on two disjoint halves of the seeds, beside those on all seeds;
    a claim whose verdicts differ between the halves is unstable."""
    full = verdict_table(answers_at, z, n_classes)
    halves = [verdict_table(answers_at, z.half(k), n_classes) for k in (0, 1)]
    out = full[["claim", "figure verdict", "finding verdict"]].copy()
    for level in ("figure", "finding"):
        out[f"{level}: first half"] = halves[0][f"{level} verdict"].values
        out[f"{level}: second half"] = halves[1][f"{level} verdict"].values
    out["stable"] = ((out["figure: first half"] == out["figure: second half"])
                     & (out["finding: first half"] == out["finding: second half"]))
    return out


HEADLINE = ["MLP–MLP", "LeNet–LeNet", "VGG–VGG", "AllCNN–AllCNN", "LeNet–MLP", "LeNet·perm–LeNet·perm",
            "MLP·perm–MLP·perm"]


def chance_and_top_kappa(pairs: pd.DataFrame) -> tuple[float, tuple[float, float, float]]:
    """Over the headline comparisons: the mean share p_e/p_o of chance in the observed agreement,
    and the largest defined mean κ with its interval."""
    sub = pairs.loc[HEADLINE]
    defined = sub[sub.kappa == sub.kappa]
    top = defined.loc[defined.kappa.idxmax()] if len(defined) else None
    share = float(sub.chance_share.mean())
    return share, ((top.kappa, top.kappa_lo, top.kappa_hi) if top is not None else (np.nan, np.nan, np.nan))


SUMMARY_CLAIMS = ("two MLPs agree", "…and beyond their own answer habits (MLP", "two LeNets agree",
                  "…and beyond their own answer habits (LeNet", "90% of noise is called \"8\"",   # every architecture
                  "different CNN architectures do not agree (LeNet–VGG")


def summary_finding(verdicts: pd.DataFrame) -> str:
    """The chapter's findings, each sentence produced from its verdict row (``report.findings``)."""
    return report.findings(verdicts, SUMMARY_CLAIMS)
