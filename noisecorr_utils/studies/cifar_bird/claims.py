"""The CIFAR-10 chapter's claims: each claim of the CIFAR-10 question beside our numbers, with the
book's rules, and the chapter's findings in words chosen from the numbers."""
from __future__ import annotations

import pandas as pd

from ... import report, stats
from .experiments import wilson

SOURCE_ACCURACY = 0.925       # the source's ResNet18 has about 93%: claims are tested on models at least this good
CATDOG_ACCURACY = 0.75        # a cat/dog network that tells them apart at least this well (the source gives no number)


def favourite_clause(fav: pd.DataFrame) -> str:
    parts = []
    for family, r in fav.iterrows():
        agreeing = int(r["seeds with that favourite"])
        who = "every seed agrees" if agreeing == r.seeds else f"{agreeing} of {int(r.seeds)} seeds agree"
        parts.append(f"{family} sends {report.with_ci(r.share, r.share_lo, r.share_hi, digits=0)} of the noise to "
                     f"\"{r.favourite}\" ({who} on it) and {report.with_ci(r.bird, r.bird_lo, r.bird_hi, digits=0)} "
                     f"to \"bird\"")
    same = fav.favourite.nunique() == 1
    return ("; ".join(parts) + ". " + ("Both families have the same favourite." if same and len(fav) > 1 else
                                       "The families do not share their favourite." if len(fav) > 1 else ""))


def tree_clause(tree_table: pd.DataFrame, next_to: dict) -> str:
    k_u, n_u = next_to["uncentred"]
    k_c, n_c = next_to["centred"]
    common = tree_table[tree_table.centring == "uncentred"]["noise neighbours"].str.split(", ").explode().value_counts()
    return (f"With uncentred features, noise is joined to \"bird\" in {k_u} of {n_u} trees; its most frequent neighbour "
            f"is \"{common.index[0]}\" ({common.iloc[0]} of {n_u}). With centred features, noise is joined to \"bird\" "
            f"in {k_c} of {n_c} trees.")


def clutter_clause(top: pd.DataFrame, correlations: pd.DataFrame) -> str:
    bird_first = top[top["bird's rank"] == 1].measure.tolist()
    positive = correlations[correlations.lo > 0].measure.tolist()
    first = (f"\"Bird\" is the most cluttered class by {len(bird_first)} of {len(top)} measures"
             + (f" ({', '.join(bird_first)})" if bird_first else "") + ".")
    second = (f" The share of noise a class receives rises with its clutter, beyond the spread over models, for "
              f"{', '.join(positive)}." if positive else
              " No measure's correlation with the share of noise a class receives is positive beyond the spread over models.")
    return first + second


def per_image_clause(rhos: dict[str, float], target: str, model: str) -> str:
    strength = lambda r: "hardly" if abs(r) < 0.1 else ("weakly" if abs(r) < 0.3 else "clearly")
    return (f"For {model}, the probability of \"{target}\" correlates {strength(rhos['spectral_slope'])} with an image's "
            f"spectral slope (Spearman ρ {rhos['spectral_slope']:.2f}) and {strength(rhos['edge_density'])} with its "
            f"edge density (ρ {rhos['edge_density']:.2f}), over the test images measured.")


def logit_clause(logits: pd.DataFrame, target: str) -> str:
    row = logits.set_index("class")
    by_w = row["W·h̄"].idxmax()
    by_b = row["b"].idxmax() if row["b"].abs().max() > 0 else None
    by_cos = row["cos(h̄, class mean)"].idxmax()
    by_centre = row["distance of class mean to global mean"].idxmin()
    ratio = row["noise feature norm / test feature norm"].iloc[0]
    return (f"the mean noise feature alone gives its largest logit to \"{by_w}\" "
            + (f"(the biases favour \"{by_b}\")" if by_b else "(the head has no bias)")
            + f"; it points most nearly towards the mean feature of \"{by_cos}\"; the class mean closest to the global "
              f"mean is \"{by_centre}\"; noise features are {ratio:.2f} times as long as test features. The noise's "
              f"favourite is \"{target}\".")


