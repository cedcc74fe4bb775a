"""Chapter 4, "Why noise looks like a bird": the CIFAR-10 question (a ResNet18 at ~93% sends
nearly all Gaussian noise to "bird"; class-mean features and their minimum spanning tree put
noise next to bird; a cat/dog network calls all noise "cat") asked of our CIFAR-10 networks
(``experiments``), the asker's hypothesis — "bird" is the most cluttered class — measured
(``clutter``), and a verdict per claim (``claims``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import checks, data, features, figures, noise, report, stats, zoo
from ..chapter import COUNT, SEED, SEEDS, Result, TrainingParams, cached_run, param
from . import claims, clutter
from .experiments import (FAMILIES, NOISE, answers, catdog_specs, catdog_table, class_means, class_shares, consensus,
                          favourite_table, logit_decomposition, noise_next_to, per_image_prediction, specs, sweep,
                          trajectory, trees)

NAME = "cifar_bird"
TRAJECTORY_KINDS = ("gaussian", "uniform", "colored:alpha2")  # the kinds followed along training, where swept
TREE_NOISE = 2000             # at most this many of the Gaussian images join the class means as "noise"
CATDOG_SHARES = ("noise → cat", "others → cat", "horse → dog", "accuracy")


@dataclass(frozen=True)
class Params(TrainingParams):
    cifar_archs: tuple[str, ...] = param(FAMILIES, "CIFAR-10 architectures (model families)")
    cifar_seeds: int = param(3, "seeds per CIFAR-10 architecture (at least 2)", SEEDS)
    catdog_seeds: int = param(5, "seeds of the two-class cat/dog network (at least 2)", SEEDS)
    n_noise: int = param(5000, "Gaussian-noise images with CIFAR-10's mean and std (the source's 5,000)", COUNT)
    n_sweep: int = param(500, "noise images per cell of the noise-kind x brightness sweep", COUNT)
    kinds: tuple[str, ...] = param(["gaussian", "uniform", "colored:alpha0", "colored:alpha1", "colored:alpha2",
                                    "blurred", "shuffled", "gaussian:grey", "uniform:grey"],
                                   "noise kinds of the sweep")
    brightnesses: tuple[float, ...] = param([0.25, 0.5, 0.75, 1.0],
                                            "brightness (contrast) levels of the sweep, in (0, 1]")
    n_per_class: int = param(1000, "test images per class whose penultimate features are averaged", COUNT)
    n_clutter: int = param(500, "test images per class whose image-space clutter is measured", COUNT)
    n_trajectory: int = param(1000, "noise images per kind asked after every epoch of one airnet run", COUNT)
    seed: int = param(0, "seed of the noise images", SEED)

    def check(self):
        for family in checks.non_empty_list("cifar_archs", self.cifar_archs):
            checks.one_of("family", family, FAMILIES)
        noise.check_grid(self.kinds, self.brightnesses)


def run(p: Params) -> Result:
    """The chapter: favourite classes, pairs, sweep, trajectory, spanning trees, cat/dog, clutter."""
    return cached_run(NAME, p, _compute)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    classes = list(data.load("cifar10").classes)
    # The run along training first, on the last seed: where no earlier chapter trained that seed
    # (a small profile's zoo chapter trains the first), this run is the zoo's network, trained once.
    kinds = [k for k in TRAJECTORY_KINDS if k in p.kinds] or list(p.kinds[:1])
    along = trajectory(p.cifar_seeds - 1, kinds, p.n_trajectory, p.epochs, p.n_train)
    z = zoo.load_groups(specs(p.cifar_archs, p.cifar_seeds, p.epochs, p.n_train))
    catdog = zoo.load_groups({"cat/dog": catdog_specs(p.catdog_seeds, p.epochs, p.n_train)})
    gauss = answers(z.models, "gaussian", p.n_noise, [1.0], p.seed)[1.0]
    fav = r.table("cifar_favourites", favourite_table(gauss, z.rows, z.models, classes))
    r.text.update(n_models=f"{len(z.models)}", n_families=f"{len(z.rows)}", n_noise=f"{p.n_noise:,}",
                  n_catdog=f"{len(catdog.models)}", source_accuracy=report.pct(claims.SOURCE_ACCURACY, 1))
    r.figures["fig_cifar_shares"] = figures.class_share_bars(class_shares(gauss, z.rows), classes, "Gaussian")
    r.markdown["favourite_table"] = report.md_table(pd.DataFrame({
        "family": fav.index, "favourite": fav.favourite,
        "seeds with it": [f"{f['seeds with that favourite']} of {f.seeds}" for _, f in fav.iterrows()],
        "its share": [report.with_ci(f.share, f.share_lo, f.share_hi, digits=0) for _, f in fav.iterrows()],
        "share called bird": [report.with_ci(f.bird, f.bird_lo, f.bird_hi, digits=0) for _, f in fav.iterrows()],
        "test accuracy": [report.with_ci(f.accuracy, f.accuracy_lo, f.accuracy_hi, digits=2) for _, f in fav.iterrows()],
        "favourite per seed": fav["favourite per seed"]}))
    r.markdown["favourite_clause"] = claims.favourite_clause(fav)
    _pairs(r, z, gauss)
    _sweep_and_trajectory(r, p, z, classes, along, kinds)
    noise_images = noise.generate("gaussian", min(p.n_noise, TREE_NOISE), data.load("cifar10"), seed=p.seed)
    next_to = _spanning_trees(r, p, z, classes, noise_images)
    cd_ci = _catdog(r, catdog.models, noise_images)
    top = _clutter(r, p, z, gauss, classes)
    _logits(r, z, gauss, classes, noise_images)
    verdicts = r.table("cifar_verdicts", claims.verdict_table(fav, next_to, cd_ci, top, len(catdog.models)))
    r.markdown["verdict_table"] = report.verdict_markdown(verdicts, "cifar-verdict")
    r.markdown["summary_verdicts"] = report.verdict_lines(verdicts, "cifar-verdict")
    r.markdown["summary_finding"] = claims.summary_finding(verdicts)
    r.markdown["failed_note"] = zoo.Groups([], {}, {**z.failed, **catdog.failed}).failed_note()
    return r


def _pairs(r: Result, z: zoo.Groups, gauss: np.ndarray) -> None:
    """p_o, p_e and κ within and between the families, intervals over seeds."""
    families = list(z.rows)
    comparisons = {f"{a}–{b}" if b else f"{a}–{a}": (a, b, 1.0) for i, a in enumerate(families)
                   for b in [None] + families[i + 1:]}
    pairs = r.table("cifar_pair_summary", stats.pair_table({1.0: gauss}, z.rows, comparisons))
    r.markdown["pair_table"] = report.md_table(pd.DataFrame({
        "comparison": pairs.index,
        "p_o": [report.with_ci(q.p_o, q.p_o_lo, q.p_o_hi, digits=0) for q in pairs.itertuples()],
        "p_e": [report.with_ci(q.p_e, q.p_e_lo, q.p_e_hi, digits=0) for q in pairs.itertuples()],
        "κ": [report.with_ci(q.kappa, q.kappa_lo, q.kappa_hi, percent=False) for q in pairs.itertuples()]}))


def _sweep_and_trajectory(r: Result, p: Params, z: zoo.Groups, classes: list, along, kinds) -> None:
    """Every noise kind at every contrast, and the answers along one airnet's training (``along``:
    ``trajectory``'s shares for ``kinds``)."""
    r.text["n_sweep"] = f"{p.n_sweep:,}"
    r.figures["fig_cifar_sweep"] = figures.attractor_grid(sweep(z.models, p.kinds, p.brightnesses, p.n_sweep, p.seed + 1),
                                                          [m.spec.label for m in z.models], p.kinds, p.brightnesses,
                                                          classes)
    r.text.update(n_trajectory=f"{p.n_trajectory:,}", trajectory_seed=str(p.cifar_seeds - 1))
    r.figures["fig_cifar_trajectory"] = figures.trajectory(along, kinds, classes)


