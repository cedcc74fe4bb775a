"""Chapter 1, "Data and model zoo": the data sets, the zoo's models, their training recipes and
their accuracy over seeds."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import checks, data, report, stats, train, zoo

MNIST_ARCHS = ("mlp", "lenet", "vgg", "allcnn")
CIFAR_ARCHS = ("airnet", "resnet")


def overview() -> pd.DataFrame:
    """One row per data set: sizes, shape, classes, per-channel pixel mean and std."""
    rows = []
    for name in data.NAMES:
        ds = data.load(name)
        rows.append({"data set": name, "train images": len(ds.x_train), "test images": len(ds.x_test),
                     "shape (C, H, W)": "×".join(map(str, ds.shape)), "classes": ds.n_classes,
                     "pixel mean": ", ".join(f"{m:.4f}" for m in ds.mean),
                     "pixel std": ", ".join(f"{s:.4f}" for s in ds.std)})
    return pd.DataFrame(rows)


def bright_share(name: str = "mnist", threshold: float = 0.25) -> float:
    """Share of training images whose mean pixel exceeds ``threshold`` (uniform noise: 0.5)."""
    ds = data.load(name)
    return float((train.to_float(ds.x_train).mean((1, 2, 3)) > threshold).float().mean())


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


def specs(archs, n_seeds: int, cifar_archs, cifar_seeds: int, epochs: int = 0,
          n_train: int = 0) -> list[zoo.ModelSpec]:
    """The zoo of the chapter: every MNIST architecture over ``n_seeds`` seeds and every CIFAR-10
    one over ``cifar_seeds``; ``epochs`` and ``n_train`` of 0 mean the recipe's and all images."""
    checks.positive_int("n_seeds", n_seeds)
    checks.positive_int("cifar_seeds", cifar_seeds)
    if epochs:
        checks.positive_int("epochs", epochs)
    common = dict(epochs=epochs or None, n_train=n_train or None)
    out = [s for a in checks.non_empty_list("archs", archs) for s in zoo.seeds_of(a, n_seeds, **common)]
    out += [s for a in cifar_archs for s in zoo.seeds_of(a, cifar_seeds, dataset="cifar10", **common)]
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
        r = spec.recipe
        rows.append({"group": group, "models": len(sub), "parameters": int(sub.parameters.iloc[0]),
                     "accuracy": m, "accuracy_lo": lo, "accuracy_hi": hi,
                     "epochs": r.epochs, "batch": r.batch_size, "schedule": r.describe(), "precision": r.precision,
                     "seconds per model": float(sub.train_seconds.mean())})
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
        parts.append(f"On {'MNIST' if ds == 'mnist' else 'CIFAR-10'} ({names}) "
                     + (f"{'every architecture reaches' if len(ok) == len(sub) else f'{len(ok)} of {len(sub)} architectures reach'} "
                        f"the source's {target:.0%} on average" if len(ok) else
                        f"no architecture reaches the source's {target:.0%} on average")
                     + f"; the best is {best.group.split(' ')[0]} at {report.with_ci(best.accuracy, best.accuracy_lo, best.accuracy_hi, digits=2)}.")
    return " ".join(parts)
