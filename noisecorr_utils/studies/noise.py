"""Chapter 2, "How small networks answer white noise": the MNIST white-noise study repeated on
the zoo — model groups, answers to noise, agreement of every pair with its chance level and κ,
intervals over seeds, sweeps over noise kinds and brightness, confidence on noise, and a verdict
per claim of the study.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .. import checks, noise, report, results, stats, train, zoo

PERMUTATION_SEED = 0  # one fixed pixel permutation, the same for every permuted model
WIDTHS = (0.5, 2.0)
CHEAP = ("mlp", "lenet", "mlp·perm", "lenet·perm")   # seconds per model: many seeds
TARGET_ACCURACY = 0.975  # the study's permuted CNNs reach 98%; ours must be as good to test its claims


def groups(n_seeds: int, n_seeds_large: int, n_width_seeds: int, epochs: int = 0,
           n_train: int = 0) -> dict[str, list[zoo.ModelSpec]]:
    """Model groups of the chapter, each a list of specs over seeds: the four architectures, the
    permuted LeNet and MLP, and LeNets of half and double width with and without the permutation.
    The cheap groups get ``n_seeds``, VGG and AllCNN ``n_seeds_large``, the widths ``n_width_seeds``."""
    for name, value in (("n_seeds", n_seeds), ("n_seeds_large", n_seeds_large), ("n_width_seeds", n_width_seeds)):
        checks.seeds_for_ci(name, value)
    if epochs:
        checks.positive_int("epochs", epochs)
    common = dict(epochs=epochs or None, n_train=n_train or None)

    def seeds(arch, n, **kw):
        return [zoo.ModelSpec(arch=arch, seed=s, **common, **kw) for s in range(n)]

    out = {
        "mlp": seeds("mlp", n_seeds),
        "lenet": seeds("lenet", n_seeds),
        "vgg": seeds("vgg", n_seeds_large),
        "allcnn": seeds("allcnn", n_seeds_large),
        "lenet·perm": seeds("lenet", n_seeds, permutation_seed=PERMUTATION_SEED),
        "mlp·perm": seeds("mlp", n_seeds, permutation_seed=PERMUTATION_SEED),
    }
    for w in WIDTHS:
        out[f"lenet·w{w:g}"] = seeds("lenet", n_width_seeds, width=w)
        out[f"lenet·w{w:g}·perm"] = seeds("lenet", n_width_seeds, width=w, permutation_seed=PERMUTATION_SEED)
    return out


def answers(z: zoo.Groups, kind: str, n: int, brightnesses, seed: int) -> dict[float, np.ndarray]:
    """Every model's answer to the same ``n`` MNIST-shaped images of ``kind`` at each brightness, cached."""
    return noise.cached_answers(z.models, kind, n, brightnesses, seed, "mnist")


# The comparisons of the chapter: name -> (group A, group B or None for pairs within A, brightness)
COMPARISONS = {
    "MLP–MLP": ("mlp", None, 1.0),
    "LeNet–LeNet": ("lenet", None, 1.0),
    "VGG–VGG": ("vgg", None, 1.0),
    "AllCNN–AllCNN": ("allcnn", None, 1.0),
    "LeNet–LeNet at 50%": ("lenet", None, 0.5),
    "MLP–MLP at 50%": ("mlp", None, 0.5),
    "LeNet–MLP": ("lenet", "mlp", 1.0),
    "LeNet–VGG": ("lenet", "vgg", 1.0),
    "LeNet–AllCNN": ("lenet", "allcnn", 1.0),
    "VGG–AllCNN": ("vgg", "allcnn", 1.0),
    "LeNet·perm–LeNet·perm": ("lenet·perm", None, 1.0),
    "MLP·perm–MLP·perm": ("mlp·perm", None, 1.0),
    "MLP·perm–MLP": ("mlp·perm", "mlp", 1.0),
    **{f"LeNet·w{w:g}{p}–LeNet·w{w:g}{p}": (f"lenet·w{w:g}{p.lower()}", None, 1.0) for w in WIDTHS for p in ("", "·perm")},
}
def pair_table(answers_at: dict[float, np.ndarray], z: zoo.Groups, comparisons=None, n_classes: int = 10) -> pd.DataFrame:
    """``stats.pair_table`` over the chapter's comparisons (``COMPARISONS`` by default)."""
    return stats.pair_table(answers_at, z.rows, COMPARISONS if comparisons is None else comparisons, n_classes)


