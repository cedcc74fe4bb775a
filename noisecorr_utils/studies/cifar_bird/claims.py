"""The CIFAR-10 chapter's claims: each claim of the CIFAR-10 question beside our numbers, with the
book's rules, and the chapter's findings in words chosen from the numbers."""
from __future__ import annotations

import pandas as pd

from ... import report
from ...verdicts import Figure, Finding
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


SUMMARY_CLAIMS = ("noise goes to \"bird\"", "nearly all noise goes to one class",
                  "the spanning tree puts noise next to bird", "a cat/dog network calls all noise",
                  "\"bird\" is the most cluttered class")


def summary_finding(verdicts: pd.DataFrame) -> str:
    """The chapter's findings, each sentence produced from its verdict row (``report.findings``)."""
    return report.findings(verdicts, SUMMARY_CLAIMS)


def _ci(row, key):
    return row[key], row[f"{key}_lo"], row[f"{key}_hi"]


def verdict_table(fav: pd.DataFrame, next_to: dict, cd_ci: dict, top: pd.DataFrame, n_catdog: int) -> pd.DataFrame:
    """Each claim of the CIFAR-10 question at both levels (``report.claim_row``), on every family:
    the claims about the source's ~93% ResNet18 are not tested on a family below 92.5%."""
    out = []
    for family, r in fav.iterrows():
        n = int(r.seeds)
        gate = (r.accuracy, SOURCE_ACCURACY, "test accuracy (the source's ResNet18)")
        out.append(report.claim_row(
            f"noise goes to \"bird\" ({family}: share called bird)", Figure("nearly all", 0.9, 1.0, "above"),
            "share called bird", _ci(r, "bird"), Finding(f"{family} networks send most Gaussian noise to \"bird\"",
                                                          "share called bird", 0.5), _ci(r, "bird"), n,
            finding_percent=True, finding_bounds=(0, 1), gate=gate))
        out.append(report.claim_row(
            f"nearly all noise goes to one class ({family}: each network's own favourite, per seed: "
            f"{r['favourite per seed']})", Figure("nearly all", 0.9, 1.0, "above"), "own favourite's share",
            _ci(r, "share"), Finding(f"each {family} network sends most noise to one class of its own",
                                     "own favourite's share", 0.5), _ci(r, "share"), n, finding_percent=True,
            finding_bounds=(0, 1), gate=gate))
        for centring in ("uncentred", "centred"):
            k, m = next_to[family, centring]
            est = wilson(k, m)
            out.append(report.claim_row(
                f"the spanning tree puts noise next to bird ({family}, {centring} features)", None,
                "share of models", est, Finding(f"noise's class-mean feature lies next to bird's ({centring}, {family})",
                                                "share of models (Wilson CI)", 0.5), est, m, finding_percent=True,
                finding_bounds=(0, 1), gate=gate, ours=f"{k} of {m} models", finding_ours=f"{k} of {m} "
                f"({report.with_ci(*est, digits=0)})"))
    cd_gate = (cd_ci["accuracy"][0], CATDOG_ACCURACY, "cat/dog test accuracy (the source gives none)")
    for claim, source, band, argues, key, finding in (
            ("a cat/dog network calls all noise \"cat\"", "100%", (0.9, 1.0), "above", "noise → cat",
             "a cat/dog network calls most noise \"cat\""),
            ("…and over 70% of the other classes \"cat\"", "> 70%", (0.7, 1.0), "above", "others → cat",
             "a cat/dog network calls most images of the other eight classes \"cat\""),
            ("…and 72% of horses \"dog\"", "72%", (0.62, 0.82), None, "horse → dog",
             "a cat/dog network calls most horses \"dog\"")):
        out.append(report.claim_row(claim, Figure(source, *band, argues), "share", cd_ci[key],
                                    Finding(finding, "share", 0.5), cd_ci[key], n_catdog, finding_percent=True,
                                    finding_bounds=(0, 1), gate=cd_gate))
    k = int((top["bird's rank"] == 1).sum())
    est = wilson(k, len(top))
    out.append(report.claim_row(
        "\"bird\" is the most cluttered class (measures that rank it first)", None, "share of measures", est,
        Finding("bird is the most cluttered class of CIFAR-10", "share of measures (Wilson CI)", 0.5), est, len(top),
        finding_percent=True, finding_bounds=(0, 1), ours=f"{k} of {len(top)} measures",
        finding_ours=f"{k} of {len(top)} ({report.with_ci(*est, digits=0)})"))
    return pd.DataFrame(out)
