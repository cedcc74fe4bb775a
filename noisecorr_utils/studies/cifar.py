"""Chapter 4, "Why noise looks like a bird": the CIFAR-10 question (a ResNet18 at ~93% sends
nearly all Gaussian noise to "bird"; class-mean features and their minimum spanning tree put
noise next to bird; a cat/dog network calls all noise "cat") asked of our CIFAR-10 networks,
and the asker's hypothesis — "bird" is the most cluttered class — measured."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .. import checks, data, features, noise, parallel, report, results, stats, train, zoo

FAMILIES = ("airnet", "resnet")
NOISE = "noise"               # the name of the eleventh node of the spanning tree
SOURCE_ACCURACY = 0.925       # the source's ResNet18 has about 93%: claims are tested on models at least this good
CATDOG_ACCURACY = 0.75        # a cat/dog network that tells them apart at least this well (the source gives no number)
CATDOG = ("cat", "dog")


def specs(families, n_seeds: int, epochs: int = 0, n_train: int = 0) -> dict[str, list[zoo.ModelSpec]]:
    """The chapter's CIFAR-10 model families over ``n_seeds`` seeds (the zoo's recipes)."""
    checks.seeds_for_ci("n_seeds", n_seeds)
    for f in checks.non_empty_list("families", families):
        checks.one_of("family", f, FAMILIES)
    if epochs:
        checks.positive_int("epochs", epochs)
    return {f: zoo.seeds_of(f, n_seeds, dataset="cifar10", epochs=epochs or None, n_train=n_train or None)
            for f in families}


def catdog_specs(n_seeds: int, epochs: int = 0, n_train: int = 0) -> list[zoo.ModelSpec]:
    """Two-class networks trained on CIFAR-10's cats and dogs only (the small ResNet's recipe)."""
    checks.seeds_for_ci("n_catdog_seeds", n_seeds)
    return zoo.seeds_of("resnet", n_seeds, dataset="cifar10", classes=CATDOG, epochs=epochs or None,
                        n_train=n_train or None)


def answers(models, kind: str, n: int, brightnesses, seed: int) -> dict[float, np.ndarray]:
    """Every model's answers to the same ``n`` CIFAR-10-shaped images of ``kind`` at each brightness, cached."""
    return noise.cached_answers(models, kind, n, brightnesses, seed, "cifar10")


def favourite_table(answers: np.ndarray, rows: dict[str, list[int]], models, classes) -> pd.DataFrame:
    """Per family: the favourite class of noise (pooled over seeds), how many seeds share it, the
    share of noise it gets and the share of "bird", each with a 95% t-interval over seeds."""
    bird = classes.index("bird")
    out = []
    for family, r in rows.items():
        fav = int(np.bincount(answers[r].ravel(), minlength=len(classes)).argmax())
        per_seed = [int(np.bincount(answers[i], minlength=len(classes)).argmax()) for i in r]
        share = stats.seed_ci([(answers[i] == fav).mean() for i in r], bounds=(0, 1))
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


# ---------------------------------------------------------------------------------------------
# Along training

def _trajectory_job(spec: zoo.ModelSpec, kinds, n: int):
    ds = data.load("cifar10")
    images = {k: noise.generate(k, n, ds, seed=11) for k in kinds}
    shares = []

    def record(epoch, m):
        m.eval()
        shares.append(np.stack([stats.class_shares(train.predict_logits(m, x).argmax(1).numpy(), ds.n_classes)
                                for x in images.values()]))

    weights, rec = zoo.train_spec(spec, on_epoch_end=record)
    return np.stack(shares), weights, rec


def trajectory(seed: int, kinds, n: int, epochs: int = 0, n_train: int = 0) -> np.ndarray:
    """The share of each class in the answers to noise of each kind after every epoch of one
    airnet run: (epochs, kinds, classes), cached. The run is the zoo's model of that seed (trained
    in a one-thread worker like the zoo's, and stored in the zoo's cache if it is not there yet)."""
    spec = zoo.ModelSpec("airnet", dataset="cifar10", seed=seed, epochs=epochs or None, n_train=n_train or None)
    key = results.cache_key("trajectory", (noise, zoo, train), model=spec.key, kinds=list(kinds), n=n)
    if results.is_cached(key):
        return results.cached_array(key, None)
    with parallel.pool(1) as executor:
        shares, weights, rec = executor.submit(_trajectory_job, spec, list(kinds), n).result()
    if zoo.record(spec) is None:
        zoo.store(spec, weights, rec)
    return results.cached_array(key, lambda: shares)


# ---------------------------------------------------------------------------------------------
# Class-mean features and the spanning tree

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


