"""Chapter 6, "What makes networks agree": a factorial zoo (architecture × training data × task;
``factorial``), the share of pairwise agreement on noise that each factor explains, every relation
between two networks that the book measures side by side (``pair_relations``), whether ensembles
of agreeing networks are useless, as the MNIST white-noise study concludes (``ensembles``), and a
verdict per claim (``claims``). Per-model outputs and the chapter's tables are cached
(``outputs``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import attacks, checks, figures, noise, report, zoo
from ..chapter import COUNT, SEED, SEEDS, Result, TrainingParams, cached_run, param
from . import claims, ensembles, factorial, pair_relations
from .outputs import cached

NAME = "synthesis"
MNIST_TEST = 10_000


@dataclass(frozen=True)
class Params(TrainingParams):
    setting_seeds: int = param(3, "seeds per setting of the factorial zoo (at least 2)", SEEDS)
    grid_archs: tuple[str, ...] = param(["mlp", "lenet"], "architectures crossed with every data setting and task")
    base_archs: tuple[str, ...] = param(["vgg", "allcnn"], "architectures on plain MNIST digits only")
    recipe_archs: tuple[str, ...] = param(["mlp", "lenet"], "architectures of grid_archs crossed with every setting "
                                                            "under the plain recipe too (the recipe as a factor)")
    kinds: tuple[str, ...] = param(["uniform", "gaussian"], "noise kinds of the κ matrix")
    brightnesses: tuple[float, ...] = param([1.0, 0.5], "noise brightnesses of the κ matrix")
    n_noise: int = param(5000, "noise images every model answers", COUNT)
    n_test: int = param(5000, "test images for errors, calibration and ensembles", COUNT)
    n_features: int = param(2000, "test images for the representations (CKA)", COUNT)
    n_probe: int = param(32, "probe digits for the gradient kernels", COUNT)
    n_attack: int = param(50, "attacked test images per network, for adversarial transfer", COUNT)
    attack_archs: tuple[str, ...] = param(["mlp", "lenet"], "architectures whose networks are attacked (the larger "
                                                            "CNNs' attacks are slow on a CPU)")
    max_iter: int = param(100, "L-BFGS iterations per solve", COUNT)
    n_bisections: int = param(6, "bisection steps of c after the first success", COUNT)
    n_boot_seeds: int = param(1000, "bootstrap replicates over seeds", COUNT)
    sizes: tuple[int, ...] = param([2, 3, 4, 5], "ensemble sizes of the slider")
    n_draws: int = param(30, "ensembles drawn per size and kind of diversity", COUNT)
    seed: int = param(0, "seed of the noise, the test images and the draws", SEED)

    def check(self):
        grid = factorial.cells(self.grid_archs, self.base_archs, self.recipe_archs)
        factorial.cells(self.attack_archs)
        noise.check_grid(self.kinds, self.brightnesses)
        for name in ("n_test", "n_features", "n_attack"):
            checks.at_most(name, getattr(self, name), MNIST_TEST, "test images")
        ensembles.check_sizes(self.sizes, grid, self.setting_seeds)

    def settings(self) -> dict:
        """The parameters the chapter's cached tables depend on, under the names their keys use."""
        return dict(kinds=list(self.kinds), brightnesses=list(self.brightnesses), n_noise=self.n_noise,
                    n_test=self.n_test, n_features=self.n_features, n_probe=self.n_probe, n_attack=self.n_attack,
                    max_iter=self.max_iter, n_bisections=self.n_bisections, attack_archs=list(self.attack_archs),
                    n_boot=self.n_boot_seeds, sizes=list(self.sizes), n_draws=self.n_draws, seed=self.seed)


