"""Noise images, one generator per kind behind a name registry.

``generate(kind, n, dataset, brightness, seed)`` returns float32 images (n, C, H, W) in [0, 1]
shaped like the data set's. Each kind first draws an image in [0, 1], then multiplies it by
``brightness`` — the "noise scaled to 50% brightness" of the MNIST white-noise study is
``brightness=0.5``. Same seed, same tensor.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from . import data


def _uniform(n, ds, g):
    """White noise, every pixel U[0, 1] (the MNIST white-noise study)."""
    return torch.rand((n, *ds.shape), generator=g)


def _gaussian(n, ds, g):
    """Gaussian noise with the data set's per-channel mean and std, clipped to [0, 1]
    (the CIFAR-10 question)."""
    mean = torch.tensor(ds.mean).view(1, -1, 1, 1)
    std = torch.tensor(ds.std).view(1, -1, 1, 1)
    return (mean + std * torch.randn((n, *ds.shape), generator=g)).clamp_(0, 1)


def _salt_and_pepper(n, ds, g, density: float = 0.3):
    """A flat image at the data's mean, with a share ``density`` of pixels set to 0 or 1."""
    mean = torch.tensor(ds.mean).view(1, -1, 1, 1)
    img = mean.expand(n, *ds.shape).clone()
    hit = torch.rand((n, *ds.shape), generator=g) < density
    salt = torch.rand((n, *ds.shape), generator=g) < 0.5
    img[hit] = salt[hit].float()
    return img


def _bernoulli(n, ds, g):
    """Binary pixels, 1 with probability equal to the data's mean pixel (sparse like ink)."""
    p = torch.tensor(ds.mean).view(1, -1, 1, 1).expand(n, *ds.shape)
    return torch.bernoulli(p, generator=g)


def _standardise(x):
    """Per image: zero mean, unit std, then mapped to 0.5 ± 0.25 per std, clipped to [0, 1]."""
    flat = x.flatten(1)
    z = (flat - flat.mean(1, keepdim=True)) / flat.std(1, keepdim=True).clamp_min(1e-8)
    return (0.5 + 0.25 * z).clamp_(0, 1).view_as(x)


def _correlated(n, ds, g):
    """Spatially correlated "pink" noise: white noise shaped to a 1/f amplitude spectrum."""
    c, h, w = ds.shape
    fy = torch.fft.fftfreq(h).view(-1, 1)
    fx = torch.fft.rfftfreq(w).view(1, -1)
    f = torch.sqrt(fx ** 2 + fy ** 2)
    f[0, 0] = 1.0
    spectrum = torch.fft.rfft2(torch.randn((n, c, h, w), generator=g)) / f
    spectrum[..., 0, 0] = 0
    return _standardise(torch.fft.irfft2(spectrum, s=(h, w)))


def _blurred(n, ds, g, sigma: float = 1.0):
    """Uniform white noise blurred by a Gaussian of ``sigma`` pixels, contrast restored."""
    c, h, w = ds.shape
    radius = math.ceil(3 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k1 = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k1 /= k1.sum()
    x = torch.rand((n * c, 1, h, w), generator=g)
    x = torch.nn.functional.conv2d(x, k1.view(1, 1, 1, -1), padding=(0, radius))
    x = torch.nn.functional.conv2d(x, k1.view(1, 1, -1, 1), padding=(radius, 0))
    return _standardise(x.view(n, c, h, w))


def _shuffled(n, ds, g):
    """Real test images with their pixel positions shuffled (a new permutation per image):
    the intensity histogram of real data, none of its shape."""
    idx = torch.randint(0, len(ds.x_test), (n,), generator=g)
    imgs = ds.x_test[idx].float().div_(255)
    flat = imgs.flatten(2)
    order = torch.rand((n, 1, flat.shape[2]), generator=g).argsort(dim=2).expand_as(flat)
    return flat.gather(2, order).view_as(imgs)


KINDS: dict[str, Callable] = {
    "uniform": _uniform, "gaussian": _gaussian, "salt_and_pepper": _salt_and_pepper,
    "bernoulli": _bernoulli, "correlated": _correlated, "blurred": _blurred, "shuffled": _shuffled}

LABELS = {"uniform": "uniform white noise", "gaussian": "Gaussian (data mean and std)",
          "salt_and_pepper": "salt and pepper", "bernoulli": "Bernoulli (ink density)",
          "correlated": "1/f correlated", "blurred": "blurred white noise",
          "shuffled": "pixel-shuffled test images"}


def check(kind: str, brightness: float = 1.0, n: int = 1) -> None:
    """Validate arguments in one line each, before any work."""
    if kind not in KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; allowed: {', '.join(KINDS)}")
    if not isinstance(brightness, (int, float)) or not 0 < brightness <= 1:
        raise ValueError(f"brightness={brightness!r} is outside (0, 1]")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n={n!r} must be a positive integer")


def check_grid(kinds, brightnesses) -> None:
    """Validate a notebook's lists of noise kinds and brightness levels (one line each)."""
    for name, value in (("kinds", kinds), ("brightnesses", brightnesses)):
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError(f"{name}={value!r} must be a non-empty list (with papermill: "
                             f"-y '{name}: [...]', not -p)")
    for kind in kinds:
        check(kind)
    for b in brightnesses:
        check("uniform", b)


def generate(kind: str, n: int, dataset: str | data.Dataset = "mnist", brightness: float = 1.0,
             seed: int = 0) -> torch.Tensor:
    """``n`` noise images of ``kind`` for ``dataset``, scaled by ``brightness``, float32 in [0, 1]."""
    check(kind, brightness, n)
    ds = data.load(dataset) if isinstance(dataset, str) else dataset
    g = torch.Generator().manual_seed(seed)
    return (KINDS[kind](n, ds, g).float() * brightness).contiguous()


@torch.inference_mode()
def answers(models, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The class each model gives each image: an (n_models, n) int64 tensor.

    Batches of 512 (benchmarks/bench_noise.py): larger ones push the CNNs' activations out of
    the CPU caches and run slower, not faster.
    """
    if len(models) == 0:
        raise ValueError("the model list is empty; give at least one model")
    out = torch.empty((len(models), len(x)), dtype=torch.int64)
    for m, model in enumerate(models):
        model.eval()
        for i in range(0, len(x), batch_size):
            out[m, i:i + batch_size] = model(x[i:i + batch_size]).argmax(1)
    return out