def noise_next_to(tree_table: pd.DataFrame, centring: str, names, target: str = "bird") -> tuple[int, int]:
    """(models whose tree links noise to ``target``, models)."""
    sub = tree_table[tree_table.centring == centring]
    return int(sum(target in n.split(", ") for n in sub["noise neighbours"])), len(sub)


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float, float]:
    """A share k/n with its Wilson 95% interval (models are independent seeds)."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


# ---------------------------------------------------------------------------------------------
# The cat/dog network

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


# ---------------------------------------------------------------------------------------------
# Clutter

def image_clutter(per_class: int = 500) -> pd.DataFrame:
    """Image-space clutter of ``per_class`` test images of every class: one row per image with
    its class and every measure of ``features.IMAGE_MEASURES``. Cached."""
    ds = data.load("cifar10")
    key = results.cache_key("image_clutter", (features,), per_class=per_class)

    def compute():
        y = ds.y_test.numpy()
        idx = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(ds.n_classes)])
        x = ds.x_test[idx].numpy()
        cols = [y[idx].astype(float), idx.astype(float)] + [fn(x).astype(float) for fn in features.IMAGE_MEASURES.values()]
        return np.stack(cols, 1)

    arr = results.cached_array(key, compute)
    table = pd.DataFrame(arr, columns=["class", "index"] + list(features.IMAGE_MEASURES))
    table[["class", "index"]] = table[["class", "index"]].astype(int)
    return table


def feature_clutter(model, n_per_class: int) -> pd.DataFrame:
    """Feature-space clutter of every class for one model (``features.feature_clutter`` on the
    penultimate features of ``n_per_class`` test images per class). Cached."""
    ds = data.load("cifar10")
    key = results.cache_key("feature_clutter", (features, zoo), model=model.spec.key, n_per_class=n_per_class)

    def compute():
        y = ds.y_test.numpy()
        idx = np.concatenate([np.flatnonzero(y == c)[:n_per_class] for c in range(ds.n_classes)])
        f = features.extract(model, ds.x_test[idx])
        return np.stack(list(features.feature_clutter(f, y[idx], ds.n_classes).values()), 1)

    return pd.DataFrame(results.cached_array(key, compute), columns=["within_between", "spread_ratio",
                                                                     "participation_ratio", "two_nn"])


# Which way is "more cluttered" for each measure: +1 if larger values mean more clutter.
CLUTTER_SIGN = {"within_between": 1, "spread_ratio": 1, "participation_ratio": 1, "two_nn": 1,
                "spectral_slope": 1, "high_frequency_share": 1, "edge_density": 1, "png_bytes": 1}


def clutter_by_class(models, image_table: pd.DataFrame, n_per_class: int) -> pd.DataFrame:
    """One row per (model, class): every feature-space measure of that model and every image-space
    measure (the class mean over its images, the same for every model)."""
    image_means = image_table.groupby("class")[list(features.IMAGE_MEASURES)].mean()
    parts = []
    for m in models:
        t = feature_clutter(m, n_per_class)
        t["model"], t["family"], t["class"] = m.spec.label, m.spec.arch, range(len(t))
        parts.append(t.join(image_means, on="class"))
    return pd.concat(parts, ignore_index=True)


def clutter_correlations(clutter: pd.DataFrame, shares: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per clutter measure: Spearman's ρ across the ten classes between the measure (signed so that
    larger = more cluttered) and the share of noise a model sends to each class, per model; mean
    and 95% t-interval over models (with 10 classes per model a single ρ is very uncertain)."""
    from scipy.stats import spearmanr

    share_of = {label: s for label, s in shares.items()}
    rows = []
    for measure, sign in CLUTTER_SIGN.items():
        rhos = []
        for label, sub in clutter.groupby("model", sort=False):
            rho = spearmanr(sign * sub[measure].to_numpy(), share_of[label]).statistic
            if rho == rho:
                rhos.append(rho)
        m, lo, hi = stats.seed_ci(rhos, bounds=(-1, 1)) if rhos else (np.nan, np.nan, np.nan)
        rows.append({"measure": measure, "rho": m, "lo": lo, "hi": hi, "models": len(rhos)})
    return pd.DataFrame(rows)


def most_cluttered(clutter: pd.DataFrame, classes) -> pd.DataFrame:
    """Per measure: the most cluttered class by the mean over models, and bird's rank (1 = most)."""
    rows = []
    for measure, sign in CLUTTER_SIGN.items():
        mean = clutter.groupby("class")[measure].mean() * sign
        order = list(mean.sort_values(ascending=False).index)
        rows.append({"measure": measure, "most cluttered": classes[order[0]],
                     "bird's rank": order.index(classes.index("bird")) + 1})
    return pd.DataFrame(rows)