def run(p: Params) -> Result:
    """The chapter: the factorial zoo, factors of κ, relations side by side, ensembles, verdicts."""
    return cached_run(NAME, p, _compute)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    grid = factorial.cells(p.grid_archs, p.base_archs, p.recipe_archs)
    z = zoo.load_groups(factorial.specs(grid, p.setting_seeds, p.epochs, p.n_train))
    cell_of = factorial.model_cells(z, grid)
    r.markdown["zoo_table"] = report.md_table(factorial.zoo_table(z, grid))
    r.text.update(n_models=f"{len(z.models)}", n_cells=f"{len(grid)}", n_seeds=f"{p.setting_seeds}")
    r.markdown["fractional"] = factorial.fractional_note(z, cell_of, p.grid_archs, p.base_archs, p.setting_seeds)
    answers = {(k, b): np.stack([q.argmax(1) for q in noise.cached_probabilities(z.models, k, p.n_noise, b, p.seed)])
               .astype(np.uint8) for k in p.kinds for b in p.brightnesses}
    headline = (p.kinds[0], max(p.brightnesses))
    effects, eights = _factors(r, p, z, cell_of, answers, headline)
    _relations(r, p, z, cell_of, answers[headline])
    kappa_gain, same = _ensembles(r, p, z, cell_of, answers[headline], headline)
    plain = [m.record["test_accuracy"] for m, c in zip(z.models, cell_of) if c.data == "MNIST" and c.task == "digits"]
    verdicts = r.table("synthesis_verdicts", claims.verdict_table(effects, eights, kappa_gain, same, p.setting_seeds,
                                                                  float(np.mean(plain))))
    r.markdown["summary_finding"] = claims.summary_finding(verdicts)
    r.markdown["failed_note"] = z.failed_note()
    r.markdown["verdict_table"] = report.verdict_markdown(verdicts, "syn-verdict")
    r.markdown["summary_verdicts"] = report.verdict_lines(verdicts, "syn-verdict")
    return r


def _factors(r: Result, p: Params, z: zoo.Groups, cell_of: list, answers: dict, headline: tuple):
    """κ of every comparable pair, the factors' effects and shares of its variance, the κ matrix,
    and the flat-brightness test of the "8"."""
    pairs = r.table("synthesis_pairs", cached("pairs", z, lambda: factorial.pair_frame(answers[headline], cell_of),
                                              p.settings()))
    effects = r.table("synthesis_factors", cached("effects", z, lambda: factorial.factor_effects(
        pairs, cell_of, p.n_boot_seeds, p.seed), p.settings()))
    shown = effects.assign(**{
        "effect on κ": [report.with_ci(m, lo, hi, percent=False)
                        for m, lo, hi in zip(effects.effect, effects.effect_lo, effects.effect_hi)],
        "share of variance": [report.with_ci(m, lo, hi, digits=0)
                              for m, lo, hi in zip(effects.share, effects.share_lo, effects.share_hi)],
        "JS same → different (bits)": [f"{report.num(a, 3)} → {report.num(b, 3)}"
                                       for a, b in zip(effects["JS same"], effects["JS different"])]})
    r.markdown["factor_table"] = report.md_table(shown[["effect on κ", "share of variance",
                                                        "JS same → different (bits)"]], index=True)
    r.markdown["factor_clause"] = claims.factor_clause(effects)
    r.text.update(n_pairs=f"{int((~pairs.degenerate & pairs.kappa.notna()).sum()):,}",
                  n_degenerate=f"{int(pairs.degenerate.sum()):,}",
                  headline_noise=f"{noise.LABELS.get(headline[0], headline[0])} at brightness {headline[1]:g}")
    matrices = {f"{k} noise at {b:g}": factorial.kappa_matrix(cached(
        f"pairs-{k}-{b:g}", z, lambda k=k, b=b: factorial.pair_frame(answers[(k, b)], cell_of), p.settings()),
        len(z.models)) for k in p.kinds for b in p.brightnesses}
    labels = [f"{c.label} · s{m.spec.seed}" for c, m in zip(cell_of, z.models)]
    r.figures["fig_syn_kappa"] = figures.kappa_by_factor(matrices, labels, {f: factorial.order_by(cell_of, f)
                                                                            for f in factorial.FACTORS})
    eights = {a: (factorial.share_of_eight(answers[headline], cell_of, "MNIST", a),
                  factorial.share_of_eight(answers[headline], cell_of, "flat brightness", a)) for a in p.grid_archs}
    r.markdown["eight_clause"] = claims.eight_clause(eights)
    return effects, eights


