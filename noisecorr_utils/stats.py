"""Agreement between two models' answers, corrected for chance.

Observed agreement p_o = P(a = b); chance agreement p_e = Σ_k p_a(k)·p_b(k), what two models
with these answer distributions would share if they answered independently; Cohen's κ =
(p_o − p_e)/(1 − p_e) (Cohen, 1960). Confidence intervals: a t-interval over seeds for
per-model quantities; for quantities averaged over pairs of models, a delete-one-seed jackknife
(pairs share models, so they are not independent); a bootstrap over images for one pair; a
permutation null for κ; every interval kept inside its quantity's range (``bounded_interval``).
The verdict rules are in ``verdicts``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from .progress import staged


def _as_np(a) -> np.ndarray:
    return np.asarray(a.numpy() if hasattr(a, "numpy") else a, dtype=np.int64)


def contingency(a, b, n_classes: int) -> np.ndarray:
    """k×k counts: rows are model a's answers, columns model b's."""
    a, b = _as_np(a), _as_np(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"answers must be two 1-D arrays of one length, got {a.shape} and {b.shape}")
    return np.bincount(a * n_classes + b, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


@dataclass(frozen=True)
class Agreement:
    observed: float  # p_o
    chance: float    # p_e
    kappa: float
    mutual_information: float  # bits

    def as_dict(self):
        return {"p_o": self.observed, "p_e": self.chance, "kappa": self.kappa, "mi_bits": self.mutual_information}


def from_table(table: np.ndarray) -> Agreement:
    n = table.sum()
    if n == 0:
        raise ValueError("an empty contingency table has no agreement")
    p = table / n
    pa, pb = p.sum(1), p.sum(0)
    p_o = float(np.trace(p))
    p_e = float(pa @ pb)
    # κ is 0/0 when both models give one and the same class to every image: undefined (NaN),
    # as in scikit-learn's cohen_kappa_score
    kappa = (p_o - p_e) / (1 - p_e) if p_e < 1 - 1e-12 else float("nan")
    nz = p > 0
    mi = float((p[nz] * np.log2(p[nz] / np.outer(pa, pb)[nz])).sum())
    return Agreement(p_o, p_e, float(kappa), mi)


def agreement(a, b, n_classes: int) -> Agreement:
    return from_table(contingency(a, b, n_classes))


def kappa_many(a: np.ndarray, b: np.ndarray, n_classes: int) -> np.ndarray:
    """κ for many answer pairs at once: a and b are (r, n); returns (r,)."""
    r, n = a.shape
    codes = a * n_classes + b + (np.arange(r)[:, None] * n_classes * n_classes)
    tables = np.bincount(codes.ravel(), minlength=r * n_classes ** 2).reshape(r, n_classes, n_classes) / n
    p_o = np.trace(tables, axis1=1, axis2=2)
    p_e = np.einsum("ri,ri->r", tables.sum(2), tables.sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p_e < 1 - 1e-12, (p_o - p_e) / (1 - p_e), np.nan)


@staged("bootstraps")
def bootstrap_ci(a, b, n_classes: int, n_boot: int = 1000, level: float = 0.95, seed: int = 0):
    """Percentile bootstrap over images for p_o and κ: {'p_o': (lo, hi), 'kappa': (lo, hi)}."""
    a, b = _as_np(a), _as_np(b)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    ka = kappa_many(a[idx], b[idx], n_classes)
    po = (a[idx] == b[idx]).mean(1)
    q = [(1 - level) / 2, (1 + level) / 2]
    return {"p_o": tuple(np.quantile(po, q)), "kappa": tuple(np.quantile(ka, q))}


@staged("bootstraps")
def pairwise_bootstrap(answers, n_classes: int, n_boot: int = 1000, level: float = 0.95, seed: int = 0):
    """Percentile bootstrap over images for p_o and κ of every pair of rows of ``answers``
    (models, n), one resample of the images shared by all pairs: {'p_o': (lo, hi), 'kappa': (lo, hi)},
    each a symmetric (models, models) array with NaN on the diagonal (and for κ where a resample
    leaves a pair with p_e = 1 in more than the tail). A resample is a vector of image counts, so
    every pair's p_o and every model's answer shares are one matrix product: many models cost
    little more than one pair of ``bootstrap_ci``. Error consistency is this κ on correct/wrong."""
    a = _as_np(answers).astype(np.int64)
    if a.ndim != 2 or a.shape[1] == 0:
        raise ValueError(f"answers must be (models, images) with at least one image; got shape {a.shape}")
    m, n = a.shape
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(m, 1)
    one_hot = np.eye(n_classes)[a].transpose(1, 0, 2).reshape(n, m * n_classes)     # (images, models·classes)
    same = (a[i] == a[j]).T.astype(float)                                            # (images, pairs)
    p_o, p_e = np.empty((n_boot, len(i))), np.empty((n_boot, len(i)))
    block = max(1, 2_000_000 // n)                                                   # resamples per block: bounded memory
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        weights = np.bincount((idx + np.arange(b)[:, None] * n).ravel(), minlength=b * n).reshape(b, n) / n
        shares = (weights @ one_hot).reshape(b, m, n_classes)
        p_o[start:start + b] = weights @ same
        p_e[start:start + b] = np.einsum("bpk,bpk->bp", shares[:, i], shares[:, j])
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(p_e < 1 - 1e-12, (p_o - p_e) / (1 - p_e), np.nan)
    q = [(1 - level) / 2, (1 + level) / 2]
    out = {}
    for name, values in (("p_o", p_o), ("kappa", kappa)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)                          # a pair never defined: NaN
            bounds = np.nanquantile(values, q, axis=0) if len(i) else np.empty((2, 0))
        mats = []
        for bound in bounds:
            mat = np.full((m, m), np.nan)
            mat[i, j] = mat[j, i] = bound
            mats.append(mat)
        out[name] = tuple(mats)
    return out


@staged("bootstraps")
def permutation_null(a, b, n_classes: int, n_perm: int = 500, seed: int = 0):
    """κ when b's answers are shuffled across images (same marginals, no pairing).

    Returns (null κ values, one-sided p-value of the observed κ).
    """
    a, b = _as_np(a), _as_np(b)
    rng = np.random.default_rng(seed)
    shuffled = np.stack([rng.permutation(b) for _ in range(n_perm)])
    null = kappa_many(np.broadcast_to(a, shuffled.shape).copy(), shuffled, n_classes)
    observed = agreement(a, b, n_classes).kappa
    if np.isnan(observed):
        return null, float("nan")  # κ undefined: nothing to test
    return null, float((1 + (null >= observed).sum()) / (1 + n_perm))


def bounded_interval(theta: float, se: float, quantile: float, bounds=(-np.inf, np.inf)) -> tuple[float, float, float]:
    """θ ± quantile·se where that stays inside the quantity's range ``bounds``; where it would
    leave it, the interval of the delta method on a scale that maps the range onto the real line
    (logit for a share or any two-sided range, log for a quantity bounded on one side), mapped
    back: never outside the range, never a clipped edge that only looks certain. θ on a bound
    (every replicate there) keeps the plain interval, clipped."""
    lo_b, hi_b = bounds
    lo, hi = theta - quantile * se, theta + quantile * se
    if not (np.isfinite(se) and se > 0) or (lo_b <= lo and hi <= hi_b):
        return theta, lo, hi
    if not lo_b < theta < hi_b:
        return theta, max(lo_b, lo), min(hi_b, hi)
    if np.isfinite(lo_b) and np.isfinite(hi_b):
        u = (theta - lo_b) / (hi_b - lo_b)
        g, slope = np.log(u / (1 - u)), 1 / (u * (1 - u) * (hi_b - lo_b))
        back = lambda z: lo_b + (hi_b - lo_b) / (1 + np.exp(-z))   # noqa: E731
    elif np.isfinite(lo_b):
        g, slope = np.log(theta - lo_b), 1 / (theta - lo_b)
        back = lambda z: lo_b + np.exp(z)   # noqa: E731
    else:
        g, slope = -np.log(hi_b - theta), 1 / (hi_b - theta)
        back = lambda z: hi_b - np.exp(-z)   # noqa: E731
    half = quantile * se * slope
    return theta, float(min(theta, back(g - half))), float(max(theta, back(g + half)))


def mean_ci(values, level: float = 0.95, bounds=(-np.inf, np.inf)) -> tuple[float, float, float]:
    """Mean and t-interval over independent replicates (seeds or model pairs), kept inside the
    quantity's range ``bounds`` by ``bounded_interval`` ((0, 1) for proportions, (-1, 1) for κ)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        raise ValueError(f"a confidence interval needs at least 2 seeds or pairs, got {v.size}")
    return bounded_interval(float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)),
                            float(_st.t.ppf((1 + level) / 2, v.size - 1)), bounds)


