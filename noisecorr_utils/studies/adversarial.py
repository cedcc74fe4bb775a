"""Chapter 5, "Intriguing properties, measured" (Szegedy et al., 2014): minimal adversarial
examples by box-constrained L-BFGS on the paper's networks and ours, their transfer across
hyper-parameters, architectures and disjoint training data against Gaussian noise of the same
size, single units against random directions, and the link to the noise answers of chapter 2."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .. import attacks, checks, data, features, noise, parallel, report, results, stats, train, zoo

# Table 1 of the paper: its networks (FC10(λ): softmax regression with weight decay λ) and two of ours.
TABLE1 = {"FC10(1e-4)": dict(arch="softmax", weight_decay=1e-4), "FC10(1e-2)": dict(arch="softmax", weight_decay=1e-2),
          "FC10(1)": dict(arch="softmax", weight_decay=1.0), "FC100-100-10": dict(arch="fc100"),
          "FC200-200-10": dict(arch="fc200"), "LeNet": dict(arch="lenet"), "VGG": dict(arch="vgg")}
# The paper's numbers (Table 1): test error and average minimum distortion.
PAPER_TABLE1 = {"FC10(1e-4)": (0.074, 0.062), "FC10(1e-2)": (0.094, 0.10), "FC10(1)": (0.20, 0.14),
                "FC100-100-10": (0.0164, 0.058), "FC200-200-10": (0.0154, 0.065)}
# Table 3: disjoint halves P1 and P2 of the training set.
TABLE3 = {"FC100-100-10 (P1)": dict(arch="fc100", half=0), "FC123-456-10 (P1)": dict(arch="fc123", half=0),
          "FC100-100-10' (P2)": dict(arch="fc100", half=1)}


def specs(table: dict, n_seeds: int, epochs: int = 0, n_train: int = 0) -> dict[str, list[zoo.ModelSpec]]:
    """Each named network of ``table`` over ``n_seeds`` seeds (``n_train``: the first images only,
    except for the networks trained on a half)."""
    checks.seeds_for_ci("n_seeds", n_seeds)
    return {name: zoo.seeds_of(kw["arch"], n_seeds, **{k: v for k, v in kw.items() if k != "arch"},
                               epochs=epochs or None, n_train=None if "half" in kw or not n_train else n_train)
            for name, kw in table.items()}


def test_images(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` test images drawn once at random (float in [0, 1]) and their labels."""
    ds = data.load("mnist")
    checks.positive_int("n_attack", n)
    if n > len(ds.x_test):
        raise ValueError(f"n_attack={n} is more than the {len(ds.x_test):,} test images; allowed: 1 to {len(ds.x_test)}")
    idx = torch.randperm(len(ds.x_test), generator=torch.Generator().manual_seed(seed))[:n]
    return train.to_float(ds.x_test[idx]), ds.y_test[idx]


@torch.no_grad()
def said(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The model's answers in float32 (the precision the attack checks success in)."""
    model.eval()
    return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])


def _attack_job(spec: zoo.ModelSpec, n: int, seed: int, doublings: int, bisections: int, max_iter: int):
    model = zoo.get_model(spec, progress=False)
    x, y = test_images(n, seed)
    target = attacks.random_targets(y, 10, seed=seed + 1)
    r = attacks.minimal_lbfgs(model, x, target, y, doublings=doublings, bisections=bisections, max_iter=max_iter)
    return np.concatenate([r.x.flatten(1).numpy(), r.success.float().numpy()[:, None], r.distortion.numpy()[:, None],
                           target.float().numpy()[:, None]], 1)


def attack(models, n: int, seed: int = 0, doublings: int = 16, bisections: int = 6, max_iter: int = 100) -> dict:
    """Targeted minimal L-BFGS examples of ``n`` test images (random wrong targets) for every
    model: ``{spec key: (x_adv (n, 1, 28, 28), success (n,), distortion (n,), target (n,))}``.
    Cached per model; what is missing is computed two models at a time."""
    keys = {m.spec.key: results.cache_key("lbfgs", (attacks, zoo), model=m.spec.key, n=n, seed=seed,
                                          doublings=doublings, bisections=bisections, max_iter=max_iter) for m in models}
    missing = list({m.spec.key: m for m in models if not results.is_cached(keys[m.spec.key])}.values())
    for i, value in parallel.each(_attack_job, [(m.spec, n, seed, doublings, bisections, max_iter) for m in missing]):
        results.cached_array(keys[missing[i].spec.key], lambda value=value: value)   # stored as each finishes
    out = {}
    for m in models:
        arr = results.cached_array(keys[m.spec.key], None)
        out[m.spec.key] = (torch.from_numpy(arr[:, :784]).float().view(-1, 1, 28, 28), torch.from_numpy(arr[:, 784] > 0.5),
                           torch.from_numpy(arr[:, 785]).float(), torch.from_numpy(arr[:, 786]).long())
    return out


