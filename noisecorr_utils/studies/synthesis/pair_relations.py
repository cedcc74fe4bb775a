"""Every relation between two digit networks side by side: noise κ, error consistency, gradient-
kernel correlation, adversarial transfer and linear CKA, and how they rank together."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ... import attacks, relations, stats, zoo
from .factorial import FACTORS, Cell
from .outputs import kernels, penultimate, test_probs


def reads_digits(cell: Cell) -> bool:
    """Whether a setting's networks read plain MNIST digits as digits (the flat-brightness
    networks see rescaled images, the other tasks other labels)."""
    return cell.task == "digits" and cell.data != "flat brightness"


def comparable(cell_of: list[Cell]) -> list[int]:
    """The models that every per-input relation and ensemble can compare (``reads_digits``)."""
    return [i for i, c in enumerate(cell_of) if reads_digits(c)]


def relations_table(z: zoo.Groups, cell_of: list[Cell], answers: np.ndarray, n_test: int, n_features: int,
                    n_probe: int, adv: dict, seed: int = 0) -> pd.DataFrame:
    """One row per pair of comparable digit networks: noise κ, error consistency κ on the test
    images (Geirhos et al., 2020), gradient-kernel correlation on probe digits (Charpiat et al.,
    2019), adversarial transfer (``_transfer`` of the examples in ``adv``, as in the adversarial
    chapter) and linear CKA of penultimate features (Kornblith et al., 2019)."""
    rows_ = comparable(cell_of)
    models = [z.models[r] for r in rows_]
    probs, labels = test_probs(models, n_test, seed)
    correct = [p.argmax(1) == y for p, y in zip(probs, labels)]
    feats = penultimate(models, n_features, seed)
    kern = kernels(models, n_probe, seed)
    fooled = {}
    if adv:
        x_adv, y_adv = attacks.test_images(len(next(iter(adv.values()))[0]), seed)
    for a in models:
        if a.spec.key not in adv:
            continue
        xa, ok, _, _ = adv[a.spec.key]
        fooled[a.spec.key] = {b.spec.key: float((attacks.said(b, xa[ok]) != y_adv[ok]).float().mean()) for b in models
                              if b is not a}
    out = []
    for (ia, i), (ib, j) in combinations(enumerate(rows_), 2):
        a, b = models[ia], models[ib]
        out.append({"i": i, "j": j, "A": cell_of[i].label, "B": cell_of[j].label,
                    "seed A": a.spec.seed, "seed B": b.spec.seed, "pair": pair_kind(cell_of[i], cell_of[j]),
                    "noise κ": stats.agreement(answers[i], answers[j], 10).kappa,
                    "error consistency": relations.error_consistency(correct[ia], correct[ib]),
                    "kernel correlation": relations.kernel_correlation(kern[ia], kern[ib]),
                    "adversarial transfer": _transfer(fooled, a.spec.key, b.spec.key),
                    "CKA": relations.linear_cka(feats[ia], feats[ib]),
                    **{f"same {f}": int(cell_of[i].level(f) == cell_of[j].level(f)) for f in FACTORS}})
    return pd.DataFrame(out)


def pair_kind(a: Cell, b: Cell) -> str:
    return "same setting" if a == b else "same architecture" if a.arch == b.arch else "different architectures"


def _transfer(fooled: dict, a: str, b: str) -> float:
    """The share of one network's examples that fool the other: both ways averaged where both were
    attacked, the one way where only one was, NaN where neither."""
    ways = [fooled[x][y] for x, y in ((a, b), (b, a)) if x in fooled]
    return float(np.mean(ways)) if ways else float("nan")


MEASURES = ("noise κ", "error consistency", "kernel correlation", "adversarial transfer", "CKA")


def rank_correlations(table: pd.DataFrame, cell_of: list[Cell], n_boot: int, seed: int = 0) -> pd.DataFrame:
    """Spearman's ρ of every two measures over the pairs, with an interval from resampling seeds."""
    cell_ids = {c: k for k, c in enumerate(dict.fromkeys(cell_of))}
    cells_ = [cell_ids[c] for c in cell_of]
    pm = table[["i", "j"]].to_numpy()
    rows = []
    for x, y in combinations(MEASURES, 2):
        vx, vy = table[x].to_numpy(), table[y].to_numpy()
        m, lo, hi = stats.bootstrap_statistic(lambda w: stats.weighted_spearman(vx, vy, w), pm, cells_, n_boot, seed=seed)
        rows.append({"x": x, "y": y, "rho": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)
