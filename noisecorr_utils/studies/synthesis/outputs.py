"""What every model of the factorial zoo says, each cached per model: probabilities on test
images, penultimate features, gradient kernels over probe digits; and the chapter's table cache."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import checks, features, noise, relations, results, similarity, stats, train, zoo

# Bump when a change here alters a number: part of the keys of the chapter's cached tables.
VERSION = 1
# The modules whose versions key the per-model outputs and the chapter's tables ("synthesis": this
# chapter's own version, named as it was when the chapter was one module).
OUTPUT_VERSIONS = (noise, zoo, similarity, ("synthesis", VERSION))
TABLE_VERSIONS = (noise, zoo, similarity, stats, relations, ("synthesis", VERSION))


def cached(name: str, z: zoo.Groups, compute, settings: dict) -> pd.DataFrame:
    """A table of the chapter, computed once for these models and ``settings`` (every notebook
    parameter it depends on) and read back on a warm run."""
    key = results.cache_key(f"synthesis-{name}", TABLE_VERSIONS,
                            models=[m.spec.key for m in z.models], **settings)
    return results.cached_table(key, compute)


def _cached(what: str, model, compute, **parts) -> np.ndarray:
    key = results.cache_key(what, OUTPUT_VERSIONS,
                            model=model.spec.key, **parts)
    return results.cached_array(key, compute)


def probabilities(model, x: torch.Tensor) -> np.ndarray:
    return torch.softmax(train.predict_logits(model, x).float(), 1).numpy().astype(np.float32)


def test_index(n: int, seed: int = 0) -> torch.Tensor:
    """``n`` test images drawn once at random (the same for every model, each in its own data set's form)."""
    checks.positive_int("n_test", n)
    if n > 10_000:
        raise ValueError(f"n_test={n} is more than the 10,000 test images; allowed: 1 to 10000")
    return torch.randperm(10_000, generator=torch.Generator().manual_seed(seed))[:n]


def test_probs(models, n: int, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each model's probabilities on the same test images of its own data set, and their labels."""
    idx = test_index(n, seed)
    probs, labels = [], []
    for m in models:
        ds = zoo.dataset(m.spec)
        probs.append(_cached("synthesis-test", m, lambda m=m, ds=ds: probabilities(m, train.to_float(ds.x_test[idx])),
                             n=n, seed=seed))
        labels.append(ds.y_test[idx].numpy())
    return probs, labels


def penultimate(models, n: int, seed: int = 0) -> list[np.ndarray]:
    """Penultimate-layer features of the first ``n`` of the chapter's test images (MNIST digits)."""
    idx = test_index(n, seed)
    return [_cached("synthesis-features", m, lambda m=m: features.extract(m, train.to_float(
        zoo.dataset(m.spec).x_test[idx])).astype(np.float32), n=n, seed=seed) for m in models]


def kernels(models, n: int, seed: int = 0) -> list[np.ndarray]:
    """Each model's gradient-cosine kernel k^C (Charpiat et al., 2019) over ``n`` probe test digits."""
    idx = test_index(n, seed + 1)
    return [_cached("synthesis-kernel", m, lambda m=m: similarity.kernel_matrix(m, train.to_float(
        zoo.dataset(m.spec).x_test[idx])), n=n, seed=seed) for m in models]
