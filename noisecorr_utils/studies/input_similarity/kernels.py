"""The similarity chapter's kernel experiments (Charpiat et al., 2019): the training images most
similar to a query for the network k^C against pixel neighbours, and the density N_S of test
digits and noise (cached, keyed by the model's spec, the parameters and the module versions)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import data, noise, results, similarity, stats, train, zoo

MODELS = {"MLP": "mlp", "LeNet": "lenet"}


def models(epochs: int | None = None, n_train: int | None = None) -> dict:
    """The chapter's MLP and LeNet (seed 0) from the zoo."""
    specs = [zoo.ModelSpec(arch, epochs=epochs, n_train=n_train) for arch in MODELS.values()]
    return dict(zip(MODELS, zoo.get_models(specs)))


def queries(kinds, n_test: int, seed: int = 1) -> tuple[torch.Tensor, list[str]]:
    """One test digit per class and one image of three noise kinds: float images and their names."""
    mnist = data.load("mnist")
    y = mnist.y_test[:n_test].numpy()
    images = [train.to_float(mnist.x_test[int(np.flatnonzero(y == c)[0])]) for c in range(10)]
    names = [f"digit {c}" for c in range(10)]
    for kind in ("uniform", "gaussian", "shuffled"):
        if kind in kinds:
            images.append(noise.generate(kind, 1, mnist, seed=seed)[0])
            names.append(kind)
    return torch.stack(images), names


def cross_kernel(model, q: torch.Tensor, pool: int, eps: float) -> np.ndarray:
    """k^C between each query and the first ``pool`` training images (cached)."""
    x = data.load("mnist").x_train[:pool]
    key = results.cache_key("cross_kernel", (similarity, noise, zoo), model=model.spec.key, queries=q.sum().item(),
                            n_queries=len(q), pool=pool, eps=eps)
    return results.cached_array(key, lambda: similarity.cross_kernel(model, q, x, eps=eps))


def pixel_distances(q: torch.Tensor, pool: int) -> np.ndarray:
    x = train.to_float(data.load("mnist").x_train[:pool])
    return torch.cdist(q.flatten(1), x.flatten(1)).numpy()


def similar_tiles(q: torch.Tensor, k: np.ndarray, pixel: np.ndarray, pool: int, top: int = 6) -> np.ndarray:
    """Per query: the query, a gap, its ``top`` most similar training images for the network, a
    gap, its ``top`` nearest in pixels — uint8 tiles, row by row."""
    x = data.load("mnist").x_train[:pool].numpy()
    blank = np.full((1, 28, 28), 255, np.uint8)
    tiles = []
    for i in range(len(q)):
        tiles += [(q[i] * 255).round().byte().numpy(), blank]
        tiles += [x[j] for j in np.argsort(-k[i])[:top]] + [blank] + [x[j] for j in np.argsort(pixel[i])[:top]]
    return np.stack(tiles)


def same_class_share(scores: np.ndarray, pool: int, top: int = 6, largest: bool = True) -> float:
    """For the ten digit queries (rows 0–9), the share of their ``top`` best-scored training
    images that have the query's class."""
    y = data.load("mnist").y_train[:pool].numpy()
    order = np.argsort(-scores if largest else scores, axis=1)[:10, :top]
    return float(np.mean([(y[order[c]] == c).mean() for c in range(10)]))


def same_class_summary(models: dict, clean_lenets, q: torch.Tensor, pixel: np.ndarray, pool: int, eps: float) -> dict:
    """The share of the six most similar training images that have the query's class: for the
    LeNet (mean and 95% interval over the clean-label LeNets), the MLP and pixel neighbours."""
    return {"LeNet": stats.seed_ci([same_class_share(cross_kernel(m, q, pool, eps), pool) for m in clean_lenets],
                                   bounds=(0, 1)),
            "MLP": same_class_share(cross_kernel(models["MLP"], q, pool, eps), pool),
            "pixel": same_class_share(pixel, pool, largest=False)}