def table1(groups: zoo.Groups, adv: dict) -> pd.DataFrame:
    """Per network: train error (first 10,000 training images), test error, attack success and
    mean minimum distortion (each mean and 95% t-interval over seeds), beside the paper's numbers."""
    rows = []
    for name, idx in groups.rows.items():
        ms = [groups.models[i] for i in idx]
        train_err = [1 - train.accuracy(m, zoo.training_images(m.spec)[:10000], zoo.training_labels(m.spec)[:10000])
                     for m in ms]
        test_err = [1 - m.record["test_accuracy"] for m in ms]
        dist = [float(np.nanmean(adv[m.spec.key][2].numpy())) for m in ms]
        success = [float(adv[m.spec.key][1].float().mean()) for m in ms]
        paper = PAPER_TABLE1.get(name, (np.nan, np.nan))
        row = {"network": name, "seeds": len(ms), "paper test error": paper[0], "paper distortion": paper[1]}
        for key, values, bounds in (("train error", train_err, (0, 1)), ("test error", test_err, (0, 1)),
                                    ("attack success", success, (0, 1)), ("distortion", dist, (0, np.inf))):
            m, lo, hi = stats.seed_ci(values, bounds=bounds)
            row.update({key: m, f"{key}_lo": lo, f"{key}_hi": hi})
        rows.append(row)
    return pd.DataFrame(rows).set_index("network")


def ddn_check(groups: zoo.Groups, adv: dict, n: int, seed: int = 0, steps: int = 200) -> pd.DataFrame:
    """Our L-BFGS distortions against Foolbox 3's DDN (Rony et al., 2019), an independent
    minimal-L2 attack, on the first ``n`` attacked images of each network's first seed, same
    targets: mean distortion of each where both succeed, and their ratio (L-BFGS / DDN; L-BFGS is
    known to overestimate the minimum, so ≥ 1 is expected)."""
    x, _ = test_images(len(next(iter(adv.values()))[0]), seed)
    rows = []
    for name, idx in groups.rows.items():
        model = groups.models[idx[0]]
        _, ok, d, target = adv[model.spec.key]
        key = results.cache_key("ddn", (attacks, zoo), model=model.spec.key, n=n, seed=seed, steps=steps)
        dd = results.cached_array(key, lambda: attacks.ddn_reference(model, x[:n], target[:n], steps).numpy())
        both = ok[:n].numpy() & np.isfinite(dd)
        ours, ref = float(d[:n].numpy()[both].mean()), float(dd[both].mean())
        rows.append({"network": name, "images": int(both.sum()), "L-BFGS": ours, "DDN": ref, "ratio": ours / ref})
    return pd.DataFrame(rows).set_index("network")


def _own_size_noise(x: torch.Tensor, d: torch.Tensor, seed: int) -> torch.Tensor:
    """Each image plus Gaussian noise scaled to RMS ``d`` (its example's distortion), clipped."""
    e = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
    e = e / e.flatten(1).pow(2).mean(1).sqrt().view(-1, 1, 1, 1)
    return (x + e * d.view(-1, 1, 1, 1)).clamp(0, 1)


def amplified(x: torch.Tensor, x_adv: torch.Tensor, rms: float = 0.1) -> torch.Tensor:
    """The perturbation of each example rescaled to per-pixel RMS ``rms`` (one reading of the
    paper's "magnified to stddev 0.1"), clipped to [0, 1]."""
    r = x_adv - x
    scale = rms / r.flatten(1).pow(2).mean(1).sqrt().clamp_min(1e-12)
    return (x + r * scale.view(-1, 1, 1, 1)).clamp(0, 1)


