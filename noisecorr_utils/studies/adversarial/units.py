"""Single units against random directions (Szegedy et al., 2014, section 3): the test images that
activate a hidden unit most, and those that activate a random direction of the same layer most —
is a unit's set any purer in class than a direction's?"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import features, stats, zoo


def hidden(model, x: torch.Tensor, layer: str) -> np.ndarray:
    """Activations φ(x) of a hidden layer (after its nonlinearity) for every image."""
    return features.extract(model, x, layer=layer)


def purity(scores: np.ndarray, labels: np.ndarray, k: int = 8) -> np.ndarray:
    """For each column of ``scores`` (images × directions): the share of the majority class among
    the ``k`` images with the highest score."""
    top = np.argsort(-scores, axis=0)[:k]
    return np.array([np.bincount(labels[top[:, j]], minlength=10).max() / k for j in range(scores.shape[1])])


def coherence(scores: np.ndarray, x: np.ndarray, k: int = 8) -> np.ndarray:
    """For each direction: the mean pairwise cosine similarity (in pixels) of its top-``k`` images."""
    top = np.argsort(-scores, axis=0)[:k]
    flat = x.reshape(len(x), -1)
    unit = flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)
    out = []
    for j in range(scores.shape[1]):
        u = unit[top[:, j]]
        s = u @ u.T
        out.append(float((s.sum() - k) / (k * (k - 1))))
    return np.array(out)


def units_vs_directions(model, layer: str, x: torch.Tensor, labels: torch.Tensor, n_random: int, k: int = 8,
                        seed: int = 0) -> pd.DataFrame:
    """For every unit e_i of ``layer`` and ``n_random`` random unit directions v: the class purity
    and pixel coherence of the ``k`` images maximising ⟨φ(x), e_i⟩ or ⟨φ(x), v⟩."""
    phi = hidden(model, x, layer)
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(phi.shape[1], n_random))
    v /= np.linalg.norm(v, axis=0, keepdims=True)
    y, xs = labels.numpy(), x.numpy()
    rows = []
    for kind, scores in (("unit", phi), ("random direction", phi @ v)):
        active = scores.std(0) > 0                              # a dead unit selects nothing
        p, c = purity(scores[:, active], y, k), coherence(scores[:, active], xs, k)
        rows += [{"kind": kind, "purity": a, "coherence": b} for a, b in zip(p, c)]
    return pd.DataFrame(rows)


def top_images(model, layer: str, x: torch.Tensor, directions: int = 5, k: int = 8, seed: int = 0) -> np.ndarray:
    """Tiles for an image grid: the top-``k`` images of the first ``directions`` active units, then
    of as many random directions (uint8, row by row)."""
    phi = hidden(model, x, layer)
    active = np.flatnonzero(phi.std(0) > 0)[:directions]
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(phi.shape[1], directions))
    scores = np.concatenate([phi[:, active], phi @ v], 1)
    top = np.argsort(-scores, axis=0)[:k]
    return np.stack([(x[i].numpy() * 255).round().astype(np.uint8) for j in range(scores.shape[1]) for i in top[:, j]])


def unit_gaps(models, layer: str, x: torch.Tensor, labels: torch.Tensor, n_random: int, k: int = 8):
    """``units_vs_directions`` for each model (a seed), stacked, and the gap "mean purity of
    single units minus that of random directions" with its 95% t-interval over the seeds."""
    tables = [units_vs_directions(m, layer, x, labels, n_random, k, seed=m.spec.seed).assign(seed=m.spec.seed)
              for m in models]
    gaps = [t.loc[t.kind == "unit", "purity"].mean() - t.loc[t.kind == "random direction", "purity"].mean()
            for t in tables]
    return pd.concat(tables, ignore_index=True), stats.seed_ci(gaps, bounds=(-1, 1))


UNIT_NETWORKS = {"MLP": "mlp", "LeNet": "lenet"}


def units_by_network(n_seeds: int, epochs: int, n_train: int, x: torch.Tensor, labels: torch.Tensor, n_random: int):
    """``unit_gaps`` of the penultimate layer of the zoo's MLP and LeNet over ``n_seeds`` seeds:
    ({network: table}, {network: gap (mean, lo, hi)})."""
    tables, gaps = {}, {}
    for name, arch in UNIT_NETWORKS.items():
        models = zoo.get_models(zoo.seeds_of(arch, n_seeds, epochs=epochs, n_train=n_train))
        tables[name], gaps[name] = unit_gaps(models, "penultimate", x, labels, n_random)
    return tables, gaps