def seed_ci(values, level: float = 0.95, bounds=(-np.inf, np.inf)) -> tuple[float, float, float]:
    """``mean_ci`` over seeds, but with a single seed the mean and an undefined (NaN) interval."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return float(v[0]), float("nan"), float("nan")
    return mean_ci(v, level, bounds)


def class_shares(answers, n_classes: int) -> np.ndarray:
    """Share of each class among a model's answers; ``answers`` (n,) or (m, n) -> (k,) or (m, k)."""
    a = _as_np(answers)
    if a.ndim == 1:
        return np.bincount(a, minlength=n_classes) / len(a)
    return np.stack([np.bincount(r, minlength=n_classes) / a.shape[1] for r in a])


# ---------------------------------------------------------------------------------------------
# Pairs of models, and confidence intervals whose unit is the seed

def pair_matrices(answers: np.ndarray, n_classes: int) -> dict[str, np.ndarray]:
    """p_o, p_e, κ, mutual information (bits) and the share of chance in the agreement p_e/p_o of
    every pair of rows of ``answers`` (models, n): symmetric (models, models) arrays with NaN on
    the diagonal. κ is NaN for a pair with a ``degenerate`` model: it cannot speak there."""
    a = _as_np(answers)
    m = len(a)
    out = {k: np.full((m, m), np.nan) for k in ("p_o", "p_e", "kappa", "mi_bits", "chance_share")}
    flat = [degenerate(row, n_classes) for row in a]
    for i in range(m):
        for j in range(i + 1, m):
            r = agreement(a[i], a[j], n_classes).as_dict()
            r["chance_share"] = r["p_e"] / r["p_o"] if r["p_o"] > 0 else float("nan")
            if flat[i] or flat[j]:
                r["kappa"] = float("nan")
            for k, v in r.items():
                out[k][i, j] = out[k][j, i] = v
    return out