def transfer(groups: zoo.Groups, adv: dict, seed: int = 0, sigmas=(0.1, 0.3), amplify: float | None = None) -> pd.DataFrame:
    """Long table, one row per (source network, source seed, kind, target network): the error
    rate (answer ≠ true label) of the target network on the source's successful examples.
    Kinds: ``adversarial``, ``noise of the same size`` (Gaussian noise of each example's own RMS),
    ``amplified`` (the perturbation rescaled to RMS ``amplify``, if given) and ``Gaussian σ``
    (the originals plus noise of std σ). The target is the source model itself on the diagonal;
    across networks, every seed of the target other than the source's seed."""
    n = len(next(iter(adv.values()))[0])
    x, y = test_images(n, seed)

    def error(model, images, labels):
        return float((said(model, images) != labels).float().mean()) if len(images) else np.nan

    rows = []
    for a, rows_a in groups.rows.items():
        for i in rows_a:
            src = groups.models[i]
            xa, ok, d, _ = adv[src.spec.key]
            inputs = {"adversarial": xa[ok], "noise of the same size": _own_size_noise(x[ok], d[ok], seed + 7)}
            if amplify:
                inputs[f"amplified to RMS {amplify:g}"] = amplified(x[ok], xa[ok], amplify)
            for b, rows_b in groups.rows.items():
                targets = [i] if a == b else [j for j in rows_b if groups.models[j].spec.seed != src.spec.seed] or rows_b
                for kind, images in inputs.items():
                    rate = np.mean([error(groups.models[j], images, y[ok]) for j in targets])
                    rows.append({"source": a, "seed": src.spec.seed, "kind": kind, "target": b, "error": rate})
    for sigma in sigmas:
        xn = (x + sigma * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed + 11))).clamp(0, 1)
        for b, rows_b in groups.rows.items():
            for j in rows_b:
                rows.append({"source": f"Gaussian σ = {sigma:g}", "seed": groups.models[j].spec.seed,
                             "kind": f"Gaussian σ = {sigma:g}", "target": b, "error": error(groups.models[j], xn, y)})
    return pd.DataFrame(rows)


def transfer_matrix(long: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The (source × target) matrix of mean error rates of one kind, with its 95% t-interval over
    the source's seeds: (mean, lo, hi)."""
    sub = long[long.kind == kind]
    cells = {(s, t): stats.seed_ci(g.error.values, bounds=(0, 1)) for (s, t), g in sub.groupby(["source", "target"], sort=False)}
    order_s, order_t = list(dict.fromkeys(sub.source)), list(dict.fromkeys(sub.target))
    return tuple(pd.DataFrame([[cells[(s, t)][k] for t in order_t] for s in order_s], index=order_s, columns=order_t)
                 for k in range(3))


def off_diagonal(long: pd.DataFrame, kind: str) -> tuple[float, float, float]:
    """The mean error rate on other networks (source ≠ target), per source seed averaged over
    targets, then over sources and seeds: mean and 95% t-interval over the source seeds."""
    sub = long[(long.kind == kind) & (long.source != long.target)]
    per_seed = sub.groupby(["seed"]).error.mean().values
    return stats.seed_ci(per_seed, bounds=(0, 1))


# ---------------------------------------------------------------------------------------------
# Units against random directions

def hidden(model, x: torch.Tensor, layer: str) -> np.ndarray:
    """Activations φ(x) of a hidden layer (after its nonlinearity) for every image."""
    return features.extract(model, x, layer=layer)


def purity(scores: np.ndarray, labels: np.ndarray, k: int = 8) -> np.ndarray:
    """For each column of ``scores`` (images × directions): the share of the majority class among
    the ``k`` images with the highest score."""
    top = np.argsort(-scores, axis=0)[:k]
    return np.array([np.bincount(labels[top[:, j]], minlength=10).max() / k for j in range(scores.shape[1])])


def coherence(scores: np.ndarray, x: np.ndarray, k: int = 8) -> np.ndarray:
    """For each direction: the mean pairwise cosine similarity (in pixels) of its top-``k`` images."""
    top = np.argsort(-scores, axis=0)[:k]
    flat = x.reshape(len(x), -1)
    unit = flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)
    out = []
    for j in range(scores.shape[1]):
        u = unit[top[:, j]]
        s = u @ u.T
        out.append(float((s.sum() - k) / (k * (k - 1))))
    return np.array(out)


