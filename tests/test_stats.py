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


def test_pairwise_bootstrap_gives_each_pair_the_interval_of_bootstrap_ci():
    """One shared resample for all pairs: each pair's interval is (up to resampling noise) the one
    ``bootstrap_ci`` gives that pair alone; symmetric matrices with NaN on the diagonal."""
    rng = np.random.default_rng(4)
    n = 3000
    a = rng.integers(0, 10, n)
    answers = np.stack([a, np.where(rng.random(n) < 0.6, a, rng.integers(0, 10, n)),
                        np.where(rng.random(n) < 0.2, a, rng.integers(0, 3, n))])
    ci = stats.pairwise_bootstrap(answers, 10, n_boot=2000, seed=1)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        alone = stats.bootstrap_ci(answers[i], answers[j], 10, n_boot=2000, seed=2)
        for name in ("p_o", "kappa"):
            assert (ci[name][0][i, j], ci[name][1][i, j]) == pytest.approx(alone[name], abs=0.005)
            assert ci[name][0][i, j] == ci[name][0][j, i]
    assert np.isnan(ci["kappa"][0].diagonal()).all()
    with pytest.raises(ValueError):
        stats.pairwise_bootstrap(answers[:, :0], 10)


def test_mean_ci_is_the_t_interval():
    values = [0.5, 0.7, 0.6, 0.9]
    m, lo, hi = stats.mean_ci(values)
    half = 3.182446305284263 * np.std(values, ddof=1) / 2  # t(0.975, 3) · s / √4
    assert m == pytest.approx(0.675) and (lo, hi) == pytest.approx((0.675 - half, 0.675 + half))
    with pytest.raises(ValueError, match="at least 2 seeds or pairs, got 1"):
        stats.mean_ci([0.5])


def test_mean_ci_stays_inside_its_bounds():
    m, lo, hi = stats.mean_ci([0.0, 1.0], bounds=(0, 1))
    assert m == 0.5 and 0 <= lo < 0.01 and 0.99 < hi <= 1


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


def test_degenerate_only_when_one_answer_takes_99_percent():
    assert stats.degenerate(np.full(100, 3), 10) and not stats.degenerate(np.arange(100) % 10, 10)
    mostly = np.r_[np.full(98, 3), [1, 2]]
    assert not stats.degenerate(mostly, 10) and stats.degenerate(np.r_[np.full(99, 3), [1]], 10)


def test_kappa_of_a_pair_with_a_degenerate_model_is_left_out():
    rng = np.random.default_rng(0)
    ans = rng.integers(0, 10, (3, 400))
    ans[2] = 8                                     # one model says "8" to everything
    m = stats.pair_matrices(ans, 10)
    assert np.isnan(m["kappa"][0, 2]) and np.isfinite(m["kappa"][0, 1]) and m["p_o"][0, 2] == pytest.approx(0.1, abs=0.05)
    table = stats.pair_table({1.0: ans}, {"g": [0, 1, 2]}, {"g–g": ("g", None, 1.0)})
    assert table.loc["g–g", "kappa pairs"] == 1 and table.loc["g–g", "kappa"] == pytest.approx(m["kappa"][0, 1])


@pytest.mark.parametrize("values,bounds", [
    ([0.99, 0.5, 1.0], (0, 1)),                    # a share near 1 with a wide spread
    ([0.01, 0.4, 0.02], (0, 1)),
    ([11.0, 1.0, 30.0], (0, np.inf)),              # a positive scale (Hein's α)
    ([-0.9, -0.2, -0.95], (-1, 1)),                # a difference of shares
])
def test_intervals_stay_inside_their_range(values, bounds):
    m, lo, hi = stats.mean_ci(values, bounds=bounds)
    raw_half = 4.302653 * np.std(values, ddof=1) / np.sqrt(3)
    assert m - raw_half < bounds[0] or m + raw_half > bounds[1]      # the t-interval would leave the range
    assert bounds[0] < lo <= m <= hi < bounds[1]


def test_an_interval_inside_its_range_is_the_plain_t_interval():
    values = [0.4, 0.5, 0.45, 0.55]
    m, lo, hi = stats.mean_ci(values, bounds=(0, 1))
    half = 3.182446 * np.std(values, ddof=1) / 2
    assert (lo, hi) == pytest.approx((m - half, m + half))


def test_difference_of_shares_stays_in_minus_one_one():
    d, lo, hi = stats.difference_ci((0.1, 0.0, 0.3), (0.9, 0.7, 1.0), bounds=(-1, 1))
    assert d == pytest.approx(-0.8) and -1 < lo < d < hi < 1


def test_kappa_is_undefined_when_both_models_always_give_one_class():
    import math
    import warnings

    r = stats.agreement([3] * 50, [3] * 50, 10)
    assert r.observed == 1 and r.chance == 1 and math.isnan(r.kappa)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(cohen_kappa_score([3] * 50, [3] * 50))
    assert np.isnan(stats.kappa_many(np.full((2, 20), 3), np.full((2, 20), 3), 10)).all()


