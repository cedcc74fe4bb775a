import pytest
import torch

from noisecorr_utils import data, noise, train


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


@pytest.mark.parametrize("kind", list(noise.KINDS))
@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_every_kind_shape_range_and_seed(kind, dataset):
    ds = data.load(dataset)
    x = noise.generate(kind, 64, ds, seed=1)
    assert x.shape == (64, *ds.shape) and x.dtype == torch.float32
    assert x.min() >= 0 and x.max() <= 1 and x.std() > 0
    assert torch.equal(x, noise.generate(kind, 64, ds, seed=1))
    assert not torch.equal(x, noise.generate(kind, 64, ds, seed=2))


@pytest.mark.parametrize("kind", list(noise.KINDS))
def test_brightness_scales_the_image(kind, mnist):
    full = noise.generate(kind, 32, mnist, brightness=1.0, seed=5)
    half = noise.generate(kind, 32, mnist, brightness=0.5, seed=5)
    assert torch.allclose(half, 0.5 * full)


def test_uniform_noise_is_uniform(mnist):
    x = noise.generate("uniform", 2000, mnist)
    assert abs(x.mean().item() - 0.5) < 0.005 and abs(x.var().item() - 1 / 12) < 0.002


def test_gaussian_noise_follows_the_data_moments(mnist):
    from scipy.stats import norm

    x = noise.generate("gaussian", 2000, mnist)
    mean, std = mnist.mean[0], mnist.std[0]
    # clipping at 0 puts the normal's mass below 0 exactly at 0
    assert (x == 0).float().mean().item() == pytest.approx(norm.cdf(-mean / std), abs=0.005)


def test_shuffled_keeps_each_image_histogram(mnist):
    x = noise.generate("shuffled", 16, mnist, seed=0)
    idx = torch.randint(0, len(mnist.x_test), (16,), generator=torch.Generator().manual_seed(0))
    orig = train.to_float(mnist.x_test[idx])
    assert torch.equal(x.flatten(1).sort(1).values, orig.flatten(1).sort(1).values)


@pytest.mark.parametrize("kwargs,message", [
    (dict(kind="pink"), "unknown noise kind 'pink'; allowed: uniform, gaussian"),
    (dict(kind="uniform", brightness=0), r"brightness=0 is outside \(0, 1\]"),
    (dict(kind="uniform", brightness=1.5), r"brightness=1.5 is outside \(0, 1\]"),
    (dict(kind="uniform", n=0), "n=0 must be a positive integer"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        noise.generate(kwargs.pop("kind"), kwargs.pop("n", 10), "mnist", **kwargs)


def test_answers_of_an_empty_model_list():
    with pytest.raises(ValueError, match="model list is empty"):
        noise.answers([], torch.zeros(3, 1, 28, 28))


def test_kinds_take_options_in_their_range():
    assert torch.equal(noise.generate("correlated", 2, "mnist", seed=0), noise.generate("colored:alpha2", 2, "mnist", seed=0))
    grey = noise.generate("gaussian:grey", 3, "cifar10", seed=1)
    assert grey.shape == (3, 3, 32, 32) and torch.equal(grey[:, 0], grey[:, 2])
    white = noise.generate("colored:alpha0", 200, "cifar10", seed=2)
    smooth = noise.generate("colored:alpha2", 200, "cifar10", seed=2)
    def neighbour_corr(x):
        a, b = x[..., :, :-1].flatten(), x[..., :, 1:].flatten()
        return torch.corrcoef(torch.stack([a, b]))[0, 1].item()
    assert neighbour_corr(white) < 0.1 < 0.5 < neighbour_corr(smooth)


@pytest.mark.parametrize("kind,message", [
    ("colored:alpha2.5", "alpha=2.5 of noise kind 'colored' is outside [0, 2]"),
    ("colored:beta1", "unknown option 'beta1' of noise kind 'colored'; allowed: alpha (e.g. alpha1.5), grey"),
    ("shuffled:grey", "noise kind 'shuffled' has no grey variant"),
    ("colored:alphax", "option 'alphax' of noise kind 'colored' must be alpha followed by a number"),
])
def test_bad_options_fail_in_one_line(kind, message):
    import re

    with pytest.raises(ValueError, match=re.escape(message)):
        noise.generate(kind, 2, "mnist")