def units_vs_directions(model, layer: str, x: torch.Tensor, labels: torch.Tensor, n_random: int, k: int = 8,
                        seed: int = 0) -> pd.DataFrame:
    """For every unit e_i of ``layer`` and ``n_random`` random unit directions v: the class purity
    and pixel coherence of the ``k`` images maximising ⟨φ(x), e_i⟩ or ⟨φ(x), v⟩."""
    phi = hidden(model, x, layer)
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(phi.shape[1], n_random))
    v /= np.linalg.norm(v, axis=0, keepdims=True)
    y, xs = labels.numpy(), x.numpy()
    rows = []
    for kind, scores in (("unit", phi), ("random direction", phi @ v)):
        active = scores.std(0) > 0                              # a dead unit selects nothing
        p, c = purity(scores[:, active], y, k), coherence(scores[:, active], xs, k)
        rows += [{"kind": kind, "purity": a, "coherence": b} for a, b in zip(p, c)]
    return pd.DataFrame(rows)


def top_images(model, layer: str, x: torch.Tensor, directions: int = 5, k: int = 8, seed: int = 0) -> np.ndarray:
    """Tiles for an image grid: the top-``k`` images of the first ``directions`` active units, then
    of as many random directions (uint8, row by row)."""
    phi = hidden(model, x, layer)
    active = np.flatnonzero(phi.std(0) > 0)[:directions]
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(phi.shape[1], directions))
    scores = np.concatenate([phi[:, active], phi @ v], 1)
    top = np.argsort(-scores, axis=0)[:k]
    return np.stack([(x[i].numpy() * 255).round().astype(np.uint8) for j in range(scores.shape[1]) for i in top[:, j]])


def unit_gaps(models, layer: str, x: torch.Tensor, labels: torch.Tensor, n_random: int, k: int = 8):
    """``units_vs_directions`` for each model (a seed), stacked, and the gap "mean purity of
    single units minus that of random directions" with its 95% t-interval over the seeds."""
    tables = [units_vs_directions(m, layer, x, labels, n_random, k, seed=m.spec.seed).assign(seed=m.spec.seed)
              for m in models]
    gaps = [t.loc[t.kind == "unit", "purity"].mean() - t.loc[t.kind == "random direction", "purity"].mean()
            for t in tables]
    return pd.concat(tables, ignore_index=True), stats.seed_ci(gaps, bounds=(-1, 1))


UNIT_NETWORKS = {"MLP": "mlp", "LeNet": "lenet"}


def units_by_network(n_seeds: int, epochs: int, n_train: int, x: torch.Tensor, labels: torch.Tensor, n_random: int):
    """``unit_gaps`` of the penultimate layer of the zoo's MLP and LeNet over ``n_seeds`` seeds:
    ({network: table}, {network: gap (mean, lo, hi)})."""
    tables, gaps = {}, {}
    for name, arch in UNIT_NETWORKS.items():
        models = zoo.get_models(zoo.seeds_of(arch, n_seeds, epochs=epochs or None, n_train=n_train or None))
        tables[name], gaps[name] = unit_gaps(models, "penultimate", x, labels, n_random)
    return tables, gaps


# ---------------------------------------------------------------------------------------------
# The link to the noise chapter

def link_table(groups: zoo.Groups, adv: dict, n_noise: int, seed: int = 0) -> pd.DataFrame:
    """One row per ordered pair of models (A ≠ B) of the groups that are not softmax regressions:
    the share of A's adversarial examples that B also gets wrong (transfer) and the two models'
    κ on ``n_noise`` uniform-noise images (the noise chapter's measure)."""
    n = len(next(iter(adv.values()))[0])
    x, y = test_images(n, seed)
    noise_answers = noise.cached_answers(groups.models, "uniform", n_noise, [1.0], seed, "mnist")[1.0]
    group_of = {i: g for g, rows in groups.rows.items() for i in rows if not g.startswith("FC10(")}
    rows = []
    for i, a in enumerate(groups.models):
        xa, ok, _, _ = adv[a.spec.key]
        for j, b in enumerate(groups.models):
            if i == j or i not in group_of or j not in group_of:
                continue
            rows.append({"A": group_of[i], "B": group_of[j], "seed A": a.spec.seed, "seed B": b.spec.seed,
                         "pair": "same network" if group_of[i] == group_of[j] else "different networks",
                         "transfer": float((said(b, xa[ok]) != y[ok]).float().mean()),
                         "noise κ": stats.agreement(noise_answers[i], noise_answers[j], 10).kappa})
    return pd.DataFrame(rows)