def per_image_prediction(model, image_table: pd.DataFrame, target: int) -> dict[str, float]:
    """Across test images, Spearman's ρ between an image's spectral slope (and edge density) and
    the model's probability for class ``target`` (the class noise goes to)."""
    from scipy.stats import spearmanr

    ds = data.load("cifar10")
    p = torch.softmax(train.predict_logits(model, ds.x_test[image_table["index"].to_numpy()]), 1)[:, target].numpy()
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


def sweep(models, kinds, brightnesses, n: int, seed: int) -> np.ndarray:
    """``noise.cached_sweep`` of the chapter's models: (kinds, brightnesses, models, n) uint8."""
    return noise.cached_sweep(models, kinds, brightnesses, n, seed, "cifar10")


def extreme_images(image_table: pd.DataFrame, measure: str, k: int = 6) -> np.ndarray:
    """Per class: its ``k`` test images with the highest ``measure``, a blank, its ``k`` lowest —
    uint8 tiles, class by class (for ``figures.image_grid`` with 2k + 1 columns)."""
    ds = data.load("cifar10")
    blank = np.full((1, *ds.shape), 255, np.uint8)
    tiles = []
    for c in range(ds.n_classes):
        sub = image_table[image_table["class"] == c].sort_values(measure)
        top, bottom = sub["index"].to_numpy()[::-1][:k], sub["index"].to_numpy()[:k]
        tiles += [ds.x_test[i].numpy() for i in top] + [blank[0]] + [ds.x_test[i].numpy() for i in bottom]
    return np.stack(tiles)


# ---------------------------------------------------------------------------------------------
# Wording chosen from the numbers

def favourite_clause(fav: pd.DataFrame) -> str:
    parts = []
    for family, r in fav.iterrows():
        agreeing = int(r["seeds with that favourite"])
        who = "every seed agrees" if agreeing == r.seeds else f"{agreeing} of {int(r.seeds)} seeds agree"
        parts.append(f"{family} sends {report.with_ci(r.share, r.share_lo, r.share_hi, digits=0)} of the noise to "
                     f"\"{r.favourite}\" ({who} on it) and {report.with_ci(r.bird, r.bird_lo, r.bird_hi, digits=0)} "
                     f"to \"bird\"")
    same = fav.favourite.nunique() == 1
    return ("; ".join(parts) + ". " + ("Both families have the same favourite." if same and len(fav) > 1 else
                                       "The families do not share their favourite." if len(fav) > 1 else ""))


def tree_clause(tree_table: pd.DataFrame, next_to: dict) -> str:
    k_u, n_u = next_to["uncentred"]
    k_c, n_c = next_to["centred"]
    common = tree_table[tree_table.centring == "uncentred"]["noise neighbours"].str.split(", ").explode().value_counts()
    return (f"With uncentred features, noise is joined to \"bird\" in {k_u} of {n_u} trees; its most frequent neighbour "
            f"is \"{common.index[0]}\" ({common.iloc[0]} of {n_u}). With centred features, noise is joined to \"bird\" "
            f"in {k_c} of {n_c} trees.")


def clutter_clause(top: pd.DataFrame, correlations: pd.DataFrame) -> str:
    bird_first = top[top["bird's rank"] == 1].measure.tolist()
    positive = correlations[correlations.lo > 0].measure.tolist()
    first = (f"\"Bird\" is the most cluttered class by {len(bird_first)} of {len(top)} measures"
             + (f" ({', '.join(bird_first)})" if bird_first else "") + ".")
    second = (f" The share of noise a class receives rises with its clutter, beyond the spread over models, for "
              f"{', '.join(positive)}." if positive else
              " No measure's correlation with the share of noise a class receives is positive beyond the spread over models.")
    return first + second


def per_image_clause(rhos: dict[str, float], target: str, model: str) -> str:
    strength = lambda r: "hardly" if abs(r) < 0.1 else ("weakly" if abs(r) < 0.3 else "clearly")
    return (f"For {model}, the probability of \"{target}\" correlates {strength(rhos['spectral_slope'])} with an image's "
            f"spectral slope (Spearman ρ {rhos['spectral_slope']:.2f}) and {strength(rhos['edge_density'])} with its "
            f"edge density (ρ {rhos['edge_density']:.2f}), over the test images measured.")


