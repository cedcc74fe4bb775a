"""Noise images, one generator per kind behind a name registry.

``generate(kind, n, dataset, brightness, seed)`` returns float32 images (n, C, H, W) in [0, 1]
shaped like the data set's. Each kind first draws an image in [0, 1], then multiplies it by
``brightness`` — the "noise scaled to 50% brightness" of the MNIST white-noise study is
``brightness=0.5``. Same seed, same tensor.
"""
from __future__ import annotations

import math
import sys
from typing import Callable

import torch

from . import data
from .progress import staged
from .train import predict_logits

# Bump when a change alters the images of a kind: it is part of every cache key that uses noise.
VERSION = 2


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


def _colored(n, ds, g, alpha: float = 2.0):
    """Coloured noise: white Gaussian noise shaped to a 1/f^α *power* spectrum (amplitude
    f^(−α/2)), standardised; α = 0 is white, α = 2 the spectrum of natural images."""
    c, h, w = ds.shape
    fy = torch.fft.fftfreq(h).view(-1, 1)
    fx = torch.fft.rfftfreq(w).view(1, -1)
    f = torch.sqrt(fx ** 2 + fy ** 2)
    f[0, 0] = 1.0
    spectrum = torch.fft.rfft2(torch.randn((n, c, h, w), generator=g)) * f ** (-alpha / 2)
    spectrum[..., 0, 0] = 0
    return _standardise(torch.fft.irfft2(spectrum, s=(h, w)))


def _correlated(n, ds, g):
    """Spatially correlated "pink" noise: white noise shaped to a 1/f amplitude spectrum
    (coloured noise with α = 2)."""
    return _colored(n, ds, g, alpha=2.0)


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
    "bernoulli": _bernoulli, "correlated": _correlated, "blurred": _blurred, "shuffled": _shuffled,
    "colored": _colored}
# Options a kind takes, written after a colon: "colored:alpha1.5" (the option's name, then a number
# in its range) or "uniform:grey" (one value for every colour channel of a pixel).
RANGES = {"colored": {"alpha": (0.0, 2.0)}}
GREY = ("uniform", "gaussian", "colored", "blurred", "salt_and_pepper", "bernoulli")

DEFINITIONS = {
    "colored": r"Gaussian noise shaped to a $1/f^{\alpha}$ power spectrum: $\alpha = 0$ white, "
               r"$\alpha = 2$ like natural images",
    "uniform": "every pixel drawn from U[0, 1]: mean 0.5, far brighter than a digit",
    "gaussian": "the data's own pixel mean and std, clipped to [0, 1]: dark like MNIST, no shape",
    "salt_and_pepper": "a flat image at the data's mean with 30% of pixels set to 0 or 1",
    "bernoulli": "each pixel 1 with probability equal to the data's mean pixel: sparse ink dots",
    "correlated": "white noise shaped to a 1/f amplitude spectrum: blobs at every scale",
    "blurred": "uniform noise blurred by a Gaussian of 1 pixel, contrast restored",
    "shuffled": "a real test digit with its pixel positions scrambled: the digit's ink, no shape",
}

LABELS = {"colored": "1/f^α coloured noise", "uniform": "uniform white noise", "gaussian": "Gaussian (data mean and std)",
          "salt_and_pepper": "salt and pepper", "bernoulli": "Bernoulli (ink density)",
          "correlated": "1/f correlated", "blurred": "blurred white noise",
          "shuffled": "pixel-shuffled test images"}


