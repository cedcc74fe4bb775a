"""Learning from noisy labels: does a LeNet answer like the kernel vote of its noisy labels
(Charpiat et al., 2019, section 4), beyond what its accuracy and pixel neighbours explain?"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import data, noise, report, results, similarity, stats, train, zoo


def _vote(class_sums: np.ndarray, given: np.ndarray) -> np.ndarray:
    """argmax_c of the per-class sums of k^C, each image's own k^C(x, x) = 1 removed from its class."""
    sums = class_sums.copy()
    sums[np.arange(len(given)), given] -= 1.0
    return sums.argmax(1)


def pixel_vote(x: torch.Tensor, labels: np.ndarray, k: int = 50) -> np.ndarray:
    """The majority (noisy) label among each image's ``k`` nearest other images in pixel space."""
    flat = train.to_float(x).flatten(1)
    d = torch.cdist(flat, flat)
    d.fill_diagonal_(float("inf"))
    near = d.topk(k, largest=False).indices.numpy()
    return np.array([np.bincount(labels[row], minlength=10).argmax() for row in near])


def label_noise_run(share: float, seed: int, n_vote: int, eps: float, epochs: int | None, n_train: int | None) -> dict:
    """One LeNet trained with a share of wrong labels, and, on the first ``n_vote`` training images:
    the network's answers, the kernel vote of the noisy labels with the trained network's k^C,
    the same vote with the *untrained* network's k^C, and a 50-nearest-neighbour vote in pixels."""
    mnist = data.load("mnist")
    spec = zoo.ModelSpec("lenet", seed=seed, label_noise=share, epochs=epochs, n_train=n_train)
    model = zoo.get_model(spec, progress=False)
    given = zoo.training_labels(spec, mnist)[:n_vote]
    x = zoo.training_images(spec, mnist)[:n_vote]
    true = zoo.training_labels(spec.replace(label_noise=0.0), mnist)[:n_vote]
    base = dict(model=spec.key, n_vote=n_vote, eps=eps)
    trained = results.cached_array(results.cache_key("class_density", (similarity, zoo), **base),
                                   lambda: similarity.class_density(model, x, x, given, 10, eps=eps))
    untrained_model = zoo.build(spec)
    untrained = results.cached_array(results.cache_key("class_density_untrained", (similarity, zoo), **base),
                                     lambda: similarity.class_density(untrained_model, x, x, given, 10, eps=eps))
    g = given.numpy()
    return {"net": noise.answers([model], x)[0].numpy(), "vote": _vote(trained, g), "untrained": _vote(untrained, g),
            "pixel": pixel_vote(x, g), "given": g, "true": true.numpy(),
            "accuracy": model.record["test_accuracy"]}


def label_noise_table(label_noise, n_seeds: int, n_vote: int, eps: float, epochs: int | None = None,
                      n_train: int | None = None) -> pd.DataFrame:
    """Per share of wrong labels and seed: test accuracy; on the corrupted images, how often the
    network and the vote give the true class; the network against each vote: raw agreement,
    agreement on the images the network gets wrong (its errors, judged by the true class) and
    Cohen's κ — for the trained kernel, the untrained network's kernel and pixel neighbours."""
    specs = [zoo.ModelSpec("lenet", seed=s, label_noise=p, epochs=epochs, n_train=n_train)
             for p in label_noise for s in range(n_seeds)]
    zoo.get_models(specs)  # train what is missing, two at a time
    rows = []
    for share in label_noise:
        for seed in range(n_seeds):
            r = label_noise_run(share, seed, n_vote, eps, epochs, n_train)
            corrupted, wrong = r["given"] != r["true"], r["net"] != r["true"]
            row = {"label noise": share, "seed": seed, "test accuracy": r["accuracy"],
                   "wrong labels": corrupted.mean(),
                   "network: true class on corrupted": (r["net"] == r["true"])[corrupted].mean() if corrupted.any() else np.nan,
                   "vote: true class on corrupted": (r["vote"] == r["true"])[corrupted].mean() if corrupted.any() else np.nan,
                   "network errors": int(wrong.sum())}
            for name in ("vote", "untrained", "pixel"):
                same = r["net"] == r[name]
                row[f"{name}: agreement"] = same.mean()
                row[f"{name}: agreement on network errors"] = same[wrong].mean() if wrong.any() else np.nan
                row[f"{name}: kappa"] = stats.agreement(r["net"], r[name], 10).kappa
            rows.append(row)
    return pd.DataFrame(rows)


def per_seed_ci(table: pd.DataFrame, column: str, where=None, bounds=(0, 1)) -> tuple[float, float, float]:
    sub = table if where is None else table[where]
    values = sub[column].dropna()
    return stats.seed_ci(values, bounds=bounds) if len(values) else (np.nan, np.nan, np.nan)


def denoise_summary(denoise: pd.DataFrame, label_noise) -> tuple[pd.DataFrame, dict]:
    """The label-noise table formatted per share of wrong labels (mean and 95% interval over seeds),
    and the numbers of the largest share: test accuracy, true class on corrupted images, and the
    network against the votes (raw agreement, agreement on its errors; trained − pixel gap)."""
    columns = ["test accuracy", "network: true class on corrupted", "vote: true class on corrupted",
               "vote: agreement", "vote: agreement on network errors", "vote: kappa",
               "pixel: agreement on network errors", "untrained: agreement on network errors"]
    table = pd.DataFrame({c: [report.with_ci(*per_seed_ci(denoise, c, denoise["label noise"] == p,
                                                          bounds=(-1, 1) if "kappa" in c else (0, 1)),
                                             percent="kappa" not in c) for p in label_noise] for c in columns},
                         index=[report.pct(p) for p in label_noise]).rename_axis("wrong labels").reset_index()
    hi = denoise["label noise"] == max(label_noise)
    numbers = {c: per_seed_ci(denoise, c, hi) for c in ("test accuracy", "network: true class on corrupted",
                                                         "vote: agreement", "vote: agreement on network errors",
                                                         "pixel: agreement on network errors",
                                                         "untrained: agreement on network errors")}
    numbers["gap"] = stats.seed_ci((denoise[hi]["vote: agreement on network errors"]
                                    - denoise[hi]["pixel: agreement on network errors"]).dropna(), bounds=(-1, 1))
    numbers["seeds"] = int(hi.sum())
    return table, numbers


def vote_clause(gap) -> str:
    if gap[1] > 0:
        return "the trained kernel shares the network's mistakes more often than pixel neighbours do"
    if gap[2] < 0:
        return "the trained kernel shares the network's mistakes *less* often than pixel neighbours do"
    return ("the seeds do not tell whether the trained kernel shares the network's mistakes more often than pixel "
            "neighbours do")
