"""Agreement between two models' answers, corrected for chance.

Observed agreement p_o = P(a = b); chance agreement p_e = Σ_k p_a(k)·p_b(k), what two models
with these answer distributions would share if they answered independently; Cohen's κ =
(p_o − p_e)/(1 − p_e) (Cohen, 1960). Confidence intervals: a t-interval over seeds or model
pairs, and a bootstrap over images; a permutation null for κ.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as _st


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


def bootstrap_ci(a, b, n_classes: int, n_boot: int = 1000, level: float = 0.95, seed: int = 0):
    """Percentile bootstrap over images for p_o and κ: {'p_o': (lo, hi), 'kappa': (lo, hi)}."""
    a, b = _as_np(a), _as_np(b)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    ka = kappa_many(a[idx], b[idx], n_classes)
    po = (a[idx] == b[idx]).mean(1)
    q = [(1 - level) / 2, (1 + level) / 2]
    return {"p_o": tuple(np.quantile(po, q)), "kappa": tuple(np.quantile(ka, q))}


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


def mean_ci(values, level: float = 0.95, bounds=(-np.inf, np.inf)) -> tuple[float, float, float]:
    """Mean and t-interval over independent replicates (seeds or model pairs), clipped to
    ``bounds`` (use (0, 1) for proportions, (-1, 1) for κ)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        raise ValueError(f"a confidence interval needs at least 2 seeds or pairs, got {v.size}")
    m = float(v.mean())
    half = float(_st.t.ppf((1 + level) / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return m, max(bounds[0], m - half), min(bounds[1], m + half)


def class_shares(answers, n_classes: int) -> np.ndarray:
    """Share of each class among a model's answers; ``answers`` (n,) or (m, n) -> (k,) or (m, k)."""
    a = _as_np(answers)
    if a.ndim == 1:
        return np.bincount(a, minlength=n_classes) / len(a)
    return np.stack([np.bincount(r, minlength=n_classes) / a.shape[1] for r in a])


def verdict_close(measured: float, ci: tuple[float, float], claimed: float,
                  tol: float = 0.10, loose: float = 0.25) -> str:
    """Rule for a claimed proportion: *reproduced* if the claim lies in our CI or within ``tol``
    (absolute) of our mean; *partly* if within ``loose``; else *not reproduced*."""
    gap = abs(measured - claimed)
    if ci[0] <= claimed <= ci[1] or gap <= tol:
        return "reproduced"
    return "partly" if gap <= loose else "not reproduced"


def verdict_drop(high: tuple[float, float, float], low: tuple[float, float, float],
                 present: float = 0.5, gone: float = 0.10) -> str:
    """Rule for "X disappears" (a share ``high`` at one setting, ``low`` at another, each
    (mean, lo, hi)): *reproduced* if X was clearly there (CI above ``present``) and is clearly
    gone (CI below ``gone``); *partly* if it only fell (CIs disjoint); else *not reproduced*."""
    if high[1] > present and low[2] < gone:
        return "reproduced"
    return "partly" if low[2] < high[1] else "not reproduced"


def verdict_uncorrelated(kappa_ci: tuple[float, float], weak: float = 0.2, moderate: float = 0.4) -> str:
    """Rule for "no correlation": *reproduced* if κ's CI reaches below ``weak`` (slight agreement
    on the Landis–Koch scale), *partly* if below ``moderate``, else *not reproduced*."""
    if kappa_ci[0] <= weak:
        return "reproduced"
    return "partly" if kappa_ci[0] <= moderate else "not reproduced"


def verdict_above(ci: tuple[float, float], strong: float, weak: float) -> str:
    """Rule for "X is large": *reproduced* if the whole CI lies above ``strong``, *partly* if it
    lies above ``weak``, else *not reproduced*."""
    if ci[0] > strong:
        return "reproduced"
    return "partly" if ci[0] > weak else "not reproduced"


def verdict_below(ci: tuple[float, float], strong: float, weak: float) -> str:
    """Rule for "X is small": *reproduced* if the whole CI lies below ``strong``, *partly* if it
    lies below ``weak``, else *not reproduced*."""
    if ci[1] < strong:
        return "reproduced"
    return "partly" if ci[1] < weak else "not reproduced"


def verdict_within(ci: tuple[float, float], low: float, high: float) -> str:
    """Rule for "X ≈ a predicted value" (as a ratio, say): *reproduced* if the whole CI lies in
    [low, high], *partly* if it overlaps it, else *not reproduced*."""
    if low <= ci[0] and ci[1] <= high:
        return "reproduced"
    return "partly" if ci[0] <= high and ci[1] >= low else "not reproduced"