def _relations(r: Result, p: Params, z: zoo.Groups, cell_of: list, answers: np.ndarray) -> None:
    """Five relations between every two digit networks, their means by kind of pair and ranks."""
    def compute():
        attacked = [z.models[i] for i in pair_relations.comparable(cell_of) if cell_of[i].arch in p.attack_archs]
        adv = attacks.cached_attack(attacked, p.n_attack, p.seed, bisections=p.n_bisections, max_iter=p.max_iter)
        return pair_relations.relations_table(z, cell_of, answers, p.n_test, p.n_features, p.n_probe, adv, p.seed)

    rel = r.table("synthesis_relations", cached("relations", z, compute, p.settings()))
    rho = r.table("synthesis_rank_correlations", cached("rho", z, lambda: pair_relations.rank_correlations(
        rel, cell_of, p.n_boot_seeds, p.seed), p.settings()))
    r.markdown["rho_table"] = report.md_table(rho.assign(**{"Spearman ρ": [
        report.with_ci(m, lo, hi, percent=False) for m, lo, hi in zip(rho.rho, rho.lo, rho.hi)]})[["x", "y", "Spearman ρ"]])
    r.markdown["relation_means"] = report.md_table(rel.groupby("pair")[list(pair_relations.MEASURES)].mean().round(3),
                                                   index=True)
    r.figures["fig_syn_scatter"] = figures.measure_scatter(rel, pair_relations.MEASURES)
    r.markdown["relation_clause"] = claims.relation_clause(rho)
    skipped = sorted({c.arch for c in cell_of if pair_relations.reads_digits(c)} - set(p.attack_archs))
    r.markdown["attack_note"] = claims.attack_note(skipped)
    r.text.update(n_attack=f"{p.n_attack}", n_comparable=f"{len(pair_relations.comparable(cell_of))}")


def _ensembles(r: Result, p: Params, z: zoo.Groups, cell_of: list, answers: np.ndarray, headline: tuple):
    """What averaging pairs and larger ensembles gains, against the pair's agreement on noise."""
    ens = r.table("synthesis_pair_ensembles", cached("ensembles", z, lambda: ensembles.pair_ensembles(
        z, cell_of, answers, p.n_test, headline[0], p.n_noise, headline[1], p.seed), p.settings()))
    kappa_gain = r.table("synthesis_kappa_gain", cached("kappa-gain", z, lambda: ensembles.kappa_predicts_gain(
        ens, cell_of, p.n_boot_seeds, p.seed), p.settings()))
    r.figures["fig_syn_kappa_gain"] = figures.kappa_vs_gain(ens, ensembles.SCORE_NAMES)
    r.markdown["kg_table"] = report.md_table(kappa_gain.rename(index=ensembles.SCORE_NAMES).assign(**{
        "Spearman ρ (κ, gain)": [report.with_ci(m, lo, hi, percent=False)
                                 for m, lo, hi in zip(kappa_gain.rho, kappa_gain.lo, kappa_gain.hi)]})[
        ["Spearman ρ (κ, gain)"]], index=True)
    same = {"pair auroc": ensembles.seed_mean(ens, "pair AUROC by disagreement", "same setting", cell_of,
                                              bounds=(0, 1)),
            **{k: ensembles.seed_mean(ens, f"gain {k}", "same setting", cell_of) for k in ("auroc_confidence", "ece")}}
    r.markdown["ensemble_clause"] = claims.ensemble_clause(kappa_gain, same["pair auroc"])
    sized = r.table("synthesis_ensemble_sizes", cached("sizes", z, lambda: ensembles.ensemble_sizes(
        z, cell_of, p.sizes, p.n_test, headline[0], p.n_noise, headline[1], p.n_draws, p.seed), p.settings()))
    r.figures["fig_syn_sizes"] = figures.ensemble_gains(sized, ensembles.SCORE_NAMES)
    r.markdown["advice"] = ensembles.advice(sized, ensembles.SCORE_NAMES)
    return kappa_gain, same
