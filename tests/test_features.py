"""Clutter measures on constructed data with known answers; the spanning tree on a hand-checked
distance matrix; features of a model."""
import numpy as np
import pytest
import torch

from noisecorr_utils import architectures, features


def test_participation_ratio_and_two_nn_of_an_isotropic_gaussian():
    rng = np.random.default_rng(0)
    x = np.zeros((2000, 20))
    x[:, :5] = rng.normal(size=(2000, 5))          # a 5-dimensional cloud embedded in 20 dimensions
    assert features.participation_ratio(x) == pytest.approx(5, rel=0.05)
    assert features.two_nn(x) == pytest.approx(5, rel=0.15)
    assert features.two_nn(rng.normal(size=(2000, 2))) == pytest.approx(2, rel=0.1)


def test_spectral_slope_of_a_known_power_law():
    from noisecorr_utils import noise

    for alpha in (0.0, 1.0, 2.0):
        x = noise.generate(f"colored:alpha{alpha}", 64, "cifar10", seed=1)
        # the generator shapes the power spectrum to 1/f^α (before standardising and clipping)
        assert features.spectral_slope((x - 0.5).numpy() * 0.2 + 0.5).mean() == pytest.approx(-alpha, abs=0.25)


def test_high_frequency_share_and_edges_separate_noise_from_smooth_images():
    rng = np.random.default_rng(1)
    white = rng.random((10, 1, 32, 32))
    smooth = np.repeat(np.linspace(0, 1, 32)[None, None, None, :], 32, axis=2).repeat(10, 0)
    assert features.high_frequency_share(white).mean() > 0.5 > features.high_frequency_share(smooth).mean()
    assert features.edge_density(white).mean() > features.edge_density(smooth).mean()
    assert features.png_bytes((white * 255).astype(np.uint8)).mean() > features.png_bytes((smooth * 255).astype(np.uint8)).mean()


def test_within_between_and_spread_ratio_on_two_known_clusters():
    rng = np.random.default_rng(2)
    tight = rng.normal(0, 0.1, size=(500, 2)) + [5, 0]
    loose = rng.normal(0, 1.0, size=(500, 2)) - [5, 0]
    x, y = np.vstack([tight, loose]), np.repeat([0, 1], 500)
    ratio = features.spread_ratio(x, y, 2)
    assert ratio[0] == pytest.approx(2 * 0.01 / 25, rel=0.15) and ratio[1] == pytest.approx(2 * 1.0 / 25, rel=0.15)
    wb = features.within_between(x, y, 2)
    assert wb[1] / wb[0] == pytest.approx(100, rel=0.2)


def test_spanning_tree_on_a_hand_checked_matrix():
    # a path 0 - 1 - 2 with 3 hanging off 1: the tree keeps the three short edges
    d = np.array([[0, 1, 5, 6], [1, 0, 2, 1.5], [5, 2, 0, 7], [6, 1.5, 7, 0]], dtype=float)
    edges = features.spanning_tree(d)
    assert edges == [(0, 1), (1, 2), (1, 3)]
    assert features.neighbours(edges, 1) == [0, 2, 3] and features.neighbours(edges, 3) == [1]
    assert features.spanning_tree(np.zeros((3, 3))) and len(features.spanning_tree(np.zeros((3, 3)))) == 2


def test_cosine_distance():
    d = features.cosine_distance_matrix(np.array([[1.0, 0], [0, 1.0], [-1.0, 0]]))
    assert d == pytest.approx(np.array([[0, 0.5, 1], [0.5, 0, 0.5], [1, 0.5, 0]]))


def test_penultimate_features_and_a_missing_layer():
    torch.manual_seed(0)
    model = architectures.build("airnet", (3, 32, 32), 10, [0.5] * 3, [0.25] * 3)
    f = features.extract(model, torch.rand(7, 3, 32, 32))
    assert f.shape == (7, 128)
    lenet = architectures.build("lenet", (1, 28, 28), 10, [0.5], [0.25])
    assert features.extract(lenet, torch.rand(3, 1, 28, 28)).shape == (3, 84)
    with pytest.raises(ValueError, match="layer 'fc9' does not exist in this model; allowed: penultimate"):
        features.extract(lenet, torch.rand(3, 1, 28, 28), layer="fc9")