def logit_clause(logits: pd.DataFrame, target: str) -> str:
    row = logits.set_index("class")
    by_w = row["W·h̄"].idxmax()
    by_b = row["b"].idxmax() if row["b"].abs().max() > 0 else None
    by_cos = row["cos(h̄, class mean)"].idxmax()
    by_centre = row["distance of class mean to global mean"].idxmin()
    ratio = row["noise feature norm / test feature norm"].iloc[0]
    return (f"the mean noise feature alone gives its largest logit to \"{by_w}\" "
            + (f"(the biases favour \"{by_b}\")" if by_b else "(the head has no bias)")
            + f"; it points most nearly towards the mean feature of \"{by_cos}\"; the class mean closest to the global "
              f"mean is \"{by_centre}\"; noise features are {ratio:.2f} times as long as test features. The noise's "
              f"favourite is \"{target}\".")


def summary_finding(fav: pd.DataFrame, next_to: dict, cd_ci: dict, top: pd.DataFrame) -> str:
    bird = [f for f, r in fav.iterrows() if r.favourite == "bird"]
    first = (f"Noise goes to \"bird\" for {', '.join(bird)}" if bird else
             "Noise does not go to \"bird\": " + ", ".join(f"{f} prefers \"{r.favourite}\"" for f, r in fav.iterrows()))
    k, n = next_to["uncentred"]
    bird_first = int((top["bird's rank"] == 1).sum())
    return (f"{first}. The spanning tree joins noise to \"bird\" in {k} of {n} models. The cat/dog networks call "
            f"{report.with_ci(*cd_ci['noise → cat'], digits=0)} of noise \"cat\". \"Bird\" is the most cluttered class by "
            f"{bird_first} of {len(top)} measures of clutter.")


def verdict_table(fav: pd.DataFrame, next_to: dict, cd_ci: dict, top: pd.DataFrame, n_catdog: int) -> pd.DataFrame:
    """Each claim of the CIFAR-10 question beside our numbers, with the book's rules; the claims
    about the source's 93% network are tested on the most accurate family, gated on its accuracy."""
    best = fav.accuracy.idxmax()
    r = fav.loc[best]
    n = int(r.seeds)
    gate = lambda v: stats.gated(v, r.accuracy, SOURCE_ACCURACY)
    out = [
        report.verdict_row(f"noise goes to \"bird\" ({best}: share called bird)", "nearly all", (r.bird, r.bird_lo, r.bird_hi),
                    0.5, 1.0, "share CI above 50%; not tested below the source's accuracy", n,
                    verdict=gate(stats.verdict_band((r.bird_lo, r.bird_hi), 0.5, 1.0))),
        report.verdict_row(f"nearly all noise goes to one class ({best}: its favourite's share)", "nearly all",
                    (r.share, r.share_lo, r.share_hi), 0.9, 1.0, "share CI inside [90%, 100%]", n,
                    verdict=gate(stats.verdict_band((r.share_lo, r.share_hi), 0.9, 1.0))),
    ]
    for centring in ("uncentred", "centred"):
        k, m = next_to[centring]
        est = wilson(k, m)
        out.append(report.verdict_row(f"the spanning tree puts noise next to bird ({centring} features, share of models)",
                               "yes", est, 0.5, 1.0, "Wilson CI of the share of models above 50%", m))
    cd_gate = lambda ci, low, high: stats.gated(stats.verdict_band(ci[1:], low, high), cd_ci["accuracy"][0],
                                                 CATDOG_ACCURACY)
    gate_rule = f"; not tested below {CATDOG_ACCURACY:.0%} cat/dog accuracy"
    out += [
        report.verdict_row("a cat/dog network calls all noise \"cat\"", "100%", cd_ci["noise → cat"], 0.9, 1.0,
                           "share CI inside [90%, 100%]" + gate_rule, n_catdog,
                           verdict=cd_gate(cd_ci["noise → cat"], 0.9, 1.0)),
        report.verdict_row("…and over 70% of the other classes \"cat\"", "> 70%", cd_ci["others → cat"], 0.7, 1.0,
                           "mean share CI above 70%" + gate_rule, n_catdog, verdict=cd_gate(cd_ci["others → cat"], 0.7, 1.0)),
        report.verdict_row("…and 72% of horses \"dog\"", "72%", cd_ci["horse → dog"], 0.62, 0.82,
                           "share CI inside [62%, 82%]" + gate_rule, n_catdog,
                           verdict=cd_gate(cd_ci["horse → dog"], 0.62, 0.82)),
    ]
    k = int((top["bird's rank"] == 1).sum())
    verdict = (stats.REPRODUCED if k == len(top) else stats.NOT_REPRODUCED if k <= len(top) / 2 else stats.INCONCLUSIVE)
    out.append({**report.verdict_row("\"bird\" is the most cluttered class (measures that rank it first)", "yes",
                              (k / len(top),) * 3, 1.0, 1.0, "all measures: reproduced; half or fewer: not reproduced",
                              len(top), verdict=verdict), "ours": f"{k} of {len(top)} measures"})
    return pd.DataFrame(out)