def _spanning_trees(r: Result, p: Params, z: zoo.Groups, classes: list, noise_images) -> dict:
    """Class-mean features with noise as an eleventh class, their spanning trees and consensus."""
    names = classes + [NOISE]
    means = {m.spec.label: class_means(m, p.n_per_class, noise_images) for m in z.models}
    tree_table = r.table("cifar_trees", trees(means, names))
    r.text["n_per_class"] = f"{p.n_per_class:,}"
    tree_figs = {f"{label} · {c}": (features.cosine_distance_matrix(means[label][c]), e)
                 for label, c, e in zip(tree_table.model, tree_table.centring, tree_table.edges)}
    r.figures["fig_cifar_tree"] = figures.spanning_trees(tree_figs, names)
    r.figures["fig_cifar_consensus"] = figures.consensus_heatmap(consensus(tree_table, "uncentred", len(names)), names,
                                                                 "uncentred")
    next_to = {c: noise_next_to(tree_table, c, names) for c in ("uncentred", "centred")}
    r.markdown["tree_clause"] = claims.tree_clause(tree_table, next_to)
    return {(f, c): noise_next_to(tree_table, c, names, family=f) for f in p.cifar_archs for c in ("uncentred", "centred")}


def _catdog(r: Result, catdog: list, noise_images) -> dict:
    """What the two-class cat/dog networks call noise, the other classes and horses."""
    cd = r.table("cifar_catdog", catdog_table(catdog, noise_images))
    others = [c for c in cd.columns if c.endswith("→ cat") and c != "noise → cat"]
    cd = cd.assign(**{"others → cat": cd[others].mean(1)})
    cd_ci = {c: stats.seed_ci(cd[c], bounds=(0, 1)) for c in list(CATDOG_SHARES) + others}
    r.text.update(catdog_noise=report.with_ci(*cd_ci["noise → cat"], digits=0),
                  catdog_others=report.with_ci(*cd_ci["others → cat"], digits=0),
                  catdog_horse=report.with_ci(*cd_ci["horse → dog"], digits=0))
    r.markdown["catdog_table"] = report.md_table(pd.DataFrame({
        "share": list(cd_ci), "mean (95% CI)": [report.with_ci(*v, digits=1) for v in cd_ci.values()]}))
    return cd_ci


