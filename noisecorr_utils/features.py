"""Penultimate features, class-mean geometry and measures of clutter, in feature and image space.

Feature space (per class c, from the features of its images):

- ``within_between``: Tr(Σ_c Σ_B⁺), the within-class spread relative to the spread of the class
  means (Papyan, Han & Donoho, 2020, "Prevalence of neural collapse during the terminal phase of
  deep learning training", PNAS);
- ``spread_ratio``: mean squared distance of the class's features to their mean over the squared
  distance of that mean to the global mean;
- ``participation_ratio``: (Σλ)²/Σλ² of the eigenvalues of Σ_c, the number of directions the
  class really spreads in;
- ``two_nn``: the intrinsic dimension of the class's features by the TwoNN estimator (Facco,
  d'Errico, Rodriguez & Laio, 2017, "Estimating the intrinsic dimension of datasets by a minimal
  neighborhood information", Scientific Reports).

Image space (per image): ``spectral_slope`` (slope of the log radially averaged power spectrum
against log frequency; natural images are near −2), ``high_frequency_share`` (share of the power
above half the Nyquist frequency), ``edge_density`` (share of pixels whose grey level changes by
more than 0.1 per pixel) and ``png_bytes`` (the losslessly compressed size).
"""
from __future__ import annotations

import io

import numpy as np
import torch
from scipy.sparse.csgraph import minimum_spanning_tree
from torch import nn

from . import train
from .progress import staged


def layers(model: nn.Module) -> dict[str, nn.Module]:
    """The named layers whose output can be taken as features, and ``penultimate``: the last layer
    with parameters (the classifier head), whose *input* the features then are."""
    named = {name: m for name, m in model.named_modules() if name}
    heads = [m for m in named.values() if isinstance(m, (nn.Linear, nn.Conv2d))]
    return {**named, "penultimate": heads[-1]} if heads else named


@staged("features")
def extract(model: nn.Module, x: torch.Tensor, layer: str = "penultimate", batch_size: int = 500) -> np.ndarray:
    """Features of every image of ``x`` (float or uint8): (n, features) float32, in eval mode, one
    plain forward pass per image (no test-time averaging). ``penultimate``: the flattened input of
    the classifier head; any other name: that layer's flattened output. One clear line for a
    layer that does not exist."""
    available = layers(model)
    if layer not in available:
        raise ValueError(f"layer {layer!r} does not exist in this model; allowed: penultimate or one of "
                         f"{', '.join(list(available)[:12])}…")
    body = getattr(_unwrap(model), "body", None)
    module = available[layer]
    captured = []
    if layer == "penultimate":
        handle = module.register_forward_pre_hook(lambda m, i: captured.append(i[0].detach().flatten(1).float()))
    else:
        handle = module.register_forward_hook(lambda m, i, o: captured.append(o.detach().flatten(1).float()))
    model.eval()
    try:
        with torch.inference_mode(), train.inference_precision(model):
            for i in range(0, len(x), batch_size):
                xb = train.to_float(x[i:i + batch_size])
                if body is not None:    # airnet: the network without its flip/shift averaging
                    front = model[:-1] if isinstance(model, nn.Sequential) else nn.Identity()
                    body(front(xb))
                else:
                    model(xb)
    finally:
        handle.remove()
    return torch.cat(captured).numpy()


def _unwrap(model: nn.Module) -> nn.Module:
    return model[-1] if isinstance(model, nn.Sequential) else model


def cosine_distance_matrix(means: np.ndarray) -> np.ndarray:
    """d = (1 − cos)/2 between every pair of rows: 0 for the same direction, 1 for opposite."""
    unit = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    return np.clip((1 - unit @ unit.T) / 2, 0, 1)


def spanning_tree(distances: np.ndarray) -> list[tuple[int, int]]:
    """Edges (i < j) of the minimum spanning tree of a symmetric distance matrix (scipy's). Every
    distance is raised by 1 first: the tree does not change, and scipy, which reads (near) zeros
    as missing edges, then sees every pair."""
    d = np.asarray(distances, dtype=float) + 1.0
    tree = minimum_spanning_tree(np.triu(d, 1)).tocoo()
    return sorted((int(min(i, j)), int(max(i, j))) for i, j in zip(tree.row, tree.col))


def neighbours(edges, node: int) -> list[int]:
    return sorted(j if i == node else i for i, j in edges if node in (i, j))


# ---------------------------------------------------------------------------------------------
# Clutter in feature space

