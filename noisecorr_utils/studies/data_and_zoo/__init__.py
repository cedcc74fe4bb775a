"""Chapter 1, "Data and model zoo": the data sets, the zoo's models, their training recipes and
their accuracy over seeds."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import checks, data, figures, report, stats, zoo
from ..chapter import NETWORKS, Result, TrainingParams, cached_run, param

NAME = "data_and_zoo"
MNIST_ARCHS = ("mlp", "lenet", "vgg", "allcnn")
CIFAR_ARCHS = ("airnet", "resnet")


@dataclass(frozen=True)
class Params(TrainingParams):
    mnist_seeds: int = param(5, "seeds (independently initialised and shuffled models) per MNIST architecture", NETWORKS)
    mnist_archs: tuple[str, ...] = param(MNIST_ARCHS, "MNIST architectures of the zoo")
    cifar_archs: tuple[str, ...] = param(CIFAR_ARCHS, "CIFAR-10 architectures of the zoo")
    cifar_seeds: int = param(3, "seeds per CIFAR-10 architecture", NETWORKS)

    def check(self):
        for arch in checks.non_empty_list("mnist_archs", self.mnist_archs):
            checks.one_of("MNIST architecture", arch, MNIST_ARCHS)
        for arch in self.cifar_archs:
            checks.one_of("CIFAR-10 architecture", arch, CIFAR_ARCHS)


def run(p: Params) -> Result:
    """The chapter: data sets, sample images, class balance, the zoo's accuracy, recipes, curves."""
    return cached_run(NAME, p, _compute)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    _data_sets(r)
    models = zoo.get_models(specs(p))
    table = r.table("zoo_accuracy", accuracy_table(models).drop(columns="train_seconds"))
    summary = r.table("zoo_groups", group_summary(models))
    r.figures["fig_accuracy"] = figures.accuracy_by_arch(table)
    for row in summary.itertuples():
        r.text[f"acc_{row.group.split(' ')[0]}"] = report.with_ci(row.accuracy, row.accuracy_lo, row.accuracy_hi,
                                                                  digits=2)
    r.text["zoo_minutes"] = f"{sum(m.record['train_seconds'] for m in models) / 60:.1f}"
    r.markdown["summary_finding"] = summary_finding(summary)
    r.markdown["zoo_table"] = report.md_table(pd.DataFrame({
        "group": summary.group, "models": summary.models, "failed runs": summary["failed runs"],
        "parameters": summary.parameters.map("{:,}".format),
        "test accuracy (95% CI over seeds)": [report.with_ci(s.accuracy, s.accuracy_lo, s.accuracy_hi, digits=2)
                                              for s in summary.itertuples()]}))
    r.markdown["recipe_table"] = report.md_table(summary[["group", "epochs", "batch", "schedule", "precision"]].assign(
        **{"seconds per model": summary["seconds per model"].round(0).astype(int)}))
    r.figures["fig_curves"] = figures.training_curves(curves(models))
    return r


def _data_sets(r: Result) -> None:
    """The three data sets: overview table, sample images, class balance and MNIST's brightness."""
    overview = overview_table()
    r.markdown["overview_table"] = report.md_table(overview)
    r.text["mnist_bright"] = report.pct(data.bright_share("mnist"), 1)
    for row in overview.itertuples():
        r.text[f"{row[1]}_n_train"] = f"{row[2]:,}"
        r.text[f"{row[1]}_mean"] = row[6].split(",")[0]
    for name in data.NAMES:
        r.figures[f"fig_samples_{name}"] = figures.image_grid(
            sample_images(name), data.load(name).classes, cols=12, title=f"{name}: twelve random training images per class")
    counts = class_counts()
    r.figures["fig_class_balance"] = figures.class_balance(counts, {n: data.load(n).classes for n in data.NAMES})
    mnist_train = counts["mnist"]["train"]
    r.text["mnist_rarest_share"] = report.pct(min(mnist_train) / sum(mnist_train), 1)


def overview_table() -> pd.DataFrame:
    """One row per data set: sizes, shape, classes, per-channel pixel mean and std."""
    rows = []
    for name in data.NAMES:
        ds = data.load(name)
        rows.append({"data set": name, "train images": len(ds.x_train), "test images": len(ds.x_test),
                     "shape (C, H, W)": "×".join(map(str, ds.shape)), "classes": ds.n_classes,
                     "pixel mean": ", ".join(f"{m:.4f}" for m in ds.mean),
                     "pixel std": ", ".join(f"{s:.4f}" for s in ds.std)})
    return pd.DataFrame(rows)