def _clutter(r: Result, p: Params, z: zoo.Groups, gauss: np.ndarray, classes: list) -> pd.DataFrame:
    """Clutter of every class in image and feature space against the share of noise it receives."""
    images = clutter.image_clutter(p.n_clutter)
    by_class = r.table("cifar_clutter", clutter.clutter_by_class(z.models, images, p.n_per_class))
    model_shares = {m.spec.label: stats.class_shares(gauss[i], 10) for i, m in enumerate(z.models)}
    correlations = clutter.clutter_correlations(by_class, model_shares)
    top = clutter.most_cluttered(by_class, classes)
    table = top.merge(correlations, on="measure")
    r.text["n_clutter"] = f"{p.n_clutter:,}"
    r.markdown["clutter_table"] = report.md_table(pd.DataFrame({
        "measure": table.measure, "most cluttered": table["most cluttered"], "bird's rank": table["bird's rank"],
        "ρ with the share of noise": [report.with_ci(c.rho, c.lo, c.hi, percent=False) for c in table.itertuples()]}))
    r.figures["fig_cifar_clutter"] = figures.clutter_scatter(by_class, model_shares, list(clutter.CLUTTER_SIGN), classes)
    r.figures["fig_cifar_extremes"] = figures.image_grid(clutter.extreme_images(images, "edge_density"), classes,
                                                         cols=13, title="Most and least edgy test images per class")
    r.markdown["clutter_clause"] = claims.clutter_clause(top, correlations)
    _per_image(r, z, gauss, classes, images)
    return top


def _per_image(r: Result, z: zoo.Groups, gauss: np.ndarray, classes: list, images: pd.DataFrame) -> None:
    """How the first network's probability of its noise favourite follows an image's clutter."""
    first = z.models[z.rows[list(z.rows)[0]][0]]
    target = int(np.bincount(gauss[0], minlength=10).argmax())
    rhos = per_image_prediction(first, images, target)
    r.markdown["per_image_clause"] = claims.per_image_clause(rhos, classes[target], first.spec.label)


def _logits(r: Result, z: zoo.Groups, gauss: np.ndarray, classes: list, noise_images) -> None:
    """The first network's logits on noise split into weights, biases and feature directions."""
    first = z.models[z.rows[list(z.rows)[0]][0]]
    target = int(np.bincount(gauss[0], minlength=10).argmax())
    logits = r.table("cifar_logits", logit_decomposition(first, noise_images, classes))
    r.markdown["logit_table"] = report.md_table(logits.round(3))
    r.markdown["logit_clause"] = claims.logit_clause(logits, classes[target])
