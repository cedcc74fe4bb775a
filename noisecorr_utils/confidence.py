"""How confident networks are on inputs unlike their training data.

``max_softmax``: the largest softmax probability of every model on every image. ``scale_to_confidence``:
the scaled-noise protocol of Hein, Andriushchenko & Bitterwolf (2019, "Why ReLU networks yield
high-confidence predictions far away from the training data and how to mitigate the problem",
CVPR, Table 2).
"""
from __future__ import annotations

import hashlib
import sys

import numpy as np
import torch

from .progress import staged
from .train import predict_logits

VERSION = 1


def max_softmax(models, x: torch.Tensor) -> np.ndarray:
    """Max-softmax probability of every model on every image: (models, n) float32."""
    return np.stack([torch.softmax(predict_logits(m, x), 1).max(1).values.numpy() for m in models])


@staged("noise answers")
def scale_to_confidence(model, x: torch.Tensor, alphas, level: float = 0.999) -> np.ndarray:
    """For each noise image x, the smallest α of the grid ``alphas`` at which the model's
    max-softmax on α·x reaches ``level`` (inf where it never does), as in Hein et al.'s Table 2.
    α·x leaves [0, 1]: the point is how fast confidence grows far from the data."""
    out = np.full(len(x), np.inf)
    for a in sorted(alphas, reverse=True):
        conf = torch.softmax(predict_logits(model, x * a), 1).max(1).values.numpy()
        out[conf >= level] = a
    return out


def cached_scale_to_confidence(model, x: torch.Tensor, alphas, level: float = 0.999) -> np.ndarray:
    """``scale_to_confidence``, cached under the zoo model's spec key and a hash of the images
    (a model without a spec, e.g. a reader's, is computed every time)."""
    from . import results, zoo

    spec = getattr(model, "spec", None)
    if spec is None:
        return scale_to_confidence(model, x, alphas, level)
    images = hashlib.sha256(x.contiguous().numpy().tobytes()).hexdigest()[:20]
    key = results.cache_key("scale_to_confidence", (sys.modules[__name__], zoo), model=spec.key,
                            images=images, shape=list(x.shape), alphas=[float(a) for a in alphas], level=level)
    return results.cached_array(key, lambda: scale_to_confidence(model, x, alphas, level))