def _t_interval(theta: float, variance: float, df: int, level: float, bounds) -> tuple[float, float, float]:
    return bounded_interval(theta, float(np.sqrt(variance)), float(_st.t.ppf((1 + level) / 2, df)), bounds)


def jackknife_within(values: np.ndarray, level: float = 0.95, bounds=(-np.inf, np.inf)):
    """Mean of a pair statistic over the pairs of ``n`` seeds of one group (``values`` an (n, n)
    symmetric matrix; NaN pairs are left out) and its 95% interval from a delete-one-seed
    jackknife: pairs share models, so the seed, not the pair, is the independent unit
    (Efron & Stein, 1981; for U-statistics, Arvesen, 1969). t quantile with n − 1 df.
    Returns (mean, lo, hi); NaN bounds with fewer than 3 seeds holding a defined pair."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    iu = np.triu_indices(n, 1)
    theta = float(np.nanmean(v[iu])) if np.isfinite(v[iu]).any() else float("nan")
    if n < 3 or not np.isfinite(theta):
        return theta, float("nan"), float("nan")
    loo = []
    for s in range(n):
        keep = np.delete(np.arange(n), s)
        w = v[np.ix_(keep, keep)][np.triu_indices(n - 1, 1)]
        loo.append(np.nanmean(w) if np.isfinite(w).any() else np.nan)
    loo = np.asarray(loo)
    if not np.isfinite(loo).all():
        return theta, float("nan"), float("nan")
    variance = (n - 1) / n * ((loo - loo.mean()) ** 2).sum()
    return _t_interval(theta, variance, n - 1, level, bounds)


def jackknife_between(values: np.ndarray, level: float = 0.95, bounds=(-np.inf, np.inf)):
    """Mean of a pair statistic over every pair (a, b) of two groups' seeds (``values`` an
    (n_a, n_b) matrix) and its 95% interval: the delete-one-seed jackknife variances of both
    groups added (each group's seeds resampled independently), t quantile with min(n_a, n_b) − 1
    df. Returns (mean, lo, hi)."""
    v = np.asarray(values, dtype=float)
    na, nb = v.shape
    theta = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
    if min(na, nb) < 2 or not np.isfinite(theta):
        return theta, float("nan"), float("nan")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # a left-out seed may leave no defined pair
        la = np.array([np.nanmean(np.delete(v, a, 0)) for a in range(na)])
        lb = np.array([np.nanmean(np.delete(v, b, 1)) for b in range(nb)])
    if not (np.isfinite(la).all() and np.isfinite(lb).all()):
        return theta, float("nan"), float("nan")
    variance = (na - 1) / na * ((la - la.mean()) ** 2).sum() + (nb - 1) / nb * ((lb - lb.mean()) ** 2).sum()
    return _t_interval(theta, variance, min(na, nb) - 1, level, bounds)


PAIR_BOUNDS = {"p_o": (0, 1), "p_e": (0, 1), "kappa": (-1, 1), "mi_bits": (0, np.inf), "chance_share": (0, np.inf)}


def pair_mean(values: np.ndarray, rows_a, rows_b=None, bounds=(-np.inf, np.inf)) -> tuple[float, float, float]:
    """Mean of a pair statistic (a (models, models) matrix) over the pairs within ``rows_a`` or
    between ``rows_a`` and ``rows_b``, with its seed-level 95% jackknife interval."""
    return (jackknife_within(values[np.ix_(rows_a, rows_a)], bounds=bounds) if rows_b is None
            else jackknife_between(values[np.ix_(rows_a, rows_b)], bounds=bounds))


def pair_table(answers_at: dict, rows: dict[str, list[int]], comparisons: dict, n_classes: int = 10):
    """One row per comparison ``name -> (group A, group B or None for pairs within A, brightness)``:
    p_o, p_e, κ, MI (bits) and the share of chance p_e/p_o averaged over its pairs of models, each
    with a seed-level 95% interval, the number of seeds, how many of its models answer one class to
    (almost) everything and how many pairs κ can speak for (none: κ is degenerate).
    ``answers_at[brightness]`` is (models, n)."""
    import pandas as pd

    matrices = {b: pair_matrices(a, n_classes) for b, a in answers_at.items()}
    out = []
    for name, (ga, gb, b) in comparisons.items():
        ra, rb = rows[ga], (rows[gb] if gb else None)
        row = {"comparison": name, "group A": ga, "group B": gb or ga, "brightness": b,
               "seeds": len(ra) if gb is None else min(len(ra), len(rb))}
        for key, bounds in PAIR_BOUNDS.items():
            m, lo, hi = pair_mean(matrices[b][key], ra, rb, bounds)
            row.update({key: m, f"{key}_lo": lo, f"{key}_hi": hi})
        row["degenerate models"] = sum(degenerate(answers_at[b][i], n_classes) for i in ra + (rb or []))
        k = matrices[b]["kappa"][np.ix_(ra, rb or ra)]
        row["kappa pairs"] = int(np.isfinite(k[np.triu_indices(len(ra), 1)] if rb is None else k).sum())
        out.append(row)
    return pd.DataFrame(out).set_index("comparison")


def difference_ci(a: tuple[float, float, float], b: tuple[float, float, float],
                  bounds=(-np.inf, np.inf)) -> tuple[float, float, float]:
    """a − b for two estimates from disjoint sets of seeds, each (mean, lo, hi): the half-widths
    added in quadrature (independent errors), kept inside ``bounds`` ((-1, 1) for a difference
    of shares) by ``bounded_interval``."""
    ha, hb = (a[2] - a[1]) / 2, (b[2] - b[1]) / 2
    return bounded_interval(a[0] - b[0], float(np.hypot(ha, hb)) / 1.959964, 1.959964, bounds)


def degenerate(answers, n_classes: int, share: float = 0.99) -> bool:
    """Whether a model gives (almost) one class to every input, which makes κ with any partner
    0 or undefined whatever the pairing: such a κ says nothing about correlation."""
    return bool(class_shares(answers, n_classes).max() >= share)


# ---------------------------------------------------------------------------------------------
# What decides a pair statistic: a linear model on pair features, intervals over seeds

def seed_bootstrap(cells, n_boot: int, seed: int = 0) -> np.ndarray:
    """Bootstrap counts over models, (n_boot, models): in each replicate every cell's models (a
    cell: one training setting over seeds) are drawn with replacement, independently of the other
    cells. A pair (i, j) then weighs count_i · count_j: the seed, not the pair, is resampled."""
    cells = np.asarray(cells)
    g = np.random.default_rng(seed)
    out = np.zeros((n_boot, len(cells)), np.int64)
    for c in np.unique(cells):
        idx = np.flatnonzero(cells == c)
        draws = g.integers(0, len(idx), size=(n_boot, len(idx)))
        for k in range(len(idx)):
            out[:, idx[k]] = (draws == k).sum(1)
    return out


def _r2(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted R² of a least-squares fit of y on X (an intercept is added)."""
    A = np.column_stack([np.ones(len(y)), X]) if X.size else np.ones((len(y), 1))
    sw = np.sqrt(w)
    coef = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)[0]
    resid = y - A @ coef
    ybar = np.average(y, weights=w)
    total = float((w * (y - ybar) ** 2).sum())
    return 1 - float((w * resid ** 2).sum()) / total if total > 0 else float("nan")


