"""Similarity enforcement (Charpiat et al., 2019, section 6): LeNets trained with a same-class
gradient-cosine term of either sign against plain training."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import data, enforcement, parallel, report, results, stats, zoo
from ...progress import staged


def _enforcement_job(sign, weight, seed, steps, batch_size, n_pairs):
    mnist = data.load("mnist")
    x_fit, y_fit = mnist.x_train[:-2000], mnist.y_train[:-2000]
    x_val, y_val = mnist.x_train[-2000:], mnist.y_train[-2000:]
    model = zoo.build(zoo.ModelSpec("lenet", seed=seed))
    r = enforcement.fit(model, x_fit, y_fit, x_val, y_val, sign=sign, weight=weight, steps=steps, seed=seed,
                        batch_size=batch_size, n_pairs=n_pairs)
    return np.array([r.steps, r.val_accuracy, r.pair_cosine])


@staged("registration and enforcement runs")
def enforcement_curves(weights, seeds: int, steps: int, batch_size: int = 64, n_pairs: int = 8) -> pd.DataFrame:
    """Plain training and both signs of the enforcement term at every weight, fresh LeNets, per
    seed: a long table (variant, seed, step, val accuracy, pair cosine). Cached per run."""
    variants = [("plain", 0, 0.0)] + [(f"{name} ×{w:g}", sign, w) for w in weights
                                      for name, sign in enforcement.SIGNS.items() if sign]
    spec_key = zoo.ModelSpec("lenet").key  # the architecture and its version (fresh weights from the seed)
    jobs = [(sign, w, seed, steps, batch_size, n_pairs) for _, sign, w in variants for seed in range(seeds)]
    keys = {job: results.cache_key("enforcement", (enforcement, zoo), lenet=spec_key, sign=job[0], weight=job[1],
                                   seed=job[2], steps=steps, batch_size=batch_size, n_pairs=n_pairs) for job in jobs}
    missing = [job for job in jobs if not results.is_cached(keys[job], ".npy")]
    for i, value in parallel.each(_enforcement_job, missing):
        results.cached_array(keys[missing[i]], lambda value=value: value)   # stored as each finishes
    parts = []
    for (name, sign, w) in variants:
        for seed in range(seeds):
            steps_, acc, cos = results.cached_array(keys[(sign, w, seed, steps, batch_size, n_pairs)], None)
            parts.append(pd.DataFrame({"variant": name, "seed": seed, "step": steps_.astype(int),
                                       "val accuracy": acc, "pair cosine": cos}))
    return pd.concat(parts, ignore_index=True)


def enforcement_effects(curves: pd.DataFrame) -> pd.DataFrame:
    """Per enforced variant: mean validation accuracy over the window minus plain training's with
    the same seed (mean and 95% t-interval over seeds), and the final same-class cosine."""
    auc = enforcement.area_under_curve(curves)
    last = curves[curves.step == curves.step.max()]
    rows = []
    for variant in [v for v in dict.fromkeys(curves.variant) if v != "plain"]:
        m, lo, hi = stats.mean_ci(enforcement.paired_difference(auc, variant), bounds=(-1, 1))
        rows.append({"variant": variant, "gain": m, "lo": lo, "hi": hi,
                     "final cosine": last[last.variant == variant]["pair cosine"].mean()})
    return pd.DataFrame(rows)


def enforcement_summary(curves: pd.DataFrame, effects: pd.DataFrame, weights) -> dict:
    """The final same-class cosine of plain training and of raising and lowering it at the largest
    weight, whether they are ordered as the signs say, and the effects as one line."""
    final = curves[curves.step == curves.step.max()].groupby("variant")["pair cosine"].mean()
    w = max(weights)
    raise_, lower = final[f"raise similarity ×{w:g}"], final[f"lower similarity ×{w:g}"]
    return {"w_top": w, "plain": final["plain"], "raise": raise_, "lower": lower,
            "ordered": bool(raise_ > final["plain"] > lower),
            "effects": "; ".join(f"{r.variant}: {report.with_ci(100 * r.gain, 100 * r.lo, 100 * r.hi, percent=False, digits=1)}"
                                 " points" for r in effects.itertuples())}