def link_correlation(table: pd.DataFrame) -> tuple[float, float, float]:
    """Spearman correlation of transfer and noise κ over model pairs, with a delete-one-seed
    jackknife interval (pairs share models, so the seed is the unit)."""
    from scipy.stats import spearmanr, t as student

    rho = lambda d: float(spearmanr(d["transfer"], d["noise κ"]).statistic)  # noqa: E731
    seeds = sorted(set(table["seed A"]))
    whole = rho(table)
    if len(seeds) < 3:
        return whole, np.nan, np.nan
    loo = np.array([rho(table[(table["seed A"] != s) & (table["seed B"] != s)]) for s in seeds])
    k = len(seeds)
    se = np.sqrt((k - 1) / k * ((loo - loo.mean()) ** 2).sum())
    q = student.ppf(0.975, k - 1)
    return whole, max(-1.0, whole - q * se), min(1.0, whole + q * se)


# ---------------------------------------------------------------------------------------------
# Verdicts

SMALL = 0.15   # "small distortion": at most the paper's largest average (0.14), rounded up
SOURCE_ACCURACY = 0.98   # the paper's fully connected networks reach 98.4–98.5% on MNIST


def mean_accuracy(groups: zoo.Groups) -> float:
    """Mean test accuracy of every model of the groups."""
    return float(np.mean([m.record["test_accuracy"] for m in groups.models]))


def verdict_table(t1: pd.DataFrame, t2: pd.DataFrame, t3: pd.DataFrame, units: dict[str, tuple],
                  halves_accuracy: float) -> pd.DataFrame:
    """Each claim of Szegedy et al. beside our numbers, with the book's rules. The claims about the
    paper's ~98% networks are *not tested* when our fully connected networks (FC100-100-10,
    FC200-200-10; the half-set networks for Table 3) are weaker than 98%."""
    n = int(t1.seeds.min())
    fc_accuracy = 1 - float(t1.loc[["FC100-100-10", "FC200-200-10"], "test error"].mean())
    gate_rule = f"; not tested below {SOURCE_ACCURACY:.0%} accuracy"
    success = (t1["attack success"].min(), t1["attack success_lo"].min(), t1["attack success_hi"].min())
    worst = t1["distortion"].idxmax()
    dist = tuple(t1.loc[worst, ["distortion", "distortion_lo", "distortion_hi"]])
    strong, weak = t1.loc["FC10(1)"], t1.loc["FC10(1e-4)"]
    decay = stats.difference_ci((strong.distortion, strong.distortion_lo, strong.distortion_hi),
                                (weak.distortion, weak.distortion_lo, weak.distortion_hi))
    out = [
        report.verdict_row("every network has adversarial examples for nearly every image (lowest success rate)",
                           "all images", success, 0.95, 1.0, "success CI inside [95%, 100%]" + gate_rule, n,
                           verdict=stats.gated(stats.verdict_band(success[1:], 0.95, 1.0), fc_accuracy, SOURCE_ACCURACY)),
        report.verdict_row(f"…at a small distortion (largest network mean: {worst})", "0.058–0.14", dist, 0, SMALL,
                           f"distortion CI below {SMALL}" + gate_rule, n, percent=False,
                           verdict=stats.gated(stats.verdict_band(dist[1:], 0, SMALL), fc_accuracy, SOURCE_ACCURACY)),
        report.verdict_row("stronger weight decay needs larger distortion (FC10(1) − FC10(1e-4))", "0.14 − 0.062",
                           decay, 0, np.inf, "difference CI above 0", n, percent=False),
    ]
    for name, table, accuracy in (("other hyper-parameters and architectures", t2, fc_accuracy),
                                  ("a disjoint training set", t3, halves_accuracy)):
        diff = stats.difference_ci(off_diagonal(table, "adversarial"), off_diagonal(table, "noise of the same size"))
        out.append(report.verdict_row(f"examples transfer to {name} (error on the other networks, minus Gaussian "
                                      "noise of the same size)", "well above noise", diff, 0.05, 1.0,
                                      "difference CI above 5 points" + gate_rule, n,
                                      verdict=stats.gated(stats.verdict_band(diff[1:], 0.05, 1.0), accuracy, SOURCE_ACCURACY)))
    same = off_diagonal(t2, "noise of the same size")
    out.append(report.verdict_row("Gaussian noise of the examples' size does almost nothing (error on the other "
                                  "networks)", "≈ test error", same, 0, 0.05, "error CI below 5%", n))
    for model, gap in units.items():
        out.append(report.verdict_row(f"single units are no more class-pure than random directions ({model}: unit "
                                      "minus random purity)", "no difference", gap, -0.05, 0.05,
                                      "gap CI inside ±5 points", n))
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# Wording chosen from the numbers

