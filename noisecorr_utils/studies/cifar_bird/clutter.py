"""Clutter, the asker's hypothesis for "bird": clutter of every class in image space and in each
network's feature space, its correlation with the share of noise a class receives, and the most
and least cluttered images."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import data, features, results, stats, zoo
from ...progress import staged


@staged("features")
def image_clutter(per_class: int = 500) -> pd.DataFrame:
    """Image-space clutter of ``per_class`` test images of every class: one row per image with
    its class and every measure of ``features.IMAGE_MEASURES``. Cached."""
    ds = data.load("cifar10")
    key = results.cache_key("image_clutter", (features,), per_class=per_class)

    def compute():
        y = ds.y_test.numpy()
        idx = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(ds.n_classes)])
        x = ds.x_test[idx].numpy()
        cols = [y[idx].astype(float), idx.astype(float)] + [fn(x).astype(float) for fn in features.IMAGE_MEASURES.values()]
        return np.stack(cols, 1)

    arr = results.cached_array(key, compute)
    table = pd.DataFrame(arr, columns=["class", "index"] + list(features.IMAGE_MEASURES))
    table[["class", "index"]] = table[["class", "index"]].astype(int)
    return table


@staged("features")
def feature_clutter(model, n_per_class: int) -> pd.DataFrame:
    """Feature-space clutter of every class for one model (``features.feature_clutter`` on the
    penultimate features of ``n_per_class`` test images per class). Cached."""
    ds = data.load("cifar10")
    key = results.cache_key("feature_clutter", (features, zoo), model=model.spec.key, n_per_class=n_per_class)

    def compute():
        y = ds.y_test.numpy()
        idx = np.concatenate([np.flatnonzero(y == c)[:n_per_class] for c in range(ds.n_classes)])
        f = features.extract(model, ds.x_test[idx])
        return np.stack(list(features.feature_clutter(f, y[idx], ds.n_classes).values()), 1)

    return pd.DataFrame(results.cached_array(key, compute), columns=["within_between", "spread_ratio",
                                                                     "participation_ratio", "two_nn"])


CLUTTER_SIGN = {"within_between": 1, "spread_ratio": 1, "participation_ratio": 1, "two_nn": 1,
                "spectral_slope": 1, "high_frequency_share": 1, "edge_density": 1, "png_bytes": 1}


def clutter_by_class(models, image_table: pd.DataFrame, n_per_class: int) -> pd.DataFrame:
    """One row per (model, class): every feature-space measure of that model and every image-space
    measure (the class mean over its images, the same for every model)."""
    image_means = image_table.groupby("class")[list(features.IMAGE_MEASURES)].mean()
    parts = []
    for m in models:
        t = feature_clutter(m, n_per_class)
        t["model"], t["family"], t["class"] = m.spec.label, m.spec.arch, range(len(t))
        parts.append(t.join(image_means, on="class"))
    return pd.concat(parts, ignore_index=True)


def clutter_correlations(clutter: pd.DataFrame, shares: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per clutter measure: Spearman's ρ across the ten classes between the measure (signed so that
    larger = more cluttered) and the share of noise a model sends to each class, per model; mean
    and 95% t-interval over models (with 10 classes per model a single ρ is very uncertain)."""
    from scipy.stats import spearmanr

    share_of = {label: s for label, s in shares.items()}
    rows = []
    for measure, sign in CLUTTER_SIGN.items():
        rhos = []
        for label, sub in clutter.groupby("model", sort=False):
            rho = spearmanr(sign * sub[measure].to_numpy(), share_of[label]).statistic
            if rho == rho:
                rhos.append(rho)
        m, lo, hi = stats.seed_ci(rhos, bounds=(-1, 1)) if rhos else (np.nan, np.nan, np.nan)
        rows.append({"measure": measure, "rho": m, "lo": lo, "hi": hi, "models": len(rhos)})
    return pd.DataFrame(rows)


def most_cluttered(clutter: pd.DataFrame, classes) -> pd.DataFrame:
    """Per measure: the most cluttered class by the mean over models, and bird's rank (1 = most)."""
    rows = []
    for measure, sign in CLUTTER_SIGN.items():
        mean = clutter.groupby("class")[measure].mean() * sign
        order = list(mean.sort_values(ascending=False).index)
        rows.append({"measure": measure, "most cluttered": classes[order[0]],
                     "bird's rank": order.index(classes.index("bird")) + 1})
    return pd.DataFrame(rows)


def extreme_images(image_table: pd.DataFrame, measure: str, k: int = 6) -> np.ndarray:
    """Per class: its ``k`` test images with the highest ``measure``, a blank, its ``k`` lowest —
    uint8 tiles, class by class (for ``figures.image_grid`` with 2k + 1 columns)."""
    ds = data.load("cifar10")
    blank = np.full((1, *ds.shape), 255, np.uint8)
    tiles = []
    for c in range(ds.n_classes):
        sub = image_table[image_table["class"] == c].sort_values(measure)
        top, bottom = sub["index"].to_numpy()[::-1][:k], sub["index"].to_numpy()[:k]
        tiles += [ds.x_test[i].numpy() for i in top] + [blank[0]] + [ds.x_test[i].numpy() for i in bottom]
    return np.stack(tiles)
