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


def test_bootstrap_ci_of_p_o_matches_the_binomial_interval():
    """With b an independent copy of a on a share q of images, p_o is a binomial proportion: the
    percentile bootstrap over images must match its normal interval."""
    rng = np.random.default_rng(3)
    n = 4000
    a = rng.integers(0, 10, n)
    b = np.where(rng.random(n) < 0.6, a, (a + rng.integers(1, 10, n)) % 10)  # agree exactly where chosen
    ci = stats.bootstrap_ci(a, b, 10, n_boot=2000, seed=1)
    p = (a == b).mean()
    half = 1.959964 * np.sqrt(p * (1 - p) / n)
    assert ci["p_o"][0] == pytest.approx(p - half, abs=0.004) and ci["p_o"][1] == pytest.approx(p + half, abs=0.004)


def test_mean_ci_is_the_t_interval():
    values = [0.5, 0.7, 0.6, 0.9]
    m, lo, hi = stats.mean_ci(values)
    half = 3.182446305284263 * np.std(values, ddof=1) / 2  # t(0.975, 3) · s / √4
    assert m == pytest.approx(0.675) and (lo, hi) == pytest.approx((0.675 - half, 0.675 + half))
    with pytest.raises(ValueError, match="at least 2 seeds or pairs, got 1"):
        stats.mean_ci([0.5])


def test_mean_ci_clips_to_bounds():
    m, lo, hi = stats.mean_ci([0.0, 1.0], bounds=(0, 1))
    assert (m, lo, hi) == (0.5, 0, 1)


def test_jackknife_within_is_exact_on_a_hand_checked_matrix():
    # pair values v_ij = x_i + x_j: the mean over pairs is 2·mean(x); delete-one means are known
    x = np.array([0.1, 0.4, 0.2, 0.7])
    v = x[:, None] + x[None, :]
    m, lo, hi = stats.jackknife_within(v)
    loo = np.array([2 * np.delete(x, s).mean() for s in range(4)])
    se = np.sqrt(3 / 4 * ((loo - loo.mean()) ** 2).sum())
    assert m == pytest.approx(2 * x.mean()) and hi - m == pytest.approx(3.182446305284263 * se)


def _simulated_models(rng, shared, group, n_classes=10):
    """A model's answers to shared noise: the image's shared class with a seed-specific
    probability, else a draw from the seed's own class preferences (a Dirichlet around its group's)."""
    prior = np.full(n_classes, 0.3)
    prior[8 if group == "A" else 3] = 3.0
    own = rng.choice(n_classes, len(shared), p=rng.dirichlet(prior))
    rho = rng.beta(4, 6) if group == "A" else rng.beta(2, 8)
    return np.where(rng.random(len(shared)) < rho, shared, own)


def _shared_classes(rng, n, n_classes=10):
    q = np.ones(n_classes)
    q[8] = 4
    return rng.choice(n_classes, n, p=q / q.sum())


@pytest.mark.parametrize("groups", [("A", "A"), ("A", "B")])
def test_seed_intervals_cover_the_true_kappa(groups):
    """Models with seed-specific class preferences, 5 seeds per group, 300 replicates: the nominal
    95% interval must cover the true mean κ of a pair of fresh seeds 90–99% of the time (a
    t-interval over pairs, treating them as independent, covers far less)."""
    n, seeds, replicates = 400, 5, 300
    rng = np.random.default_rng(11)
    truth = np.mean([stats.agreement(*(_simulated_models(rng, sh, g) for g in groups), 10).kappa
                     for sh in (_shared_classes(rng, n) for _ in range(4000))])
    covered = naive_covered = 0
    for _ in range(replicates):
        sh = _shared_classes(rng, n)
        a = [_simulated_models(rng, sh, groups[0]) for _ in range(seeds)]
        b = a if groups[0] == groups[1] else [_simulated_models(rng, sh, groups[1]) for _ in range(seeds)]
        v = np.array([[stats.agreement(x, y, 10).kappa for y in b] for x in a])
        if b is a:
            np.fill_diagonal(v, np.nan)
            _, lo, hi = stats.jackknife_within(v)
            pairs = v[np.triu_indices(seeds, 1)]
        else:
            _, lo, hi = stats.jackknife_between(v)
            pairs = v.ravel()
        covered += lo <= truth <= hi
        _, nlo, nhi = stats.mean_ci(pairs)
        naive_covered += nlo <= truth <= nhi
    assert 0.90 <= covered / replicates <= 0.99
    assert naive_covered / replicates < 0.85


def test_pair_matrices_match_single_pairs():
    rng = np.random.default_rng(4)
    ans = rng.integers(0, 4, (4, 300))
    m = stats.pair_matrices(ans, 4)
    assert np.isnan(m["kappa"].diagonal()).all()
    assert m["kappa"][1, 3] == pytest.approx(stats.agreement(ans[1], ans[3], 4).kappa) == m["kappa"][3, 1]


def test_difference_of_independent_estimates():
    assert stats.difference_ci((0.8, 0.7, 0.9), (0.5, 0.47, 0.53)) == pytest.approx((0.3, 0.3 - np.hypot(0.1, 0.03),
                                                                                     0.3 + np.hypot(0.1, 0.03)))


R, N, I = stats.REPRODUCED, stats.NOT_REPRODUCED, stats.INCONCLUSIVE


@pytest.mark.parametrize("ci,expected", [
    ((0.75, 0.85), R),             # narrow, inside the band
    ((0.05, 0.95), I),             # wide: never a pass
    ((0.65, 0.80), I),             # straddles the lower edge
    ((0.30, 0.40), N),             # narrow, wholly below
    ((0.93, 0.99), N),             # wholly above
    ((float("nan"), float("nan")), I),
])
def test_band_rule(ci, expected):
    assert stats.verdict_band(ci, 0.71, 0.91) == expected


@pytest.mark.parametrize("ci,side,expected", [
    ((0.05, 0.15), "below", R), ((0.15, 0.90), "below", I), ((0.25, 0.60), "below", N),
    ((0.60, 0.90), "above", R), ((0.30, 0.70), "above", I), ((0.05, 0.40), "above", N),
])
def test_side_rule(ci, side, expected):
    assert stats.verdict_side(ci, 0.2 if side == "below" else 0.5, side) == expected


def test_combined_gated_and_degenerate_verdicts():
    assert stats.verdict_all(R, R) == R and stats.verdict_all(R, I) == I and stats.verdict_all(I, N) == N
    assert stats.gated(R, accuracy=0.95, required=0.975) == stats.NOT_TESTED
    assert stats.gated(N, accuracy=0.98, required=0.975) == N
    assert stats.degenerate(np.full(100, 3), 10) and not stats.degenerate(np.arange(100) % 10, 10)


def test_seeds_to_decide():
    # half-width 0.1 with 5 seeds, 0.05 from the nearest edge: about 5·(0.1/0.05)² = 20 seeds
    assert stats.seeds_to_decide((0.76, 0.66, 0.86), 5, 0.71, 0.91) == 20
    assert stats.seeds_to_decide((0.81, 0.78, 0.84), 5, 0.71, 0.91) is None  # already decided


def test_kappa_is_undefined_when_both_models_always_give_one_class():
    import math
    import warnings

    r = stats.agreement([3] * 50, [3] * 50, 10)
    assert r.observed == 1 and r.chance == 1 and math.isnan(r.kappa)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(cohen_kappa_score([3] * 50, [3] * 50))
    assert np.isnan(stats.kappa_many(np.full((2, 20), 3), np.full((2, 20), 3), 10)).all()


