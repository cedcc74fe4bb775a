"""Chapter 2, "How small networks answer white noise": the MNIST white-noise study repeated on
the zoo — answers to noise, agreement of every pair with its chance level and κ (intervals over
seeds), sweeps over noise kinds and brightness, a permutation null, confidence on noise, and a
verdict per claim of the study (``claims``; experiments in ``experiments``)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ... import checks, data, figures, noise, report, stats, train, zoo
from ..chapter import COUNT, SEED, SEEDS, Result, TrainingParams, cached_run, param
from . import claims, recipes
from .experiments import (accuracy_table, answers, attractor_shares, confidence_by_group, favourite_class, gallery,
                          groups, hein_table, histogram_tables, kappa_curves, kappa_matrices, pair_table,
                          permutation_table, representative_pairs, share_of_class, sweep)

NAME = "noise_mnist"
HEADLINE_BRIGHTNESS = (1.0, 0.5)   # the study's full and half brightness
GALLERY_LEVELS = (0.25, 0.5, 1.0)
# The comparisons drawn in the answer histogram and tested against the permutation null.
SHOWN = ("MLP–MLP", "LeNet–LeNet", "LeNet–MLP", "LeNet–VGG", "LeNet–AllCNN", "VGG–AllCNN",
         "LeNet·perm–LeNet·perm", "MLP·perm–MLP·perm")
CONFIDENCE_GROUPS = ("mlp", "lenet", "vgg", "allcnn", "lenet·perm", "mlp·perm")
HEIN_ALPHAS = (1, 1.25, 1.5, 2, 3, 5, 10, 20, 50, 100)  # the scales α of Hein et al.'s protocol
HEIN_IMAGES = 500                  # noise images of the confidence section used for it
CONFIDENCE_SEED = 7                # offset of the confidence section's noise seed from ``seed``
RECIPE_SEED = 20                   # offset of the recipe section's noise seeds from ``seed``
# Glued links from the prose to the verdict rows: glue name -> the start of the claim.
LINKS = {"link_mlp": "two MLPs agree", "link_lenet": "two LeNets agree", "link_share8": "90% of noise is called \"8\" (LeNet",
         "link_half": "at 50% brightness the \"8\" disappears (LeNet", "link_half_agree": "at 50% brightness two CNNs",
         "link_cnn_mlp": "CNN and MLP agree", "link_perm_acc": "CNNs on pixel-permuted",
         "link_perm": "pixel-permuted CNNs agree on only 21%, and that is not a matter of neuron count (LeNet width ×1)",
         "link_width": "pixel-permuted CNNs agree on only 21%, and that is not a matter of neuron count (LeNet width ×2)",
         "link_chance": "…compared with"}


@dataclass(frozen=True)
class Params(TrainingParams):
    cheap_seeds: int = param(20, "seeds of the cheap groups: MLP, LeNet and their pixel-permuted twins (at least 2)",
                             SEEDS)
    large_seeds: int = param(8, "seeds of VGG and AllCNN (at least 2)", SEEDS)
    width_seeds: int = param(6, "seeds of the narrower and wider LeNets, the neuron-count control (at least 2)", SEEDS)
    perm_cnn_seeds: int = param(5, "seeds of the double-width AllCNN with and without permuted pixels, the CNN "
                                   "that reaches the study's 98% on them (at least 2)", SEEDS)
    n_noise: int = param(10000, "uniform noise images for the headline claims", COUNT)
    n_sweep: int = param(1000, "noise images per cell of the noise-kind x brightness sweep", COUNT)
    brightnesses: tuple[float, ...] = param([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
                                            "noise brightness levels of the sweep, in (0, 1]")
    kinds: tuple[str, ...] = param(["uniform", "gaussian", "salt_and_pepper", "bernoulli", "correlated", "blurred",
                                    "shuffled"], "noise kinds of the sweep")
    n_boot_images: int = param(1000, "bootstrap resamples of the images (CI of one pair)", COUNT)
    n_perm: int = param(500, "permutations for the null distribution of kappa", COUNT)
    n_confidence: int = param(2000, "noise images and test digits per model in the confidence section", COUNT)
    recipes: tuple[str, ...] = param(train.RECIPE_NAMES, "training recipes compared in 'Is it the recipe?'")
    recipe_archs: tuple[str, ...] = param(["mlp", "lenet"], "architectures trained under every recipe")
    recipe_large_archs: tuple[str, ...] = param(["allcnn"], "architectures trained under the zoo's and the plain "
                                                            "recipe only (they cost most)")
    recipe_seeds: int = param(10, "seeds under the zoo's and the plain recipe (at least 2)", SEEDS)
    ablation_seeds: int = param(5, "seeds under every other recipe, and of the large architectures (at least 2)",
                                SEEDS)
    n_recipe_noise: int = param(2000, "noise images per kind and brightness in 'Is it the recipe?'", COUNT)
    seed: int = param(0, "seed of the noise images", SEED)

    def check(self):
        noise.check_grid(self.kinds, self.brightnesses)
        for recipe in checks.non_empty_list("recipes", self.recipes):
            checks.one_of("recipe", recipe, train.RECIPE_NAMES)
        if not {"zoo", "plain"} <= set(self.recipes):
            raise ValueError(f"recipes={list(self.recipes)!r} must hold 'zoo' and 'plain', the two ends every "
                             "ingredient is measured from")
        for arch in list(self.recipe_archs) + list(self.recipe_large_archs):
            checks.one_of("architecture", arch, claims.ARCHS)


def run(p: Params) -> Result:
    """The chapter: the zoo's groups, answers to noise, pairs, sweeps, null, confidence, verdicts."""
    return cached_run(NAME, p, _compute)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    mnist = data.load("mnist")
    z = zoo.load_groups(groups(p.cheap_seeds, p.large_seeds, p.width_seeds, p.epochs, p.n_train, p.perm_cnn_seeds))
    headline = answers(z, "uniform", p.n_noise, list(HEADLINE_BRIGHTNESS), p.seed)
    pairs = r.table("noise_pair_summary", pair_table(headline, z))
    verdicts = r.table("noise_verdicts", claims.verdict_table(headline, z))
    stable = r.table("noise_stability", claims.stability(headline, z))
    accuracy = r.table("noise_accuracy", accuracy_table(z))
    r.text.update(n_models=f"{len(z.models)}", n_groups=f"{len(z.rows)}", n_noise=f"{p.n_noise:,}",
                  n_seeds_cheap=f"{p.cheap_seeds}", mnist_mean=f"{mnist.mean[0]:.3f}",
                  bright_share=report.pct(data.bright_share("mnist"), 1))
    r.markdown["accuracy_table"] = report.md_table(pd.DataFrame({
        "group": accuracy.index, "seeds": accuracy.seeds.values,
        "test accuracy (95% CI)": [report.with_ci(a["test accuracy"], a.lo, a.hi, digits=2)
                                   for _, a in accuracy.iterrows()]}))
    for name, row in accuracy.iterrows():
        r.text[f"acc_{name.replace('·', '').replace('.', '')}"] = report.with_ci(row["test accuracy"], row.lo, row.hi,
                                                                                 digits=2)
    r.figures["fig_noise_gallery"] = figures.noise_gallery(gallery(p.kinds, GALLERY_LEVELS), p.kinds, None,
                                                           GALLERY_LEVELS)
    r.markdown["gallery_definitions"] = " ".join(f"*{k}*: {noise.DEFINITIONS[k]}." for k in p.kinds)
    _pairs_in_words(r, pairs, headline, z, verdicts)
    rep = representative_pairs(headline, z)
    _sweeps(r, p, z, rep)
    _null(r, p, headline[1.0], rep)
    _confidence(r, p, z)
    _recipes(r, p)
    r.markdown["verdict_table"] = report.verdict_markdown(verdicts, "noise-verdict")
    r.markdown["summary_verdicts"] = report.verdict_lines(verdicts, "noise-verdict")
    r.markdown["stability_table"] = report.md_table(stable.assign(stable=stable.stable.map({True: "stable",
                                                                                           False: "**unstable**"})))
    n_unstable = int((~stable.stable).sum())
    r.text["stability_clause"] = ("All verdicts agree between the halves." if n_unstable == 0 else
                                  f"{n_unstable} of {len(stable)} verdicts differ between the halves.")
    chance_share, top_kappa = claims.chance_and_top_kappa(pairs)
    r.markdown["chance_clause"] = report.chance_clause(chance_share, top_kappa)
    r.markdown["ensemble_clause"] = report.ensemble_clause(top_kappa)
    r.markdown["summary_finding"] = claims.summary_finding(verdicts)
    r.markdown["failed_note"] = z.failed_note()
    return r