def summary_finding(fav: pd.DataFrame, next_to: dict, cd_ci: dict, top: pd.DataFrame) -> str:
    bird = [f for f, r in fav.iterrows() if r.favourite == "bird"]
    first = (f"Noise goes to \"bird\" for {', '.join(bird)}" if bird else
             "Noise does not go to \"bird\": " + ", ".join(f"{f} prefers \"{r.favourite}\"" for f, r in fav.iterrows()))
    k, n = next_to["uncentred"]
    bird_first = int((top["bird's rank"] == 1).sum())
    return (f"{first}. The spanning tree joins noise to \"bird\" in {k} of {n} models. The cat/dog networks call "
            f"{report.with_ci(*cd_ci['noise → cat'], digits=0)} of noise \"cat\". \"Bird\" is the most cluttered class by "
            f"{bird_first} of {len(top)} measures of clutter.")


def verdict_table(fav: pd.DataFrame, next_to: dict, cd_ci: dict, top: pd.DataFrame, n_catdog: int) -> pd.DataFrame:
    """Each claim of the CIFAR-10 question beside our numbers, with the book's rules; the claims
    about the source's 93% network are tested on the most accurate family, gated on its accuracy."""
    best = fav.accuracy.idxmax()
    r = fav.loc[best]
    n = int(r.seeds)
    gate = lambda v: stats.gated(v, r.accuracy, SOURCE_ACCURACY)
    out = [
        report.verdict_row(f"noise goes to \"bird\" ({best}: share called bird)", "nearly all", (r.bird, r.bird_lo, r.bird_hi),
                    0.5, 1.0, "share CI above 50%; not tested below the source's accuracy", n,
                    verdict=gate(stats.verdict_band((r.bird_lo, r.bird_hi), 0.5, 1.0))),
        report.verdict_row(f"nearly all noise goes to one class ({best}: its favourite's share)", "nearly all",
                    (r.share, r.share_lo, r.share_hi), 0.9, 1.0, "share CI inside [90%, 100%]", n,
                    verdict=gate(stats.verdict_band((r.share_lo, r.share_hi), 0.9, 1.0))),
    ]
    for centring in ("uncentred", "centred"):
        k, m = next_to[centring]
        est = wilson(k, m)
        out.append(report.verdict_row(f"the spanning tree puts noise next to bird ({centring} features, share of models)",
                               "yes", est, 0.5, 1.0, "Wilson CI of the share of models above 50%", m))
    cd_gate = lambda ci, low, high: stats.gated(stats.verdict_band(ci[1:], low, high), cd_ci["accuracy"][0],
                                                 CATDOG_ACCURACY)
    gate_rule = f"; not tested below {CATDOG_ACCURACY:.0%} cat/dog accuracy"
    out += [
        report.verdict_row("a cat/dog network calls all noise \"cat\"", "100%", cd_ci["noise → cat"], 0.9, 1.0,
                           "share CI inside [90%, 100%]" + gate_rule, n_catdog,
                           verdict=cd_gate(cd_ci["noise → cat"], 0.9, 1.0)),
        report.verdict_row("…and over 70% of the other classes \"cat\"", "> 70%", cd_ci["others → cat"], 0.7, 1.0,
                           "mean share CI above 70%" + gate_rule, n_catdog, verdict=cd_gate(cd_ci["others → cat"], 0.7, 1.0)),
        report.verdict_row("…and 72% of horses \"dog\"", "72%", cd_ci["horse → dog"], 0.62, 0.82,
                           "share CI inside [62%, 82%]" + gate_rule, n_catdog,
                           verdict=cd_gate(cd_ci["horse → dog"], 0.62, 0.82)),
    ]
    k = int((top["bird's rank"] == 1).sum())
    verdict = (stats.REPRODUCED if k == len(top) else stats.NOT_REPRODUCED if k <= len(top) / 2 else stats.INCONCLUSIVE)
    out.append({**report.verdict_row("\"bird\" is the most cluttered class (measures that rank it first)", "yes",
                              (k / len(top),) * 3, 1.0, 1.0, "all measures: reproduced; half or fewer: not reproduced",
                              len(top), verdict=verdict), "ours": f"{k} of {len(top)} measures"})
    return pd.DataFrame(out)