def representative_pairs(answers_at: dict[float, np.ndarray], z: zoo.Groups, comparisons=None,
                         n_classes: int = 10) -> dict[str, tuple[int, int]]:
    """For each comparison, the pair of models whose κ is the median of its pairs (a
    representative pair, not "the first seeds")."""
    comparisons = COMPARISONS if comparisons is None else comparisons
    out = {}
    for name, (ga, gb, b) in comparisons.items():
        ra, rb = z.rows[ga], z.rows[gb] if gb else None
        pairs = [(i, j) for k, i in enumerate(ra) for j in ra[k + 1:]] if rb is None else [(i, j) for i in ra for j in rb]
        kappas = np.array([stats.agreement(answers_at[b][i], answers_at[b][j], n_classes).kappa for i, j in pairs])
        kappas = np.where(np.isnan(kappas), -np.inf, kappas)
        out[name] = pairs[int(np.argsort(kappas)[len(kappas) // 2])]
    return out


def share_of_class(answers: np.ndarray, rows, cls: int) -> tuple[float, float, float]:
    """Mean share of class ``cls`` in the answers of the models ``rows``, 95% t-interval over seeds."""
    return stats.seed_ci([(answers[r] == cls).mean() for r in rows], bounds=(0, 1))


def favourite_class(answers: np.ndarray, rows, n_classes: int = 10) -> int:
    return int(np.bincount(answers[rows].ravel(), minlength=n_classes).argmax())


def accuracy(z: zoo.Groups, group: str) -> tuple[float, float, float]:
    """Mean test accuracy of a group with its 95% t-interval over seeds."""
    return stats.seed_ci([z.models[r].record["test_accuracy"] for r in z.rows[group]], bounds=(0, 1))


def accuracy_table(z: zoo.Groups) -> pd.DataFrame:
    rows = []
    for g, r in z.rows.items():
        m, lo, hi = accuracy(z, g)
        rows.append({"group": g, "seeds": len(r), "test accuracy": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows).set_index("group")


# ---------------------------------------------------------------------------------------------
# Verdicts

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


# ---------------------------------------------------------------------------------------------
# Sweeps over noise kinds and brightness

def sweep(z: zoo.Groups, kinds, brightnesses, n: int, seed: int) -> np.ndarray:
    """``noise.cached_sweep`` of the chapter's models: (kinds, brightnesses, models, n) uint8."""
    return noise.cached_sweep(z.models, kinds, brightnesses, n, seed, "mnist")


CURVES = {"MLP–MLP": ("mlp", None), "LeNet–LeNet": ("lenet", None), "LeNet–MLP": ("lenet", "mlp"),
          "LeNet–VGG": ("lenet", "vgg"), "LeNet–AllCNN": ("lenet", "allcnn"), "VGG–AllCNN": ("vgg", "allcnn"),
          "LeNet·perm–LeNet·perm": ("lenet·perm", None)}


def kappa_curves(sweep_answers: np.ndarray, z: zoo.Groups, n_classes: int = 10) -> list[dict]:
    """Per noise kind, per comparison of ``CURVES``: mean κ and its seed-level interval at every
    brightness, ``[{comparison: (mean, lo, hi) arrays}]``."""
    out = []
    for per_kind in sweep_answers:
        mats = [stats.pair_matrices(a, n_classes)["kappa"] for a in per_kind]
        out.append({name: tuple(np.array(v) for v in zip(*(stats.pair_mean(m, z.rows[ga], z.rows[gb] if gb else None)
                                                           for m in mats)))
                    for name, (ga, gb) in CURVES.items()})
    return out


def kappa_matrices(sweep_answers: np.ndarray, kind_index: int, n_classes: int = 10) -> np.ndarray:
    """κ of every pair of models at every brightness for one noise kind: (brightnesses, m, m),
    NaN on the diagonal and where κ is undefined."""
    return np.stack([stats.pair_matrices(a, n_classes)["kappa"] for a in sweep_answers[kind_index]])


def attractor_shares(sweep_answers: np.ndarray, z: zoo.Groups, n_classes: int = 10) -> list[list[np.ndarray]]:
    """Share of each class in each group's answers: ``[kind][group]`` (brightnesses, classes)."""
    return [[np.stack([stats.class_shares(per_b[z.rows[g]].ravel(), n_classes) for per_b in per_kind])
             for g in z.rows] for per_kind in sweep_answers]


def permutation_table(answers: np.ndarray, pairs: dict[str, tuple[int, int]], n_boot: int, n_perm: int,
                      seed: int, n_classes: int = 10) -> pd.DataFrame:
    """For one representative pair per comparison: κ with a bootstrap 95% interval over images,
    the 97.5th percentile of κ under the permutation null, and the one-sided p-value."""
    rows = []
    for name, (i, j) in pairs.items():
        a, b = answers[i], answers[j]
        obs = stats.agreement(a, b, n_classes)
        boot = stats.bootstrap_ci(a, b, n_classes, n_boot=n_boot, seed=seed)
        null, p = stats.permutation_null(a, b, n_classes, n_perm=n_perm, seed=seed)
        rows.append({"comparison": name, "p_o": obs.observed, "p_e": obs.chance, "kappa": obs.kappa,
                     "kappa_lo": boot["kappa"][0], "kappa_hi": boot["kappa"][1],
                     "null_975": float(np.quantile(null, 0.975)), "p": p, "mi_bits": obs.mutual_information})
    return pd.DataFrame(rows).set_index("comparison")


# ---------------------------------------------------------------------------------------------
# Confidence on noise

def confidences(models, x: torch.Tensor) -> np.ndarray:
    """Max-softmax probability of every model on every image: (models, n) float32."""
    return np.stack([torch.softmax(train.predict_logits(m, x), 1).max(1).values.numpy() for m in models])


def scale_to_confidence(model, x: torch.Tensor, alphas, level: float = 0.999) -> np.ndarray:
    """The scaled-noise protocol of Hein et al. (2019, "Why ReLU networks yield high-confidence
    predictions far away from the training data", CVPR, Table 2): for each noise image x, the
    smallest α of the grid ``alphas`` at which the model's max-softmax on α·x reaches ``level``
    (inf where it never does). α·x leaves [0, 1]: the point is how fast confidence grows far out."""
    out = np.full(len(x), np.inf)
    for a in sorted(alphas, reverse=True):
        conf = torch.softmax(train.predict_logits(model, x * a), 1).max(1).values.numpy()
        out[conf >= level] = a
    return out


def confidence_by_group(z: zoo.Groups, groups, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Max-softmax on ``x`` of every model of each group, pooled over the group's seeds."""
    return {g: confidences([z.models[r] for r in z.rows[g]], x).ravel() for g in groups}


def hein_table(z: zoo.Groups, groups, x: torch.Tensor, alphas, level: float = 0.999) -> pd.DataFrame:
    """Per group: the mean over seeds (95% t-interval) of each model's median smallest α at which
    α·x reaches ``level`` confidence (``scale_to_confidence``), and the share of images that never do."""
    rows = []
    for g in groups:
        per_model = [scale_to_confidence(z.models[r], x, alphas, level) for r in z.rows[g]]
        medians = [float(np.median(a)) for a in per_model]
        finite = [m for m in medians if np.isfinite(m)]
        m, lo, hi = stats.mean_ci(finite) if len(finite) >= 2 else (np.nan, np.nan, np.nan)
        rows.append({"group": g, "median α": m, "lo": lo, "hi": hi,
                     "never": float(np.mean([np.isinf(a).mean() for a in per_model]))})
    return pd.DataFrame(rows)


def gallery(kinds, levels, dataset: str = "mnist", seed: int = 3) -> np.ndarray:
    """One image of each noise kind at each brightness of ``levels``, row by row: uint8 (kinds·levels, C, H, W)."""
    return np.concatenate([(noise.generate(k, 1, dataset, 1.0, seed=seed) * torch.tensor(levels).view(-1, 1, 1, 1))
                           .mul(255).round().byte().numpy() for k in kinds])


def histogram_tables(sweep_answers: np.ndarray, pairs: dict[str, tuple[int, int]], n_classes: int = 10):
    """Contingency tables of the given model pairs: ``[kind][pair][brightness]`` k×k counts."""
    return [[[stats.contingency(per_b[a], per_b[b], n_classes) for per_b in per_kind] for (a, b) in pairs.values()]
            for per_kind in sweep_answers]


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
