"""Chapter 3, "Input similarity as the network sees it" (Charpiat, Girard, Felardos & Tarabalka,
NeurIPS 2019): the gradient kernel k^C and the density N_S of digits and noise, learning from
noisy labels against the kernel vote, the registration task (noise inherited from noisy targets
against readings of N_S) and similarity enforcement during training. Every expensive result is
cached, keyed by the models' specs, the parameters and the versions of the modules it uses."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .. import checks, data, enforcement, noise, parallel, registration, report, results, similarity, stats, train, zoo

MODELS = {"MLP": "mlp", "LeNet": "lenet"}


def check_parameters(n_label_seeds: int, reg_seeds: int, enforce_seeds: int, reg_sigmas, reg_repeats, reg_epochs: int,
                     canvas: int, enforce_weights, label_noise) -> None:
    """Every parameter of the chapter checked in one line each, before any training."""
    for name, value in (("n_label_seeds", n_label_seeds), ("reg_seeds", reg_seeds), ("enforce_seeds", enforce_seeds)):
        checks.seeds_for_ci(name, value)
    sigmas = checks.non_empty_list("reg_sigmas", reg_sigmas)
    if 0.0 not in sigmas or len(sigmas) < 2:
        raise ValueError(f"reg_sigmas={reg_sigmas!r} must be a list holding 0 (the baseline) and at least one sigma > 0")
    for sigma in sigmas:
        registration.check(sigma, canvas)
    for r in checks.non_empty_list("reg_repeats", reg_repeats):
        checks.positive_int("reg_repeats", r)
        if reg_epochs % r:
            raise ValueError(f"reg_epochs={reg_epochs} must be a multiple of every repeat count (got {r})")
    weights = checks.non_empty_list("enforce_weights", enforce_weights)
    if not all(isinstance(w, (int, float)) and w > 0 for w in weights):
        raise ValueError(f"enforce_weights={enforce_weights!r} must be a non-empty list of positive weights")
    for share in checks.non_empty_list("label_noise", label_noise):
        checks.share("label_noise", share)


def models(epochs: int = 0, n_train: int = 0) -> dict:
    """The chapter's MLP and LeNet (seed 0) from the zoo."""
    specs = [zoo.ModelSpec(arch, epochs=epochs or None, n_train=n_train or None) for arch in MODELS.values()]
    return dict(zip(MODELS, zoo.get_models(specs)))


# ---------------------------------------------------------------------------------------------
# The most similar training images

def queries(kinds, n_test: int, seed: int = 1) -> tuple[torch.Tensor, list[str]]:
    """One test digit per class and one image of three noise kinds: float images and their names."""
    mnist = data.load("mnist")
    y = mnist.y_test[:n_test].numpy()
    images = [train.to_float(mnist.x_test[int(np.flatnonzero(y == c)[0])]) for c in range(10)]
    names = [f"digit {c}" for c in range(10)]
    for kind in ("uniform", "gaussian", "shuffled"):
        if kind in kinds:
            images.append(noise.generate(kind, 1, mnist, seed=seed)[0])
            names.append(kind)
    return torch.stack(images), names


def cross_kernel(model, q: torch.Tensor, pool: int, eps: float) -> np.ndarray:
    """k^C between each query and the first ``pool`` training images (cached)."""
    x = data.load("mnist").x_train[:pool]
    key = results.cache_key("cross_kernel", (similarity, noise, zoo), model=model.spec.key, queries=q.sum().item(),
                            n_queries=len(q), pool=pool, eps=eps)
    return results.cached_array(key, lambda: similarity.cross_kernel(model, q, x, eps=eps))


def pixel_distances(q: torch.Tensor, pool: int) -> np.ndarray:
    x = train.to_float(data.load("mnist").x_train[:pool])
    return torch.cdist(q.flatten(1), x.flatten(1)).numpy()


def similar_tiles(q: torch.Tensor, k: np.ndarray, pixel: np.ndarray, pool: int, top: int = 6) -> np.ndarray:
    """Per query: the query, a gap, its ``top`` most similar training images for the network, a
    gap, its ``top`` nearest in pixels — uint8 tiles, row by row."""
    x = data.load("mnist").x_train[:pool].numpy()
    blank = np.full((1, 28, 28), 255, np.uint8)
    tiles = []
    for i in range(len(q)):
        tiles += [(q[i] * 255).round().byte().numpy(), blank]
        tiles += [x[j] for j in np.argsort(-k[i])[:top]] + [blank] + [x[j] for j in np.argsort(pixel[i])[:top]]
    return np.stack(tiles)


