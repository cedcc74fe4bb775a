"""The similarity chapter's study functions on constructed inputs with known answers."""
import numpy as np
import pandas as pd
import pytest
import torch

from noisecorr_utils import registration
from noisecorr_utils.studies import input_similarity
from noisecorr_utils.studies.input_similarity import enforcement_runs, registration_task
from noisecorr_utils.studies.input_similarity import labels as noisy_labels


def test_kernel_vote_leaves_the_image_itself_out():
    # image 0 has label 2; its own k = 1 sits in class 2, which would otherwise win
    sums = np.array([[0.0, 0.6, 1.5], [0.2, 0.1, 0.0]])
    assert list(noisy_labels._vote(sums, np.array([2, 0]))) == [1, 1]


def test_pixel_vote_takes_the_majority_of_the_nearest_images():
    x = torch.zeros(8, 1, 2, 2, dtype=torch.uint8)
    x[4:] = 255                                   # two clusters of four identical images
    labels = np.array([0, 0, 0, 1, 4, 4, 4, 3])
    assert list(noisy_labels.pixel_vote(x, labels, k=3)) == [0, 0, 0, 0, 4, 4, 4, 4]


def test_registration_table_and_slopes_on_constructed_runs():
    rng = np.random.default_rng(0)
    runs = {}
    for seed in range(3):
        for sigma, repeats in ((1.0, 1), (2.0, 1), (4.0, 1), (4.0, 4)):
            truth = rng.normal(size=(2000, 2))
            spread = 0.05 * sigma / np.sqrt(repeats)            # inherited noise ∝ σ/√r
            a, b = (truth + spread * rng.normal(size=truth.shape) for _ in range(2))
            kernel = np.full((5, 100), 0.5) if (sigma, repeats) == (4.0, 1) else None
            runs[sigma, repeats, seed] = (np.hstack([truth, a, b]), kernel)
    table = registration_task.registration_table(runs)
    top = table[(table.sigma == 4.0) & (table.repeats == 1)]
    assert top["inherited"].mean() == pytest.approx(0.2, rel=0.05)
    assert top["predicted (raw N_S)"].iloc[0] == pytest.approx(4.0 / np.sqrt(50))
    assert top["predicted (effective count)"].iloc[0] == pytest.approx(4.0 / np.sqrt(100))
    slope = registration_task.slope_ci(table[table.repeats == 1], "sigma", "inherited")
    assert slope[0] == pytest.approx(1.0, abs=0.05) and slope[1] < 1 < slope[2]
    slope_r = registration_task.slope_ci(table[table.sigma == 4.0], "repeats", "inherited")
    assert slope_r[0] == pytest.approx(-0.5, abs=0.05)


def test_enforcement_effects_are_paired_by_seed():
    rows = []
    for seed in range(3):
        for variant, shift in (("plain", 0.0), ("raise similarity ×1", -0.1), ("lower similarity ×1", 0.02)):
            for step, acc in ((0, 0.1), (10, 0.5 + shift + 0.01 * seed)):
                rows.append({"variant": variant, "seed": seed, "step": step, "val accuracy": acc,
                             "pair cosine": 0.5 + shift})
    effects = enforcement_runs.enforcement_effects(pd.DataFrame(rows)).set_index("variant")
    assert effects.loc["raise similarity ×1", "gain"] == pytest.approx(-0.05)   # mean over the two evaluations
    assert effects.loc["lower similarity ×1", "gain"] == pytest.approx(0.01)
    assert effects.loc["raise similarity ×1", "hi"] < 0


@pytest.mark.parametrize("kwargs,message", [
    (dict(reg_sigmas=[1.0, 2.0]), "must be a list holding 0 (the baseline)"),
    (dict(reg_repeats=[1, 3]), "reg_epochs=4 must be a multiple of every repeat count (got 3)"),
    (dict(enforce_weights=[0.0]), "must be a non-empty list of positive weights"),
    (dict(label_noise=[0.0, 1.0]), "label_noise=1.0 must be in [0, 1)"),
    (dict(reg_seeds=1), "reg_seeds=1: confidence intervals need at least 2 seeds"),
])
def test_chapter_parameters_fail_in_one_line(kwargs, message):
    params = dict(label_seeds=2, reg_seeds=2, enforce_seeds=2, reg_sigmas=[0.0, 1.0], reg_repeats=[1, 2],
                  reg_epochs=4, canvas=40, enforce_weights=[1.0], label_noise=[0.0, 0.5])
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        input_similarity.Params(**{**params, **kwargs})


def test_readings_are_registrations():
    assert set(registration.READINGS) == set(registration.counts(np.ones((1, 3))))