def _pairs_in_words(r: Result, pairs: pd.DataFrame, headline: dict, z: zoo.Groups, verdicts: pd.DataFrame) -> None:
    """Every comparison's p_o, p_e and κ as text, the shares of "8", favourite classes and links."""
    for key, row in pairs.iterrows():
        slug = key.replace("–", "_").replace("·", "").replace(" ", "").replace("%", "").replace(".", "")
        r.text[f"po_{slug}"] = report.with_ci(row.p_o, row.p_o_lo, row.p_o_hi, digits=0)
        r.text[f"pe_{slug}"] = report.with_ci(row.p_e, row.p_e_lo, row.p_e_hi, digits=0)
        r.text[f"k_{slug}"] = report.kappa_text(row.kappa, row.kappa_lo, row.kappa_hi)
        r.text[f"lk_{slug}"] = report.landis_koch(row.kappa)
    lenet, mlp = z.rows["lenet"], z.rows["mlp"]
    r.text["share8"] = report.with_ci(*share_of_class(headline[1.0], lenet, 8), digits=0)
    r.text["share8_half"] = report.with_ci(*share_of_class(headline[0.5], lenet, 8), digits=0)
    r.text["share8_mlp"] = report.with_ci(*share_of_class(headline[1.0], mlp, 8), digits=0)
    classes = data.load("mnist").classes
    r.text["top_mlp"] = classes[favourite_class(headline[1.0], mlp)]
    r.text["top_lenet"] = classes[favourite_class(headline[1.0], lenet)]
    for key, start in LINKS.items():
        r.markdown[key] = report.link("noise-verdict", verdicts, start)


