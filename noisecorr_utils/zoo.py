"""The model zoo: a frozen :class:`ModelSpec` names a trained network; ``get_model`` trains it
once and afterwards loads it from a cache keyed by the spec's hash.

Cache layout (``models/``): ``<arch>-<dataset>-<key>.pt`` (the state dict, on the CPU) and,
beside it, ``.json`` (the spec, its training recipe, test accuracy, training curve and seconds,
device, threads, library versions and the sha256 of the weights file). Both are written
atomically, the record last, so a killed training leaves nothing that is ever loaded; a weights
file whose sha256 does not match its record is reported in one line and trained again.

``get_models(specs, workers=2)`` trains the missing models of a list in parallel on any
``concurrent.futures`` executor (by default two worker processes with one thread each: on two
cores that trains a zoo of small models faster than one process with two threads; see
``benchmarks/bench_zoo.py``). Workers only compute: they return the weights and the record,
and the caller writes the cache, so workers need no shared disk — a Dask cluster's
``Client.get_executor()`` trains a zoo on several machines the same way.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import io
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from . import architectures, checks, data, devices, integrity, parallel, progress, train
from .paths import atomic_path, models_dir

# Bump when a change to training or to an architecture makes old cached weights stale.
CODE_VERSION = 2
MONITOR = 2000  # random test images evaluated after every epoch (the whole test set at the end)


@dataclass(frozen=True)
class ModelSpec:
    """Everything that decides a trained model's weights. ``epochs``, ``batch_size``, ``lr`` and
    ``precision`` left as None take the architecture's recipe (``train.recipe_for``)."""

    arch: str
    dataset: str = "mnist"
    seed: int = 0
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    permutation_seed: int | None = None  # train (and answer) on pixels shuffled by this fixed seed
    width: float = 1.0                   # multiplies every layer's channels / units
    n_train: int | None = None           # use the first n training images (None: all)
    label_noise: float = 0.0             # share of training labels replaced by random classes
    precision: str | None = None         # "fp32" or "bf16"; None: the recipe's, if this machine runs it
    classes: tuple[str, ...] | None = None  # train on these classes of the data set only (None: all)
    weight_decay: float | None = None    # L2 weight decay of the optimiser; None: the recipe's
    half: int | None = None              # train on the first (0) or second (1) half of the training set only
    task: str | None = None              # another task on the same images (``data.TASKS``: "parity")
    flat: bool = False                   # every image rescaled to the training set's mean pixel (``data.flattened``)
    recipe_name: str | None = None       # a named recipe (``train.RECIPE_NAMES``); None: the zoo's own

    def __post_init__(self):
        if self.arch not in architectures.ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; allowed: "
                             f"{', '.join(architectures.ARCHITECTURES)}")
        data.check_name(self.dataset)
        for name in ("epochs", "batch_size"):
            if getattr(self, name) is not None:
                checks.positive_int(name, getattr(self, name))
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be a non-negative integer")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr={self.lr!r} must be positive")
        if not self.width > 0:
            raise ValueError(f"width={self.width!r} must be positive")
        if self.n_train is not None:
            checks.positive_int("n_train", self.n_train)
        if not 0 <= self.label_noise < 1:
            raise ValueError(f"label_noise={self.label_noise!r} must be in [0, 1)")
        if self.precision is not None:
            devices.check_precision(self.precision, devices.resolve())
        if self.classes is not None:
            object.__setattr__(self, "classes", tuple(self.classes))
            data.check_classes(self.dataset, self.classes)
        if self.weight_decay is not None and not (isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay={self.weight_decay!r} must be a non-negative number")
        if self.half not in (None, 0, 1):
            raise ValueError(f"half={self.half!r}; allowed: None (all), 0 (first half), 1 (second half)")
        if self.half is not None and self.n_train is not None:
            raise ValueError("give n_train or half, not both")
        data.check_task(self.task)
        if self.flat not in (False, True):
            raise ValueError(f"flat={self.flat!r}; allowed: False, True")
        if self.recipe_name is not None and self.recipe_name not in train.RECIPE_NAMES:
            raise ValueError(f"unknown recipe {self.recipe_name!r}; allowed: {', '.join(train.RECIPE_NAMES)}")
        if self.recipe_name == "zoo":
            object.__setattr__(self, "recipe_name", None)   # the zoo's own recipe has the zoo's keys

    @property
    def recipe(self) -> train.Recipe:
        """The training recipe: the architecture's, with this spec's overrides."""
        base = train.recipe_for(self.arch, self.dataset, self.permutation_seed is not None)
        if self.recipe_name is not None:
            base = train.named_recipe(self.recipe_name, self.arch, base)
        precision = self.precision
        if precision is None and not devices.bf16_supported(devices.resolve()):
            precision = "fp32"  # the recipe's bf16 cannot run here: fall back (another key)
        return base.replace(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, precision=precision,
                            weight_decay=self.weight_decay)

    @property
    def key(self) -> str:
        fields = {k: v for k, v in dataclasses.asdict(self).items()
                  if k not in ("epochs", "batch_size", "lr", "precision", "weight_decay")
                  and not (k in ("classes", "half", "task", "recipe_name") and v is None)
                  and not (k == "flat" and v is False)}
        fields["recipe"] = self.recipe.key_fields()
        if self.n_train is not None:
            fields["subset"] = f"random{SUBSET_SEED}"   # n_train images drawn at random, not the first ones
        fields["arch_version"] = architectures.VERSIONS.get(self.arch, 1)
        blob = json.dumps({**fields, "code": CODE_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        """A short readable name, e.g. ``lenet·perm·s3``."""
        parts = [self.arch]
        if self.dataset == "fashion_mnist":
            parts.append("fashion")
        if self.classes is not None:
            parts.append("/".join(self.classes))
        if self.width != 1.0:
            parts.append(f"w{self.width:g}")
        if self.permutation_seed is not None:
            parts.append("perm")
        if self.label_noise:
            parts.append(f"noise{self.label_noise:g}")
        if self.weight_decay is not None:
            parts.append(f"wd{self.weight_decay:g}")
        if self.half is not None:
            parts.append(f"P{self.half + 1}")
        if self.flat:
            parts.append("flat")
        if self.task is not None:
            parts.append(self.task)
        if self.recipe_name is not None:
            parts.append(self.recipe_name)
        parts.append(f"s{self.seed}")
        return "·".join(parts)

    def replace(self, **changes) -> "ModelSpec":
        return dataclasses.replace(self, **changes)


def dataset(spec: ModelSpec) -> data.Dataset:
    """The data a spec trains and is tested on: its data set, or the subset of its ``classes``;
    with flattened brightness and another task's labels where the spec asks for them."""
    ds = data.load(spec.dataset) if spec.classes is None else data.subset(spec.dataset, spec.classes)
    if spec.flat:
        ds = data.flattened(ds)
    return data.with_task(ds, spec.task)


SUBSET_SEED = 0  # the fixed draw of the training images a spec with ``n_train`` uses


def training_index(spec: ModelSpec, n_total: int):
    """Which training images a spec uses: one half (in the data set's order), ``n_train`` of them
    drawn at random once (the same draw for every spec: a prefix could hold one class only, as
    CIFAR-10's class-sorted order does), or all."""
    if spec.half is not None:
        mid = n_total // 2
        return slice(0, mid) if spec.half == 0 else slice(mid, n_total)
    if spec.n_train is not None and spec.n_train < n_total:
        order = torch.randperm(n_total, generator=torch.Generator().manual_seed(SUBSET_SEED))
        return order[:spec.n_train].sort().values
    return slice(0, n_total)


def training_images(spec: ModelSpec, ds: data.Dataset | None = None) -> torch.Tensor:
    ds = ds or dataset(spec)
    return ds.x_train[training_index(spec, len(ds.x_train))]


def training_labels(spec: ModelSpec, ds: data.Dataset | None = None) -> torch.Tensor:
    """The labels a spec trains on (``training_index``), a share ``label_noise`` of
    them replaced by one of the *other* classes drawn uniformly (seeded by the spec's seed), so
    that exactly that share of the labels is wrong in expectation."""
    ds = ds or dataset(spec)
    y = ds.y_train[training_index(spec, len(ds.y_train))].clone()
    if spec.label_noise:
        g = torch.Generator().manual_seed(10_000 + spec.seed)
        hit = torch.rand(len(y), generator=g) < spec.label_noise
        y[hit] = (y[hit] + torch.randint(1, ds.n_classes, (int(hit.sum()),), generator=g)) % ds.n_classes
    return y


# Networks whose state after every epoch is kept beside their weights: the CIFAR chapter's
# along-training figure reads them instead of training the zoo's network a second time.
SNAPSHOT_DATASETS = ("cifar10",)


def _paths(spec: ModelSpec):
    stem = models_dir() / f"{spec.arch}-{spec.dataset}-{spec.key}"
    return stem.with_suffix(".pt"), stem.with_suffix(".json")


def _epochs_path(spec: ModelSpec) -> Path:
    return models_dir() / f"{spec.arch}-{spec.dataset}-{spec.key}.epochs.pt"


def epoch_states(spec: ModelSpec) -> list[dict] | None:
    """The state dict after every epoch of the cached model of ``spec`` (``SNAPSHOT_DATASETS``),
    or None where they were not kept (a model trained before they were) or are damaged."""
    if record(spec) is None:
        return None
    blob = integrity.read(_epochs_path(spec), "epoch snapshots")
    return None if blob is None else torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)


def _file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(spec: ModelSpec, ds: data.Dataset | None = None) -> nn.Module:
    """The untrained network of a spec (seeded initialisation)."""
    ds = ds or dataset(spec)
    torch.manual_seed(spec.seed)
    mean, std = (ds.mean, ds.std) if spec.recipe.normalise else ((0.0,) * len(ds.mean), (1.0,) * len(ds.std))
    return architectures.build(spec.arch, ds.shape, ds.n_classes, mean, std,
                               width=spec.width, permutation_seed=spec.permutation_seed)


def record(spec: ModelSpec) -> dict | None:
    """The JSON record of a cached model, or None if it is not (validly) cached."""
    weights, meta = _paths(spec)
    if not (weights.exists() and meta.exists()):
        return None
    text = integrity.read_text(meta, "model record")
    try:
        rec = json.loads(text) if text is not None else None
    except ValueError:
        rec = None
    return rec if isinstance(rec, dict) else None


def _load_cached(spec: ModelSpec, ds) -> nn.Module | None:
    weights, _ = _paths(spec)
    rec = record(spec)
    if rec is None:
        return None
    if _file_sha256(weights) != rec.get("weights_sha256"):
        progress.emit(f"noisecorr: model weights {weights.name} are damaged (sha256 mismatch); training them again",
                      event="damaged", path=str(weights))
        return None
    return _ready(spec, torch.load(weights, map_location="cpu", weights_only=True), rec, ds)


def _ready(spec: ModelSpec, state: dict, rec: dict, ds=None) -> nn.Module:
    """The network of ``spec`` with trained weights, in eval mode, in its recipe's memory format,
    carrying its spec and record (``train.predict_logits`` reads the inference precision there)."""
    model = build(spec, ds)
    model.load_state_dict(state)
    if spec.recipe.channels_last:
        model.to(memory_format=torch.channels_last)
    model.eval()
    model.spec, model.record = spec, rec
    return model


def prepare(spec: ModelSpec, model: nn.Module, ds: data.Dataset | None = None) -> None:
    """Set what an architecture takes from the training data before training (airnet's whitening)."""
    if spec.arch in architectures.DATA_INIT:
        ds = ds or dataset(spec)
        architectures.DATA_INIT[spec.arch](model, train.to_float(ds.x_train[:5000]))


def train_spec(spec: ModelSpec, progress_bar: bool = False, on_epoch_end=None) -> tuple[bytes, dict]:
    """Train the model of ``spec`` from scratch; return its state dict (serialised, CPU) and its
    record without the weights' sha256. Pure computation — no cache is read or written — so any
    executor can run it. ``on_epoch_end(epoch, model)`` observes the run (it must not train). For
    ``SNAPSHOT_DATASETS`` the record carries the state after every epoch (``store`` moves it to a
    file of its own)."""
    ds = dataset(spec)
    device = devices.resolve()
    recipe = spec.recipe
    model = build(spec, ds)
    prepare(spec, model, ds)
    monitor = torch.randperm(len(ds.x_test), generator=torch.Generator().manual_seed(0))[:MONITOR]
    states = []

    def observe(epoch, m):
        if spec.dataset in SNAPSHOT_DATASETS:
            states.append({k: v.detach().cpu().clone() for k, v in m.state_dict().items()})
        if on_epoch_end is not None:
            on_epoch_end(epoch, m)

    hist = train.fit(model, training_images(spec, ds), training_labels(spec, ds), recipe, seed=spec.seed,
                     x_test=ds.x_test[monitor], y_test=ds.y_test[monitor], progress=progress_bar,
                     desc=spec.label, device=device, on_epoch_end=observe)
    model.spec = spec
    with train.threads(train.TRAIN_THREADS):
        test_accuracy = train.accuracy(model, ds.x_test, ds.y_test)
    buffer = io.BytesIO()
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, buffer)
    rec = {
        "spec": dataclasses.asdict(spec), "key": spec.key, "code_version": CODE_VERSION,
        "recipe": dataclasses.asdict(recipe),
        "test_accuracy": test_accuracy, "epoch_monitor_accuracy": hist.epoch_test_acc,
        "curve_steps": hist.steps, "curve_train_loss": hist.train_loss,
        "train_seconds": round(hist.seconds, 3),
        "n_parameters": sum(p.numel() for p in model.parameters()),
        "device": str(device), "threads": train.TRAIN_THREADS if device.type == "cpu" else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
    }
    if states:
        snapshots = io.BytesIO()
        torch.save(states, snapshots)
        rec["_epoch_states"] = snapshots.getvalue()
    return buffer.getvalue(), rec


def store(spec: ModelSpec, weights_bytes: bytes, rec: dict) -> nn.Module:
    """Write a trained model to the cache (its epoch snapshots if any, the weights, then the
    record, which makes it count as cached) and return it loaded."""
    weights, meta = _paths(spec)
    rec = dict(rec)
    snapshots = rec.pop("_epoch_states", None)
    if snapshots is not None:
        integrity.write(_epochs_path(spec), snapshots)
    with atomic_path(weights) as tmp:
        tmp.write_bytes(weights_bytes)
        rec = {**rec, "weights_sha256": _file_sha256(tmp)}
    integrity.write_text(meta, json.dumps(rec, indent=1))
    return _ready(spec, torch.load(io.BytesIO(weights_bytes), map_location="cpu", weights_only=True), rec)


def get_model(spec: ModelSpec, progress: bool | None = None) -> nn.Module:
    """The trained model of ``spec``: from the cache if valid, else trained now and cached.

    ``progress`` (a tqdm bar) defaults to on, except in a book build.
    """
    return get_models([spec], workers=1, progress_bar=progress)[0]


def get_models(specs, workers: int | None = None, executor: cf.Executor | None = None,
               progress_bar: bool | None = None) -> list[nn.Module]:
    """Train or load several models; the missing ones are trained on ``executor`` (default: a
    pool of ``workers`` processes, or this process when one is enough). One progress line per
    model, as it is trained or loaded (``[12/42] lenet·perm·s3  trained 14 s  99.1%``)."""
    specs = list(specs)
    workers = parallel.default_workers() if workers is None else checks.positive_int("workers", workers)
    if progress_bar is None:
        progress_bar = os.environ.get("NOISECORR_BOOK") != "1"
    models: list[nn.Module | None] = [None] * len(specs)
    todo = []
    with progress.stage("loading models"):
        for i, spec in enumerate(specs):
            models[i] = _load_cached(spec, dataset(spec))
            if models[i] is None:
                todo.append(i)
    tracker = progress.ModelTracker(len(specs))
    for i, spec in enumerate(specs):
        if models[i] is not None:
            tracker.loaded(spec.label, models[i].record)
    if not todo:
        return models
    writable(models_dir())
    with progress.stage("training"), _Claims() as claims:
        ours = [i for i in todo if claims.take(specs[i].key, block=False)]
        _train_missing(specs, models, ours, workers, executor, progress_bar, tracker)
        for i in todo:
            if models[i] is None:   # another process is training it: wait for it, then load it
                claims.take(specs[i].key, block=True)
                models[i] = _load_cached(specs[i], dataset(specs[i]))
                if models[i] is None:
                    _train_missing(specs, models, [i], 1, None, progress_bar, tracker)
                else:
                    tracker.loaded(specs[i].label, models[i].record)
        return models


def writable(folder: Path) -> None:
    """Raise a one-line error, before any training, if ``folder`` cannot take new files."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise PermissionError(f"models folder {folder} is not writable ({err.strerror or err}); "
                              "make it writable or point NOISECORR_MODELS at a folder that is") from None


class _Claims:
    """Exclusive per-model locks (``fcntl.flock`` on ``models/.locks/<key>.lock``), so that two
    builds sharing a models folder never train the same network twice: the second waits for the
    first and loads what it stored. The locks go with the process if it dies."""

    def __init__(self):
        self.held: dict[str, int] = {}

    def take(self, key: str, block: bool) -> bool:
        import fcntl

        if key in self.held:
            return True
        folder = models_dir() / ".locks"
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self.held[key] = fd
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for fd in self.held.values():
            os.close(fd)
        self.held.clear()


def _train_missing(specs, models, todo, workers, executor, progress_bar, tracker) -> list:
    if not todo:
        return models
    tracker.begin_training()
    own_pool = executor is None and (workers > 1 or parallel.scheduler()) and len(todo) > 1
    if own_pool:
        executor = parallel.pool(min(workers, len(todo)))
    try:
        if executor is None:
            for i in todo:
                models[i] = store(specs[i], *train_spec(specs[i], progress_bar))
                tracker.trained(specs[i].label, models[i].record)
        else:
            futures = {executor.submit(train_spec, specs[i]): i for i in todo}
            for future in cf.as_completed(futures):
                i = futures[future]
                models[i] = store(specs[i], *future.result())
                tracker.trained(specs[i].label, models[i].record)
    finally:
        if own_pool:
            executor.shutdown(cancel_futures=True)
    return models


FAILED_LOSS = 0.95       # a final training loss above this share of ln(classes): the run never learned
FAILED_ACCURACY = 0.05   # test accuracy within this many points of chance: the run never learned


def failed(model) -> str | None:
    """Why a trained model is a failed run (its final training loss within 5% of ln(classes), the
    loss of a uniform guess, or its test accuracy within 5 points of chance), or None."""
    k = dataset(model.spec).n_classes
    loss = (model.record.get("curve_train_loss") or [float("nan")])[-1]
    acc = model.record["test_accuracy"]
    if loss >= FAILED_LOSS * math.log(k):
        return f"final training loss {loss:.2f}, ln {k} = {math.log(k):.2f}"
    if acc <= 1 / k + FAILED_ACCURACY:
        return f"test accuracy {acc:.1%}, chance {1 / k:.0%}"
    return None


@dataclass
class Groups:
    """Models of several groups (e.g. an architecture over seeds), and which rows of an answer
    array (models, n) belong to which group. ``failed`` lists, per group, the failed runs that
    were left out and replaced (``load_groups``)."""

    models: list
    rows: dict[str, list[int]]
    failed: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [m.spec.label for m in self.models]

    def half(self, which: int) -> "Groups":
        """The models of every other seed of each group (``which`` 0 or 1): two disjoint halves
        for a stability check. Rows keep indexing the full answer arrays."""
        return Groups(self.models, {g: r[which::2] for g, r in self.rows.items()}, self.failed)

    def failed_note(self) -> str:
        """One sentence on the failed runs left out, for the page."""
        runs = [f"{label} ({why})" for labels in self.failed.values() for label, why in labels]
        if not runs:
            return "No training run failed."
        return (f"{len(runs)} failed training run{'s' if len(runs) > 1 else ''} — " + "; ".join(runs)
                + " — left out of every claim and replaced by the next seed.")


def load_groups(group_specs: dict[str, list[ModelSpec]], workers: int | None = None) -> Groups:
    """Train or load every model of every group (in parallel). A failed run (``failed``) is left
    out and replaced by the group's next unused seed, at most as many times as the group has
    models; the replaced runs are listed in ``Groups.failed``."""
    group_specs = {g: list(specs) for g, specs in group_specs.items()}
    flat = [s for g in group_specs.values() for s in g]
    by_key = dict(zip([s.key for s in flat], get_models(flat, workers=workers)))
    dropped: dict[str, list[tuple[str, str]]] = {}
    for _ in range(max((len(g) for g in group_specs.values()), default=0)):
        retry = {}
        for g, specs in group_specs.items():
            bad = [s for s in specs if failed(by_key[s.key])]
            if bad and len(dropped.get(g, [])) + len(bad) <= len(specs):
                used = {s.seed for s in specs} | {int(label.rsplit("·s", 1)[1]) for label, _ in dropped.get(g, [])}
                fresh = iter(n for n in range(max(used) + 1, max(used) + 1 + 10 * len(specs)) if n not in used)
                dropped.setdefault(g, []).extend((s.label, failed(by_key[s.key])) for s in bad)
                retry[g] = [s if s not in bad else s.replace(seed=next(fresh)) for s in specs]
        if not retry:
            break
        new = [s for g in retry.values() for s in g if s.key not in by_key]
        by_key.update(zip([s.key for s in new], get_models(new, workers=workers)))
        group_specs.update(retry)
    models, rows, i = [], {}, 0
    for name, specs in group_specs.items():
        good = [s for s in specs if not failed(by_key[s.key])]
        if good and len(good) < len(specs):   # replacements that failed too are left out, unreplaced
            dropped.setdefault(name, []).extend((s.label, failed(by_key[s.key])) for s in specs if s not in good)
            specs = good
        models += [by_key[s.key] for s in specs]
        rows[name] = list(range(i, i + len(specs)))
        i += len(specs)
    return Groups(models, rows, dropped)


def seeds_of(arch: str, n_seeds: int, **fields) -> list[ModelSpec]:
    """Specs of one architecture over seeds 0..n_seeds-1."""
    checks.positive_int("n_seeds", n_seeds)
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