def class_counts() -> dict[str, dict[str, list[int]]]:
    """Images per class, ``counts[data set][split]``."""
    return {name: {split: np.bincount(getattr(ds, f"y_{split}"), minlength=ds.n_classes).tolist()
                   for split in ("train", "test")}
            for name, ds in ((n, data.load(n)) for n in data.NAMES)}


def sample_images(name: str, per_class: int = 12, seed: int = 0) -> np.ndarray:
    """``per_class`` random training images of each class, class by class: (k·per_class, C, H, W) uint8."""
    ds = data.load(name)
    rng = np.random.default_rng(seed)
    y = ds.y_train.numpy()
    picks = np.concatenate([rng.choice(np.flatnonzero(y == k), per_class, replace=False)
                            for k in range(ds.n_classes)])
    return ds.x_train[picks].numpy()


def specs(p: Params) -> list[zoo.ModelSpec]:
    """The zoo of the chapter: every MNIST architecture over ``mnist_seeds`` seeds and every
    CIFAR-10 one over ``cifar_seeds``."""
    common = dict(epochs=p.epochs, n_train=p.n_train)
    out = [s for a in p.mnist_archs for s in zoo.seeds_of(a, p.mnist_seeds, **common)]
    out += [s for a in p.cifar_archs for s in zoo.seeds_of(a, p.cifar_seeds, dataset="cifar10", **common)]
    return out


def accuracy_table(models) -> pd.DataFrame:
    """One row per model: group ``arch (data set)``, seed, test accuracy, parameters, seconds."""
    table = zoo.summary(models)
    table["group"] = table["group"] + " (" + table["dataset"] + ")"
    return table


def group_summary(models) -> pd.DataFrame:
    """Per group: models, parameters, mean test accuracy with its 95% t-interval over seeds
    (seeds are independent models here), the training recipe and the mean training seconds."""
    table = accuracy_table(models)
    rows = []
    for group, sub in table.groupby("group", sort=False):
        spec = next(m.spec for m in models if f"{m.spec.label.rsplit('·s', 1)[0]} ({m.spec.dataset})" == group)
        acc = sub.test_accuracy.to_numpy()
        m, lo, hi = stats.mean_ci(acc, bounds=(0, 1)) if len(acc) > 1 else (float(acc[0]), np.nan, np.nan)
        rec = spec.recipe
        failed = sum(bool(zoo.failed(m)) for m in models
                     if f"{m.spec.label.rsplit('·s', 1)[0]} ({m.spec.dataset})" == group)
        rows.append({"group": group, "models": len(sub), "failed runs": failed, "parameters": int(sub.parameters.iloc[0]),
                     "accuracy": m, "accuracy_lo": lo, "accuracy_hi": hi,
                     "epochs": rec.epochs, "batch": rec.batch_size, "schedule": rec.describe(),
                     "precision": rec.precision, "seconds per model": float(sub.train_seconds.mean())})
    return pd.DataFrame(rows)


def curves(models) -> list[tuple]:
    """(group, label, steps, losses) per model for the training-curve figure."""
    return [(f"{m.spec.label.rsplit('·s', 1)[0]} ({m.spec.dataset})", m.spec.label,
             m.record["curve_steps"], m.record["curve_train_loss"]) for m in models]


def summary_finding(summary: pd.DataFrame) -> str:
    """One sentence per data set on how the zoo's accuracy compares with the sources' networks
    (MNIST study: about 98%; CIFAR-10 question: a ResNet18 at about 93%), chosen from the numbers."""
    parts = []
    for ds, target in (("mnist", 0.98), ("cifar10", 0.93)):
        sub = summary[summary.group.str.endswith(f"({ds})")]
        if not len(sub):
            continue
        ok = sub[sub.accuracy >= target]
        names = ", ".join(g.split(" ")[0] for g in sub.group)
        best = sub.loc[sub.accuracy.idxmax()]
        reach = ("every architecture reaches" if len(ok) == len(sub) else f"{len(ok)} of {len(sub)} architectures reach")
        parts.append(f"On {'MNIST' if ds == 'mnist' else 'CIFAR-10'} ({names}) "
                     + (f"{reach} the source's {target:.0%} on average" if len(ok) else
                        f"no architecture reaches the source's {target:.0%} on average")
                     + f"; the best is {best.group.split(' ')[0]} at "
                       f"{report.with_ci(best.accuracy, best.accuracy_lo, best.accuracy_hi, digits=2)}.")
    return " ".join(parts)
