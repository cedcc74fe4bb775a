import json

import pytest
from conftest import flip_byte
import torch

from noisecorr_utils import architectures, devices, train, zoo
from noisecorr_utils.zoo import ModelSpec

SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32)}
TINY = train.Recipe(epochs=1, batch_size=16, lr=1e-3)


@pytest.mark.parametrize("arch", list(architectures.ARCHITECTURES))
@pytest.mark.parametrize("dataset", list(SHAPES))
def test_every_architecture_trains_a_step(arch, dataset):
    shape = SHAPES[dataset]
    torch.manual_seed(0)
    model = architectures.build(arch, shape, 10, [0.5] * shape[0], [0.25] * shape[0])
    x = torch.randint(0, 256, (32, *shape), dtype=torch.uint8)
    y = torch.randint(0, 10, (32,))
    before = [p.detach().clone() for p in model.parameters()]
    if arch in architectures.DATA_INIT:
        architectures.DATA_INIT[arch](model, train.to_float(x))
    hist = train.fit(model, x, y, TINY, seed=0, progress=False, log_every=1)
    assert model(train.to_float(x)).shape == (32, 10)
    assert len(hist.train_loss) == 2 and all(l > 0 for l in hist.train_loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_permutation_layer_is_a_fixed_bijection():
    layer = architectures.PixelPermutation((1, 4, 4), seed=3)
    x = torch.arange(16.0).view(1, 1, 4, 4)
    out = layer(x)
    assert sorted(out.flatten().tolist()) == list(range(16)) and not torch.equal(out, x)
    assert torch.equal(layer(x), architectures.PixelPermutation((1, 4, 4), seed=3)(x))


def test_training_is_deterministic():
    spec = ModelSpec("mlp", n_train=256, epochs=1, width=0.1)
    a, b = zoo.build(spec), zoo.build(spec)
    ds_x = torch.randint(0, 256, (256, 1, 28, 28), dtype=torch.uint8)
    ds_y = torch.randint(0, 10, (256,))
    for m in (a, b):
        train.fit(m, ds_x, ds_y, TINY.replace(batch_size=32), seed=1, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_cache_hit_returns_identical_weights(model_cache):
    spec = ModelSpec("lenet", n_train=256, epochs=1)
    first = zoo.get_model(spec, progress=False)
    files = sorted(p.name for p in model_cache.iterdir() if p.is_file())
    stem = f"lenet-mnist-{spec.key}"
    assert files == sorted([f"{stem}.json", f"{stem}.json.sha256", f"{stem}.pt"])
    second = zoo.get_model(spec, progress=False)
    assert second.record["created"] == first.record["created"]  # loaded, not retrained
    for p, q in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(p, q)
    rec = json.loads((model_cache / f"lenet-mnist-{spec.key}.json").read_text())
    assert rec["spec"]["arch"] == "lenet" and 0 < rec["test_accuracy"] <= 1
    assert rec["versions"]["torch"] == torch.__version__


def test_corrupt_cached_model_is_detected_and_retrained(model_cache, capsys):
    spec = ModelSpec("mlp", n_train=256, epochs=1, width=0.25)
    first = zoo.get_model(spec, progress=False)
    weights = model_cache / f"mlp-mnist-{spec.key}.pt"
    flip_byte(weights, weights.stat().st_size // 2)
    again = zoo.get_model(spec, progress=False)
    assert "are damaged (sha256 mismatch)" in capsys.readouterr().err
    for p, q in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(p, q)  # retrained deterministically


def test_spec_key_changes_with_every_field():
    base = ModelSpec("mlp")
    variants = [base.replace(seed=1), base.replace(epochs=3), base.replace(width=2.0),
                base.replace(permutation_seed=0), base.replace(n_train=100), base.replace(lr=0.01),
                base.replace(dataset="fashion_mnist"), base.replace(arch="lenet"),
                base.replace(label_noise=0.2), base.replace(batch_size=64),
                base.replace(precision="fp32" if base.recipe.precision == "bf16" else "bf16")]
    assert len({base.key, *(v.key for v in variants)}) == len(variants) + 1


def test_spec_fields_left_empty_take_the_architectures_recipe():
    recipe = train.recipe_for("lenet", "mnist")
    explicit = ModelSpec("lenet", epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr)
    assert ModelSpec("lenet").recipe == recipe and explicit.key == ModelSpec("lenet").key
    assert ModelSpec("lenet", epochs=1).recipe == recipe.replace(epochs=1)


@pytest.mark.parametrize("fields,message", [
    (dict(arch="resnet50"), "unknown architecture 'resnet50'; allowed: mlp, lenet"),
    (dict(arch="mlp", dataset="svhn"), "unknown data set 'svhn'; allowed: mnist"),
    (dict(arch="mlp", epochs=0), "epochs=0 must be a positive integer"),
    (dict(arch="mlp", seed=-1), "seed=-1 must be a non-negative integer"),
    (dict(arch="mlp", width=0), "width=0 must be positive"),
])
def test_bad_specs_fail_before_any_training(fields, message, model_cache):
    with pytest.raises(ValueError, match=message):
        ModelSpec(**fields)
    assert not model_cache.exists()


def test_seeds_of_rejects_non_positive_counts():
    with pytest.raises(ValueError, match="n_seeds=0 must be a positive integer"):
        zoo.seeds_of("mlp", 0)


def test_label_noise_replaces_the_stated_share_deterministically():
    spec = ModelSpec("mlp", label_noise=0.4, seed=3)
    y = zoo.training_labels(spec)
    true = zoo.training_labels(spec.replace(label_noise=0.0))
    changed = (y != true).float().mean().item()
    assert abs(changed - 0.4) < 0.01  # a replacement is always one of the other classes
    assert torch.equal(y, zoo.training_labels(spec))


def test_bf16_falls_back_to_fp32_only_where_the_recipe_chose_it(monkeypatch):
    bf16 = ModelSpec("airnet", dataset="cifar10")
    assert bf16.recipe.precision == "bf16"
    monkeypatch.setattr(devices, "bf16_supported", lambda device: False)
    assert ModelSpec("airnet", dataset="cifar10").recipe.precision == "fp32"
    with pytest.raises(ValueError, match="precision='bf16' cannot run natively on this cpu"):
        ModelSpec("mlp", precision="bf16")


@pytest.mark.parametrize("setting,message", [
    (dict(env="tpu"), "unknown device 'tpu'; allowed: cpu, cuda, cuda:N"),
    (dict(env="cuda:0", no_gpu=True), "device 'cuda:0' was asked for, but this machine has no usable CUDA GPU"),
    (dict(workers=0), "workers=0 must be a positive integer"),
    (dict(workers=-2), "workers=-2 must be a positive integer"),
    (dict(precision="fp16"), "precision='fp16'; allowed: fp32, bf16"),
])
def test_bad_device_precision_or_workers_trains_nothing(setting, message, model_cache, monkeypatch):
    if "env" in setting:
        monkeypatch.setenv("NOISECORR_DEVICE", setting["env"])
    if setting.get("no_gpu"):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=message):
        spec = ModelSpec("mlp", n_train=64, epochs=1, precision=setting.get("precision"))
        zoo.get_models([spec, spec.replace(seed=1)], workers=setting.get("workers", 1), progress_bar=False)
    assert not model_cache.exists() or not list(model_cache.iterdir())


def test_parallel_workers_train_the_same_weights_as_serial(tmp_path, monkeypatch, capsys):
    specs = [ModelSpec("mlp", n_train=512, epochs=1, width=0.1, seed=s) for s in range(3)]
    weights = {}
    for workers in (1, 2):
        monkeypatch.setenv("NOISECORR_MODELS", str(tmp_path / f"w{workers}"))
        weights[workers] = [m.state_dict() for m in zoo.get_models(specs, workers=workers, progress_bar=False)]
    for a, b in zip(weights[1], weights[2]):
        assert all(torch.equal(a[k], b[k]) for k in a)
    lines = [l for l in capsys.readouterr().err.splitlines() if "mlp·w0.1" in l]
    assert len(lines) == 6 and all(" trained " in l for l in lines)
    assert any(l.startswith("[3/3]") for l in lines)
    assert zoo.get_models(specs, workers=2)[0].record["threads"] == train.TRAIN_THREADS
    assert "loaded" in capsys.readouterr().err


def test_a_dask_cluster_trains_the_zoo_through_its_executor(tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    specs = [ModelSpec("mlp", n_train=256, epochs=1, width=0.1, seed=s) for s in range(2)]
    monkeypatch.setenv("NOISECORR_MODELS", str(tmp_path / "serial"))
    serial = zoo.get_models(specs, workers=1, progress_bar=False)
    monkeypatch.setenv("NOISECORR_MODELS", str(tmp_path / "dask"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        models = zoo.get_models(specs, executor=client.get_executor())
    for a, b in zip(serial, models):
        assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    files = [p for p in (tmp_path / "dask").iterdir() if p.is_file()]
    assert sorted(p.suffix for p in files) == [".json", ".json", ".pt", ".pt", ".sha256", ".sha256"]
