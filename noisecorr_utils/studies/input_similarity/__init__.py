"""Chapter 3, "Input similarity as the network sees it" (Charpiat, Girard, Felardos & Tarabalka,
NeurIPS 2019): the gradient kernel k^C and the density N_S of digits and noise (``kernels``),
learning from noisy labels against the kernel vote (``labels``), the registration task
(``registration_task``), similarity enforcement (``enforcement_runs``) and a verdict per claim
(``claims``). Every expensive result is cached, keyed by the models' specs, the parameters and
the versions of the modules it uses."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import checks, figures, noise, registration, report, zoo
from ..chapter import COUNT, SEEDS, Result, TrainingParams, cached_run, param
from . import claims, enforcement_runs, kernels, labels, registration_task

NAME = "input_similarity"
# Glued links from the prose to the verdict rows: glue name -> the start of the claim.
LINKS = {"link_denoise": "networks denoise", "link_vote": "the network answers like", "link_reg": "registration error",
         "link_sigma": "the inherited noise grows", "link_repeats": "…and falls"}
# The numbers of the largest share of wrong labels that the prose quotes: glue name -> column, digits.
DENOISE_NUMBERS = {"acc_hi_noise": ("test accuracy", 1), "net_true_hi": ("network: true class on corrupted", 0),
                   "agree_hi": ("vote: agreement", 0), "agree_err_hi": ("vote: agreement on network errors", 0),
                   "pixel_err_hi": ("pixel: agreement on network errors", 0),
                   "untrained_err_hi": ("untrained: agreement on network errors", 0)}


@dataclass(frozen=True)
class Params(TrainingParams):
    n_reference: int = param(60000, "reference set S for the density: the first n training images", COUNT)
    n_test: int = param(10000, "test digits whose density is computed", COUNT)
    n_noise: int = param(2000, "noise images per kind and brightness whose density is computed", COUNT)
    brightnesses: tuple[float, ...] = param([0.25, 0.5, 1.0], "noise brightness levels, in (0, 1]")
    kinds: tuple[str, ...] = param(["uniform", "gaussian", "salt_and_pepper", "bernoulli", "correlated", "blurred",
                                    "shuffled"], "noise kinds")
    pool: int = param(5000, "training images searched for the most similar ones", COUNT)
    label_noise: tuple[float, ...] = param([0.0, 0.2, 0.4, 0.6],
                                           "shares of training labels replaced by one of the other nine classes")
    label_seeds: int = param(4, "seeds per label-noise level (at least 2)", SEEDS)
    n_vote: int = param(2000, "training images in the kernel vote of the denoising estimate", COUNT)
    eps: float = param(0.0001, "relative regularisation of K(x, x)")
    n_exact: int = param(100, "test digits on which the fast N_S is checked against the pairwise sum", COUNT)
    reg_sigmas: tuple[float, ...] = param([0.0, 1.0, 2.0, 4.0],
                                          "std (pixels) of the noise on registration targets; must include 0")
    reg_repeats: tuple[int, ...] = param([1, 2, 4], "times each training canvas appears with an independent noise "
                                                    "draw (at the largest sigma)")
    reg_n_train: int = param(10000, "training canvases per registration model", COUNT)
    reg_n_test: int = param(1000, "test canvases per registration model", COUNT)
    reg_n_queries: int = param(40, "test canvases whose k^C to every training canvas gives the readings of N", COUNT)
    reg_epochs: int = param(4, "training epochs per registration model (a multiple of every repeat count)", COUNT)
    reg_seeds: int = param(3, "registration pairs per setting (at least 2)", SEEDS)
    canvas: int = param(40, "side of the registration canvas in pixels (the digit is 28)")
    enforce_steps: int = param(150, "minibatches of the similarity-enforcement runs", COUNT)
    enforce_weights: tuple[float, ...] = param([0.1, 1.0], "weights of the enforcement term")
    enforce_seeds: int = param(5, "seeds per enforcement variant (at least 2)", SEEDS)

    def check(self):
        if not (isinstance(self.eps, (int, float)) and self.eps > 0):
            raise ValueError(f"eps={self.eps!r} must be a positive number")
        noise.check_grid(self.kinds, self.brightnesses)
        sigmas = checks.non_empty_list("reg_sigmas", self.reg_sigmas)
        if 0.0 not in sigmas or len(sigmas) < 2:
            raise ValueError(f"reg_sigmas={list(self.reg_sigmas)!r} must be a list holding 0 (the baseline) and at "
                             "least one sigma > 0")
        for sigma in sigmas:
            registration.check(sigma, self.canvas)
        for repeats in checks.non_empty_list("reg_repeats", self.reg_repeats):
            checks.positive_int("reg_repeats", repeats)
            if self.reg_epochs % repeats:
                raise ValueError(f"reg_epochs={self.reg_epochs} must be a multiple of every repeat count "
                                 f"(got {repeats})")
        weights = checks.non_empty_list("enforce_weights", self.enforce_weights)
        if not all(isinstance(w, (int, float)) and w > 0 for w in weights):
            raise ValueError(f"enforce_weights={list(self.enforce_weights)!r} must be a non-empty list of positive "
                             "weights")
        for share in checks.non_empty_list("label_noise", self.label_noise):
            checks.share("label_noise", share)


def run(p: Params) -> Result:
    """The chapter: similar images, densities, noisy labels, registration, enforcement, verdicts."""
    return cached_run(NAME, p, _compute)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    models = kernels.models(p.epochs, p.n_train)
    r.text.update(eps=f"{p.eps:g}", n_reference=f"{p.n_reference:,}", max_noise=report.pct(max(p.label_noise)),
                  n_label_seeds=f"{p.label_seeds}", n_vote=f"{p.n_vote:,}")
    same = _similar_images(r, p, models)
    exact_error = _densities(r, p, models)
    denoise = _noisy_labels(r, p)
    reg = _registration(r, p)
    effects = _enforcement(r, p)
    verdicts = r.table("similarity_verdicts", claims.verdict_table(
        exact_error, p.n_exact, same["LeNet"], same["pixel"], p.label_seeds, max(p.label_noise), denoise, reg,
        max(p.reg_sigmas), p.reg_seeds, effects, p.enforce_seeds))
    r.markdown["verdict_table"] = report.verdict_markdown(verdicts, "sim-verdict")
    r.markdown["summary_verdicts"] = report.verdict_lines(verdicts, "sim-verdict")
    for key, start in LINKS.items():
        r.markdown[key] = report.link("sim-verdict", verdicts, start)
    r.markdown["summary_finding"] = claims.summary_finding(verdicts)
    return r


def _similar_images(r: Result, p: Params, models: dict) -> dict:
    """The training images most similar to digits and noise, for the LeNet and in pixels."""
    q, q_names = kernels.queries(p.kinds, p.n_test)
    pixel = kernels.pixel_distances(q, p.pool)
    r.text["n_pool"] = f"{p.pool:,}"
    r.figures["fig_similar_lenet"] = figures.image_grid(
        kernels.similar_tiles(q, kernels.cross_kernel(models["LeNet"], q, p.pool, p.eps), pixel, p.pool), q_names,
        cols=15, title="LeNet: query | most similar for the network | nearest in pixels")
    clean_lenets = zoo.get_models(zoo.seeds_of("lenet", p.label_seeds, epochs=p.epochs, n_train=p.n_train))
    same = kernels.same_class_summary(models, clean_lenets, q, pixel, p.pool, p.eps)
    r.text.update(same_LeNet=report.with_ci(*same["LeNet"], digits=0), same_MLP=report.pct(same["MLP"]),
                  same_pixel=report.pct(same["pixel"]))
    return same


def _densities(r: Result, p: Params, models: dict) -> float:
    """N_S of test digits and noise: histograms, AUROCs, by class; the exactness check."""
    dens = {name: kernels.densities(m, p.n_reference, p.n_test, p.kinds, p.brightnesses, p.n_noise, p.eps)
            for name, m in models.items()}
    auroc = r.table("similarity_auroc", pd.concat([kernels.auroc_table(dens[name], p.kinds, p.brightnesses, name)
                                                   for name in models], ignore_index=True))
    auroc_pivot, auroc_numbers = kernels.auroc_summary(auroc, p.kinds, p.brightnesses)
    r.text.update(n_test_shown=f"{p.n_test:,}", n_noise_shown=f"{p.n_noise:,}")
    for name, m in models.items():
        r.figures[f"fig_density_{name.lower()}"] = figures.density_histograms(
            dens[name]["test"], {(k, b): dens[name]["noise", k, b] for k in p.kinds for b in p.brightnesses}, p.kinds,
            p.brightnesses, name)
        r.text[f"median_test_{name}"] = f"{np.median(dens[name]['test']):,.0f}"
        r.text[f"err_auroc_{name}"] = report.num(kernels.error_auroc(m, dens[name], p.n_test))
        r.text[f"auroc_u_{name}"] = report.num(auroc_numbers[name]["first"])
        r.text[f"auroc_min_{name}"] = report.num(auroc_numbers[name]["min"])
    exact_error = kernels.exactness(models["LeNet"], p.n_exact, p.eps)
    r.text.update(exact_error=f"{exact_error:.1e}", n_exact=f"{p.n_exact}")
    r.markdown["auroc_table"] = report.md_table(auroc_pivot)
    test_median, noise_median, noise_share, class_table = kernels.density_by_class(
        models["LeNet"], dens["LeNet"], p.kinds, p.brightnesses[-1], p.n_test, p.n_noise)
    r.table("similarity_density_by_class", class_table)
    r.figures["fig_density_class"] = figures.density_by_class(test_median, noise_median, noise_share, p.kinds,
                                                              range(10), "LeNet")
    top = class_table.iloc[0]
    r.text.update(fav_LeNet=f"{top['favourite class']}", fav_share_LeNet=report.pct(top["share"]),
                  fav_noise_ns_LeNet=f"{top['median N_S of that noise']:,.0f}",
                  fav_digit_ns_LeNet=f"{top['median N_S of test digits of that class']:,.0f}")
    return exact_error


def _noisy_labels(r: Result, p: Params) -> dict:
    """LeNets trained with wrong labels against the kernel vote, the untrained kernel and pixels."""
    denoise = r.table("similarity_denoising", labels.label_noise_table(p.label_noise, p.label_seeds, p.n_vote, p.eps,
                                                                        p.epochs, p.n_train))
    table, numbers = labels.denoise_summary(denoise, p.label_noise)
    r.markdown["denoise_table"] = report.md_table(table)
    for key, (column, digits) in DENOISE_NUMBERS.items():
        r.text[key] = report.with_ci(*numbers[column], digits=digits)
    r.markdown["vote_clause"] = labels.vote_clause(numbers["gap"])
    return numbers


def _registration(r: Result, p: Params) -> dict:
    """Paired registration networks: inherited noise against σ, repeats and the readings of N."""
    runs = registration_task.registration_runs(
        p.reg_sigmas, p.reg_repeats, p.reg_seeds, n_train=p.reg_n_train, n_test=p.reg_n_test,
        n_queries=p.reg_n_queries, epochs=p.reg_epochs, canvas=p.canvas, eps=p.eps)
    reg = r.table("similarity_registration", registration_task.registration_table(runs))
    top = max(p.reg_sigmas)
    rs = registration_task.registration_summary(reg, top)
    readings = list(registration.READINGS)
    r.figures["fig_registration"] = figures.registration_noise(reg, readings)
    r.figures["fig_readings"] = figures.ratio_bars(readings, list(rs["ratios"].values()),
                                                   "Inherited noise over the prediction of each reading of N",
                                                   "measured / predicted inherited noise")
    r.text.update(canvas=str(p.canvas), reg_seeds=str(p.reg_seeds), reg_n_train=f"{p.reg_n_train:,}",
                  reg_n_test=f"{p.reg_n_test:,}", reg_n_queries=str(p.reg_n_queries), reg_top=f"{top:g}",
                  reg_precise=registration_task.precision_clause(rs["ratio_top"]))
    unmeasured = {"ratio_top": "not measured (no σ > 0)",
                  "slope_sigma": "not measured (a slope needs two values of σ > 0)",
                  "slope_r": "not measured (a slope needs two repeat counts)"}
    for key, why in unmeasured.items():
        text = report.with_ci(*rs[key], percent=False)
        r.text[f"reg_{key}"] = why if text == report.DASH else text
    r.markdown["readings_clause"] = registration_task.readings_clause(rs["ratios"])
    return rs


def _enforcement(r: Result, p: Params) -> pd.DataFrame:
    """Training with the same-class similarity raised or lowered, against plain training."""
    curves = r.table("similarity_enforcement", enforcement_runs.enforcement_curves(p.enforce_weights, p.enforce_seeds,
                                                                                  p.enforce_steps))
    effects = enforcement_runs.enforcement_effects(curves)
    r.figures["fig_enforcement"] = figures.learning_curves(curves)
    es = enforcement_runs.enforcement_summary(curves, effects, p.enforce_weights)
    r.text.update(enforce_weights=", ".join(f"{w:g}" for w in p.enforce_weights), enforce_steps=f"{p.enforce_steps}",
                  enforce_seeds=f"{p.enforce_seeds}", cos_plain=report.num(es["plain"]),
                  cos_raise=report.num(es["raise"]), cos_lower=report.num(es["lower"]), w_top=f"{es['w_top']:g}")
    r.markdown["cos_clause"] = ("Each term moves the similarity the way its sign says" if es["ordered"] else
                                "The terms do not order the similarity as their signs say")
    r.markdown["enforce_effects"] = es["effects"]
    return effects
