import json

import pytest
import torch

from noisecorr_utils import architectures, train, zoo
from noisecorr_utils.zoo import ModelSpec

SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32)}


@pytest.mark.parametrize("arch", list(architectures.ARCHITECTURES))
@pytest.mark.parametrize("dataset", list(SHAPES))
def test_every_architecture_trains_a_step(arch, dataset):
    shape = SHAPES[dataset]
    torch.manual_seed(0)
    model = architectures.build(arch, shape, 10, [0.5] * shape[0], [0.25] * shape[0])
    x = torch.randint(0, 256, (32, *shape), dtype=torch.uint8)
    y = torch.randint(0, 10, (32,))
    before = [p.detach().clone() for p in model.parameters()]
    hist = train.fit(model, x, y, epochs=1, batch_size=16, lr=1e-3, seed=0, progress=False, log_every=1)
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
        train.fit(m, ds_x, ds_y, epochs=1, batch_size=32, lr=1e-3, seed=1, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_cache_hit_returns_identical_weights(model_cache):
    spec = ModelSpec("lenet", n_train=256, epochs=1)
    first = zoo.get_model(spec, progress=False)
    files = sorted(p.name for p in model_cache.iterdir())
    assert files == sorted([f"lenet-mnist-{spec.key}.json", f"lenet-mnist-{spec.key}.pt"])
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
    raw = bytearray(weights.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    weights.write_bytes(bytes(raw))
    again = zoo.get_model(spec, progress=False)
    assert "corrupt" in capsys.readouterr().err
    for p, q in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(p, q)  # retrained deterministically


def test_spec_key_changes_with_every_field():
    base = ModelSpec("mlp")
    variants = [base.replace(seed=1), base.replace(epochs=3), base.replace(width=2.0),
                base.replace(permutation_seed=0), base.replace(n_train=100), base.replace(lr=0.01),
                base.replace(dataset="fashion_mnist"), base.replace(arch="lenet"),
                base.replace(label_noise=0.2)]
    assert len({base.key, *(v.key for v in variants)}) == len(variants) + 1


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
    assert abs(changed - 0.4 * 0.9) < 0.01  # a random class is the true one a tenth of the time
    assert torch.equal(y, zoo.training_labels(spec))


def test_old_cache_keys_are_kept_without_label_noise():
    assert ModelSpec("mlp").key == ModelSpec("mlp", label_noise=0.0).key