def densities(model, n_reference: int, n_test: int, kinds, brightnesses, n_noise: int, eps: float,
              seed: int = 2) -> dict:
    """N_S over the first ``n_reference`` training images of: the first ``n_test`` test digits
    (``"test"``), and ``n_noise`` images of every noise kind at every brightness
    (``("noise", kind, brightness)``). Each cached; the reference sum is formed only if needed."""
    mnist = data.load("mnist")
    S = mnist.x_train[:n_reference]
    base = dict(model=model.spec.key, n_reference=n_reference, eps=eps)
    A = {}

    def reference():
        if "A" not in A:
            A["A"] = similarity.reference_sum(model, S, eps=eps)
        return A["A"]

    out = {"test": results.cached_array(results.cache_key("density", (similarity, zoo), queries=f"test[:{n_test}]", **base),
                                        lambda: similarity.density(model, mnist.x_test[:n_test], A=reference(), eps=eps))}
    for kind in kinds:
        images = noise.generate(kind, n_noise, mnist, seed=seed)
        for b in brightnesses:
            key = results.cache_key("density", (similarity, noise, zoo), queries=f"{kind}x{n_noise}@{b}s{seed}", **base)
            out["noise", kind, b] = results.cached_array(
                key, lambda images=images, b=b: similarity.density(model, images * b, A=reference(), eps=eps))
    return out


def auroc_table(dens: dict, kinds, brightnesses, model: str) -> pd.DataFrame:
    """AUROC of N_S for telling test digits (positive) from noise, per kind and brightness
    (0.5: no better than chance; below 0.5: noise is denser than digits)."""
    from sklearn.metrics import roc_auc_score

    test = dens["test"]
    rows = []
    for kind in kinds:
        for b in brightnesses:
            v = dens["noise", kind, b]
            rows.append({"model": model, "noise": kind, "brightness": b,
                         "AUROC test vs noise": roc_auc_score(np.r_[np.ones(len(test)), np.zeros(len(v))], np.r_[test, v])})
    return pd.DataFrame(rows)


def auroc_summary(auroc: pd.DataFrame, kinds, brightnesses) -> tuple[pd.DataFrame, dict]:
    """The AUROC table pivoted by brightness, and per model the AUROC for the first kind at full
    brightness and the minimum over all kinds and brightnesses."""
    pivot = auroc.pivot_table(index=["model", "noise"], columns="brightness", values="AUROC test vs noise").round(3)
    pivot.columns = [f"brightness {b:g}" for b in pivot.columns]
    numbers = {}
    for name, sub in auroc.groupby("model"):
        first = sub[(sub.noise == kinds[0]) & (sub.brightness == brightnesses[-1])]["AUROC test vs noise"]
        numbers[name] = {"first": float(first.iloc[0]), "min": float(sub["AUROC test vs noise"].min())}
    return pivot.reset_index(), numbers


def error_auroc(model, dens: dict, n_test: int) -> float:
    """AUROC of −N_S for "misclassified" among the test digits (NaN without both kinds)."""
    from sklearn.metrics import roc_auc_score

    mnist = data.load("mnist")
    wrong = noise.answers([model], mnist.x_test[:n_test])[0].numpy() != mnist.y_test[:n_test].numpy()
    return float(roc_auc_score(wrong, -dens["test"])) if 0 < wrong.sum() < len(wrong) else float("nan")


def exactness(model, n_exact: int, eps: float) -> float:
    """Largest relative difference between the linear-time N_S and the brute-force sum of
    pairwise k^C, with ``n_exact`` test digits as their own reference set. A round-off-sized number,
    so it is computed on a fixed number of threads: the same in a notebook, a test and a worker."""
    x = train.to_float(data.load("mnist").x_test[:n_exact])
    with train.threads(train.TRAIN_THREADS):
        fast = similarity.density(model, x, S=x, eps=eps)
        brute = similarity.kernel_matrix(model, x, eps=eps).sum(1)
    return float(((fast - brute).abs() / brute.abs()).max())


def density_by_class(model, dens: dict, kinds, brightness: float, n_test: int, n_noise: int, seed: int = 2):
    """Median N_S of test digits per true class; per noise kind, the median N_S of the noise the
    model answers with each class and the share of noise sent there. Returns (test medians,
    [noise medians per kind], [shares per kind], table of each kind's favourite class)."""
    mnist = data.load("mnist")
    y = mnist.y_test[:n_test].numpy()
    test_median = np.array([np.median(dens["test"][y == c]) for c in range(10)])
    medians, shares, rows = [], [], []
    for kind in kinds:
        images = noise.generate(kind, n_noise, mnist, seed=seed) * brightness
        answer = noise.answers([model], images)[0].numpy()
        v = dens["noise", kind, brightness]
        share = np.bincount(answer, minlength=10) / len(answer)
        med = np.array([np.median(v[answer == c]) if (answer == c).any() else np.nan for c in range(10)])
        top = int(share.argmax())
        medians.append(med)
        shares.append(share)
        rows.append({"noise": kind, "favourite class": top, "share": share[top], "median N_S of that noise": med[top],
                     "median N_S of test digits of that class": test_median[top]})
    return test_median, medians, shares, pd.DataFrame(rows)
