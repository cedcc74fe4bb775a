"""Chapter 5, "Intriguing properties, measured" (Szegedy et al., 2014): minimal adversarial
examples by box-constrained L-BFGS on the paper's networks and ours, their transfer across
hyper-parameters, architectures and disjoint training data against Gaussian noise of the same
size (``experiments``), single units against random directions (``units``), the link to the noise
answers of chapter 2, and a verdict per claim (``claims``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import attacks, checks, figures, report, zoo
from ..chapter import COUNT, SEED, SEEDS, Result, TrainingParams, cached_run, param
from . import claims, units
from .experiments import (TABLE1, TABLE3, ddn_check, link_correlation, link_table, mean_accuracy, off_diagonal, specs,
                          table1, transfer, transfer_matrix)

NAME = "adversarial"
MNIST_TEST = 10_000           # test digits that can be attacked or ranked
SHOWN_EXAMPLES = 8            # successful examples of the first FC100-100-10 shown beside their originals
UNITS_SEED = 1                # offset of the units section's test-image draw from ``seed``
AMPLIFY = 0.1                 # the disjoint-halves transfer also uses perturbations rescaled to this RMS


@dataclass(frozen=True)
class Params(TrainingParams):
    network_seeds: int = param(3, "seeds per network (at least 2)", SEEDS)
    n_attack: int = param(200, "test images attacked per model", COUNT)
    max_iter: int = param(100, "L-BFGS iterations per solve", COUNT)
    n_bisections: int = param(6, "bisection steps of c after the first success", COUNT)
    n_ddn: int = param(50, "attacked images per network checked against Foolbox's DDN attack", COUNT)
    n_random: int = param(300, "random directions compared with the units of a layer", COUNT)
    n_units_images: int = param(5000, "test images ranked by each unit and direction", COUNT)
    n_noise: int = param(5000, "uniform-noise images for the noise κ of the link section", COUNT)
    seed: int = param(0, "seed of the test images and targets", SEED)

    def check(self):
        checks.at_most("n_attack", self.n_attack, MNIST_TEST, "test images")
        checks.at_most("n_units_images", self.n_units_images, MNIST_TEST, "test images")


def run(p: Params) -> Result:
    """The chapter: Table 1, the DDN check, transfer, units vs directions, the link, verdicts."""
    return cached_run(NAME, p, _compute)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    z1 = zoo.load_groups(specs(TABLE1, p.network_seeds, p.epochs, p.n_train))
    z3 = zoo.load_groups(specs(TABLE3, p.network_seeds, p.epochs, p.n_train))
    adv = attacks.cached_attack(z1.models + z3.models, p.n_attack, p.seed, bisections=p.n_bisections,
                                max_iter=p.max_iter)
    t1 = r.table("adversarial_table1", table1(z1, adv))
    r.text.update(n_networks=f"{len(z1.rows)}", n_seeds=f"{p.network_seeds}", n_attack=f"{p.n_attack:,}",
                  n_bisections=f"{p.n_bisections}", source_accuracy=report.pct(claims.SOURCE_ACCURACY))
    shown = t1.assign(**{c: [report.with_ci(m, lo, hi, percent=c != "distortion", digits=3 if c == "distortion" else 1)
                             for m, lo, hi in zip(t1[c], t1[f"{c}_lo"], t1[f"{c}_hi"])]
                         for c in ("train error", "test error", "attack success", "distortion")})
    r.markdown["table1"] = report.md_table(shown[["paper test error", "test error", "train error", "attack success",
                                                  "paper distortion", "distortion"]].assign(
        **{"paper test error": [report.pct(v, 2) for v in t1["paper test error"]],
           "paper distortion": [report.num(v, 3) for v in t1["paper distortion"]]}), index=True)
    _examples(r, p, z1, adv)
    t2, t3, rates = _transfer(r, p, z1, z3, adv)
    xu, yu = attacks.test_images(p.n_units_images, p.seed + UNITS_SEED)
    unit_tables, gaps = units.units_by_network(p.network_seeds, p.epochs, p.n_train, xu, yu, p.n_random)
    r.figures["fig_adv_units"] = figures.unit_purity(unit_tables)
    r.text.update(n_random=f"{p.n_random}", n_units_images=f"{p.n_units_images:,}")
    r.markdown["units_clause"] = claims.units_clause(gaps)
    link = r.table("adversarial_link", link_table(z1, adv, p.n_noise, p.seed))
    r.figures["fig_adv_link"] = figures.transfer_vs_kappa(link)
    r.text["link_noise"] = f"{p.n_noise:,}"
    r.markdown["link_clause"] = claims.link_clause(link_correlation(link))
    verdicts = r.table("adversarial_verdicts", claims.verdict_table(t1, t2, t3, gaps, mean_accuracy(z3)))
    r.markdown["verdict_table"] = report.verdict_markdown(verdicts, "adv-verdict")
    r.markdown["summary_verdicts"] = report.verdict_lines(verdicts, "adv-verdict")
    r.markdown["summary_finding"] = claims.summary_finding(verdicts)
    r.markdown["failed_note"] = zoo.Groups([], {}, {**z1.failed, **z3.failed}).failed_note()
    return r


def _examples(r: Result, p: Params, z1: zoo.Groups, adv: dict) -> None:
    """The DDN check of the distortions, example images and the distortion histograms."""
    ddn = r.table("adversarial_ddn", ddn_check(z1, adv, p.n_ddn, p.seed))
    r.text["n_ddn"] = f"{p.n_ddn}"
    r.markdown["ddn_table"] = report.md_table(ddn.round(4), index=True)
    r.markdown["ddn_clause"] = claims.ddn_clause(ddn)
    x, _ = attacks.test_images(p.n_attack, p.seed)
    xa, ok, _, target = adv[z1.models[z1.rows["FC100-100-10"][0]].spec.key]
    show = np.flatnonzero(ok.numpy())[:SHOWN_EXAMPLES]
    r.figures["fig_adv_examples"] = figures.examples(x[show].numpy(), xa[show].numpy(),
                                                     [f"→ {int(t)}" for t in target[show]])
    r.figures["fig_adv_distortion"] = figures.distortion_histograms(
        {name: np.concatenate([adv[z1.models[i].spec.key][2].numpy() for i in rows]) for name, rows in z1.rows.items()})


def _transfer(r: Result, p: Params, z1: zoo.Groups, z3: zoo.Groups, adv: dict):
    """Transfer across networks (Table 2) and across disjoint training halves (Table 3)."""
    t2 = r.table("adversarial_transfer", transfer(z1, adv, p.seed))
    t3 = r.table("adversarial_halves", transfer(z3, adv, p.seed, amplify=AMPLIFY))
    r.figures["fig_adv_transfer"] = figures.transfer_heatmaps({k: transfer_matrix(t2, k) for k in dict.fromkeys(t2.kind)},
                                                              "Transfer across networks (the paper's Table 2)")
    r.figures["fig_adv_halves"] = figures.transfer_heatmaps({k: transfer_matrix(t3, k) for k in dict.fromkeys(t3.kind)},
                                                            "Transfer across disjoint training sets (Table 3)")
    rates = {k: off_diagonal(t2, k) for k in ("adversarial", "noise of the same size")}
    r.markdown["transfer_clause"] = claims.transfer_clause(rates, off_diagonal(t3, "adversarial"))
    return t2, t3, rates