def lmg_shares(groups: dict[str, np.ndarray], y, weights=None) -> dict[str, float]:
    """The share of the variance of ``y`` explained by each group of predictors, averaged over
    every order in which the groups can enter the model (Lindeman, Merenda & Gold, 1980; Grömping,
    2006, "Relative importance for linear regression in R"): the shares add up to the model's R²."""
    from itertools import combinations
    from math import factorial

    y = np.asarray(y, np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    names = list(groups)
    cols = {k: np.asarray(v, np.float64).reshape(len(y), -1) for k, v in groups.items()}
    m = len(names)
    r2 = {}
    for size in range(m + 1):
        for subset in combinations(names, size):
            X = np.column_stack([cols[k] for k in subset]) if subset else np.empty((len(y), 0))
            r2[frozenset(subset)] = _r2(X, y, w) if subset else 0.0
    out = {}
    for k in names:
        others = [n for n in names if n != k]
        total = 0.0
        for size in range(m):
            for subset in combinations(others, size):
                s = frozenset(subset)
                total += factorial(size) * factorial(m - size - 1) / factorial(m) * (r2[s | {k}] - r2[s])
        out[k] = total
    return out


def additive_effects(features: dict[str, np.ndarray], y, weights=None) -> dict[str, float]:
    """Coefficients of a weighted least-squares fit of ``y`` on 0/1 ``features`` (main effects
    only, with an intercept): the change in ``y`` when a pair shares that feature, the others held fixed."""
    y = np.asarray(y, np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    names = list(features)
    A = np.column_stack([np.ones(len(y))] + [np.asarray(features[k], np.float64) for k in names])
    sw = np.sqrt(w)
    coef = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)[0]
    return dict(zip(names, coef[1:].tolist()))


def interactions(features: dict[str, np.ndarray]) -> np.ndarray:
    """Every product of two features, (pairs, k(k−1)/2): the interaction group of ``factor_table``."""
    names = list(features)
    cols = [np.asarray(features[a], np.float64) * np.asarray(features[b], np.float64)
            for i, a in enumerate(names) for b in names[i + 1:]]
    return np.column_stack(cols) if cols else np.empty((len(next(iter(features.values()))), 0))


@staged("bootstraps")
def factor_table(features: dict[str, np.ndarray], y, pair_models: np.ndarray, cells, n_boot: int = 1000,
                 level: float = 0.95, seed: int = 0) -> "pandas.DataFrame":
    """For each 0/1 pair feature (e.g. "same architecture"): its additive effect on the pair
    statistic ``y`` and its share of y's variance (``lmg_shares``; the pairwise interactions form
    one more group), each with a percentile interval from ``seed_bootstrap`` over the models
    ``pair_models`` (pairs, 2) of ``cells``. Rows: the features, "interactions" and "total (R²)"."""
    import pandas as pd

    y = np.asarray(y, np.float64)
    pair_models = np.asarray(pair_models)
    ok = np.isfinite(y)
    feats = {k: np.asarray(v, np.float64)[ok] for k, v in features.items()}
    y, pair_models = y[ok], pair_models[ok]
    groups = {**feats, "interactions": interactions(feats)}

    def estimate(w):
        eff = additive_effects(feats, y, w)
        shares = lmg_shares(groups, y, w)
        return {**{k: (eff.get(k, np.nan), shares[k]) for k in groups}, "total (R²)": (np.nan, sum(shares.values()))}

    point = estimate(np.ones(len(y)))
    counts = seed_bootstrap(cells, n_boot, seed)
    reps = []
    for c in counts:
        w = (c[pair_models[:, 0]] * c[pair_models[:, 1]]).astype(np.float64)
        if (w > 0).sum() > len(groups) + 1:
            reps.append(estimate(w))
    q = [(1 - level) / 2, (1 + level) / 2]
    rows = []
    for k, (eff, share) in point.items():
        e = np.array([r[k][0] for r in reps])
        s = np.array([r[k][1] for r in reps])
        e_lo, e_hi = np.quantile(e, q) if np.isfinite(e).any() else (np.nan, np.nan)
        rows.append({"factor": k, "effect": eff, "effect_lo": e_lo, "effect_hi": e_hi,   # shares ≥ 0 up to rounding
                     "share": max(0.0, share), "share_lo": max(0.0, np.quantile(s, q[0])), "share_hi": np.quantile(s, q[1])})
    return pd.DataFrame(rows).set_index("factor")


@staged("bootstraps")
def bootstrap_statistic(statistic, pair_models: np.ndarray, cells, n_boot: int = 1000, level: float = 0.95,
                        seed: int = 0) -> tuple[float, float, float]:
    """``statistic(weights)`` over pairs (integer weights per pair) at equal weights, with a
    percentile interval from ``seed_bootstrap``: e.g. a rank correlation of two pair measures."""
    pair_models = np.asarray(pair_models)
    point = statistic(np.ones(len(pair_models), np.int64))
    reps = []
    for c in seed_bootstrap(cells, n_boot, seed):
        w = c[pair_models[:, 0]] * c[pair_models[:, 1]]
        if (w > 0).sum() >= 3:
            reps.append(statistic(w))
    reps = np.asarray(reps, np.float64)
    reps = reps[np.isfinite(reps)]
    if not len(reps):
        return float(point), float("nan"), float("nan")
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return float(point), float(lo), float(hi)


def weighted_spearman(x, y, weights) -> float:
    """Spearman's ρ of pairs repeated ``weights`` times (integer weights, as a bootstrap draws them)."""
    from scipy.stats import spearmanr

    w = np.asarray(weights, np.int64)
    xs, ys = np.repeat(np.asarray(x, np.float64), w), np.repeat(np.asarray(y, np.float64), w)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if ok.sum() < 3 or np.ptp(xs[ok]) == 0 or np.ptp(ys[ok]) == 0:
        return float("nan")
    return float(spearmanr(xs[ok], ys[ok]).statistic)