def _worked_example(r: Result, answers_shown, pair: tuple[int, int]) -> None:
    """p_o, p_e and κ of the representative LeNet pair, spelled out, on the images whose table
    the answer histogram first shows (so the numbers are its title's)."""
    a, b = answers_shown[pair[0]], answers_shown[pair[1]]
    ex = stats.agreement(a, b, 10)
    r.text.update(ex_n=f"{len(a):,}", ex_po=report.pct(ex.observed, 1), ex_po_num=f"{ex.observed:.3f}",
                  ex_pe_num=f"{ex.chance:.3f}", ex_pe=f"{ex.chance:.3f}", ex_kappa=report.num(ex.kappa, 3),
                  ex_pa8=report.pct((a == 8).mean(), 1), ex_pb8=report.pct((b == 8).mean(), 1))


def _sweeps(r: Result, p: Params, z: zoo.Groups, rep: dict) -> None:
    """Every noise kind at every brightness: the answer histogram, attractor map, κ matrix and curves."""
    answers_grid = sweep(z, p.kinds, p.brightnesses, p.n_sweep, p.seed + 1)
    shown = {name: rep[name] for name in SHOWN}
    names = [f"{name} (s{z.models[a].spec.seed}, s{z.models[b].spec.seed})" for name, (a, b) in shown.items()]
    u = p.kinds.index("uniform") if "uniform" in p.kinds else 0
    classes = data.load("mnist").classes
    r.figures["fig_answer_histogram"] = figures.answer_histogram(
        histogram_tables(answers_grid, shown), p.kinds, names, [f"{b:g}" for b in p.brightnesses], classes,
        state=[u, 1, len(p.brightnesses) - 1])
    r.text["n_sweep"] = f"{p.n_sweep:,}"
    r.text["ex_brightness"] = f"{p.brightnesses[-1]:g}"
    _worked_example(r, answers_grid[u][-1], rep["LeNet–LeNet"])   # the histogram's first state
    r.figures["fig_attractor_map"] = figures.attractor_map(attractor_shares(answers_grid, z), list(z.rows), p.kinds,
                                                           p.brightnesses, classes)
    r.figures["fig_kappa_matrix"] = figures.kappa_matrix(kappa_matrices(answers_grid, u), z.labels, p.brightnesses,
                                                         p.kinds[u])
    r.figures["fig_kappa_curves"] = figures.kappa_curves(kappa_curves(answers_grid, z), p.kinds, p.brightnesses)


