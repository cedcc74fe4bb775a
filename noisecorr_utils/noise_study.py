"""The MNIST white-noise study as functions: which models, which noise, which pairs.

``zoo_groups`` names the model groups of the chapter; ``sweep`` asks every model about
every noise kind at every brightness (one (kinds, brightness, models, images) uint8 array);
``pair_summary`` turns answers into p_o, p_e and κ over a set of model pairs with a
confidence interval over pairs.
"""
from __future__ import annotations

import itertools

import numpy as np

from . import noise, stats
from .results import cached_array
from .zoo import CODE_VERSION, ModelSpec

PERMUTATION_SEED = 0  # one fixed pixel permutation, the same for every permuted model


def zoo_groups(n_seeds: int, n_width_seeds: int, epochs: int, n_train: int | None,
               widths=(0.5, 2.0)) -> dict[str, list[ModelSpec]]:
    """Model groups of the noise chapter, each a list of specs over seeds."""
    for name, value in (("n_seeds", n_seeds), ("n_width_seeds", n_width_seeds)):
        if not isinstance(value, int) or value < 2:
            raise ValueError(f"{name}={value!r}: confidence intervals need at least 2 seeds")
    common = dict(epochs=epochs, n_train=n_train)

    def seeds(arch, n, **kw):
        return [ModelSpec(arch=arch, seed=s, **common, **kw) for s in range(n)]

    groups = {
        "mlp": seeds("mlp", n_seeds),
        "lenet": seeds("lenet", n_seeds),
        "vgg": seeds("vgg", n_seeds),
        "allcnn": seeds("allcnn", n_seeds),
        "lenet·perm": seeds("lenet", n_seeds, permutation_seed=PERMUTATION_SEED),
        "mlp·perm": seeds("mlp", n_seeds, permutation_seed=PERMUTATION_SEED),
    }
    for w in widths:
        groups[f"lenet·w{w:g}"] = seeds("lenet", n_width_seeds, width=w)
        groups[f"lenet·w{w:g}·perm"] = seeds("lenet", n_width_seeds, width=w,
                                             permutation_seed=PERMUTATION_SEED)
    return groups


def sweep(models, kinds, brightnesses, n: int, dataset, seed: int = 0) -> np.ndarray:
    """Answers of every model to ``n`` images of every kind at every brightness.

    One draw per kind, scaled to each brightness (``noise.generate`` scales the same way),
    so brightness is the only thing that changes along that axis. Returns uint8
    (len(kinds), len(brightnesses), len(models), n).
    """
    if len(models) == 0:
        raise ValueError("the model list is empty; give at least one model")
    for kind in kinds:
        noise.check(kind)
    for b in brightnesses:
        noise.check(kinds[0], b)
    out = np.empty((len(kinds), len(brightnesses), len(models), n), dtype=np.uint8)
    for k, kind in enumerate(kinds):
        base = noise.generate(kind, n, dataset, brightness=1.0, seed=seed + k)
        for b, level in enumerate(brightnesses):
            out[k, b] = noise.answers(models, base * level).numpy()
    return out


def cached_sweep(models, kinds, brightnesses, n: int, dataset: str = "mnist", seed: int = 0) -> np.ndarray:
    """``sweep``, stored by ``results.cached_array`` under a hash of everything that decides it
    (the models' spec keys, kinds, levels, n, data set, seed), so a rebuild recomputes nothing."""
    key = {"what": "sweep", "models": [m.spec.key for m in models], "kinds": list(kinds),
           "brightnesses": [float(b) for b in brightnesses], "n": n, "dataset": dataset,
           "seed": seed, "code": CODE_VERSION}
    return cached_array(key, lambda: sweep(models, kinds, brightnesses, n, dataset, seed))


def pairs_within(indices) -> list[tuple[int, int]]:
    return list(itertools.combinations(indices, 2))


def pairs_between(a, b) -> list[tuple[int, int]]:
    return [(i, j) for i in a for j in b]


def pair_summary(answers: np.ndarray, pairs, n_classes: int) -> dict:
    """p_o, p_e, κ and MI averaged over ``pairs`` of rows of ``answers`` (models, n), each
    with a 95% t-interval over the pairs (pairs that share a model are not independent, so
    the interval is a little narrow). With a single pair there is no interval (NaN)."""
    if not pairs:
        raise ValueError("no model pairs to summarise")
    rows = [stats.agreement(answers[i], answers[j], n_classes).as_dict() for i, j in pairs]
    bounds = {"p_o": (0, 1), "p_e": (0, 1), "kappa": (-1, 1), "mi_bits": (0, np.inf)}
    out = {"pairs": len(pairs)}
    for key in rows[0]:
        values = [r[key] for r in rows if r[key] == r[key]]  # κ is NaN (undefined) for a pair
        if key == "kappa":                                  # that always answers one class
            out["kappa_undefined"] = len(rows) - len(values)
        if not values:
            out[key] = out[key + "_lo"] = out[key + "_hi"] = np.nan
        elif len(values) >= 2:
            out[key], out[key + "_lo"], out[key + "_hi"] = stats.mean_ci(values, bounds=bounds[key])
        else:
            out[key], out[key + "_lo"], out[key + "_hi"] = values[0], np.nan, np.nan
    return out


def share_summary(answers: np.ndarray, rows, cls: int) -> tuple[float, float, float]:
    """Mean share of class ``cls`` over the models ``rows`` with a 95% CI over seeds."""
    shares = [(answers[r] == cls).mean() for r in rows]
    return stats.mean_ci(shares, bounds=(0, 1))


def accuracy_summary(models) -> tuple[float, float, float]:
    return stats.mean_ci([m.record["test_accuracy"] for m in models], bounds=(0, 1))
