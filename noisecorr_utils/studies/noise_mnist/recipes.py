"""Is it the recipe? The noise chapter's networks trained under named recipes (``train.RECIPE_NAMES``:
the zoo's own, the plain tutorial recipe of the MNIST study's time, one-change ablations of the
zoo's recipe and one-ingredient additions to the plain one): accuracy, each network's favourite
class and its share, the share of "8", p_o, p_e and κ within each recipe, for uniform and Gaussian
noise at full and half brightness; Hein et al.'s confidence protocol per recipe; the study's claims
re-tested under the plain recipe; and which ingredient moves each number most."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import confidence, noise, stats, zoo
from .experiments import accuracy, favourite_shares, pair_table, share_of_class

KINDS = ("uniform", "gaussian")
BRIGHTNESS = (1.0, 0.5)
# The ingredient each named recipe changes, and the recipe it changes it from.
INGREDIENTS = {"no-label-smoothing": ("label smoothing", "zoo"), "no-normalisation": ("input normalisation", "zoo"),
               "constant-lr": ("learning-rate schedule", "zoo"), "swap-optimiser": ("optimiser", "zoo"),
               "plain+label-smoothing": ("label smoothing", "plain"),
               "plain+normalisation": ("input normalisation", "plain"),
               "plain+schedule": ("learning-rate schedule", "plain")}


def group(arch: str, recipe: str) -> str:
    return f"{arch}·{recipe}"


def specs(archs, large_archs, recipes, recipe_seeds: int, ablation_seeds: int, epochs=None,
          n_train=None) -> dict[str, list[zoo.ModelSpec]]:
    """The recipe study's groups: every architecture of ``archs`` under every recipe (``recipe_seeds``
    seeds under the zoo's and the plain recipe, ``ablation_seeds`` under the others), and those of
    ``large_archs`` under the zoo's and the plain recipe only (``ablation_seeds``). The zoo recipe's
    networks are the chapter's own (the same specs, trained once)."""
    out = {}
    for arch in list(archs) + list(large_archs):
        for recipe in recipes:
            if arch in large_archs and recipe not in ("zoo", "plain"):
                continue
            n = recipe_seeds if recipe in ("zoo", "plain") and arch not in large_archs else ablation_seeds
            out[group(arch, recipe)] = zoo.seeds_of(arch, n, epochs=epochs, n_train=n_train,
                                                    recipe_name=None if recipe == "zoo" else recipe)
    return out


def answers(z: zoo.Groups, n: int, seed: int) -> dict[str, dict[float, np.ndarray]]:
    """Every network's answers to ``n`` images of each kind of ``KINDS`` at both brightnesses."""
    return {k: noise.cached_answers(z.models, k, n, list(BRIGHTNESS), seed + i, "mnist") for i, k in enumerate(KINDS)}


def recipe_table(z: zoo.Groups, by_kind: dict, recipes, n_classes: int = 10) -> pd.DataFrame:
    """One row per architecture, recipe, noise kind and brightness: seeds, test accuracy, each
    network's own favourite share (and the favourites per seed), the share of "8", and p_o, p_e and
    κ of the pairs within the recipe — each mean and 95% interval over seeds."""
    rows = []
    for g in z.rows:
        arch, recipe = g.split("·", 1)
        for kind, at in by_kind.items():
            pairs = pair_table(at, z, {f"{g} {b:g}": (g, None, b) for b in BRIGHTNESS}, n_classes)
            for b in BRIGHTNESS:
                (fav, fav_lo, fav_hi), favourites = favourite_shares(at[b], z.rows[g], n_classes)
                p = pairs.loc[f"{g} {b:g}"]
                row = {"arch": arch, "recipe": recipe, "kind": kind, "brightness": b, "seeds": len(z.rows[g]),
                       "favourites": " ".join(map(str, favourites)), "favourite share": fav,
                       "favourite share_lo": fav_lo, "favourite share_hi": fav_hi}
                for key, ci in (("accuracy", accuracy(z, g)), ("share of 8", share_of_class(at[b], z.rows[g], 8))):
                    row.update({key: ci[0], f"{key}_lo": ci[1], f"{key}_hi": ci[2]})
                for key in ("p_o", "p_e", "kappa"):
                    row.update({key: p[key], f"{key}_lo": p[f"{key}_lo"], f"{key}_hi": p[f"{key}_hi"]})
                rows.append(row)
    table = pd.DataFrame(rows)
    order = {r: i for i, r in enumerate(recipes)}
    return table.sort_values(["arch", "recipe"], key=lambda c: c.map(order) if c.name == "recipe" else c,
                             kind="stable").reset_index(drop=True)