def ddn_clause(ddn: pd.DataFrame) -> str:
    lo, hi = ddn.ratio.min(), ddn.ratio.max()
    if lo >= 1:
        word = "L-BFGS never finds smaller perturbations than DDN: it overestimates the minimum"
    elif hi <= 1:
        word = "L-BFGS finds smaller perturbations than DDN on every network"
    else:
        word = "Neither attack is uniformly closer to the minimum"
    return f"{word}, by a factor of {report.num(lo)} to {report.num(hi)} across networks."


def transfer_clause(rates: dict, halves: tuple) -> str:
    adv, same = rates["adversarial"], rates["noise of the same size"]
    _, lo, hi = stats.difference_ci(adv, same)
    if lo == lo and lo > 0:
        ratio = adv[0] / same[0] if same[0] > 0 else float("inf")
        size = f"about {ratio:.0f} times as often as" if ratio >= 2 else "more often than"
    elif hi == hi and hi < 0:
        size = "less often than"
    else:
        size = "not measurably more often than"
    return (f"Across networks, the examples are misclassified {report.with_ci(*adv, digits=1)} of the time "
            f"(mean over the off-diagonal cells), the same images with Gaussian noise of exactly the same size "
            f"{report.with_ci(*same, digits=1)}: the examples fool other networks {size} noise does. Between "
            f"disjoint halves of the training set the rate is {report.with_ci(*halves, digits=1)}.")


def units_clause(gaps: dict) -> str:
    parts = []
    for name, (m, lo, hi) in gaps.items():
        if lo > 0.05:
            word = "purer than"
        elif hi < -0.05:
            word = "less pure than"
        elif -0.05 <= lo and hi <= 0.05:
            word = "as pure as"
        else:
            word = "not clearly different from"
        parts.append(f"in the {name}, single units are {word} random directions (purity of units minus "
                     f"directions: {report.with_ci(m, lo, hi, digits=1)} over seeds)")
    return "Measured, " + "; ".join(parts) + "."


def link_clause(rho: tuple) -> str:
    m, lo, hi = rho
    if lo != lo:
        return f"Undecided: Spearman ρ = {report.num(m)}, with too few seeds for an interval over seeds."
    if lo > 0:
        word = "Yes: pairs that agree more on noise also share more adversarial examples"
    elif hi < 0:
        word = "No — the opposite: pairs that agree more on noise share fewer adversarial examples"
    else:
        word = "Not measurably: the correlation's interval includes zero"
    return (f"{word} (Spearman ρ = {report.num(m)}, 95% delete-one-seed jackknife interval "
            f"[{report.num(lo)}, {report.num(hi)}]).")


def summary_finding(t1: pd.DataFrame, rates: dict, gaps: dict) -> str:
    lo_success = t1["attack success"].min()
    d = t1["distortion"]
    adv, same = rates["adversarial"], rates["noise of the same size"]
    unit_words = ", ".join(f"{n} {report.with_ci(*g, digits=1)}" for n, g in gaps.items())
    return (f"Our attack turned at least {report.pct(lo_success)} of the digits of every network into its target, "
            f"at mean distortions from {report.num(d.min(), 3)} to {report.num(d.max(), 3)} (paper: 0.058–0.14). "
            f"The examples fool other networks {report.with_ci(*adv, digits=1)} of the time, noise of the same "
            f"size {report.with_ci(*same, digits=1)}. Class purity of single units minus that of random directions: "
            f"{unit_words}.")