def _null(r: Result, p: Params, answers_full, rep: dict) -> None:
    """κ of one representative pair per comparison against the permutation null."""
    null = r.table("noise_permutation_null", permutation_table(answers_full, {name: rep[name] for name in SHOWN},
                                                                p.n_boot_images, p.n_perm, p.seed))
    r.text.update(n_perm=f"{p.n_perm:,}", n_boot=f"{p.n_boot_images:,}")
    r.markdown["null_table"] = report.md_table(pd.DataFrame({
        "comparison": null.index, "p_o": null.p_o.map("{:.3f}".format).values,
        "p_e": null.p_e.map("{:.3f}".format).values,
        "κ (95% bootstrap CI)": [report.with_ci(n.kappa, n.kappa_lo, n.kappa_hi, percent=False, digits=3)
                                 for n in null.itertuples()],
        "null κ, 97.5th pct": null.null_975.map("{:.3f}".format).values,
        "p-value": [report.p_value(v, p.n_perm) for v in null.p], "MI (bits)": null.mi_bits.map("{:.3f}".format).values}))


def _confidence(r: Result, p: Params, z: zoo.Groups) -> None:
    """Max-softmax on noise and test digits, and Hein et al.'s scaled-noise protocol."""
    mnist = data.load("mnist")
    x_noise = noise.generate("uniform", p.n_confidence, mnist, 1.0, seed=p.seed + CONFIDENCE_SEED)
    conf_noise = confidence_by_group(z, CONFIDENCE_GROUPS, x_noise)
    conf_test = confidence_by_group(z, CONFIDENCE_GROUPS, mnist.x_test[:p.n_confidence])
    r.figures["fig_confidence"] = figures.confidence_histograms(conf_noise, conf_test, "uniform")
    r.text.update(n_confidence=f"{p.n_confidence:,}", conf_share=report.pct((conf_noise["lenet"] >= 0.99).mean()),
                  conf_share_test=report.pct((conf_test["lenet"] >= 0.99).mean()),
                  alpha_grid="{" + ", ".join(f"{a:g}" for a in HEIN_ALPHAS) + "}")
    hein = r.table("noise_hein_scale", hein_table(z, CONFIDENCE_GROUPS, x_noise[:HEIN_IMAGES], HEIN_ALPHAS))
    r.text["n_hein"] = f"{len(x_noise[:HEIN_IMAGES]):,}"
    r.markdown["hein_table"] = report.md_table(pd.DataFrame({
        "group": hein.group, "median α (95% CI)": [report.with_ci(h["median α"], h.lo, h.hi, percent=False)
                                                   for _, h in hein.iterrows()],
        "never": hein.never.map(report.pct)}))


