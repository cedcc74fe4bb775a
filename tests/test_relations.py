"""Relations between two networks (``relations``) and the factor decomposition (``stats``)."""
import numpy as np
import pytest
from scipy.stats import ortho_group
from sklearn.metrics import roc_auc_score

from noisecorr_utils import relations, stats


def test_cka_is_one_for_a_rotation_and_an_isotropic_scaling():
    g = np.random.default_rng(0)
    x = g.normal(size=(300, 20))
    q = ortho_group.rvs(20, random_state=1)
    assert relations.linear_cka(x, x @ q) == pytest.approx(1.0, abs=1e-10)
    assert relations.linear_cka(x, 7.5 * x) == pytest.approx(1.0, abs=1e-10)
    assert relations.linear_cka(x, 3 * x @ q + 2.0) == pytest.approx(1.0, abs=1e-10)  # centring removes the shift


def test_cka_of_independent_representations_is_small_and_not_scale_invariant_per_axis():
    g = np.random.default_rng(1)
    x, y = g.normal(size=(2000, 10)), g.normal(size=(2000, 10))
    assert relations.linear_cka(x, y) < 0.05
    stretched = x * np.r_[10.0, np.ones(9)]                   # anisotropic scaling changes CKA
    assert relations.linear_cka(x, stretched) < 0.9


def test_error_consistency_matches_a_hand_computed_case():
    a = np.array([1, 1, 1, 1, 0, 0, 1, 0, 1, 1], bool)   # 7 right
    b = np.array([1, 1, 1, 0, 0, 1, 1, 0, 1, 0], bool)   # 6 right
    c_obs = 7 / 10                                          # equal on 7 of 10
    c_exp = 0.7 * 0.6 + 0.3 * 0.4                           # 0.54
    assert relations.error_consistency(a, b) == pytest.approx((c_obs - c_exp) / (1 - c_exp))
    assert relations.error_consistency(a, a) == pytest.approx(1.0)
    assert relations.error_consistency(a, ~a) < 0


def test_error_consistency_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="1-d of one non-zero length"):
        relations.error_consistency([1, 0, 1], [1, 0])


def test_ece_is_zero_when_calibrated_and_the_gap_when_overconfident():
    g = np.random.default_rng(2)
    n = 200_000
    conf = g.uniform(0.5, 1.0, n)
    labels = (g.uniform(size=n) >= conf).astype(int)        # class 0 (the argmax) exactly as often as its probability
    probs = np.column_stack([conf, 1 - conf])
    assert relations.expected_calibration_error(probs, labels) < 0.01
    over = np.tile([0.99, 0.01], (n, 1))
    labels = (g.uniform(size=n) >= 0.7).astype(int)
    assert relations.expected_calibration_error(over, labels) == pytest.approx(0.99 - (labels == 0).mean(), abs=1e-9)


def test_auroc_agrees_with_scikit_learn_ties_included():
    g = np.random.default_rng(3)
    pos, neg = g.integers(0, 5, 300).astype(float), g.integers(0, 4, 200).astype(float)
    expected = roc_auc_score(np.r_[np.ones(300), np.zeros(200)], np.r_[pos, neg])
    assert relations.auroc(pos, neg) == pytest.approx(expected)


def test_js_divergence_bounds():
    assert relations.js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)
    assert relations.js_divergence([0.2, 0.8], [0.2, 0.8]) == pytest.approx(0.0)
    assert 0 < relations.js_divergence([0.5, 0.5], [0.9, 0.1]) < 1


def test_kernel_correlation_rejects_different_shapes_and_finds_a_copy():
    k = np.random.default_rng(4).uniform(size=(6, 6))
    k = (k + k.T) / 2
    assert relations.kernel_correlation(k, 2 * k + 1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="square matrices of one shape"):
        relations.kernel_correlation(k, k[:5, :5])


