"""The adversarial chapter's experiments (Szegedy et al., 2014): the paper's networks and ours,
Table 1 (errors and minimal distortion), a check against Foolbox's DDN, transfer across networks
and disjoint training halves against same-size noise, and the link to noise agreement."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import attacks, noise, results, stats, train, zoo
from ...attacks import said, test_images
from ...progress import staged


TABLE1 = {"FC10(1e-4)": dict(arch="softmax", weight_decay=1e-4), "FC10(1e-2)": dict(arch="softmax", weight_decay=1e-2),
          "FC10(1)": dict(arch="softmax", weight_decay=1.0), "FC100-100-10": dict(arch="fc100"),
          "FC200-200-10": dict(arch="fc200"), "LeNet": dict(arch="lenet"), "VGG": dict(arch="vgg")}


PAPER_TABLE1 = {"FC10(1e-4)": (0.074, 0.062), "FC10(1e-2)": (0.094, 0.10), "FC10(1)": (0.20, 0.14),
                "FC100-100-10": (0.0164, 0.058), "FC200-200-10": (0.0154, 0.065)}


TABLE3 = {"FC100-100-10 (P1)": dict(arch="fc100", half=0), "FC123-456-10 (P1)": dict(arch="fc123", half=0),
          "FC100-100-10' (P2)": dict(arch="fc100", half=1)}


def specs(table: dict, n_seeds: int, epochs: int | None = None,
          n_train: int | None = None) -> dict[str, list[zoo.ModelSpec]]:
    """Each named network of ``table`` over ``n_seeds`` seeds (``n_train``: the first images only,
    except for the networks trained on a half)."""
    return {name: zoo.seeds_of(kw["arch"], n_seeds, **{k: v for k, v in kw.items() if k != "arch"},
                               epochs=epochs, n_train=None if "half" in kw else n_train)
            for name, kw in table.items()}


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


@staged("attacks")
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
    ``originals`` (the unperturbed images: the target's own error on them),
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
            inputs = {"adversarial": xa[ok], "noise of the same size": _own_size_noise(x[ok], d[ok], seed + 7),
                      "originals": x[ok]}
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


def off_diagonal_gap(long: pd.DataFrame, kind: str, baseline: str) -> tuple[float, float, float]:
    """How much more often the other networks err on ``kind`` than on ``baseline`` inputs made from
    the same images, per source seed, then over sources and seeds: mean and 95% interval over the
    source seeds, inside [−1, 1]."""
    sub = long[long.source != long.target]
    per_seed = (sub[sub.kind == kind].groupby("seed").error.mean()
                - sub[sub.kind == baseline].groupby("seed").error.mean())
    return stats.seed_ci(per_seed.values, bounds=(-1, 1))


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
    se = float(np.sqrt((k - 1) / k * ((loo - loo.mean()) ** 2).sum()))
    return stats.bounded_interval(whole, se, float(student.ppf(0.975, k - 1)), (-1, 1))


def mean_accuracy(groups: zoo.Groups) -> float:
    """Mean test accuracy of every model of the groups."""
    return float(np.mean([m.record["test_accuracy"] for m in groups.models]))
