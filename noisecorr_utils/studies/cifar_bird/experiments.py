"""The CIFAR-10 chapter's experiments: where the networks send noise (per network and pooled),
along training, class-mean features and their spanning trees, the cat/dog networks, and the
logits of one network decomposed."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import data, features, noise, parallel, results, stats, train, zoo
from ...progress import staged

FAMILIES = ("airnet", "resnet")
NOISE = "noise"               # the name of the eleventh node of the spanning tree
CATDOG = ("cat", "dog")


def specs(families, n_seeds: int, epochs: int | None = None,
          n_train: int | None = None) -> dict[str, list[zoo.ModelSpec]]:
    """The chapter's CIFAR-10 model families over ``n_seeds`` seeds (the zoo's recipes)."""
    return {f: zoo.seeds_of(f, n_seeds, dataset="cifar10", epochs=epochs, n_train=n_train) for f in families}


def catdog_specs(n_seeds: int, epochs: int | None = None, n_train: int | None = None) -> list[zoo.ModelSpec]:
    """Two-class networks trained on CIFAR-10's cats and dogs only (the small ResNet's recipe)."""
    return zoo.seeds_of("resnet", n_seeds, dataset="cifar10", classes=CATDOG, epochs=epochs, n_train=n_train)


def answers(models, kind: str, n: int, brightnesses, seed: int) -> dict[float, np.ndarray]:
    """Every model's answers to the same ``n`` CIFAR-10-shaped images of ``kind`` at each brightness, cached."""
    return noise.cached_answers(models, kind, n, brightnesses, seed, "cifar10")


def favourite_table(answers: np.ndarray, rows: dict[str, list[int]], models, classes) -> pd.DataFrame:
    """Per family: each network's own favourite class of noise (the most common one as
    ``favourite``, and how many seeds have it), the share of noise each network sends to its own
    favourite and the share of "bird", each with a 95% interval over seeds — a per-network claim is
    never measured on one class pooled over seeds with different favourites."""
    bird = classes.index("bird")
    out = []
    for family, r in rows.items():
        per_seed = [int(np.bincount(answers[i], minlength=len(classes)).argmax()) for i in r]
        fav = max(set(per_seed), key=per_seed.count)
        share = stats.seed_ci([(answers[i] == p).mean() for i, p in zip(r, per_seed)], bounds=(0, 1))
        bird_share = stats.seed_ci([(answers[i] == bird).mean() for i in r], bounds=(0, 1))
        acc = stats.seed_ci([models[i].record["test_accuracy"] for i in r], bounds=(0, 1))
        out.append({"family": family, "favourite": classes[fav], "seeds with that favourite": sum(p == fav for p in per_seed),
                    "seeds": len(r), "share": share[0], "share_lo": share[1], "share_hi": share[2],
                    "bird": bird_share[0], "bird_lo": bird_share[1], "bird_hi": bird_share[2],
                    "accuracy": acc[0], "accuracy_lo": acc[1], "accuracy_hi": acc[2],
                    "favourite per seed": ", ".join(classes[p] for p in per_seed)})
    return pd.DataFrame(out).set_index("family")


def class_shares(answers: np.ndarray, rows: dict[str, list[int]], n_classes: int = 10) -> dict[str, np.ndarray]:
    """Per family: the share of each class in each seed's answers, (seeds, classes)."""
    return {f: stats.class_shares(answers[r], n_classes) for f, r in rows.items()}


def sweep(models, kinds, brightnesses, n: int, seed: int) -> np.ndarray:
    """``noise.cached_sweep`` of the chapter's models: (kinds, brightnesses, models, n) uint8."""
    return noise.cached_sweep(models, kinds, brightnesses, n, seed, "cifar10")


def _probe(kinds, n: int) -> dict:
    ds = data.load("cifar10")
    return {k: noise.generate(k, n, ds, seed=11) for k in kinds}


def _shares(model, probe: dict) -> np.ndarray:
    """Class shares of ``model``'s answers to each kind of the probe: (kinds, classes). In full
    precision, as the network answers while it trains (it carries no spec then)."""
    model.eval()
    n_classes = data.load("cifar10").n_classes
    return np.stack([stats.class_shares(train.predict_logits(model, x).argmax(1).numpy(), n_classes)
                     for x in probe.values()])