def _recipes(r: Result, p: Params) -> None:
    """Is it the recipe? The chapter's architectures under every named recipe: agreement, favourite
    classes and the share of "8" per recipe, Hein's protocol per recipe, the study's claims under
    the plain recipe, and which ingredient moves each number most."""
    z = zoo.load_groups(recipes.specs(p.recipe_archs, p.recipe_large_archs, p.recipes, p.recipe_seeds,
                                      p.ablation_seeds, p.epochs, p.n_train))
    by_kind = recipes.answers(z, p.n_recipe_noise, p.seed + RECIPE_SEED)
    table = r.table("noise_recipes", recipes.recipe_table(z, by_kind, p.recipes))
    r.figures["fig_recipes"] = figures.recipe_bars(table)
    shown = table[(table.kind == "uniform")]
    r.markdown["recipe_table"] = report.md_table(pd.DataFrame({
        "architecture": shown.arch, "recipe": shown.recipe, "brightness": shown.brightness.map("{:g}".format),
        "seeds": shown.seeds, "test accuracy": [report.with_ci(t.accuracy, t.accuracy_lo, t.accuracy_hi, digits=2)
                                                for t in shown.itertuples()],
        "favourites (per seed)": shown.favourites,
        "own favourite's share": [report.with_ci(*v, digits=0) for v in
                                  shown[["favourite share", "favourite share_lo", "favourite share_hi"]].to_numpy()],
        "share of \"8\"": [report.with_ci(*v, digits=0) for v in
                            shown[["share of 8", "share of 8_lo", "share of 8_hi"]].to_numpy()],
        "p_o": [report.with_ci(t.p_o, t.p_o_lo, t.p_o_hi, digits=0) for t in shown.itertuples()],
        "p_e": [report.with_ci(t.p_e, t.p_e_lo, t.p_e_hi, digits=0) for t in shown.itertuples()],
        "κ": [report.with_ci(t.kappa, t.kappa_lo, t.kappa_hi, percent=False) for t in shown.itertuples()]}))
    x_noise = noise.generate("uniform", HEIN_IMAGES, data.load("mnist"), 1.0, seed=p.seed + CONFIDENCE_SEED)
    hein = r.table("noise_recipe_confidence", recipes.hein_by_recipe(z, x_noise, HEIN_ALPHAS))
    r.markdown["recipe_hein_table"] = report.md_table(pd.DataFrame({
        "architecture": hein.arch, "recipe": hein.recipe,
        "median α (95% CI)": [report.with_ci(h["median α"], h["median α_lo"], h["median α_hi"], percent=False)
                              for _, h in hein.iterrows()],
        "never": hein.never.map(report.pct),
        "clipped noise above 95% confidence": [report.with_ci(*v, digits=0) for v in
                                               hein[["above 95%", "above 95%_lo", "above 95%_hi"]].to_numpy()]}))
    plain = recipes.as_chapter_groups(z, "plain")
    uniform = by_kind["uniform"]
    verdicts = r.table("noise_recipe_verdicts", pd.DataFrame(claims.headline_rows(uniform, plain,
                                                                                   pair_table(uniform, plain))))
    r.markdown["recipe_verdict_table"] = report.verdict_markdown(verdicts, "recipe-verdict")
    r.markdown["recipe_sentences"] = "\n".join(f"- {line}" for line in recipes.recipe_sentences(table))
    r.text.update(n_recipe_models=f"{len(z.models)}", n_recipe_noise=f"{p.n_recipe_noise:,}",
                  plain_epochs=report.and_list(f"{e} for {a}" for a, e in train.PLAIN_EPOCHS.items()
                                               if a in (*p.recipe_archs, *p.recipe_large_archs)))
    r.markdown["recipe_failed_note"] = z.failed_note()


def explorer(r: Result):
    """The live explorer of the chapter's models (ipywidgets; None in a book build)."""
    from ... import explorer as live

    p = r.params
    z = zoo.load_groups(groups(p.cheap_seeds, p.large_seeds, p.width_seeds, p.epochs, p.n_train, p.perm_cnn_seeds))
    return live.noise_explorer(z.models, data.load("mnist"), kinds=p.kinds, n=p.n_sweep)
