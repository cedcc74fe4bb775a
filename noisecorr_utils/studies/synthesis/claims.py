"""The synthesis chapter's claims: the MNIST study's question (which factor shapes agreement) and
conclusion (ensembles of agreeing networks are useless) beside our estimates, and the chapter's
findings in words chosen from the numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import report, stats
from .factorial import FACTORS

EIGHT_SHARE = 0.5  # the flat-brightness test needs plain networks that call most bright noise "8"


def verdict_table(effects: pd.DataFrame, eights: dict, kappa_gain: pd.DataFrame, same_auroc, same_gain,
                  n_seeds: int) -> pd.DataFrame:
    """The source's question (which factor shapes agreement) and its conclusion (ensembles of
    agreeing networks are useless), each with our estimate and a verdict by the book's rules."""
    rows = []

    def add(*args, **kwargs):
        rows.append(report.verdict_row(*args, **kwargs))

    for f, claim in (("architecture", "the architecture shapes agreement on noise (κ effect of the same architecture)"),
                     ("data", "the training set shapes agreement (κ effect of the same training data)"),
                     ("task", "the type of task shapes agreement (κ effect of the same task)")):
        e = effects.loc[f]
        add(claim, "aim of the study", (e.effect, e.effect_lo, e.effect_hi), 0.0, np.inf,
            "effect CI above 0 (95% over seeds)", n_seeds, percent=False)
    for arch, (plain, flat) in eights.items():
        diff = stats.difference_ci(plain, flat)
        verdict = stats.gated(stats.verdict_side(diff[1:], 0.0, "above"), plain[1], EIGHT_SHARE)
        add(f"bright noise is an \"8\" because bright digits look like one ({arch}: share of \"8\", plain − flat brightness)",
            "explanation", diff, 0.0, np.inf, f"difference CI above 0; not tested unless the plain networks call "
            f"over {EIGHT_SHARE:.0%} of the noise \"8\" (CI)", n_seeds, verdict=verdict)
    add("two networks of one setting cannot tell noise by their disagreement (pair AUROC)", "useless ensembles",
        same_auroc, 0.4, 0.6, "AUROC CI inside [0.4, 0.6] (chance ± 0.1)", n_seeds, percent=False)
    add("averaging two networks of one setting detects noise no better (AUROC gain)", "useless ensembles",
        same_gain, -0.01, 0.01, "gain CI inside [−0.01, 0.01]", n_seeds, percent=False)
    r = kappa_gain.loc["auroc_confidence"]
    add("the more two networks agree on noise, the less their ensemble gains (ρ of κ and AUROC gain)",
        "useless ensembles", (r.rho, r.lo, r.hi), -np.inf, 0.0, "ρ CI below 0", n_seeds, percent=False)
    return pd.DataFrame(rows)


def factor_clause(effects: pd.DataFrame) -> str:
    """Which factor explains most of the variance of κ, worded from the shares and intervals."""
    main = effects.loc[list(FACTORS)]
    top = main.share.idxmax()
    decided = [f for f in FACTORS if main.loc[f, "effect_lo"] > 0]
    total = effects.loc["total (R²)", "share"]
    lead = (f"Together the three factors and their interactions explain {report.pct(total)} of the variance of κ "
            f"between pairs; the largest share is the {top}'s ({report.with_ci(main.loc[top, 'share'], main.loc[top, 'share_lo'], main.loc[top, 'share_hi'])}).")
    if not decided:
        return lead + " No factor raises κ with an interval clear of zero."
    names = _and(f"the same {f}" for f in decided)
    return lead + f" Sharing {names} raises κ with an interval clear of zero."


def _and(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def relation_clause(rho: pd.DataFrame) -> str:
    """Which measure noise κ goes with most closely, and which correlations are clear of zero."""
    noise_rho = rho[rho.x == "noise κ"].set_index("y")
    if noise_rho.rho.isna().all():
        return "The rank correlations of noise κ are undefined here."
    top = noise_rho.rho.abs().idxmax()
    clear = [y for y in noise_rho.index if noise_rho.loc[y, "lo"] > 0 or noise_rho.loc[y, "hi"] < 0]
    r = noise_rho.loc[top]
    return (f"Noise κ goes most closely with {top} (ρ {report.with_ci(r.rho, r.lo, r.hi, percent=False)}); "
            + (f"its correlation with {_and(clear)} has an interval clear of zero." if clear else
               "none of its correlations has an interval clear of zero."))


def ensemble_clause(kappa_gain: pd.DataFrame, same_auroc) -> str:
    r = kappa_gain.loc["auroc_confidence"]
    if r.hi < 0:
        first = "Pairs that agree more on noise gain less from being averaged, as the study's conclusion implies"
    elif r.lo > 0:
        first = "Pairs that agree more on noise gain more, not less, from being averaged — the opposite of the study's conclusion"
    else:
        first = "Whether a pair agrees on noise does not clearly predict what averaging it gains"
    m, lo, hi = same_auroc
    if lo > 0.6:
        second = (f"even two networks of one setting disagree enough on noise to flag it (AUROC "
                  f"{report.with_ci(m, lo, hi, percent=False)}), so such ensembles are not useless")
    elif hi < 0.6:
        second = (f"two networks of one setting barely disagree on noise (AUROC "
                  f"{report.with_ci(m, lo, hi, percent=False)}), so their disagreement is no alarm")
    else:
        second = f"the disagreement of two networks of one setting flags noise with AUROC {report.with_ci(m, lo, hi, percent=False)}"
    return f"{first}; {second}."


def eight_clause(eights: dict) -> str:
    """The share of "8" after plain and after flattened-brightness training, per architecture."""
    return " ".join(f"{a}: {report.with_ci(*plain, digits=0)} of the noise is an \"8\" after training on plain MNIST, "
                    f"{report.with_ci(*flat, digits=0)} after training on flattened brightness."
                    for a, (plain, flat) in eights.items())


def attack_note(skipped: list[str]) -> str:
    """Which architectures the relations table does not attack, and what that means for their pairs."""
    if not skipped:
        return "every network is attacked"
    one = len(skipped) == 1
    return (f"{_and(skipped)} {'is' if one else 'are'} not attacked — their attacks cost many times an MLP's or a "
            f"LeNet's here — so pairs with {'it' if one else 'them'} use the one way, from the attacked network")
