"""The registration task of Charpiat et al. (2019, section 5): paired regressors trained on noisy
targets, the noise they inherit against σ/√N for several readings of N_S."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import data, parallel, registration, report, results, similarity, stats, train
from ...verdicts import FAILS, HOLDS, UNDECIDED, Finding
from ...progress import staged


def _registration_job(sigma, seed, repeats, n_queries, n_train, n_test, epochs, canvas, eps):
    run, kernel = registration.paired_run(data.load("mnist"), sigma, seed, n_train=n_train, n_test=n_test,
                                          epochs=epochs, repeats=repeats, canvas=canvas, n_queries=n_queries, eps=eps)
    return run, kernel


@staged("registration and enforcement runs")
def registration_runs(sigmas, repeats, seeds: int, *, n_train: int, n_test: int, n_queries: int, epochs: int,
                      canvas: int, eps: float) -> dict:
    """Paired runs for every σ (one repeat) and every repeat count (at the largest σ), per seed:
    ``{(sigma, repeats, seed): (run array, kernel rows or None)}``; kernel rows (``n_queries``
    test canvases × the training canvases) with network a at the largest σ, one repeat. Cached;
    what is missing is trained two at a time."""
    top = max(sigmas)
    grid = sorted({(s, 1) for s in sigmas} | {(top, r) for r in repeats})
    jobs = [(s, seed, r, n_queries if (s, r) == (top, 1) else 0) for s, r in grid for seed in range(seeds)]
    params = dict(n_train=n_train, n_test=n_test, epochs=epochs, canvas=canvas, eps=eps)
    keys = {job: results.cache_key("registration", (registration, similarity, train), sigma=job[0], seed=job[1],
                                   repeats=job[2], n_queries=job[3], **params) for job in jobs}
    missing = [job for job in jobs if not results.is_cached(keys[job], ".npz")]
    for i, value in parallel.each(_registration_job, [(*job, *params.values()) for job in missing]):
        results.store_arrays(keys[missing[i]], run=value[0], kernel=value[1] if value[1] is not None else np.zeros(0))
    out = {}
    for job in jobs:
        stored = results.load_arrays(keys[job])
        out[job[0], job[2], job[1]] = (stored["run"], stored["kernel"] if stored["kernel"].size else None)
    return out


def registration_table(runs: dict) -> pd.DataFrame:
    """Per σ, repeats and seed: test RMSE, the inherited noise measured by the pair, and — where
    kernel rows exist — the measured inherited noise on the kernel's queries beside σ/√N for each
    reading of N (``registration.counts``)."""
    rows = []
    for (sigma, repeats, seed), (run, kernel) in sorted(runs.items()):
        row = {"sigma": sigma, "repeats": repeats, "seed": seed, "test RMSE": registration.rmse(run),
               "inherited": registration.inherited_noise(run)}
        if kernel is not None:
            q = len(kernel)
            row["inherited on queries"] = registration.inherited_noise(run[:q])
            for name, n in registration.counts(kernel).items():
                row[f"predicted ({name})"] = float(sigma * np.sqrt(np.mean(1 / np.maximum(n, 1e-9))))
                row[f"median {name}"] = float(np.median(n))
        rows.append(row)
    return pd.DataFrame(rows)


def slope_ci(table: pd.DataFrame, x: str, y: str) -> tuple[float, float, float]:
    """Per seed, the least-squares slope of log y against log x; mean and t-interval over seeds."""
    slopes = []
    for _, sub in table.groupby("seed"):
        sub = sub[(sub[x] > 0) & (sub[y] > 0)]
        if len(sub) >= 2:
            slopes.append(np.polyfit(np.log(sub[x]), np.log(sub[y]), 1)[0])
    return stats.seed_ci(slopes) if slopes else (np.nan, np.nan, np.nan)


def registration_summary(reg: pd.DataFrame, top: float) -> dict:
    """From the registration table: RMSE/σ at the largest σ, the log–log slopes of the inherited
    noise against σ and against the number of draws per canvas, and per reading of N the ratio of
    measured to predicted inherited noise (each mean and 95% interval over seeds)."""
    at_top = reg[(reg.sigma == top) & (reg.repeats == 1)]
    return {"ratio_top": stats.seed_ci(at_top["test RMSE"] / top, bounds=(0, np.inf)),
            "slope_sigma": slope_ci(reg[(reg.repeats == 1) & (reg.sigma > 0)], "sigma", "inherited"),
            "slope_r": slope_ci(reg[reg.sigma == top], "repeats", "inherited"),
            "ratios": {name: stats.seed_ci(at_top["inherited on queries"] / at_top[f"predicted ({name})"],
                                           bounds=(0, np.inf)) for name in registration.READINGS}}


WITHIN_TWO = Finding("N_S predicts the inherited noise within a factor of 2", "ratio", 0.5, "inside", 2.0)


def readings_clause(ratios: dict) -> str:
    """Which readings of N predict the inherited noise within a factor of 2, which miss it, and
    which the seeds leave undecided — the verdicts of the finding rule, in words."""
    by = {v: [n for n, ci in ratios.items() if WITHIN_TWO.verdict(*ci[1:]) == v] for v in (HOLDS, FAILS, UNDECIDED)}
    parts = []
    if by[HOLDS]:
        parts.append(f"the {report.and_list(by[HOLDS])} reading{'s' if len(by[HOLDS]) > 1 else ''} of N "
                     f"predict{'' if len(by[HOLDS]) > 1 else 's'} the inherited noise within a factor of 2")
    if by[FAILS]:
        parts.append(f"{report.and_list(by[FAILS])} {'miss' if len(by[FAILS]) > 1 else 'misses'} it by more")
    if by[UNDECIDED]:
        parts.append(f"for {report.and_list(by[UNDECIDED])} the seeds do not decide")
    return "; ".join(parts) + "."


def precision_clause(ratio_top) -> str:
    """How much more precise than their targets the registration networks are, from the upper end of
    the interval of test RMSE/σ at the largest σ."""
    hi = ratio_top[2]
    if hi < 0.5:
        return "far more precise than their targets"
    return "more precise than their targets, but not by far" if hi < 1 else "not clearly more precise than their targets"