def test_an_ensemble_of_one_model_gains_nothing_and_of_two_copies_gains_nothing():
    g = np.random.default_rng(5)
    p = g.dirichlet(np.ones(10), size=(1, 400))
    q = g.dirichlet(np.ones(10), size=(1, 300))
    y = g.integers(0, 10, 400)
    gain = relations.ensemble_gain(np.concatenate([p, p]), y, np.concatenate([q, q]))
    for k in ("accuracy", "ece", "nll", "auroc_confidence"):
        assert gain[k] == pytest.approx(0.0, abs=1e-12)


def test_disagreement_detects_noise_when_members_disagree_only_on_noise():
    y = np.zeros(100, int)
    test = np.tile(np.eye(3)[0], (2, 100, 1))              # both members sure of class 0 on test inputs
    noise = np.stack([np.tile(np.eye(3)[1], (100, 1)), np.tile(np.eye(3)[2], (100, 1))])
    assert relations.ensemble_scores(test, y, noise)["auroc_disagreement"] == pytest.approx(1.0)


def _pairs_with_known_effect(effect: float, n_cells: int = 8, n_seeds: int = 4, seed: int = 0):
    """Simulated models in cells with an architecture (two levels) and data (two levels); pair κ =
    0.1 + effect·same architecture + seed-level noise shared by every pair of a model."""
    g = np.random.default_rng(seed)
    cells = np.repeat(np.arange(n_cells), n_seeds)
    arch = cells % 2
    data = (cells // 2) % 2
    model_noise = g.normal(0, 0.03, len(cells))
    i, j = np.triu_indices(len(cells), 1)
    same_arch, same_data = (arch[i] == arch[j]).astype(int), (data[i] == data[j]).astype(int)
    y = 0.1 + effect * same_arch + model_noise[i] + model_noise[j] + g.normal(0, 0.01, len(i))
    return {"architecture": same_arch, "data": same_data}, y, np.column_stack([i, j]), cells


def test_factor_table_recovers_a_known_effect_and_gives_it_the_variance():
    features, y, pm, cells = _pairs_with_known_effect(0.3)
    t = stats.factor_table(features, y, pm, cells, n_boot=200, seed=1)
    assert t.loc["architecture", "effect_lo"] < 0.3 < t.loc["architecture", "effect_hi"]
    assert t.loc["data", "effect_lo"] < 0 < t.loc["data", "effect_hi"]
    assert t.loc["total (R²)", "share"] > 0.85 and t.loc["data", "share"] < 0.05
    # the interaction column (same architecture × same data) overlaps "same architecture": LMG splits
    # that overlap between them, and the architecture keeps by far the larger part
    assert t.loc["architecture", "share"] > 4 * t.loc["interactions", "share"]
    shares = t.loc[["architecture", "data", "interactions"], "share"].sum()
    assert shares == pytest.approx(t.loc["total (R²)", "share"])


def test_factor_table_without_effect_covers_zero():
    features, y, pm, cells = _pairs_with_known_effect(0.0, seed=3)
    t = stats.factor_table(features, y, pm, cells, n_boot=200, seed=2)
    assert t.loc["architecture", "effect_lo"] < 0 < t.loc["architecture", "effect_hi"]


def test_lmg_shares_add_up_to_r2_and_split_a_shared_predictor_evenly():
    g = np.random.default_rng(6)
    a = g.integers(0, 2, 500)
    y = a + g.normal(0, 0.1, 500)
    shares = stats.lmg_shares({"a": a, "copy of a": a.copy()}, y)
    assert shares["a"] == pytest.approx(shares["copy of a"])
    assert sum(shares.values()) == pytest.approx(stats.lmg_shares({"a": a}, y)["a"])


def test_seed_bootstrap_redraws_each_cell_on_its_own():
    counts = stats.seed_bootstrap([0, 0, 0, 1, 1], n_boot=50, seed=0)
    assert (counts[:, :3].sum(1) == 3).all() and (counts[:, 3:].sum(1) == 2).all()
    assert len({tuple(c) for c in counts}) > 5


def test_weighted_spearman_repeats_pairs():
    x, y = np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4])
    assert stats.weighted_spearman(x, y, [1, 1, 1, 1]) == pytest.approx(0.8)
    assert np.isnan(stats.weighted_spearman(x, y, [0, 0, 1, 0]))
