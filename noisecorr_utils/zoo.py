"""The model zoo: a frozen :class:`ModelSpec` names a trained network; ``get_model`` trains it
once and afterwards loads it from a cache keyed by the spec's hash.

Cache layout (``models/``): ``<arch>-<dataset>-<key>.pt`` (the state dict) and, beside it,
``.json`` (the spec, test accuracy, training curve and seconds, library versions and the
sha256 of the weights file). Both are written atomically, the record last, so a killed
training leaves nothing that is ever loaded; a weights file whose sha256 does not match its
record is reported in one line and trained again.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import dataclass

import torch
from torch import nn

from . import architectures, data, train
from .paths import atomic_path, models_dir

# Bump when a change to training or to an architecture makes old cached weights stale.
CODE_VERSION = 1


@dataclass(frozen=True)
class ModelSpec:
    """Everything that decides a trained model's weights."""

    arch: str
    dataset: str = "mnist"
    seed: int = 0
    epochs: int = 2
    batch_size: int = 128
    lr: float = 1e-3
    permutation_seed: int | None = None  # train (and answer) on pixels shuffled by this fixed seed
    width: float = 1.0                   # multiplies every layer's channels / units
    n_train: int | None = None           # use the first n training images (None: all)
    label_noise: float = 0.0             # share of training labels replaced by random classes

    def __post_init__(self):
        if self.arch not in architectures.ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; allowed: "
                             f"{', '.join(architectures.ARCHITECTURES)}")
        data.check_name(self.dataset)
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be a non-negative integer")
        if not self.lr > 0:
            raise ValueError(f"lr={self.lr!r} must be positive")
        if not self.width > 0:
            raise ValueError(f"width={self.width!r} must be positive")
        if self.n_train is not None and (not isinstance(self.n_train, int) or self.n_train < 1):
            raise ValueError(f"n_train={self.n_train!r} must be a positive integer or None")
        if not 0 <= self.label_noise < 1:
            raise ValueError(f"label_noise={self.label_noise!r} must be in [0, 1)")

    @property
    def key(self) -> str:
        fields = dataclasses.asdict(self)
        if fields["label_noise"] == 0.0:
            del fields["label_noise"]  # keeps the keys of models cached before this field existed
        version = architectures.VERSIONS.get(self.arch, 1)
        if version != 1:
            fields["arch_version"] = version
        blob = json.dumps({**fields, "code": CODE_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        """A short readable name, e.g. ``lenet·perm·s3``."""
        parts = [self.arch]
        if self.width != 1.0:
            parts.append(f"w{self.width:g}")
        if self.permutation_seed is not None:
            parts.append("perm")
        if self.label_noise:
            parts.append(f"noise{self.label_noise:g}")
        parts.append(f"s{self.seed}")
        return "·".join(parts)

    def replace(self, **changes) -> "ModelSpec":
        return dataclasses.replace(self, **changes)


def training_labels(spec: ModelSpec, ds: data.Dataset | None = None) -> torch.Tensor:
    """The labels a spec trains on: the first n_train true labels, a share ``label_noise`` of
    them replaced by classes drawn uniformly at random (seeded by the spec's seed)."""
    ds = ds or data.load(spec.dataset)
    y = ds.y_train[:spec.n_train or len(ds.y_train)].clone()
    if spec.label_noise:
        g = torch.Generator().manual_seed(10_000 + spec.seed)
        hit = torch.rand(len(y), generator=g) < spec.label_noise
        y[hit] = torch.randint(0, ds.n_classes, (int(hit.sum()),), generator=g)
    return y


def _paths(spec: ModelSpec):
    stem = models_dir() / f"{spec.arch}-{spec.dataset}-{spec.key}"
    return stem.with_suffix(".pt"), stem.with_suffix(".json")


def _file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(spec: ModelSpec, ds: data.Dataset | None = None) -> nn.Module:
    """The untrained network of a spec (seeded initialisation)."""
    ds = ds or data.load(spec.dataset)
    torch.manual_seed(spec.seed)
    return architectures.build(spec.arch, ds.shape, ds.n_classes, ds.mean, ds.std,
                               width=spec.width, permutation_seed=spec.permutation_seed)


def record(spec: ModelSpec) -> dict | None:
    """The JSON record of a cached model, or None if it is not (validly) cached."""
    weights, meta = _paths(spec)
    if not (weights.exists() and meta.exists()):
        return None
    try:
        rec = json.loads(meta.read_text())
    except ValueError:
        return None
    return rec


def _load_cached(spec: ModelSpec, ds) -> nn.Module | None:
    weights, _ = _paths(spec)
    rec = record(spec)
    if rec is None:
        return None
    if _file_sha256(weights) != rec.get("weights_sha256"):
        print(f"noisecorr: cached model {weights.name} is corrupt (sha256 mismatch); training it "
              "again", file=sys.stderr)
        return None
    model = build(spec, ds)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()
    model.spec, model.record = spec, rec
    return model


def get_model(spec: ModelSpec, progress: bool | None = None) -> nn.Module:
    """The trained model of ``spec``: from the cache if valid, else trained now and cached.

    ``progress`` (a tqdm bar) defaults to on, except in a book build.
    """
    if progress is None:
        progress = os.environ.get("NOISECORR_BOOK") != "1"
    ds = data.load(spec.dataset)
    model = _load_cached(spec, ds)
    if model is not None:
        return model
    n = spec.n_train or len(ds.x_train)
    model = build(spec, ds)
    hist = train.fit(model, ds.x_train[:n], training_labels(spec, ds), epochs=spec.epochs,
                     batch_size=spec.batch_size, lr=spec.lr, seed=spec.seed,
                     x_test=ds.x_test, y_test=ds.y_test, progress=progress, desc=spec.label)
    weights, meta = _paths(spec)
    with atomic_path(weights) as tmp:
        torch.save(model.state_dict(), tmp)
        sha = _file_sha256(tmp)
    rec = {
        "spec": dataclasses.asdict(spec), "key": spec.key, "code_version": CODE_VERSION,
        "test_accuracy": hist.epoch_test_acc[-1], "epoch_test_accuracy": hist.epoch_test_acc,
        "curve_steps": hist.steps, "curve_train_loss": hist.train_loss,
        "train_seconds": round(hist.seconds, 3), "weights_sha256": sha,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
    }
    with atomic_path(meta) as tmp:
        tmp.write_text(json.dumps(rec, indent=1))
    model.spec, model.record = spec, rec
    return model


def get_models(specs, progress: bool | None = None) -> list[nn.Module]:
    """Train or load several models, with one line per model trained."""
    return [get_model(s, progress=progress) for s in specs]


def seeds_of(arch: str, n_seeds: int, **fields) -> list[ModelSpec]:
    """Specs of one architecture over seeds 0..n_seeds-1."""
    if not isinstance(n_seeds, int) or n_seeds < 1:
        raise ValueError(f"n_seeds={n_seeds!r} must be a positive integer")
    return [ModelSpec(arch=arch, seed=s, **fields) for s in range(n_seeds)]


def summary(models) -> "pandas.DataFrame":
    """One row per model: group (architecture and variant), seed, accuracy, size, seconds."""
    import pandas as pd

    rows = []
    for m in models:
        s = m.spec
        group = s.label.rsplit("·s", 1)[0]
        rows.append({"group": group, "dataset": s.dataset, "arch": s.arch, "seed": s.seed,
                     "test_accuracy": m.record["test_accuracy"],
                     "parameters": m.record["n_parameters"],
                     "train_seconds": m.record["train_seconds"]})
    return pd.DataFrame(rows)
