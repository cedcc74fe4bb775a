"""Are ensembles of agreeing networks useless? Pairs and larger ensembles of the factorial zoo's
digit networks, by kind of diversity: accuracy, calibration and noise detection gained."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ... import checks, noise, relations, stats, zoo
from .factorial import Cell, check_level
from .outputs import test_probs
from .pair_relations import comparable, reads_digits


def check_sizes(sizes, cell_list, n_seeds: int) -> None:
    """Every ensemble size a positive integer no larger than the digit networks the zoo will have."""
    available = sum(reads_digits(c) for c in cell_list) * n_seeds
    for size in sizes:
        checks.positive_int("size", size)
        if size > available:
            raise ValueError(f"ensemble size={size} is larger than the {available} models available; "
                             f"allowed: 1 to {available}")


def pair_ensembles(z: zoo.Groups, cell_of: list[Cell], answers: np.ndarray, n_test: int, kind: str, n_noise: int,
                   brightness: float, seed: int = 0) -> pd.DataFrame:
    """For every pair of comparable digit networks: its noise κ and what averaging the two buys
    over their own mean (``relations.ensemble_gain``): accuracy, ECE, NLL, noise-detection AUROC."""
    rows_ = comparable(cell_of)
    models = [z.models[r] for r in rows_]
    probs, labels = test_probs(models, n_test, seed)
    nprobs = noise.cached_probabilities(models, kind, n_noise, brightness, seed)
    out = []
    for (ia, i), (ib, j) in combinations(enumerate(rows_), 2):
        gain = relations.ensemble_gain(np.stack([probs[ia], probs[ib]]), labels[ia], np.stack([nprobs[ia], nprobs[ib]]))
        single = [relations.ensemble_scores(p[None], labels[ia], q[None]) for p, q in ((probs[ia], nprobs[ia]), (probs[ib], nprobs[ib]))]
        out.append({"i": i, "j": j, "A": cell_of[i].label, "B": cell_of[j].label,
                    "noise κ": stats.agreement(answers[i], answers[j], 10).kappa,
                    "kind": "same setting" if cell_of[i] == cell_of[j] else
                            "same architecture" if cell_of[i].arch == cell_of[j].arch else
                            "same data" if cell_of[i].data == cell_of[j].data else "both differ",
                    "pair AUROC by disagreement": relations.ensemble_scores(
                        np.stack([probs[ia], probs[ib]]), labels[ia], np.stack([nprobs[ia], nprobs[ib]]))["auroc_disagreement"],
                    "members' AUROC by confidence": float(np.mean([s["auroc_confidence"] for s in single])),
                    **{f"gain {k}": v for k, v in gain.items()}})
    return pd.DataFrame(out)


DIVERSITY = ("one setting", "one architecture, different data", "different architectures", "any")


def draw_ensembles(cell_of: list[Cell], rows_: list[int], size: int, diversity: str, n_draws: int,
                   seed: int = 0) -> list[tuple[int, ...]]:
    """Up to ``n_draws`` distinct ensembles of ``size`` models among ``rows_``: of one setting
    (seeds), of one architecture on different data, of different architectures (on MNIST), or any."""
    check_level("diversity", diversity, DIVERSITY)
    checks.positive_int("size", size)
    if size > len(rows_):
        raise ValueError(f"ensemble size={size} is larger than the {len(rows_)} models available; allowed: 1 to {len(rows_)}")
    g = np.random.default_rng(seed)

    def ok(members):
        cs = [cell_of[r] for r in members]
        if diversity == "one setting":
            return len(set(cs)) == 1
        if diversity == "one architecture, different data":
            return len({c.arch for c in cs}) == 1 and len({c.data for c in cs}) == size
        if diversity == "different architectures":
            return all(c.data == "MNIST" for c in cs) and len({c.arch for c in cs}) == size
        return True

    found, tries = set(), 0
    while len(found) < n_draws and tries < 200 * n_draws:
        tries += 1
        members = tuple(sorted(g.choice(rows_, size, replace=False).tolist()))
        if ok(members):
            found.add(members)
    return sorted(found)


def ensemble_sizes(z: zoo.Groups, cell_of: list[Cell], sizes, n_test: int, kind: str, n_noise: int,
                   brightness: float, n_draws: int, seed: int = 0) -> pd.DataFrame:
    """Gains of ensembles of each size and kind of diversity (``draw_ensembles``): per (size,
    diversity) the mean gain over the draws, its 2.5/97.5 percentiles, and how many were drawn."""
    rows_ = comparable(cell_of)
    where = {r: k for k, r in enumerate(rows_)}
    models = [z.models[r] for r in rows_]
    probs, labels = test_probs(models, n_test, seed)
    nprobs = noise.cached_probabilities(models, kind, n_noise, brightness, seed)
    out = []
    for size in sizes:
        for diversity in DIVERSITY:
            draws = draw_ensembles(cell_of, rows_, size, diversity, n_draws, seed)
            gains = [relations.ensemble_gain(np.stack([probs[where[r]] for r in d]), labels[0],
                                             np.stack([nprobs[where[r]] for r in d])) for d in draws]
            for k in relations.SCORES:
                v = np.array([g_[k] for g_ in gains])
                out.append({"size": size, "diversity": diversity, "score": k, "draws": len(v),
                            "gain": v.mean() if len(v) else np.nan,
                            "lo": np.quantile(v, 0.025) if len(v) else np.nan,
                            "hi": np.quantile(v, 0.975) if len(v) else np.nan})
    return pd.DataFrame(out)


def kappa_predicts_gain(ensembles: pd.DataFrame, cell_of: list[Cell], n_boot: int, seed: int = 0) -> pd.DataFrame:
    """Spearman's ρ of noise κ against each gain over the pairs, intervals from resampling seeds."""
    cell_ids = {c: k for k, c in enumerate(dict.fromkeys(cell_of))}
    cells_ = [cell_ids[c] for c in cell_of]
    pm = ensembles[["i", "j"]].to_numpy()
    kappa = ensembles["noise κ"].to_numpy()
    rows = []
    for k in relations.SCORES:
        v = ensembles[f"gain {k}"].to_numpy()
        m, lo, hi = stats.bootstrap_statistic(lambda w: stats.weighted_spearman(kappa, v, w), pm, cells_, n_boot, seed=seed)
        rows.append({"gain": k, "rho": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows).set_index("gain")


SCORE_NAMES = {"auroc_confidence": "noise detection by confidence (AUROC)",
               "auroc_disagreement": "noise detection by disagreement (AUROC)",
               "accuracy": "test accuracy", "nll": "negative log-likelihood",
               "ece": "calibration (expected calibration error)"}


def advice(sized: pd.DataFrame, names=None) -> str:
    """Which kind of diversity buys the most accuracy and noise detection, from the ensembles of
    size 3 (or the largest below it)."""
    names = names or SCORE_NAMES
    drawn = sized[sized.draws > 0]
    if drawn.empty:
        return "No ensemble could be drawn."
    size = int(drawn["size"][drawn["size"] <= 3].max() if (drawn["size"] <= 3).any() else drawn["size"].min())
    parts = []
    for key in ("accuracy", "auroc_confidence"):
        sub = drawn[(drawn["size"] == size) & (drawn.score == key) & (drawn.diversity != "any")].set_index("diversity").gain
        if len(sub) > 1:
            parts.append(f"for {names[key]}, ensembles of {size} gain most from **{sub.idxmax()}** "
                         f"({sub.max():+.4f}) and least from **{sub.idxmin()}** ({sub.min():+.4f})")
    return ("In our zoo, " + "; ".join(parts) + ".") if parts else "Too few kinds of ensemble to compare."


def seed_mean(ensembles: pd.DataFrame, column: str, kind: str, cell_of: list[Cell],
              bounds=(-1.0, 1.0)) -> tuple[float, float, float]:
    """Mean of a pair column over the pairs of one ensemble ``kind`` within each cell, interval
    from a delete-one-seed jackknife per cell (``stats.jackknife_within``), cells pooled by
    averaging their means (their variances averaged over the number of cells squared); kept inside
    ``bounds`` (``stats.bounded_interval``)."""
    sub = ensembles[ensembles.kind == kind]
    per_cell = []
    for _, grp in sub.groupby("A"):
        idx = sorted(set(grp.i) | set(grp.j))
        pos = {r: k for k, r in enumerate(idx)}
        mat = np.full((len(idx), len(idx)), np.nan)
        for i, j, v in zip(grp.i, grp.j, grp[column]):
            mat[pos[i], pos[j]] = mat[pos[j], pos[i]] = v
        per_cell.append(stats.jackknife_within(mat))
    if not per_cell:
        return float("nan"), float("nan"), float("nan")
    means = np.array([p[0] for p in per_cell])
    halves = np.array([(p[2] - p[1]) / 2 for p in per_cell])
    half = float(np.sqrt(np.nansum(halves ** 2)) / len(per_cell)) if np.isfinite(halves).all() else float("nan")
    return stats.bounded_interval(float(np.nanmean(means)), half / 1.959964, 1.959964, bounds)