def same_class_share(scores: np.ndarray, pool: int, top: int = 6, largest: bool = True) -> float:
    """For the ten digit queries (rows 0–9), the share of their ``top`` best-scored training
    images that have the query's class."""
    y = data.load("mnist").y_train[:pool].numpy()
    order = np.argsort(-scores if largest else scores, axis=1)[:10, :top]
    return float(np.mean([(y[order[c]] == c).mean() for c in range(10)]))


# ---------------------------------------------------------------------------------------------
# Density N_S

def densities(model, n_reference: int, n_test: int, kinds, brightnesses, n_noise: int, eps: float,
              seed: int = 2) -> dict:
    """N_S over the first ``n_reference`` training images of: the first ``n_test`` test digits
    (``"test"``), and ``n_noise`` images of every noise kind at every brightness
    (``("noise", kind, brightness)``). Each cached; the reference sum is formed only if needed."""
    mnist = data.load("mnist")
    S = mnist.x_train[:n_reference]
    base = dict(model=model.spec.key, n_reference=n_reference, eps=eps)
    A = {}

    def reference():
        if "A" not in A:
            A["A"] = similarity.reference_sum(model, S, eps=eps)
        return A["A"]

    out = {"test": results.cached_array(results.cache_key("density", (similarity, zoo), queries=f"test[:{n_test}]", **base),
                                        lambda: similarity.density(model, mnist.x_test[:n_test], A=reference(), eps=eps))}
    for kind in kinds:
        images = noise.generate(kind, n_noise, mnist, seed=seed)
        for b in brightnesses:
            key = results.cache_key("density", (similarity, noise, zoo), queries=f"{kind}x{n_noise}@{b}s{seed}", **base)
            out["noise", kind, b] = results.cached_array(
                key, lambda images=images, b=b: similarity.density(model, images * b, A=reference(), eps=eps))
    return out


def auroc_table(dens: dict, kinds, brightnesses, model: str) -> pd.DataFrame:
    """AUROC of N_S for telling test digits (positive) from noise, per kind and brightness
    (0.5: no better than chance; below 0.5: noise is denser than digits)."""
    from sklearn.metrics import roc_auc_score

    test = dens["test"]
    rows = []
    for kind in kinds:
        for b in brightnesses:
            v = dens["noise", kind, b]
            rows.append({"model": model, "noise": kind, "brightness": b,
                         "AUROC test vs noise": roc_auc_score(np.r_[np.ones(len(test)), np.zeros(len(v))], np.r_[test, v])})
    return pd.DataFrame(rows)


def error_auroc(model, dens: dict, n_test: int) -> float:
    """AUROC of −N_S for "misclassified" among the test digits (NaN without both kinds)."""
    from sklearn.metrics import roc_auc_score

    mnist = data.load("mnist")
    wrong = noise.answers([model], mnist.x_test[:n_test])[0].numpy() != mnist.y_test[:n_test].numpy()
    return float(roc_auc_score(wrong, -dens["test"])) if 0 < wrong.sum() < len(wrong) else float("nan")


def exactness(model, n_exact: int, eps: float) -> float:
    """Largest relative difference between the linear-time N_S and the brute-force sum of
    pairwise k^C, with ``n_exact`` test digits as their own reference set."""
    x = train.to_float(data.load("mnist").x_test[:n_exact])
    fast = similarity.density(model, x, S=x, eps=eps)
    brute = similarity.kernel_matrix(model, x, eps=eps).sum(1)
    return float(((fast - brute).abs() / brute.abs()).max())


def density_by_class(model, dens: dict, kinds, brightness: float, n_test: int, n_noise: int, seed: int = 2):
    """Median N_S of test digits per true class; per noise kind, the median N_S of the noise the
    model answers with each class and the share of noise sent there. Returns (test medians,
    [noise medians per kind], [shares per kind], table of each kind's favourite class)."""
    mnist = data.load("mnist")
    y = mnist.y_test[:n_test].numpy()
    test_median = np.array([np.median(dens["test"][y == c]) for c in range(10)])
    medians, shares, rows = [], [], []
    for kind in kinds:
        images = noise.generate(kind, n_noise, mnist, seed=seed) * brightness
        answer = noise.answers([model], images)[0].numpy()
        v = dens["noise", kind, brightness]
        share = np.bincount(answer, minlength=10) / len(answer)
        med = np.array([np.median(v[answer == c]) if (answer == c).any() else np.nan for c in range(10)])
        top = int(share.argmax())
        medians.append(med)
        shares.append(share)
        rows.append({"noise": kind, "favourite class": top, "share": share[top], "median N_S of that noise": med[top],
                     "median N_S of test digits of that class": test_median[top]})
    return test_median, medians, shares, pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Learning from noisy labels: the network against the kernel vote

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


