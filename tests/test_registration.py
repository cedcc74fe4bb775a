import numpy as np
import pytest
import torch

from noisecorr_utils import data, registration


def digits(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8)


def test_each_digit_sits_where_its_shift_says():
    images = digits(50)
    canvas, shifts = registration.shifted_digits(images, canvas=40, seed=3)
    assert canvas.shape == (50, 1, 40, 40) and shifts.shape == (50, 2)
    assert shifts.abs().max() <= 6 and shifts.min() < -3 and shifts.max() > 3
    for img, out, (sx, sy) in zip(images, canvas, shifts):
        x0, y0 = int(sx + 6), int(sy + 6)
        assert torch.equal(out[0, y0:y0 + 28, x0:x0 + 28], img[0])
        assert out.sum() == img.sum()  # nothing else on the canvas


def test_shifts_are_seeded_and_uniform():
    a = registration.shifted_digits(digits(4000), canvas=36, seed=1)[1]
    b = registration.shifted_digits(digits(4000), canvas=36, seed=1)[1]
    assert torch.equal(a, b)
    counts = np.bincount((a[:, 0] + 4).int().numpy(), minlength=9)
    assert counts.min() > 4000 / 9 * 0.8 and counts.max() < 4000 / 9 * 1.2


def test_noisy_targets_have_the_stated_sigma():
    shifts = torch.zeros(20000, 2)
    noisy = registration.noisy_targets(shifts, 2.5, seed=0)
    assert abs(noisy.std().item() - 2.5) < 0.05 and abs(noisy.mean().item()) < 0.05
    assert torch.equal(registration.noisy_targets(shifts + 1, 0.0), shifts + 1)


@pytest.mark.parametrize("call, message", [
    (lambda: registration.noisy_targets(torch.zeros(3, 2), -1.0), "sigma=-1.0 must be a non-negative"),
    (lambda: registration.shifted_digits(digits(2), canvas=28), "canvas=28 must be an integer in (28, 112]"),
    (lambda: registration.shifted_digits(torch.zeros(2, 28, 28, dtype=torch.uint8)), "images must have shape"),
])
def test_bad_input_is_one_clear_line(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("]", r"\]")):
        call()


def test_paired_networks_differ_only_through_their_target_noise():
    ds = data.load("mnist")
    run, kernel = registration.paired_run(ds, 2.0, 0, n_train=256, n_test=32, epochs=2, canvas=32, n_queries=4)
    assert run.shape == (32, 6) and np.isfinite(run).all()
    assert np.abs(run[:, :2]).max() <= 2                        # true shifts on a 32-pixel canvas
    assert registration.inherited_noise(run) > 0                # independent noise draws: answers differ
    assert kernel.shape == (4, 256) and np.isfinite(kernel).all()
    quiet, none = registration.paired_run(ds, 0.0, 0, n_train=256, n_test=32, epochs=2, canvas=32)
    assert registration.inherited_noise(quiet) == 0 and none is None   # σ = 0: one network, used twice
    # the same seed and noise draw give the same network (initialisation, canvases and order are fixed)
    again, _ = registration.paired_run(ds, 2.0, 0, n_train=256, n_test=32, epochs=2, canvas=32)
    assert np.array_equal(again, run)


def test_repeats_keep_the_number_of_steps_and_need_a_divisor():
    with pytest.raises(ValueError, match="epochs=3 must be a multiple of repeats=2"):
        registration.fit(None, 1.0, 0, 0, n_train=10, epochs=3, repeats=2)


def test_inherited_noise_and_rmse_follow_their_definitions():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(4000, 2))
    common = 0.2 * rng.normal(size=truth.shape)
    a = truth + common + 0.3 * rng.normal(size=truth.shape)
    b = truth + common + 0.3 * rng.normal(size=truth.shape)
    run = np.hstack([truth, a, b])
    assert registration.inherited_noise(run) == pytest.approx(0.3, rel=0.05)
    assert registration.rmse(run) == pytest.approx(np.hypot(0.2, 0.3), rel=0.05)


def test_readings_of_the_count_on_a_constructed_kernel():
    # one query: 10 copies with k = 1, 90 inputs with k = 0.2
    k = np.array([[1.0] * 10 + [0.2] * 90])
    c = registration.counts(k, threshold=0.5)
    assert c["raw N_S"][0] == pytest.approx(28.0)
    assert c["effective count"][0] == pytest.approx(28.0 ** 2 / (10 + 90 * 0.04))
    assert c["centred"][0] == pytest.approx(10 * (1 - 0.28))
    assert c["thresholded"][0] == 10
