"""The noise chapter's experiments: model groups, answers to noise, agreement of every pair
with its chance level and κ, sweeps over noise kinds and brightness, a permutation null and
confidence on noise."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import confidence, noise, stats, zoo

PERMUTATION_SEED = 0  # one fixed pixel permutation, the same for every permuted model
WIDTHS = (0.5, 2.0)
CHEAP = ("mlp", "lenet", "mlp·perm", "lenet·perm")   # seconds per model: many seeds
TARGET_ACCURACY = 0.975  # the study's permuted CNNs reach 98%; ours must be as good to test its claims


PERM_CNN = ("allcnn", 2.0)   # the CNN that reaches the study's 98% on permuted pixels (benchmarks/sweep_recipes.py --permuted)


def groups(cheap_seeds: int, large_seeds: int, width_seeds: int, epochs: int | None = None,
           n_train: int | None = None, perm_cnn_seeds: int = 0) -> dict[str, list[zoo.ModelSpec]]:
    """Model groups of the chapter, each a list of specs over seeds: the four architectures, the
    permuted LeNet and MLP, LeNets of half and double width with and without the permutation, and
    the double-width AllCNN with and without it (``PERM_CNN``, ``perm_cnn_seeds`` seeds; none if 0).
    The cheap groups get ``cheap_seeds``, VGG and AllCNN ``large_seeds``, the widths ``width_seeds``."""
    common = dict(epochs=epochs, n_train=n_train)

    def seeds(arch, n, **kw):
        return [zoo.ModelSpec(arch=arch, seed=s, **common, **kw) for s in range(n)]

    out = {
        "mlp": seeds("mlp", cheap_seeds),
        "lenet": seeds("lenet", cheap_seeds),
        "vgg": seeds("vgg", large_seeds),
        "allcnn": seeds("allcnn", large_seeds),
        "lenet·perm": seeds("lenet", cheap_seeds, permutation_seed=PERMUTATION_SEED),
        "mlp·perm": seeds("mlp", cheap_seeds, permutation_seed=PERMUTATION_SEED),
    }
    for w in WIDTHS:
        out[f"lenet·w{w:g}"] = seeds("lenet", width_seeds, width=w)
        out[f"lenet·w{w:g}·perm"] = seeds("lenet", width_seeds, width=w, permutation_seed=PERMUTATION_SEED)
    if perm_cnn_seeds:
        arch, w = PERM_CNN
        out[f"{arch}·w{w:g}"] = seeds(arch, perm_cnn_seeds, width=w)
        out[f"{arch}·w{w:g}·perm"] = seeds(arch, perm_cnn_seeds, width=w, permutation_seed=PERMUTATION_SEED)
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
    "VGG–VGG at 50%": ("vgg", None, 0.5),
    "AllCNN–AllCNN at 50%": ("allcnn", None, 0.5),
    "MLP–MLP at 50%": ("mlp", None, 0.5),
    "LeNet–MLP": ("lenet", "mlp", 1.0),
    "VGG–MLP": ("vgg", "mlp", 1.0),
    "AllCNN–MLP": ("allcnn", "mlp", 1.0),
    "LeNet–VGG": ("lenet", "vgg", 1.0),
    "LeNet–AllCNN": ("lenet", "allcnn", 1.0),
    "VGG–AllCNN": ("vgg", "allcnn", 1.0),
    "LeNet·perm–LeNet·perm": ("lenet·perm", None, 1.0),
    "MLP·perm–MLP·perm": ("mlp·perm", None, 1.0),
    "MLP·perm–MLP": ("mlp·perm", "mlp", 1.0),
    **{f"LeNet·w{w:g}{p}–LeNet·w{w:g}{p}": (f"lenet·w{w:g}{p.lower()}", None, 1.0) for w in WIDTHS for p in ("", "·perm")},
    **{f"AllCNN·w2{p}–AllCNN·w2{p}": (f"allcnn·w2{p.lower()}", None, 1.0) for p in ("", "·perm")},
}


def pair_table(answers_at: dict[float, np.ndarray], z: zoo.Groups, comparisons=None, n_classes: int = 10) -> pd.DataFrame:
    """``stats.pair_table`` over the chapter's comparisons (``COMPARISONS`` by default, those whose
    groups ``z`` has)."""
    comparisons = COMPARISONS if comparisons is None else comparisons
    comparisons = {name: c for name, c in comparisons.items() if c[0] in z.rows and (c[1] is None or c[1] in z.rows)}
    return stats.pair_table(answers_at, z.rows, comparisons, n_classes)


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
    """Mean share of class ``cls`` in the answers of the models ``rows``, 95% interval over seeds."""
    return stats.seed_ci([(answers[r] == cls).mean() for r in rows], bounds=(0, 1))


def favourite_shares(answers: np.ndarray, rows, n_classes: int = 10) -> tuple[tuple[float, float, float], list[int]]:
    """Each network's share of its *own* favourite class, mean and 95% interval over seeds, and
    the favourite of every seed (a per-network claim is never a pooled class)."""
    shares = [stats.class_shares(answers[r], n_classes) for r in rows]
    return stats.seed_ci([s.max() for s in shares], bounds=(0, 1)), [int(s.argmax()) for s in shares]


def drop_of_class(full: np.ndarray, half: np.ndarray, rows, cls: int) -> tuple[float, float, float]:
    """How much the share of ``cls`` falls from full to half brightness, per network (paired by
    seed), mean and 95% interval over seeds, inside [−1, 1]."""
    return stats.seed_ci([(full[r] == cls).mean() - (half[r] == cls).mean() for r in rows], bounds=(-1, 1))


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

def confidence_by_group(z: zoo.Groups, groups, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Max-softmax on ``x`` of every model of each group, pooled over the group's seeds."""
    return {g: confidence.max_softmax([z.models[r] for r in z.rows[g]], x).ravel() for g in groups}


def hein_table(z: zoo.Groups, groups, x: torch.Tensor, alphas, level: float = 0.999) -> pd.DataFrame:
    """Per group: the mean over seeds (95% t-interval) of each model's median smallest α at which
    α·x reaches ``level`` confidence (``confidence.scale_to_confidence``), and the share of images that never do."""
    rows = []
    for g in groups:
        per_model = [confidence.cached_scale_to_confidence(z.models[r], x, alphas, level) for r in z.rows[g]]
        medians = [float(np.median(a)) for a in per_model]
        finite = [m for m in medians if np.isfinite(m)]
        m, lo, hi = stats.mean_ci(finite, bounds=(0, np.inf)) if len(finite) >= 2 else (np.nan, np.nan, np.nan)
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