def label_noise_run(share: float, seed: int, n_vote: int, eps: float, epochs: int, n_train: int) -> dict:
    """One LeNet trained with a share of wrong labels, and, on the first ``n_vote`` training images:
    the network's answers, the kernel vote of the noisy labels with the trained network's k^C,
    the same vote with the *untrained* network's k^C, and a 50-nearest-neighbour vote in pixels."""
    mnist = data.load("mnist")
    spec = zoo.ModelSpec("lenet", seed=seed, label_noise=share, epochs=epochs or None, n_train=n_train or None)
    model = zoo.get_model(spec, progress=False)
    given = zoo.training_labels(spec, mnist)[:n_vote]
    x = mnist.x_train[:n_vote]
    base = dict(model=spec.key, n_vote=n_vote, eps=eps)
    trained = results.cached_array(results.cache_key("class_density", (similarity, zoo), **base),
                                   lambda: similarity.class_density(model, x, x, given, 10, eps=eps))
    untrained_model = zoo.build(spec)
    untrained = results.cached_array(results.cache_key("class_density_untrained", (similarity, zoo), **base),
                                     lambda: similarity.class_density(untrained_model, x, x, given, 10, eps=eps))
    g = given.numpy()
    return {"net": noise.answers([model], x)[0].numpy(), "vote": _vote(trained, g), "untrained": _vote(untrained, g),
            "pixel": pixel_vote(x, g), "given": g, "true": mnist.y_train[:n_vote].numpy(),
            "accuracy": model.record["test_accuracy"]}


