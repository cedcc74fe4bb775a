import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from noisecorr_utils import stats


@pytest.mark.parametrize("seed", range(5))
def test_kappa_equals_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 10, 2000)
    b = np.where(rng.random(2000) < 0.3, a, rng.integers(0, 10, 2000))
    assert stats.agreement(a, b, 10).kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_hand_checked_table():
    # 2 classes; a: 0,0,0,1 ; b: 0,0,1,1 -> p_o = 3/4, p_a = (3/4, 1/4), p_b = (1/2, 1/2)
    r = stats.agreement([0, 0, 0, 1], [0, 0, 1, 1], 2)
    assert r.observed == 0.75 and r.chance == pytest.approx(0.5)
    assert r.kappa == pytest.approx(0.5)


def test_chance_agreement_of_two_models_that_favour_one_class():
    # both answer "8" 90% of the time, independently: p_e = 0.9² + 9·(0.1/9)² ≈ 0.811
    pa = np.full(10, 0.1 / 9)
    pa[8] = 0.9
    table = np.outer(pa, pa) * 100000
    r = stats.from_table(table)
    assert r.chance == pytest.approx(0.81 + 0.01 / 9)
    assert r.kappa == pytest.approx(0, abs=1e-12) and r.mutual_information == pytest.approx(0, abs=1e-9)


def test_contingency_counts_sum_to_the_number_of_images():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 10, 777), rng.integers(0, 10, 777)
    t = stats.contingency(a, b, 10)
    assert t.sum() == 777 and t.shape == (10, 10)
    assert t[3, 4] == ((a == 3) & (b == 4)).sum()


def test_kappa_many_matches_single():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 5, (7, 300)), rng.integers(0, 5, (7, 300))
    many = stats.kappa_many(a, b, 5)
    assert many == pytest.approx([stats.agreement(x, y, 5).kappa for x, y in zip(a, b)])


def test_permutation_null_centres_on_zero_and_detects_dependence():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 10, 3000)
    b = np.where(rng.random(3000) < 0.5, a, rng.integers(0, 10, 3000))
    null, p = stats.permutation_null(a, b, 10, n_perm=200)
    assert abs(null.mean()) < 0.01 and p < 0.01
    _, p_indep = stats.permutation_null(a, rng.integers(0, 10, 3000), 10, n_perm=200)
    assert p_indep > 0.01


def test_bootstrap_ci_brackets_the_estimate():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 10, 2000)
    b = np.where(rng.random(2000) < 0.6, a, rng.integers(0, 10, 2000))
    ci = stats.bootstrap_ci(a, b, 10, n_boot=300)
    r = stats.agreement(a, b, 10)
    assert ci["p_o"][0] < r.observed < ci["p_o"][1] and ci["kappa"][0] < r.kappa < ci["kappa"][1]


def test_mean_ci_needs_two_values():
    m, lo, hi = stats.mean_ci([0.5, 0.7, 0.6])
    assert m == pytest.approx(0.6) and lo < m < hi
    with pytest.raises(ValueError, match="at least 2 seeds or pairs, got 1"):
        stats.mean_ci([0.5])


def test_verdict_rules():
    assert stats.verdict_close(0.78, (0.75, 0.81), 0.81) == "reproduced"
    assert stats.verdict_close(0.60, (0.55, 0.65), 0.81) == "partly"
    assert stats.verdict_close(0.30, (0.25, 0.35), 0.81) == "not reproduced"
    assert stats.verdict_uncorrelated((0.05, 0.15)) == "reproduced"
    assert stats.verdict_uncorrelated((0.5, 0.6)) == "not reproduced"


def test_mean_ci_clips_to_bounds():
    m, lo, hi = stats.mean_ci([0.0, 1.0], bounds=(0, 1))
    assert (m, lo, hi) == (0.5, 0, 1)


def test_verdict_drop():
    assert stats.verdict_drop((0.9, 0.85, 0.95), (0.02, 0.0, 0.05)) == "reproduced"
    assert stats.verdict_drop((0.4, 0.3, 0.5), (0.1, 0.05, 0.2)) == "partly"
    assert stats.verdict_drop((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)) == "not reproduced"


def test_kappa_is_undefined_when_both_models_always_give_one_class():
    import math
    import warnings

    r = stats.agreement([3] * 50, [3] * 50, 10)
    assert r.observed == 1 and r.chance == 1 and math.isnan(r.kappa)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(cohen_kappa_score([3] * 50, [3] * 50))
    assert np.isnan(stats.kappa_many(np.full((2, 20), 3), np.full((2, 20), 3), 10)).all()


def test_threshold_and_ratio_verdicts():
    assert stats.verdict_above((0.6, 0.9), strong=0.5, weak=0.1) == "reproduced"
    assert stats.verdict_above((0.3, 0.9), strong=0.5, weak=0.1) == "partly"
    assert stats.verdict_above((0.05, 0.9), strong=0.5, weak=0.1) == "not reproduced"
    assert stats.verdict_below((0.1, 0.4), strong=0.5, weak=1.0) == "reproduced"
    assert stats.verdict_below((0.1, 0.8), strong=0.5, weak=1.0) == "partly"
    assert stats.verdict_below((0.9, 1.2), strong=0.5, weak=1.0) == "not reproduced"
    assert stats.verdict_within((0.8, 1.5), 0.5, 2.0) == "reproduced"
    assert stats.verdict_within((1.5, 3.0), 0.5, 2.0) == "partly"
    assert stats.verdict_within((5.0, 9.0), 0.5, 2.0) == "not reproduced"