def hein_by_recipe(z: zoo.Groups, x_noise, alphas, level: float = 0.999, high: float = 0.95) -> pd.DataFrame:
    """Hein et al.'s protocol per recipe group: the median scale α at which each network reaches
    ``level`` confidence on α·x (mean over seeds, 95% interval), the share of images never reaching
    it, and the share of the clipped noise (x in [0, 1], α = 1) on which a network is above ``high``."""
    rows = []
    for g, r in z.rows.items():
        arch, recipe = g.split("·", 1)
        models = [z.models[i] for i in r]
        per_model = [confidence.cached_scale_to_confidence(m, x_noise, alphas, level) for m in models]
        medians = [float(np.median(a)) for a in per_model if np.isfinite(np.median(a))]
        m, lo, hi = stats.seed_ci(medians, bounds=(0, np.inf)) if medians else (np.nan, np.nan, np.nan)
        above = stats.seed_ci(list((confidence.max_softmax(models, x_noise) > high).mean(1)), bounds=(0, 1))
        rows.append({"arch": arch, "recipe": recipe, "median α": m, "median α_lo": lo, "median α_hi": hi,
                     "never": float(np.mean([np.isinf(a).mean() for a in per_model])),
                     "above 95%": above[0], "above 95%_lo": above[1], "above 95%_hi": above[2]})
    return pd.DataFrame(rows)


def as_chapter_groups(z: zoo.Groups, recipe: str) -> zoo.Groups:
    """The networks of one recipe under the chapter's group names (``mlp``, ``lenet``, ``allcnn``),
    so that the chapter's claims can be measured on them."""
    rows = {g.split("·", 1)[0]: r for g, r in z.rows.items() if g.split("·", 1)[1] == recipe}
    return zoo.Groups(z.models, rows, z.failed)


def ingredient_effects(table: pd.DataFrame, quantity: str, arch: str, kind: str = "uniform",
                       brightness: float = 1.0) -> pd.DataFrame:
    """For one quantity of one architecture: the change each ingredient makes, recipe minus the
    recipe it changes (zoo or plain), with its 95% interval (independent seeds), largest first."""
    sub = table[(table.arch == arch) & (table.kind == kind) & (table.brightness == brightness)].set_index("recipe")
    rows = []
    for recipe, (ingredient, base) in INGREDIENTS.items():
        if recipe in sub.index and base in sub.index:
            ci = [tuple(sub.loc[r, [quantity, f"{quantity}_lo", f"{quantity}_hi"]]) for r in (recipe, base)]
            d = stats.difference_ci(ci[0], ci[1], bounds=(-1, 1))
            rows.append({"recipe": recipe, "ingredient": ingredient, "from": base, "change": d[0], "lo": d[1],
                         "hi": d[2]})
    out = pd.DataFrame(rows)
    return out.reindex(out.change.abs().sort_values(ascending=False).index) if len(out) else out


def closest(table: pd.DataFrame, quantity: str, arch: str, target: float, kind: str = "uniform",
            brightness: float = 1.0) -> pd.Series | None:
    """The recipe whose estimate of ``quantity`` comes closest to the source's ``target``."""
    sub = table[(table.arch == arch) & (table.kind == kind) & (table.brightness == brightness)]
    sub = sub[sub[quantity].notna()]
    return None if sub.empty else sub.loc[(sub[quantity] - target).abs().idxmin()]


# The numbers of the study that the recipe section follows: (quantity, architecture, the study's value, words).
TARGETS = (("p_o", "mlp", 0.81, "two MLPs agree on 81% of noise"), ("p_o", "lenet", 0.76, "two CNNs agree on 76%"),
           ("share of 8", "lenet", 0.90, "CNNs call 90% of noise \"8\""),
           ("share of 8", "mlp", 0.90, "90% of noise is called \"8\" (MLP)"))


def recipe_sentences(table: pd.DataFrame) -> list[str]:
    """Per number of the study: which recipe comes closest to it and which ingredient moves it most
    (the largest change, with its interval), chosen from the recipe table."""
    from ... import report

    out = []
    for quantity, arch, target, words in TARGETS:
        best = closest(table, quantity, arch, target)
        if best is None:
            continue
        effects = ingredient_effects(table, quantity, arch)
        first = (f"*{words}*: the {best.recipe} recipe comes closest "
                 f"({report.with_ci(best[quantity], best[f'{quantity}_lo'], best[f'{quantity}_hi'], digits=0)})")
        if len(effects):
            e = effects.iloc[0]
            first += (f"; the ingredient that moves it most is {e.ingredient} ({e['from']} → {e.recipe}: "
                      f"{report.change_in_points(e.change, e.lo, e.hi)})")
        out.append(first + ".")
    return out
