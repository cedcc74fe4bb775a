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


def test_experiment_refuses_a_reference_larger_than_the_training_set():
    with pytest.raises(ValueError, match="n_reference=50 exceeds n_train=20"):
        registration.experiment(None, 1.0, 0, n_train=20, n_test=5, n_reference=50, epochs=1)


def test_experiment_end_to_end_on_a_slice_of_mnist():
    ds = data.load("mnist")
    out = registration.experiment(ds, 2.0, 0, n_train=256, n_test=32, n_reference=128, epochs=1, canvas=32)
    assert out.shape == (32, 5) and np.isfinite(out).all()
    assert np.abs(out[:, :2]).max() <= 2  # true shifts on a 32-pixel canvas
    assert (out[:, 4] > 0).all() and (out[:, 4] <= 128 + 1e-3).all()  # N_S counts at most |S|


def test_summary_numbers_follow_their_definitions():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(1000, 2))
    results = {}
    for sigma, spread in ((0.0, 0.3), (2.0, 0.5)):
        pred = truth + spread * rng.normal(size=truth.shape)
        n_s = np.full((1000, 1), 400.0)
        results[sigma, 0] = np.hstack([truth, pred, n_s])
    table = registration.summarise(results).set_index("sigma")
    assert table.loc[0.0, "test RMSE"] == pytest.approx(0.3, rel=0.05)
    assert table.loc[2.0, "RMSE / sigma"] == pytest.approx(0.25, rel=0.05)
    assert table.loc[2.0, "noise part"] == pytest.approx(np.sqrt(0.5 ** 2 - 0.3 ** 2), rel=0.1)
    assert table.loc[2.0, "predicted sigma/sqrt(N_S)"] == pytest.approx(2.0 / 20)
    rmse0 = table.loc[0.0, "test RMSE"]
    assert table.loc[2.0, "predicted test RMSE"] == pytest.approx(np.sqrt(rmse0 ** 2 + 0.1 ** 2))
