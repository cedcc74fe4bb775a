"""Chapter 6, "What makes networks agree": a factorial zoo (architecture × training data × task),
the share of pairwise agreement on noise that each factor explains, every relation between two
networks that the book measures side by side, and whether ensembles of agreeing networks are
useless, as the MNIST white-noise study concludes."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import torch

from .. import checks, features, noise, relations, report, results, similarity, stats, train, zoo
from . import adversarial

ARCHS = ("mlp", "lenet", "vgg", "allcnn")
# Training data: how the MNIST training set is changed (spec fields); the flaws of a training set
# are 20% wrong labels; "flat brightness" removes the ink-count cue behind the study's "8".
DATA = {"MNIST": {}, "permuted": {"permutation_seed": 0}, "half A": {"half": 0}, "half B": {"half": 1},
        "20% wrong labels": {"label_noise": 0.2}, "flat brightness": {"flat": True}}
# Tasks on the same kind of images: the ten digits, their parity, and Fashion-MNIST's ten classes.
TASKS = {"digits": {}, "even/odd": {"task": "parity"}, "clothes": {"dataset": "fashion_mnist"}}
FACTORS = ("architecture", "data", "task")
EIGHT_SHARE = 0.5  # the flat-brightness test needs plain networks that call most bright noise "8"
VERSION = 1


@dataclass(frozen=True)
class Cell:
    """One setting of the factorial zoo; its models differ only by seed."""

    arch: str
    data: str = "MNIST"
    task: str = "digits"

    def __post_init__(self):
        for factor, value, allowed in (("architecture", self.arch, ARCHS), ("data", self.data, DATA),
                                       ("task", self.task, TASKS)):
            check_level(factor, value, allowed)
        if self.task != "digits" and self.data != "MNIST":
            raise ValueError(f"data={self.data!r} with task={self.task!r}: other tasks are trained on MNIST only")

    @property
    def label(self) -> str:
        return " · ".join([self.arch] + [v for v in (self.data, self.task) if v not in ("MNIST", "digits")])

    @property
    def images(self) -> str:
        """The training data as a factor level: Fashion-MNIST's images for the clothes task."""
        return "Fashion-MNIST" if self.task == "clothes" else self.data

    def level(self, factor: str):
        return {"architecture": self.arch, "data": self.images, "task": self.task}[factor]

    def spec(self, seed: int, epochs: int = 0, n_train: int = 0) -> zoo.ModelSpec:
        fields = {**DATA[self.data], **TASKS[self.task]}
        return zoo.ModelSpec(arch=self.arch, seed=seed, epochs=epochs or None,
                             n_train=None if "half" in fields or not n_train else n_train, **fields)


