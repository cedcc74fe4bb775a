"""Relations between two networks beyond their answers to noise: whether they get the same test
images wrong, whether their representations and gradient kernels look alike, how far apart
their answer habits are, and what averaging them buys (accuracy, calibration, noise detection).
Each function takes plain arrays, so that the synthesis chapter can apply it to any pair."""
from __future__ import annotations

import numpy as np


def error_consistency(correct_a, correct_b) -> float:
    """Cohen's κ on *which* test images two classifiers get right (Geirhos, Meding & Wichmann,
    2020, "Beyond accuracy: quantifying trial-by-trial behaviour of CNNs and humans", NeurIPS):
    (c_obs − c_exp) / (1 − c_exp), c_exp = p_a·p_b + (1 − p_a)(1 − p_b) the consistency two
    independent classifiers of these accuracies would show. NaN if c_exp = 1."""
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError(f"correct_a and correct_b must be 1-d of one non-zero length; got {a.shape} and {b.shape}")
    pa, pb = a.mean(), b.mean()
    c_obs, c_exp = (a == b).mean(), pa * pb + (1 - pa) * (1 - pb)
    return float((c_obs - c_exp) / (1 - c_exp)) if c_exp < 1 else float("nan")


def linear_cka(x, y) -> float:
    """Linear centred kernel alignment of two representations of the same n inputs ((n, p) and
    (n, q)): ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) after centring the columns (Kornblith et al., 2019,
    "Similarity of neural network representations revisited", ICML). 1 for a representation and
    any rotation or isotropic scaling of it."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x and y must be (n, p) and (n, q) with the same n; got {x.shape} and {y.shape}")
    x, y = x - x.mean(0), y - y.mean(0)
    cross = np.linalg.norm(y.T @ x) ** 2
    norm = np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)
    return float(cross / norm) if norm > 0 else float("nan")


def kernel_correlation(k_a, k_b) -> float:
    """Pearson correlation of the off-diagonal entries of two similarity matrices over the same
    probe inputs (e.g. two networks' gradient-cosine kernels k^C, Charpiat et al., 2019)."""
    k_a, k_b = np.asarray(k_a, np.float64), np.asarray(k_b, np.float64)
    if k_a.shape != k_b.shape or k_a.ndim != 2 or k_a.shape[0] != k_a.shape[1]:
        raise ValueError(f"k_a and k_b must be square matrices of one shape; got {k_a.shape} and {k_b.shape}")
    iu = np.triu_indices(len(k_a), 1)
    return float(np.corrcoef(k_a[iu], k_b[iu])[0, 1])


def js_divergence(p, q) -> float:
    """Jensen–Shannon divergence of two discrete distributions, in bits (0 to 1)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a):
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    return max(0.0, (kl(p) + kl(q)) / 2)


def expected_calibration_error(probs, labels, n_bins: int = 15) -> float:
    """ECE of the max-probability (Guo et al., 2017, "On calibration of modern neural networks",
    ICML): the confidence-weighted gap |accuracy − confidence| over ``n_bins`` equal-width bins."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels)
    conf, hit = probs.max(1), probs.argmax(1) == labels
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        sel = bins == b
        total += sel.mean() * abs(hit[sel].mean() - conf[sel].mean())
    return float(total)


def nll(probs, labels) -> float:
    """Mean negative log-likelihood of the true labels (nats)."""
    probs = np.asarray(probs, np.float64)
    return float(-np.log(np.clip(probs[np.arange(len(probs)), np.asarray(labels)], 1e-12, 1)).mean())


def auroc(scores_positive, scores_negative) -> float:
    """Area under the ROC curve: the probability that a positive scores above a negative (ties
    count half) — Mann–Whitney U / (n₊ n₋)."""
    from scipy.stats import rankdata

    pos, neg = np.asarray(scores_positive, np.float64), np.asarray(scores_negative, np.float64)
    ranks = rankdata(np.r_[pos, neg])
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def disagreement(probs) -> np.ndarray:
    """Per input, the members' mean total-variation distance to their average prediction
    (``probs``: (members, n, classes)); 0 where every member says the same."""
    probs = np.asarray(probs, np.float64)
    return 0.5 * np.abs(probs - probs.mean(0)).sum(2).mean(0)


def ensemble_scores(test_probs, labels, noise_probs) -> dict[str, float]:
    """What an ensemble (the mean of its members' probabilities; arrays (members, n, classes))
    achieves: test accuracy, ECE, NLL, and the AUROC of telling test digits from noise by the
    ensemble's max-probability and by the members' disagreement (one member: disagreement NaN)."""
    test_probs, noise_probs = np.asarray(test_probs, np.float64), np.asarray(noise_probs, np.float64)
    mean_test, mean_noise = test_probs.mean(0), noise_probs.mean(0)
    out = {"accuracy": float((mean_test.argmax(1) == np.asarray(labels)).mean()),
           "ece": expected_calibration_error(mean_test, labels), "nll": nll(mean_test, labels),
           "auroc_confidence": auroc(mean_test.max(1), mean_noise.max(1))}
    out["auroc_disagreement"] = (auroc(-disagreement(test_probs), -disagreement(noise_probs))
                                 if len(test_probs) > 1 else float("nan"))
    return out


SCORES = ("accuracy", "ece", "nll", "auroc_confidence", "auroc_disagreement")
BETTER = {"accuracy": 1, "ece": -1, "nll": -1, "auroc_confidence": 1, "auroc_disagreement": 1}


def ensemble_gain(test_probs, labels, noise_probs) -> dict[str, float]:
    """An ensemble's scores minus the mean of its members' own scores, signed so that a positive
    gain is always an improvement (ECE and NLL falling). Disagreement has no single-member value:
    its gain is over the members' mean max-probability AUROC."""
    ens = ensemble_scores(test_probs, labels, noise_probs)
    members = [ensemble_scores(t[None], labels, n[None]) for t, n in zip(test_probs, noise_probs)]
    out = {}
    for k in SCORES:
        ref = "auroc_confidence" if k == "auroc_disagreement" else k
        out[k] = BETTER[k] * (ens[k] - float(np.mean([m[ref] for m in members])))
    return out
