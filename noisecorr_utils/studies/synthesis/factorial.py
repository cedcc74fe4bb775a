"""The factorial zoo of the synthesis chapter: settings (architecture × training data × task),
their models over seeds, and the pairs of models with the factors they share."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ... import relations, report, stats, zoo

ARCHS = ("mlp", "lenet", "vgg", "allcnn")
# Training data: how the MNIST training set is changed (spec fields); the flaws of a training set
# are 20% wrong labels; "flat brightness" removes the ink-count cue behind the study's "8".
DATA = {"MNIST": {}, "permuted": {"permutation_seed": 0}, "half A": {"half": 0}, "half B": {"half": 1},
        "20% wrong labels": {"label_noise": 0.2}, "flat brightness": {"flat": True}}
# Tasks on the same kind of images: the ten digits, their parity, and Fashion-MNIST's ten classes.
TASKS = {"digits": {}, "even/odd": {"task": "parity"}, "clothes": {"dataset": "fashion_mnist"}}
# The training recipe: the zoo's own, or the plain tutorial recipe (``train.named_recipe``).
RECIPES = ("zoo", "plain")
FACTORS = ("architecture", "data", "task", "recipe")


@dataclass(frozen=True)
class Cell:
    """One setting of the factorial zoo; its models differ only by seed."""

    arch: str
    data: str = "MNIST"
    task: str = "digits"
    recipe: str = "zoo"

    def __post_init__(self):
        for factor, value, allowed in (("architecture", self.arch, ARCHS), ("data", self.data, DATA),
                                       ("task", self.task, TASKS), ("recipe", self.recipe, RECIPES)):
            check_level(factor, value, allowed)
        if self.task != "digits" and self.data != "MNIST":
            raise ValueError(f"data={self.data!r} with task={self.task!r}: other tasks are trained on MNIST only")

    @property
    def label(self) -> str:
        return " · ".join([self.arch] + [v for v in (self.data, self.task, self.recipe)
                                         if v not in ("MNIST", "digits", "zoo")])

    @property
    def images(self) -> str:
        """The training data as a factor level: Fashion-MNIST's images for the clothes task."""
        return "Fashion-MNIST" if self.task == "clothes" else self.data

    def level(self, factor: str):
        return {"architecture": self.arch, "data": self.images, "task": self.task, "recipe": self.recipe}[factor]

    def spec(self, seed: int, epochs: int | None = None, n_train: int | None = None) -> zoo.ModelSpec:
        fields = {**DATA[self.data], **TASKS[self.task]}
        return zoo.ModelSpec(arch=self.arch, seed=seed, epochs=epochs, n_train=None if "half" in fields else n_train,
                             recipe_name=None if self.recipe == "zoo" else self.recipe, **fields)


def check_level(factor: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {factor} {value!r}; allowed: {', '.join(allowed)}")


def cells(grid_archs, base_archs=(), recipe_archs=()) -> list[Cell]:
    """The zoo's cells: every architecture of ``grid_archs`` in every data setting and task, those
    of ``recipe_archs`` in every data setting and task under the plain recipe too, and those of
    ``base_archs`` on plain MNIST digits only (a fractional design: the expensive ones)."""
    for a in [*grid_archs, *base_archs, *recipe_archs]:
        check_level("architecture", a, ARCHS)
    out = []
    for recipe in RECIPES:
        archs = grid_archs if recipe == "zoo" else [a for a in recipe_archs if a in grid_archs]
        out += [Cell(a, d, "digits", recipe) for a in archs for d in DATA]
        out += [Cell(a, "MNIST", t, recipe) for a in archs for t in TASKS if t != "digits"]
    return out + [Cell(a) for a in base_archs if a not in grid_archs]


def specs(cell_list, n_seeds: int, epochs: int | None = None,
          n_train: int | None = None) -> dict[str, list[zoo.ModelSpec]]:
    """The models of every setting over ``n_seeds`` seeds."""
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


def model_cells(z: zoo.Groups, cell_list) -> list[Cell]:
    """The cell of every model of ``z`` (loaded with ``specs(cell_list, …)``)."""
    by_label = {c.label: c for c in cell_list}
    out = [None] * len(z.models)
    for label, rows in z.rows.items():
        for r in rows:
            out[r] = by_label[label]
    return out


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


def share_of_eight(answers: np.ndarray, cell_of: list[Cell], data: str, arch: str) -> tuple[float, float, float]:
    """Mean share of "8" in the noise answers of one cell's seeds, 95% t-interval over seeds."""
    rows_ = [i for i, c in enumerate(cell_of) if c == Cell(arch, data)]
    return stats.seed_ci([(answers[r] == 8).mean() for r in rows_], bounds=(0, 1))