def _trajectory_job(spec: zoo.ModelSpec, kinds, n: int):
    probe = _probe(kinds, n)
    shares = []
    weights, rec = zoo.train_spec(spec, on_epoch_end=lambda epoch, m: shares.append(_shares(m, probe)))
    return np.stack(shares), weights, rec


def _replayed(spec: zoo.ModelSpec, states: list, kinds, n: int) -> np.ndarray:
    """``_trajectory_job``'s shares from the zoo's epoch snapshots of ``spec``: each state loaded
    into the network as training left it (memory format, one thread), asked the same probe."""
    probe = _probe(kinds, n)
    model = zoo.build(spec)
    out = []
    with train.threads(train.TRAIN_THREADS):
        for state in states:
            model.load_state_dict(state)
            if spec.recipe.channels_last:
                model.to(memory_format=torch.channels_last)
            out.append(_shares(model, probe))
    return np.stack(out)


@staged("training")
def trajectory(seed: int, kinds, n: int, epochs: int | None = None, n_train: int | None = None,
               arch: str = "airnet") -> np.ndarray:
    """The share of each class in the answers to noise of each kind after every epoch of one
    CIFAR-10 run of ``arch``: (epochs, kinds, classes), cached. The run is the zoo's model of that
    seed: read from its epoch snapshots where the zoo kept them, else trained here (in a one-thread
    worker like the zoo's) and stored in the zoo's cache, snapshots included."""
    spec = zoo.ModelSpec(arch, dataset="cifar10", seed=seed, epochs=epochs, n_train=n_train)
    key = results.cache_key("trajectory", (noise, zoo, train), model=spec.key, kinds=list(kinds), n=n)
    if results.is_cached(key):
        return results.cached_array(key, None)
    states = zoo.epoch_states(spec)
    if states is not None:
        return results.cached_array(key, lambda: _replayed(spec, states, kinds, n))
    with parallel.pool(parallel.default_workers()) as executor:
        shares, weights, rec = executor.submit(_trajectory_job, spec, list(kinds), n).result()
    if zoo.record(spec) is None:
        zoo.store(spec, weights, rec)
    return results.cached_array(key, lambda: shares)


@staged("features")
def class_means(model, n_per_class: int, noise_images: torch.Tensor, centre_on: int = 5000) -> dict[str, np.ndarray]:
    """Penultimate features of ``n_per_class`` test images of every class and of the noise:
    the 11 means (uncentred), the same with the global mean of ``centre_on`` training images'
    features removed (centred), and the features themselves. Cached."""
    ds = data.load("cifar10")
    key = results.cache_key("class_means", (features, noise, zoo), model=model.spec.key, n_per_class=n_per_class,
                            noise=float(noise_images.sum()), n_noise=len(noise_images), centre_on=centre_on)

    def compute():
        y = ds.y_test.numpy()
        idx = np.concatenate([np.flatnonzero(y == c)[:n_per_class] for c in range(ds.n_classes)])
        test = features.extract(model, ds.x_test[idx])
        nz = features.extract(model, noise_images)
        centre = features.extract(model, ds.x_train[:centre_on]).mean(0)
        means = np.stack([test[y[idx] == c].mean(0) for c in range(ds.n_classes)] + [nz.mean(0)])
        return np.concatenate([means, means - centre, centre[None]])

    stacked = results.cached_array(key, compute)
    k = ds.n_classes + 1
    return {"uncentred": stacked[:k], "centred": stacked[k:2 * k], "centre": stacked[-1]}


def trees(means_by_model: dict[str, dict[str, np.ndarray]], names) -> pd.DataFrame:
    """Per model and centring: the spanning tree's edges over the 11 nodes and the noise node's
    neighbours."""
    rows = []
    for label, means in means_by_model.items():
        for centring in ("uncentred", "centred"):
            edges = features.spanning_tree(features.cosine_distance_matrix(means[centring]))
            rows.append({"model": label, "centring": centring, "edges": edges,
                         "noise neighbours": ", ".join(names[j] for j in features.neighbours(edges, len(names) - 1))})
    return pd.DataFrame(rows)