def check_level(factor: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {factor} {value!r}; allowed: {', '.join(allowed)}")


def cells(grid_archs, base_archs=()) -> list[Cell]:
    """The zoo's cells: every architecture of ``grid_archs`` in every data setting and task, and
    those of ``base_archs`` on plain MNIST digits only (a fractional design: the expensive ones)."""
    for a in [*grid_archs, *base_archs]:
        check_level("architecture", a, ARCHS)
    out = [Cell(a, d) for a in grid_archs for d in DATA] + [Cell(a, "MNIST", t) for a in grid_archs
                                                             for t in TASKS if t != "digits"]
    return out + [Cell(a) for a in base_archs if a not in grid_archs]


def specs(cell_list, n_seeds: int, epochs: int = 0, n_train: int = 0) -> dict[str, list[zoo.ModelSpec]]:
    checks.seeds_for_ci("n_seeds", n_seeds)
    return {c.label: [c.spec(s, epochs, n_train) for s in range(n_seeds)] for c in cell_list}


def zoo_table(z: zoo.Groups, cell_list) -> pd.DataFrame:
    """Per setting: its factors, seeds, test accuracy (mean, 95% t-interval over seeds) and mean training seconds."""
    rows = []
    for c in cell_list:
        r = z.rows[c.label]
        m, lo, hi = stats.seed_ci([z.models[i].record["test_accuracy"] for i in r], bounds=(0, 1))
        rows.append({"setting": c.label, "architecture": c.arch, "data": c.images, "task": c.task, "seeds": len(r),
                     "test accuracy": report.with_ci(m, lo, hi, digits=1),
                     "training (s, mean)": round(float(np.mean([z.models[i].record["train_seconds"] for i in r])))})
    return pd.DataFrame(rows)


def fractional_note(z: zoo.Groups, cell_of: list, grid_archs, base_archs, n_seeds: int) -> str:
    """What the fractional design leaves out and what the full grid would cost, from the records."""
    missing = [a for a in base_archs if a not in grid_archs]
    if not missing:
        return "Every architecture is crossed with every setting."
    extra = (len(cells(["mlp"])) - 1) * n_seeds * len(missing)
    minutes = np.mean([m.record["train_seconds"] for m, c in zip(z.models, cell_of) if c.arch in missing]) * extra / 60
    cost = f"about {minutes:.0f} core-minutes" if minutes >= 1 else "under a core-minute"
    return (f"{' and '.join(missing)} {'appears' if len(missing) == 1 else 'appear'} on plain MNIST digits only: "
            f"crossing {'it' if len(missing) == 1 else 'them'} with every setting would take {extra} more models, "
            f"{cost} of training on this machine (the mean training time of the models here times the count). "
            f"Set `grid_archs` to include {'it' if len(missing) == 1 else 'them'} to run the full grid.")


def cached(name: str, z: zoo.Groups, compute, settings: dict) -> pd.DataFrame:
    """A table of the chapter, computed once for these models and ``settings`` (every notebook
    parameter it depends on) and read back on a warm run."""
    key = results.cache_key(f"synthesis-{name}", (noise, zoo, similarity, stats, relations, sys.modules[__name__]),
                            models=[m.spec.key for m in z.models], **settings)
    return results.cached_table(key, compute)


def model_cells(z: zoo.Groups, cell_list) -> list[Cell]:
    """The cell of every model of ``z`` (loaded with ``specs(cell_list, …)``)."""
    by_label = {c.label: c for c in cell_list}
    out = [None] * len(z.models)
    for label, rows in z.rows.items():
        for r in rows:
            out[r] = by_label[label]
    return out


# ---------------------------------------------------------------------------------------------
# What every model says: probabilities on noise and test images, features, gradient kernels

def _cached(what: str, model, compute, **parts) -> np.ndarray:
    key = results.cache_key(what, (noise, zoo, similarity, sys.modules[__name__]),
                            model=model.spec.key, **parts)
    return results.cached_array(key, compute)


def probabilities(model, x: torch.Tensor) -> np.ndarray:
    return torch.softmax(train.predict_logits(model, x).float(), 1).numpy().astype(np.float32)


def noise_probs(models, kind: str, n: int, brightness: float, seed: int) -> list[np.ndarray]:
    """Each model's class probabilities on the same ``n`` MNIST-shaped noise images (cached per model)."""
    noise.check(kind, brightness, n)
    x = None
    out = []
    for m in models:
        def compute(m=m):
            nonlocal x
            x = noise.generate(kind, n, "mnist", 1.0, seed) * brightness if x is None else x
            return probabilities(m, x)
        out.append(_cached("synthesis-noise", m, compute, kind=kind, n=n, brightness=float(brightness), seed=seed))
    return out


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


# ---------------------------------------------------------------------------------------------
# Pairs and the factors they share

def label_space(a: Cell, b: Cell) -> str | None:
    """Where the answers of two models can be compared: "digits" (10 classes), "parity" (a digit
    network's answer mapped to even/odd beside an even/odd network), "clothes"; None otherwise."""
    spaces = {a.task, b.task}
    if spaces == {"digits"}:
        return "digits"
    if spaces <= {"digits", "even/odd"}:
        return "parity"
    return "clothes" if spaces == {"clothes"} else None


def _in_space(answers: np.ndarray, cell: Cell, space: str) -> np.ndarray:
    return answers % 2 if space == "parity" and cell.task == "digits" else answers


def pair_frame(answers: np.ndarray, cell_of: list[Cell]) -> pd.DataFrame:
    """One row per comparable pair of models (``answers``: (models, n)): the label space, κ, p_o,
    p_e, the Jensen–Shannon divergence of their answer distributions (bits), whether either model
    is degenerate, and the 0/1 features "same architecture", "same data", "same task"."""
    rows = []
    for i, j in combinations(range(len(answers)), 2):
        a, b = cell_of[i], cell_of[j]
        space = label_space(a, b)
        if space is None:
            continue
        k = 2 if space == "parity" else 10
        xa, xb = _in_space(answers[i], a, space), _in_space(answers[j], b, space)
        ag = stats.agreement(xa, xb, k)
        rows.append({"i": i, "j": j, "A": a.label, "B": b.label, "space": space, "kappa": ag.kappa,
                     "p_o": ag.observed, "p_e": ag.chance,
                     "js_bits": relations.js_divergence(stats.class_shares(xa, k), stats.class_shares(xb, k)),
                     "degenerate": stats.degenerate(xa, k) or stats.degenerate(xb, k),
                     **{f"same {f}": int(a.level(f) == b.level(f)) for f in FACTORS}})
    return pd.DataFrame(rows)


def factor_effects(pairs: pd.DataFrame, cell_of: list[Cell], n_boot: int, seed: int = 0) -> pd.DataFrame:
    """``stats.factor_table`` of κ on the three "same …" features over the non-degenerate pairs,
    intervals from resampling each cell's seeds; beside it the mean JS divergence of pairs that
    share a factor and of pairs that do not."""
    ok = pairs[~pairs.degenerate & pairs.kappa.notna()]
    cell_ids = {c: k for k, c in enumerate(dict.fromkeys(cell_of))}
    table = stats.factor_table({f: ok[f"same {f}"].to_numpy() for f in FACTORS}, ok.kappa.to_numpy(),
                               ok[["i", "j"]].to_numpy(), [cell_ids[c] for c in cell_of], n_boot=n_boot, seed=seed)
    for f in FACTORS:
        same = ok[f"same {f}"] == 1
        table.loc[f, "JS same"], table.loc[f, "JS different"] = ok.js_bits[same].mean(), ok.js_bits[~same].mean()
        table.loc[f, "pairs same"], table.loc[f, "pairs different"] = int(same.sum()), int((~same).sum())
    return table


def kappa_matrix(pairs: pd.DataFrame, n_models: int) -> np.ndarray:
    """κ of every pair of ``pair_frame`` as a (models, models) matrix; NaN where not comparable."""
    out = np.full((n_models, n_models), np.nan)
    i, j = pairs.i.to_numpy(int), pairs.j.to_numpy(int)
    out[i, j] = out[j, i] = pairs.kappa.to_numpy(float)
    return out


def order_by(cell_of: list[Cell], factor: str) -> list[int]:
    """Model indices sorted by a factor's level (then by the others): the κ matrix's rows grouped."""
    check_level("factor", factor, FACTORS)
    rank = {f: {v: k for k, v in enumerate(dict.fromkeys(c.level(f) for c in cell_of))} for f in FACTORS}
    rest = [f for f in FACTORS if f != factor]
    return sorted(range(len(cell_of)), key=lambda i: (rank[factor][cell_of[i].level(factor)],
                                                      *(rank[f][cell_of[i].level(f)] for f in rest), i))


# ---------------------------------------------------------------------------------------------
# Every relation between two networks: the digit networks that see the same inputs

def reads_digits(cell: Cell) -> bool:
    """Whether a setting's networks read plain MNIST digits as digits (the flat-brightness
    networks see rescaled images, the other tasks other labels)."""
    return cell.task == "digits" and cell.data != "flat brightness"


def comparable(cell_of: list[Cell]) -> list[int]:
    """The models that every per-input relation and ensemble can compare (``reads_digits``)."""
    return [i for i, c in enumerate(cell_of) if reads_digits(c)]


def check_sizes(sizes, cell_list, n_seeds: int) -> None:
    """Every ensemble size a positive integer no larger than the digit networks the zoo will have."""
    available = sum(reads_digits(c) for c in cell_list) * n_seeds
    for size in sizes:
        checks.positive_int("size", size)
        if size > available:
            raise ValueError(f"ensemble size={size} is larger than the {available} models available; "
                             f"allowed: 1 to {available}")


def relations_table(z: zoo.Groups, cell_of: list[Cell], answers: np.ndarray, n_test: int, n_features: int,
                    n_probe: int, adv: dict, seed: int = 0) -> pd.DataFrame:
    """One row per pair of comparable digit networks: noise κ, error consistency κ on the test
    images (Geirhos et al., 2020), gradient-kernel correlation on probe digits (Charpiat et al.,
    2019), adversarial transfer (``_transfer`` of the examples in ``adv``, as in the adversarial
    chapter) and linear CKA of penultimate features (Kornblith et al., 2019)."""
    rows_ = comparable(cell_of)
    models = [z.models[r] for r in rows_]
    probs, labels = test_probs(models, n_test, seed)
    correct = [p.argmax(1) == y for p, y in zip(probs, labels)]
    feats = penultimate(models, n_features, seed)
    kern = kernels(models, n_probe, seed)
    fooled = {}
    if adv:
        x_adv, y_adv = adversarial.test_images(len(next(iter(adv.values()))[0]), seed)
    for a in models:
        if a.spec.key not in adv:
            continue
        xa, ok, _, _ = adv[a.spec.key]
        fooled[a.spec.key] = {b.spec.key: float((adversarial.said(b, xa[ok]) != y_adv[ok]).float().mean()) for b in models
                              if b is not a}
    out = []
    for (ia, i), (ib, j) in combinations(enumerate(rows_), 2):
        a, b = models[ia], models[ib]
        out.append({"i": i, "j": j, "A": cell_of[i].label, "B": cell_of[j].label,
                    "seed A": a.spec.seed, "seed B": b.spec.seed, "pair": pair_kind(cell_of[i], cell_of[j]),
                    "noise κ": stats.agreement(answers[i], answers[j], 10).kappa,
                    "error consistency": relations.error_consistency(correct[ia], correct[ib]),
                    "kernel correlation": relations.kernel_correlation(kern[ia], kern[ib]),
                    "adversarial transfer": _transfer(fooled, a.spec.key, b.spec.key),
                    "CKA": relations.linear_cka(feats[ia], feats[ib]),
                    **{f"same {f}": int(cell_of[i].level(f) == cell_of[j].level(f)) for f in FACTORS}})
    return pd.DataFrame(out)


def pair_kind(a: Cell, b: Cell) -> str:
    return "same setting" if a == b else "same architecture" if a.arch == b.arch else "different architectures"


def _transfer(fooled: dict, a: str, b: str) -> float:
    """The share of one network's examples that fool the other: both ways averaged where both were
    attacked, the one way where only one was, NaN where neither."""
    ways = [fooled[x][y] for x, y in ((a, b), (b, a)) if x in fooled]
    return float(np.mean(ways)) if ways else float("nan")


MEASURES = ("noise κ", "error consistency", "kernel correlation", "adversarial transfer", "CKA")


def rank_correlations(table: pd.DataFrame, cell_of: list[Cell], n_boot: int, seed: int = 0) -> pd.DataFrame:
    """Spearman's ρ of every two measures over the pairs, with an interval from resampling seeds."""
    cell_ids = {c: k for k, c in enumerate(dict.fromkeys(cell_of))}
    cells_ = [cell_ids[c] for c in cell_of]
    pm = table[["i", "j"]].to_numpy()
    rows = []
    for x, y in combinations(MEASURES, 2):
        vx, vy = table[x].to_numpy(), table[y].to_numpy()
        m, lo, hi = stats.bootstrap_statistic(lambda w: stats.weighted_spearman(vx, vy, w), pm, cells_, n_boot, seed=seed)
        rows.append({"x": x, "y": y, "rho": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Ensembles

def pair_ensembles(z: zoo.Groups, cell_of: list[Cell], answers: np.ndarray, n_test: int, kind: str, n_noise: int,
                   brightness: float, seed: int = 0) -> pd.DataFrame:
    """For every pair of comparable digit networks: its noise κ and what averaging the two buys
    over their own mean (``relations.ensemble_gain``): accuracy, ECE, NLL, noise-detection AUROC."""
    rows_ = comparable(cell_of)
    models = [z.models[r] for r in rows_]
    probs, labels = test_probs(models, n_test, seed)
    nprobs = noise_probs(models, kind, n_noise, brightness, seed)
    out = []
    for (ia, i), (ib, j) in combinations(enumerate(rows_), 2):
        gain = relations.ensemble_gain(np.stack([probs[ia], probs[ib]]), labels[ia], np.stack([nprobs[ia], nprobs[ib]]))
        single = [relations.ensemble_scores(p[None], labels[ia], q[None]) for p, q in ((probs[ia], nprobs[ia]), (probs[ib], nprobs[ib]))]
        out.append({"i": i, "j": j, "A": cell_of[i].label, "B": cell_of[j].label,
                    "noise κ": stats.agreement(answers[i], answers[j], 10).kappa,
                    "kind": "same setting" if cell_of[i] == cell_of[j] else
                            "same architecture" if cell_of[i].arch == cell_of[j].arch else
                            "same data" if cell_of[i].data == cell_of[j].data else "both differ",
                    "pair AUROC by disagreement": relations.ensemble_scores(
                        np.stack([probs[ia], probs[ib]]), labels[ia], np.stack([nprobs[ia], nprobs[ib]]))["auroc_disagreement"],
                    "members' AUROC by confidence": float(np.mean([s["auroc_confidence"] for s in single])),
                    **{f"gain {k}": v for k, v in gain.items()}})
    return pd.DataFrame(out)


DIVERSITY = ("one setting", "one architecture, different data", "different architectures", "any")


def draw_ensembles(cell_of: list[Cell], rows_: list[int], size: int, diversity: str, n_draws: int,
                   seed: int = 0) -> list[tuple[int, ...]]:
    """Up to ``n_draws`` distinct ensembles of ``size`` models among ``rows_``: of one setting
    (seeds), of one architecture on different data, of different architectures (on MNIST), or any."""
    check_level("diversity", diversity, DIVERSITY)
    checks.positive_int("size", size)
    if size > len(rows_):
        raise ValueError(f"ensemble size={size} is larger than the {len(rows_)} models available; allowed: 1 to {len(rows_)}")
    g = np.random.default_rng(seed)

    def ok(members):
        cs = [cell_of[r] for r in members]
        if diversity == "one setting":
            return len(set(cs)) == 1
        if diversity == "one architecture, different data":
            return len({c.arch for c in cs}) == 1 and len({c.data for c in cs}) == size
        if diversity == "different architectures":
            return all(c.data == "MNIST" for c in cs) and len({c.arch for c in cs}) == size
        return True

    found, tries = set(), 0
    while len(found) < n_draws and tries < 200 * n_draws:
        tries += 1
        members = tuple(sorted(g.choice(rows_, size, replace=False).tolist()))
        if ok(members):
            found.add(members)
    return sorted(found)


def ensemble_sizes(z: zoo.Groups, cell_of: list[Cell], sizes, n_test: int, kind: str, n_noise: int,
                   brightness: float, n_draws: int, seed: int = 0) -> pd.DataFrame:
    """Gains of ensembles of each size and kind of diversity (``draw_ensembles``): per (size,
    diversity) the mean gain over the draws, its 2.5/97.5 percentiles, and how many were drawn."""
    rows_ = comparable(cell_of)
    where = {r: k for k, r in enumerate(rows_)}
    models = [z.models[r] for r in rows_]
    probs, labels = test_probs(models, n_test, seed)
    nprobs = noise_probs(models, kind, n_noise, brightness, seed)
    out = []
    for size in sizes:
        for diversity in DIVERSITY:
            draws = draw_ensembles(cell_of, rows_, size, diversity, n_draws, seed)
            gains = [relations.ensemble_gain(np.stack([probs[where[r]] for r in d]), labels[0],
                                             np.stack([nprobs[where[r]] for r in d])) for d in draws]
            for k in relations.SCORES:
                v = np.array([g_[k] for g_ in gains])
                out.append({"size": size, "diversity": diversity, "score": k, "draws": len(v),
                            "gain": v.mean() if len(v) else np.nan,
                            "lo": np.quantile(v, 0.025) if len(v) else np.nan,
                            "hi": np.quantile(v, 0.975) if len(v) else np.nan})
    return pd.DataFrame(out)


def kappa_predicts_gain(ensembles: pd.DataFrame, cell_of: list[Cell], n_boot: int, seed: int = 0) -> pd.DataFrame:
    """Spearman's ρ of noise κ against each gain over the pairs, intervals from resampling seeds."""
    cell_ids = {c: k for k, c in enumerate(dict.fromkeys(cell_of))}
    cells_ = [cell_ids[c] for c in cell_of]
    pm = ensembles[["i", "j"]].to_numpy()
    kappa = ensembles["noise κ"].to_numpy()
    rows = []
    for k in relations.SCORES:
        v = ensembles[f"gain {k}"].to_numpy()
        m, lo, hi = stats.bootstrap_statistic(lambda w: stats.weighted_spearman(kappa, v, w), pm, cells_, n_boot, seed=seed)
        rows.append({"gain": k, "rho": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows).set_index("gain")


SCORE_NAMES = {"auroc_confidence": "noise detection by confidence (AUROC)",
               "auroc_disagreement": "noise detection by disagreement (AUROC over members' confidence)",
               "accuracy": "test accuracy", "nll": "negative log-likelihood",
               "ece": "calibration (expected calibration error)"}


def advice(sized: pd.DataFrame, names=None) -> str:
    """Which kind of diversity buys the most accuracy and noise detection, from the ensembles of
    size 3 (or the largest below it)."""
    names = names or SCORE_NAMES
    drawn = sized[sized.draws > 0]
    if drawn.empty:
        return "No ensemble could be drawn."
    size = int(drawn["size"][drawn["size"] <= 3].max() if (drawn["size"] <= 3).any() else drawn["size"].min())
    parts = []
    for key in ("accuracy", "auroc_confidence"):
        sub = drawn[(drawn["size"] == size) & (drawn.score == key) & (drawn.diversity != "any")].set_index("diversity").gain
        if len(sub) > 1:
            parts.append(f"for {names[key]}, ensembles of {size} gain most from **{sub.idxmax()}** "
                         f"({sub.max():+.4f}) and least from **{sub.idxmin()}** ({sub.min():+.4f})")
    return ("In our zoo, " + "; ".join(parts) + ".") if parts else "Too few kinds of ensemble to compare."


def seed_mean(ensembles: pd.DataFrame, column: str, kind: str, cell_of: list[Cell]) -> tuple[float, float, float]:
    """Mean of a pair column over the pairs of one ensemble ``kind`` within each cell, interval
    from a delete-one-seed jackknife per cell (``stats.jackknife_within``), cells pooled by
    averaging their means (their variances averaged over the number of cells squared)."""
    sub = ensembles[ensembles.kind == kind]
    per_cell = []
    for _, grp in sub.groupby("A"):
        idx = sorted(set(grp.i) | set(grp.j))
        pos = {r: k for k, r in enumerate(idx)}
        mat = np.full((len(idx), len(idx)), np.nan)
        for i, j, v in zip(grp.i, grp.j, grp[column]):
            mat[pos[i], pos[j]] = mat[pos[j], pos[i]] = v
        per_cell.append(stats.jackknife_within(mat))
    if not per_cell:
        return float("nan"), float("nan"), float("nan")
    means = np.array([p[0] for p in per_cell])
    halves = np.array([(p[2] - p[1]) / 2 for p in per_cell])
    half = float(np.sqrt(np.nansum(halves ** 2)) / len(per_cell)) if np.isfinite(halves).all() else float("nan")
    m = float(np.nanmean(means))
    return m, m - half, m + half


# ---------------------------------------------------------------------------------------------
# The flat-brightness test of the study's explanation of the "8"

def share_of_eight(answers: np.ndarray, cell_of: list[Cell], data: str, arch: str) -> tuple[float, float, float]:
    """Mean share of "8" in the noise answers of one cell's seeds, 95% t-interval over seeds."""
    rows_ = [i for i, c in enumerate(cell_of) if c == Cell(arch, data)]
    return stats.seed_ci([(answers[r] == 8).mean() for r in rows_], bounds=(0, 1))


# ---------------------------------------------------------------------------------------------
# Verdicts and wording

def verdict_table(effects: pd.DataFrame, eights: dict, kappa_gain: pd.DataFrame, same_auroc, same_gain,
                  n_seeds: int) -> pd.DataFrame:
    """The source's question (which factor shapes agreement) and its conclusion (ensembles of
    agreeing networks are useless), each with our estimate and a verdict by the book's rules."""
    rows = []

    def add(*args, **kwargs):
        rows.append(report.verdict_row(*args, **kwargs))

    for f, claim in (("architecture", "the architecture shapes agreement on noise (κ effect of the same architecture)"),
                     ("data", "the training set shapes agreement (κ effect of the same training data)"),
                     ("task", "the type of task shapes agreement (κ effect of the same task)")):
        e = effects.loc[f]
        add(claim, "aim of the study", (e.effect, e.effect_lo, e.effect_hi), 0.0, np.inf,
            "effect CI above 0 (95% over seeds)", n_seeds, percent=False)
    for arch, (plain, flat) in eights.items():
        diff = stats.difference_ci(plain, flat)
        verdict = stats.gated(stats.verdict_side(diff[1:], 0.0, "above"), plain[1], EIGHT_SHARE)
        add(f"bright noise is an \"8\" because bright digits look like one ({arch}: share of \"8\", plain − flat brightness)",
            "explanation", diff, 0.0, np.inf, f"difference CI above 0; not tested unless the plain networks call "
            f"over {EIGHT_SHARE:.0%} of the noise \"8\" (CI)", n_seeds, verdict=verdict)
    add("two networks of one setting cannot tell noise by their disagreement (pair AUROC)", "useless ensembles",
        same_auroc, 0.4, 0.6, "AUROC CI inside [0.4, 0.6] (chance ± 0.1)", n_seeds, percent=False)
    add("averaging two networks of one setting detects noise no better (AUROC gain)", "useless ensembles",
        same_gain, -0.01, 0.01, "gain CI inside [−0.01, 0.01]", n_seeds, percent=False)
    r = kappa_gain.loc["auroc_confidence"]
    add("the more two networks agree on noise, the less their ensemble gains (ρ of κ and AUROC gain)",
        "useless ensembles", (r.rho, r.lo, r.hi), -np.inf, 0.0, "ρ CI below 0", n_seeds, percent=False)
    return pd.DataFrame(rows)


def factor_clause(effects: pd.DataFrame) -> str:
    """Which factor explains most of the variance of κ, worded from the shares and intervals."""
    main = effects.loc[list(FACTORS)]
    top = main.share.idxmax()
    decided = [f for f in FACTORS if main.loc[f, "effect_lo"] > 0]
    total = effects.loc["total (R²)", "share"]
    lead = (f"Together the three factors and their interactions explain {report.pct(total)} of the variance of κ "
            f"between pairs; the largest share is the {top}'s ({report.with_ci(main.loc[top, 'share'], main.loc[top, 'share_lo'], main.loc[top, 'share_hi'])}).")
    if not decided:
        return lead + " No factor raises κ with an interval clear of zero."
    names = _and(f"the same {f}" for f in decided)
    return lead + f" Sharing {names} raises κ with an interval clear of zero."


def _and(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def relation_clause(rho: pd.DataFrame) -> str:
    """Which measure noise κ goes with most closely, and which correlations are clear of zero."""
    noise_rho = rho[rho.x == "noise κ"].set_index("y")
    if noise_rho.rho.isna().all():
        return "The rank correlations of noise κ are undefined here."
    top = noise_rho.rho.abs().idxmax()
    clear = [y for y in noise_rho.index if noise_rho.loc[y, "lo"] > 0 or noise_rho.loc[y, "hi"] < 0]
    r = noise_rho.loc[top]
    return (f"Noise κ goes most closely with {top} (ρ {report.with_ci(r.rho, r.lo, r.hi, percent=False)}); "
            + (f"its correlation with {_and(clear)} has an interval clear of zero." if clear else
               "none of its correlations has an interval clear of zero."))


def ensemble_clause(kappa_gain: pd.DataFrame, same_auroc) -> str:
    r = kappa_gain.loc["auroc_confidence"]
    if r.hi < 0:
        first = "Pairs that agree more on noise gain less from being averaged, as the study's conclusion implies"
    elif r.lo > 0:
        first = "Pairs that agree more on noise gain more, not less, from being averaged — the opposite of the study's conclusion"
    else:
        first = "Whether a pair agrees on noise does not clearly predict what averaging it gains"
    m, lo, hi = same_auroc
    if lo > 0.6:
        second = (f"even two networks of one setting disagree enough on noise to flag it (AUROC "
                  f"{report.with_ci(m, lo, hi, percent=False)}), so such ensembles are not useless")
    elif hi < 0.6:
        second = (f"two networks of one setting barely disagree on noise (AUROC "
                  f"{report.with_ci(m, lo, hi, percent=False)}), so their disagreement is no alarm")
    else:
        second = f"the disagreement of two networks of one setting flags noise with AUROC {report.with_ci(m, lo, hi, percent=False)}"
    return f"{first}; {second}."