def parse(kind: str) -> tuple[str, dict, bool]:
    """A kind with its options, e.g. ``"colored:alpha1.5"`` (option name, then its number) or
    ``"gaussian:grey"``: (name, numeric options, grey). One clear line for an unknown kind or
    option, or a value out of range. (No "=" in a kind: papermill cannot read such a parameter.)"""
    if not isinstance(kind, str):
        raise ValueError(f"noise kind {kind!r} must be a string; allowed: {', '.join(KINDS)}")
    name, _, rest = kind.partition(":")
    if name not in KINDS:
        raise ValueError(f"unknown noise kind {name!r}; allowed: {', '.join(KINDS)}")
    options, grey = {}, False
    for part in filter(None, rest.split(",")):
        if part == "grey":
            if name not in GREY:
                raise ValueError(f"noise kind {name!r} has no grey variant; allowed: {', '.join(GREY)}")
            grey = True
            continue
        ranges = RANGES.get(name, {})
        key = next((k for k in ranges if part.startswith(k)), None)
        value = part[len(key):] if key else ""
        if key is None:
            allowed = ", ".join([f"{k} (e.g. {k}1.5)" for k in ranges] + (["grey"] if name in GREY else [])) or "none"
            raise ValueError(f"unknown option {part!r} of noise kind {name!r}; allowed: {allowed}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"option {part!r} of noise kind {name!r} must be {key} followed by a number") from None
        low, high = ranges[key]
        if not low <= number <= high:
            raise ValueError(f"{key}={number:g} of noise kind {name!r} is outside [{low:g}, {high:g}]")
        options[key] = number
    return name, options, grey


def check(kind: str, brightness: float = 1.0, n: int = 1) -> None:
    """Validate arguments in one line each, before any work."""
    parse(kind)
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
    name, options, grey = parse(kind)
    ds = data.load(dataset) if isinstance(dataset, str) else dataset
    g = torch.Generator().manual_seed(seed)
    if grey and ds.shape[0] > 1:  # one value per pixel for every channel, from the channels' mean statistics
        mono = _Mono(ds)
        images = KINDS[name](n, mono, g, **options).expand(n, *ds.shape)
    else:
        images = KINDS[name](n, ds, g, **options)
    return (images.float() * brightness).contiguous()


class _Mono:
    """A one-channel view of a data set's statistics and images, for grey noise."""

    def __init__(self, ds):
        self.shape = (1, *ds.shape[1:])
        self.mean, self.std = (sum(ds.mean) / len(ds.mean),), (sum(ds.std) / len(ds.std),)
        self.x_test = ds.x_test.float().mean(1, keepdim=True).round().to(torch.uint8)


def answers(models, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The class each model gives each image: an (n_models, n) int64 tensor, each model in its
    inference precision (``train.predict_logits``).

    Batches of 512 (benchmarks/bench_noise.py): larger ones push the CNNs' activations out of
    the CPU caches and run slower, not faster.
    """
    if len(models) == 0:
        raise ValueError("the model list is empty; give at least one model")
    return torch.stack([predict_logits(model, x, batch_size).argmax(1) for model in models])


def cached_answers(models, kind: str, n: int, brightnesses, seed: int, dataset: str = "mnist") -> dict:
    """Every model's answer to the same ``n`` images of ``kind`` at each brightness (one draw,
    scaled): ``{brightness: (models, n) uint8}``, each cached under the models' spec keys, the
    images' parameters and this module's ``VERSION``."""
    from . import results, zoo

    out = {}
    for b in brightnesses:
        check(kind, b, n)
        where = {} if dataset == "mnist" else {"dataset": dataset}  # MNIST keys as they were before the field
        key = results.cache_key("answers", (sys.modules[__name__], zoo), models=[m.spec.key for m in models],
                                kind=kind, n=n, brightness=float(b), seed=seed, **where)
        out[float(b)] = results.cached_array(key, lambda b=b: _answered(models, kind, n, dataset, seed, b))
    return out


def cached_probabilities(models, kind: str, n: int, brightness: float, seed: int, dataset: str = "mnist") -> list:
    """Every model's class probabilities (float32 softmax of its logits) on the same ``n`` images of
    ``kind`` at ``brightness`` (the images ``cached_answers`` shows): a list of (n, classes) arrays,
    each cached under its model's spec key, the images' parameters and this module's ``VERSION``."""
    from . import results, zoo

    check(kind, brightness, n)
    images = []

    @staged("noise answers")
    def compute(model):
        if not images:
            images.append(generate(kind, n, dataset, 1.0, seed) * brightness)
        return torch.softmax(predict_logits(model, images[0]).float(), 1).numpy().astype("float32")

    return [results.cached_array(results.cache_key("probabilities", (sys.modules[__name__], zoo), model=m.spec.key,
                                                   kind=kind, n=n, brightness=float(brightness), seed=seed,
                                                   dataset=dataset), lambda m=m: compute(m)) for m in models]


@staged("noise answers")
def _answered(models, kind: str, n: int, dataset: str, seed: int, brightness: float):
    return answers(models, generate(kind, n, dataset, 1.0, seed) * brightness).to(torch.uint8)


def cached_sweep(models, kinds, brightnesses, n: int, seed: int, dataset: str = "mnist") -> "numpy.ndarray":
    """Answers of every model to ``n`` images of every kind (seeds ``seed``, ``seed + 1``…) at every
    brightness: uint8 (kinds, brightnesses, models, n), cached per kind and brightness."""
    import numpy as np

    check_grid(kinds, brightnesses)
    return np.stack([np.stack(list(cached_answers(models, kind, n, brightnesses, seed + k, dataset).values()))
                     for k, kind in enumerate(kinds)])