def _cov(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(0)
    return x.T @ x / max(1, len(x) - 1)


def within_between(features: np.ndarray, labels: np.ndarray, n_classes: int, rcond: float = 1e-6) -> np.ndarray:
    """Tr(Σ_c Σ_B⁺) per class (Papyan et al., 2020): Σ_B the covariance of the class means, its
    pseudo-inverse over the eigenvalues above ``rcond`` times the largest (so the trace of two
    positive semi-definite matrices stays ≥ 0): Σ_k v_kᵀ Σ_c v_k / λ_k."""
    means = np.stack([features[labels == c].mean(0) for c in range(n_classes)])
    lam, vec = np.linalg.eigh(_cov(means) * (n_classes - 1) / n_classes)
    keep = lam > rcond * max(lam.max(), 1e-300)
    vec, lam = vec[:, keep], lam[keep]
    return np.array([float(((vec.T @ _cov(features[labels == c]) @ vec).diagonal() / lam).sum())
                     for c in range(n_classes)])


def spread_ratio(features: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Per class: mean squared distance to the class mean over the squared distance of the class
    mean to the global mean."""
    centre = features.mean(0)
    out = []
    for c in range(n_classes):
        f = features[labels == c]
        m = f.mean(0)
        out.append(((f - m) ** 2).sum(1).mean() / max(((m - centre) ** 2).sum(), 1e-12))
    return np.array(out)


def participation_ratio(x: np.ndarray) -> float:
    """(Σλ)²/Σλ² of the covariance eigenvalues: d for an isotropic cloud in d dimensions."""
    lam = np.clip(np.linalg.eigvalsh(_cov(x)), 0, None)
    return float(lam.sum() ** 2 / max((lam ** 2).sum(), 1e-30))


def two_nn(x: np.ndarray, discard: float = 0.1) -> float:
    """TwoNN intrinsic dimension (Facco et al., 2017): from μ = r₂/r₁, the ratio of each point's
    second to first nearest-neighbour distance, the slope through the origin of −log(1 − F(μ))
    against log μ, the largest ``discard`` share of μ left out."""
    x = np.asarray(x, dtype=np.float64)
    sq = (x ** 2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0)
    np.fill_diagonal(d2, np.inf)
    near = np.sqrt(np.partition(d2, 1, axis=1)[:, :2])
    mu = np.sort(near[:, 1] / np.maximum(near[:, 0], 1e-12))
    mu = mu[np.isfinite(mu) & (mu > 1)]
    n = len(mu)
    keep = int(n * (1 - discard))
    mu = mu[:keep]
    f = np.arange(1, keep + 1) / n             # the empirical CDF at the sorted μ, as in the paper
    xs, ys = np.log(mu), -np.log(1 - f)
    return float((xs @ ys) / (xs @ xs))


def feature_clutter(features: np.ndarray, labels: np.ndarray, n_classes: int, max_points: int = 2000,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """All four feature-space measures per class (TwoNN and the participation ratio on at most
    ``max_points`` images of the class)."""
    rng = np.random.default_rng(seed)

    def sample(c):
        idx = np.flatnonzero(labels == c)
        return features[rng.permutation(idx)[:max_points]]

    return {"within_between": within_between(features, labels, n_classes),
            "spread_ratio": spread_ratio(features, labels, n_classes),
            "participation_ratio": np.array([participation_ratio(sample(c)) for c in range(n_classes)]),
            "two_nn": np.array([two_nn(sample(c)) for c in range(n_classes)])}


# ---------------------------------------------------------------------------------------------
# Clutter in image space

def _grey(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) uint8 or float -> (N, H, W) float grey levels in [0, 1]."""
    x = np.asarray(images, dtype=np.float64)
    if x.max() > 1.5:
        x = x / 255
    return x.mean(1)


def radial_power(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power spectrum of each image (mean removed): frequencies (cycles per
    pixel, excluding 0) and power (N, frequencies)."""
    g = _grey(images)
    g = g - g.mean((1, 2), keepdims=True)
    n, h, w = g.shape
    power = np.abs(np.fft.fft2(g)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    radius = np.sqrt(fx ** 2 + fy ** 2)
    bins = np.arange(1, min(h, w) // 2 + 1) / min(h, w)
    which = np.digitize(radius, bins - 0.5 / min(h, w))
    out = np.stack([power[:, which == k].mean(1) for k in range(1, len(bins) + 1)], 1)
    return bins, out


def spectral_slope(images: np.ndarray) -> np.ndarray:
    """Per image, the least-squares slope of log power against log frequency (about −2 for
    natural images, 0 for white noise)."""
    f, p = radial_power(images)
    lf = np.log(f)
    lp = np.log(np.maximum(p, 1e-20))
    lf_c = lf - lf.mean()
    return ((lp - lp.mean(1, keepdims=True)) @ lf_c) / (lf_c @ lf_c)


def high_frequency_share(images: np.ndarray) -> np.ndarray:
    """Per image, the share of its (mean-removed) power at spatial frequencies above half the
    Nyquist frequency (radius > 0.25 cycles per pixel; 80% of the power of white noise)."""
    g = _grey(images)
    g = g - g.mean((1, 2), keepdims=True)
    _, h, w = g.shape
    power = np.abs(np.fft.fft2(g)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    high = np.sqrt(fx ** 2 + fy ** 2) > 0.25
    return power[:, high].sum(1) / np.maximum(power.sum((1, 2)), 1e-20)


def edge_density(images: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """Per image, the share of pixels where the grey level (in [0, 1]) changes by more than
    ``threshold`` per pixel (Sobel gradient magnitude, divided by the kernel's weight 8)."""
    from scipy import ndimage

    g = _grey(images)
    gx = ndimage.sobel(g, axis=2) / 8
    gy = ndimage.sobel(g, axis=1) / 8
    return (np.hypot(gx, gy) > threshold).mean((1, 2))


def png_bytes(images: np.ndarray) -> np.ndarray:
    """Per image, the size in bytes of its lossless PNG (a measure of how much there is to see)."""
    from PIL import Image

    x = np.asarray(images)
    if x.dtype != np.uint8:
        x = np.clip(np.round(x * 255), 0, 255).astype(np.uint8)
    out = []
    for img in x:
        buf = io.BytesIO()
        Image.fromarray(img.transpose(1, 2, 0).squeeze()).save(buf, format="PNG", optimize=True)
        out.append(buf.tell())
    return np.array(out)


IMAGE_MEASURES = {"spectral_slope": spectral_slope, "high_frequency_share": high_frequency_share,
                  "edge_density": edge_density, "png_bytes": png_bytes}