def consensus(tree_table: pd.DataFrame, centring: str, n_nodes: int) -> np.ndarray:
    """How often each edge appears among the models' trees: an (n, n) matrix of shares."""
    sub = tree_table[tree_table.centring == centring]
    counts = np.zeros((n_nodes, n_nodes))
    for edges in sub.edges:
        for i, j in edges:
            counts[i, j] += 1
            counts[j, i] += 1
    return counts / max(1, len(sub))


def noise_next_to(tree_table: pd.DataFrame, centring: str, names, target: str = "bird",
                  family: str | None = None) -> tuple[int, int]:
    """(models whose tree links noise to ``target``, models), of one family's models if given."""
    sub = tree_table[tree_table.centring == centring]
    if family is not None:
        sub = sub[sub.model.str.split("·").str[0] == family]
    return int(sum(target in n.split(", ") for n in sub["noise neighbours"])), len(sub)


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float, float]:
    """A share k/n with its Wilson 95% interval (models are independent seeds)."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def catdog_table(models, noise_images: torch.Tensor) -> pd.DataFrame:
    """Per cat/dog network: the share of noise called "cat", of each other CIFAR-10 class's test
    images called "cat", and of horses called "dog"."""
    ds = data.load("cifar10")
    y = ds.y_test.numpy()
    rows = []
    for m in models:
        row = {"seed": m.spec.seed, "accuracy": m.record["test_accuracy"],
               "noise → cat": float((noise.answers([m], noise_images)[0] == 0).float().mean())}
        for c, name in enumerate(ds.classes):
            if name in CATDOG:
                continue
            said = noise.answers([m], ds.x_test[y == c])[0].numpy()
            row[f"{name} → cat"] = float((said == 0).mean())
        row["horse → dog"] = 1 - row["horse → cat"]
        rows.append(row)
    return pd.DataFrame(rows)


def per_image_prediction(model, image_table: pd.DataFrame, target: int) -> dict[str, float]:
    """Across test images, Spearman's ρ between an image's spectral slope (and edge density) and
    the model's probability for class ``target`` (the class noise goes to)."""
    from scipy.stats import spearmanr

    ds = data.load("cifar10")
    index = torch.as_tensor(image_table["index"].to_numpy().copy())
    p = torch.softmax(train.predict_logits(model, ds.x_test[index]), 1)[:, target].numpy()
    return {m: float(spearmanr(image_table[m], p).statistic) for m in ("spectral_slope", "edge_density")}


def logit_decomposition(model, noise_images: torch.Tensor, classes) -> pd.DataFrame:
    """For noise: its mean penultimate feature h̄, the head's logits W·h̄ and bias b per class, the
    cosine of h̄ with each class's mean test feature, and the norm of noise features relative to
    test features. Tells whether the noise class is chosen by the bias, by the direction of h̄, or
    by h̄'s closeness to a class mean."""
    head = features.layers(model)["penultimate"]
    nz = features.extract(model, noise_images)
    ds = data.load("cifar10")
    test = features.extract(model, ds.x_test[::5])
    y = ds.y_test.numpy()[::5]
    w = head.weight.detach().float().numpy().reshape(len(classes), -1)
    b = head.bias.detach().float().numpy() if head.bias is not None else np.zeros(len(classes))
    h = nz.mean(0)
    means = np.stack([test[y == c].mean(0) for c in range(len(classes))])
    cos = means @ h / (np.linalg.norm(means, axis=1) * np.linalg.norm(h) + 1e-12)
    return pd.DataFrame({"class": classes, "W·h̄": w @ h, "b": b, "cos(h̄, class mean)": cos,
                         "noise feature norm / test feature norm": np.linalg.norm(nz, axis=1).mean()
                         / np.linalg.norm(test, axis=1).mean(),
                         "distance of class mean to global mean": np.linalg.norm(means - test.mean(0), axis=1)})