def label_noise_table(label_noise, n_seeds: int, n_vote: int, eps: float, epochs: int = 0, n_train: int = 0) -> pd.DataFrame:
    """Per share of wrong labels and seed: test accuracy; on the corrupted images, how often the
    network and the vote give the true class; the network against each vote: raw agreement,
    agreement on the images the network gets wrong (its errors, judged by the true class) and
    Cohen's κ — for the trained kernel, the untrained network's kernel and pixel neighbours."""
    checks.seeds_for_ci("n_label_seeds", n_seeds)
    specs = [zoo.ModelSpec("lenet", seed=s, label_noise=p, epochs=epochs or None, n_train=n_train or None)
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


# ---------------------------------------------------------------------------------------------
# Registration

def _registration_job(sigma, seed, repeats, n_queries, n_train, n_test, epochs, canvas, eps):
    run, kernel = registration.paired_run(data.load("mnist"), sigma, seed, n_train=n_train, n_test=n_test,
                                          epochs=epochs, repeats=repeats, canvas=canvas, n_queries=n_queries, eps=eps)
    return run, kernel


def registration_runs(sigmas, repeats, seeds: int, *, n_train: int, n_test: int, n_queries: int, epochs: int,
                      canvas: int, eps: float) -> dict:
    """Paired runs for every σ (one repeat) and every repeat count (at the largest σ), per seed:
    ``{(sigma, repeats, seed): (run array, kernel rows or None)}``; kernel rows (``n_queries``
    test canvases × the training canvases) with network a at the largest σ, one repeat. Cached;
    what is missing is trained two at a time."""
    top = max(sigmas)
    grid = sorted({(s, 1) for s in sigmas} | {(top, r) for r in repeats})
    jobs = [(s, seed, r, n_queries if (s, r) == (top, 1) else 0) for s, r in grid for seed in range(seeds)]
    params = dict(n_train=n_train, n_test=n_test, epochs=epochs, canvas=canvas, eps=eps)
    keys = {job: results.cache_key("registration", (registration, similarity, train), sigma=job[0], seed=job[1],
                                   repeats=job[2], n_queries=job[3], **params) for job in jobs}
    missing = [job for job in jobs if not results.is_cached(keys[job], ".npz")]
    for i, value in parallel.each(_registration_job, [(*job, *params.values()) for job in missing]):
        results.store_arrays(keys[missing[i]], run=value[0], kernel=value[1] if value[1] is not None else np.zeros(0))
    out = {}
    for job in jobs:
        stored = results.load_arrays(keys[job])
        out[job[0], job[2], job[1]] = (stored["run"], stored["kernel"] if stored["kernel"].size else None)
    return out


def registration_table(runs: dict) -> pd.DataFrame:
    """Per σ, repeats and seed: test RMSE, the inherited noise measured by the pair, and — where
    kernel rows exist — the measured inherited noise on the kernel's queries beside σ/√N for each
    reading of N (``registration.counts``)."""
    rows = []
    for (sigma, repeats, seed), (run, kernel) in sorted(runs.items()):
        row = {"sigma": sigma, "repeats": repeats, "seed": seed, "test RMSE": registration.rmse(run),
               "inherited": registration.inherited_noise(run)}
        if kernel is not None:
            q = len(kernel)
            row["inherited on queries"] = registration.inherited_noise(run[:q])
            for name, n in registration.counts(kernel).items():
                row[f"predicted ({name})"] = float(sigma * np.sqrt(np.mean(1 / np.maximum(n, 1e-9))))
                row[f"median {name}"] = float(np.median(n))
        rows.append(row)
    return pd.DataFrame(rows)


def slope_ci(table: pd.DataFrame, x: str, y: str) -> tuple[float, float, float]:
    """Per seed, the least-squares slope of log y against log x; mean and t-interval over seeds."""
    slopes = []
    for _, sub in table.groupby("seed"):
        sub = sub[(sub[x] > 0) & (sub[y] > 0)]
        if len(sub) >= 2:
            slopes.append(np.polyfit(np.log(sub[x]), np.log(sub[y]), 1)[0])
    return stats.seed_ci(slopes) if slopes else (np.nan, np.nan, np.nan)


# ---------------------------------------------------------------------------------------------
# Similarity enforcement

def _enforcement_job(sign, weight, seed, steps, batch_size, n_pairs):
    mnist = data.load("mnist")
    x_fit, y_fit = mnist.x_train[:-2000], mnist.y_train[:-2000]
    x_val, y_val = mnist.x_train[-2000:], mnist.y_train[-2000:]
    model = zoo.build(zoo.ModelSpec("lenet", seed=seed))
    r = enforcement.fit(model, x_fit, y_fit, x_val, y_val, sign=sign, weight=weight, steps=steps, seed=seed,
                        batch_size=batch_size, n_pairs=n_pairs)
    return np.array([r.steps, r.val_accuracy, r.pair_cosine])


def enforcement_curves(weights, seeds: int, steps: int, batch_size: int = 64, n_pairs: int = 8) -> pd.DataFrame:
    """Plain training and both signs of the enforcement term at every weight, fresh LeNets, per
    seed: a long table (variant, seed, step, val accuracy, pair cosine). Cached per run."""
    variants = [("plain", 0, 0.0)] + [(f"{name} ×{w:g}", sign, w) for w in weights
                                      for name, sign in enforcement.SIGNS.items() if sign]
    spec_key = zoo.ModelSpec("lenet").key  # the architecture and its version (fresh weights from the seed)
    jobs = [(sign, w, seed, steps, batch_size, n_pairs) for _, sign, w in variants for seed in range(seeds)]
    keys = {job: results.cache_key("enforcement", (enforcement, zoo), lenet=spec_key, sign=job[0], weight=job[1],
                                   seed=job[2], steps=steps, batch_size=batch_size, n_pairs=n_pairs) for job in jobs}
    missing = [job for job in jobs if not results.is_cached(keys[job], ".npy")]
    for i, value in parallel.each(_enforcement_job, missing):
        results.cached_array(keys[missing[i]], lambda value=value: value)   # stored as each finishes
    parts = []
    for (name, sign, w) in variants:
        for seed in range(seeds):
            steps_, acc, cos = results.cached_array(keys[(sign, w, seed, steps, batch_size, n_pairs)], None)
            parts.append(pd.DataFrame({"variant": name, "seed": seed, "step": steps_.astype(int),
                                       "val accuracy": acc, "pair cosine": cos}))
    return pd.concat(parts, ignore_index=True)


def enforcement_effects(curves: pd.DataFrame) -> pd.DataFrame:
    """Per enforced variant: mean validation accuracy over the window minus plain training's with
    the same seed (mean and 95% t-interval over seeds), and the final same-class cosine."""
    auc = enforcement.area_under_curve(curves)
    last = curves[curves.step == curves.step.max()]
    rows = []
    for variant in [v for v in dict.fromkeys(curves.variant) if v != "plain"]:
        m, lo, hi = stats.mean_ci(enforcement.paired_difference(auc, variant))
        rows.append({"variant": variant, "gain": m, "lo": lo, "hi": hi,
                     "final cosine": last[last.variant == variant]["pair cosine"].mean()})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Verdicts

def summary_finding(net_true, agree_gap, ratio_top, ratios: dict, effects: pd.DataFrame) -> str:
    """The chapter's findings in a few sentences, their wording chosen from the numbers."""
    denoise = ("the LeNets answer the true class on most training images whose label was wrong"
               if net_true[1] > 0.5 else "the LeNets do not clearly recover the true class of wrongly labelled images")
    vote = ("the kernel vote shares the network's mistakes more often than pixel neighbours do"
            if agree_gap[1] > 0 else ("it shares them less often than pixel neighbours do" if agree_gap[2] < 0 else
                                      "whether the kernel vote shares the network's mistakes beyond pixel neighbours "
                                      "is undecided"))
    fits = [n for n, v in ratios.items() if stats.verdict_band(v[1:], 0.5, 2.0) == stats.REPRODUCED]
    reg = (f"registration networks end at {report.with_ci(*ratio_top, percent=False)} of their targets' noise, and "
           + (f"the noise they inherit matches σ/√N for N read as {', '.join(fits)}" if fits else
              "no reading of N_S predicts the noise they inherit within a factor of 2"))
    raised = effects[effects.variant.str.startswith("raise")]
    faster = any(raised.lo > 0)
    enforce = ("raising the gradient similarity speeds up training at some weight" if faster else
               "raising the gradient similarity does not speed up training at any weight tried")
    return f"With many wrong labels {denoise}; {vote}. The {reg}. Finally, {enforce}."


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


def registration_summary(reg: pd.DataFrame, top: float) -> dict:
    """From the registration table: RMSE/σ at the largest σ, the log–log slopes of the inherited
    noise against σ and against the number of draws per canvas, and per reading of N the ratio of
    measured to predicted inherited noise (each mean and 95% interval over seeds)."""
    at_top = reg[(reg.sigma == top) & (reg.repeats == 1)]
    return {"ratio_top": stats.seed_ci(at_top["test RMSE"] / top, bounds=(0, np.inf)),
            "slope_sigma": slope_ci(reg[(reg.repeats == 1) & (reg.sigma > 0)], "sigma", "inherited"),
            "slope_r": slope_ci(reg[reg.sigma == top], "repeats", "inherited"),
            "ratios": {name: stats.seed_ci(at_top["inherited on queries"] / at_top[f"predicted ({name})"],
                                           bounds=(0, np.inf)) for name in registration.READINGS}}


def readings_clause(ratios: dict) -> str:
    fits = [n for n, v in ratios.items() if stats.verdict_band(v[1:], 0.5, 2.0) == stats.REPRODUCED]
    misses = [n for n, v in ratios.items() if stats.verdict_band(v[1:], 0.5, 2.0) == stats.NOT_REPRODUCED]
    first = (f"the {', '.join(fits)} reading{'s' if len(fits) > 1 else ''} of N predict{'' if len(fits) > 1 else 's'} "
             "the inherited noise within a factor of 2" if fits else
             "no reading of N predicts the inherited noise within a factor of 2")
    return first + (f"; {', '.join(misses)} {'miss' if len(misses) > 1 else 'misses'} it by more." if misses else ".")


def verdict_table(exact_error: float, n_exact: int, same_share, pixel_share: float, n_label_seeds: int,
                  max_noise: float, denoise: dict, reg: dict, top: float, reg_seeds: int, effects: pd.DataFrame,
                  enforce_seeds: int) -> pd.DataFrame:
    """Each claim of Charpiat et al. that the chapter tests, with the book's rules."""
    R = report.verdict_row
    rows = [
        {**R("N_S in linear time equals the sum of pairwise k^C", "exact", (exact_error,) * 3, 0, 1e-4,
             "largest relative error below 1e-4", 1, percent=False),
         "ours": f"max relative error {exact_error:.1e} ({n_exact} digits)"},
        R("the inputs most similar for the network share the query's class (LeNet, 6 × 10 digits)", "most",
          same_share, 0.5, 1.0, f"share CI above 50% (pixel neighbours: {report.pct(pixel_share)})", n_label_seeds),
        R(f"networks denoise labels: true class on corrupted training images ({report.pct(max_noise)} wrong)", "yes",
          denoise["network: true class on corrupted"], 0.5, 1.0, "share CI above 50%", denoise["seeds"]),
        R("the network answers like the kernel vote of the noisy labels, beyond accuracy (agreement on the network's "
          "errors: trained kernel − pixel neighbours)", "yes", denoise["gap"], 0.0, 1.0, "difference CI above 0",
          denoise["seeds"]),
        R(f"registration error far below the target noise (test RMSE/σ at σ = {top:g})", "≪ 1", reg["ratio_top"],
          0.0, 0.5, "ratio CI below 0.5", reg_seeds, percent=False),
        R("the inherited noise grows in proportion to σ (log–log slope)", "1", reg["slope_sigma"], 0.8, 1.2,
          "slope CI inside [0.8, 1.2]", reg_seeds, percent=False),
        R("…and falls as 1/√r with r noise draws per canvas (log–log slope)", "−0.5", reg["slope_r"], -0.7, -0.3,
          "slope CI inside [−0.7, −0.3]", reg_seeds, percent=False),
    ] + [R(f"the inherited noise ≈ σ/√N, N read as {name} (measured / predicted)", "≈ 1", v, 0.5, 2.0,
           "ratio CI inside [0.5, 2]", reg_seeds, percent=False) for name, v in reg["ratios"].items()] + [
        R(f"enforcing similarity speeds up training ({r.variant}, accuracy gain in points)", "faster",
          (100 * r.gain, 100 * r.lo, 100 * r.hi), 0.0, np.inf, "gain CI above 0", enforce_seeds, percent=False)
        for r in effects.itertuples() if r.variant.startswith("raise")]
    return pd.DataFrame(rows)


def same_class_summary(models: dict, clean_lenets, q: torch.Tensor, pixel: np.ndarray, pool: int, eps: float) -> dict:
    """The share of the six most similar training images that have the query's class: for the
    LeNet (mean and 95% interval over the clean-label LeNets), the MLP and pixel neighbours."""
    return {"LeNet": stats.seed_ci([same_class_share(cross_kernel(m, q, pool, eps), pool) for m in clean_lenets],
                                   bounds=(0, 1)),
            "MLP": same_class_share(cross_kernel(models["MLP"], q, pool, eps), pool),
            "pixel": same_class_share(pixel, pool, largest=False)}


def auroc_summary(auroc: pd.DataFrame, kinds, brightnesses) -> tuple[pd.DataFrame, dict]:
    """The AUROC table pivoted by brightness, and per model the AUROC for the first kind at full
    brightness and the minimum over all kinds and brightnesses."""
    pivot = auroc.pivot_table(index=["model", "noise"], columns="brightness", values="AUROC test vs noise").round(3)
    pivot.columns = [f"brightness {b:g}" for b in pivot.columns]
    numbers = {}
    for name, sub in auroc.groupby("model"):
        first = sub[(sub.noise == kinds[0]) & (sub.brightness == brightnesses[-1])]["AUROC test vs noise"]
        numbers[name] = {"first": float(first.iloc[0]), "min": float(sub["AUROC test vs noise"].min())}
    return pivot.reset_index(), numbers


def enforcement_summary(curves: pd.DataFrame, effects: pd.DataFrame, weights) -> dict:
    """The final same-class cosine of plain training and of raising and lowering it at the largest
    weight, whether they are ordered as the signs say, and the effects as one line."""
    final = curves[curves.step == curves.step.max()].groupby("variant")["pair cosine"].mean()
    w = max(weights)
    raise_, lower = final[f"raise similarity ×{w:g}"], final[f"lower similarity ×{w:g}"]
    return {"w_top": w, "plain": final["plain"], "raise": raise_, "lower": lower,
            "ordered": bool(raise_ > final["plain"] > lower),
            "effects": "; ".join(f"{r.variant}: {report.with_ci(100 * r.gain, 100 * r.lo, 100 * r.hi, percent=False, digits=1)}"
                                 " points" for r in effects.itertuples())}
