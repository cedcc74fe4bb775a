"""The synthesis chapter's claims: the MNIST study's question (which factor shapes agreement) and
conclusion (ensembles of agreeing networks are useless) beside our estimates, and the chapter's
findings in words chosen from the numbers."""
from __future__ import annotations

import pandas as pd

from ... import report, stats
from ...verdicts import Finding
from .factorial import FACTORS

EIGHT_SHARE = 0.5  # the flat-brightness test needs plain networks that call most bright noise "8"


USELESS = {"auroc_confidence": 0.01, "ece": 0.005}   # a gain below this is "no better": AUROC, ECE units
GATE = 0.975   # the study's networks: the plain-MNIST digit networks must be as accurate


def verdict_table(effects: pd.DataFrame, eights: dict, kappa_gain: pd.DataFrame, same: dict, n_seeds: int,
                  accuracy: float) -> pd.DataFrame:
    """The study's question (which factor shapes agreement) and its conclusion (ensembles of
    agreeing networks are useless) at both levels (``report.claim_row``). ``same``: for pairs of
    one setting, the pair AUROC by disagreement and the gains of averaging (``"auroc_confidence"``,
    ``"ece"``), each (mean, lo, hi); ``accuracy``: the plain-MNIST networks' mean, gated at 97.5%."""
    gate = (accuracy, GATE, "test accuracy of the plain-MNIST networks")
    rows = []
    for f, claim in (("architecture", "the architecture shapes agreement on noise (κ effect of the same architecture)"),
                     ("data", "the training set shapes agreement (κ effect of the same training data)"),
                     ("task", "the type of task shapes agreement (κ effect of the same task)"),
                     ("recipe", "the training recipe shapes agreement on noise (κ effect of the same recipe)")):
        if f not in effects.index or not effects.loc[f, "pairs different"]:
            continue   # the factor does not vary in this zoo
        e = effects.loc[f]
        est = (e.effect, e.effect_lo, e.effect_hi)
        rows.append(report.claim_row(claim, None, "effect on κ", est,
                                     Finding(f"sharing the {f} makes two networks agree more on noise", "effect on κ",
                                             0.0), est, n_seeds, percent=False, bounds=(-2, 2), finding_bounds=(-2, 2),
                                     gate=gate))
    for arch, (plain, flat) in eights.items():
        diff = stats.difference_ci(plain, flat, bounds=(-1, 1))
        rows.append(report.claim_row(
            f"bright noise is an \"8\" because bright digits look like one ({arch}: share of \"8\", plain − flat "
            "brightness)", None, "difference", diff,
            Finding(f"{arch}s trained on images of one brightness call less noise \"8\"", "difference", 0.0), diff,
            n_seeds, finding_percent=True, bounds=(-1, 1), finding_bounds=(-1, 1),
            gate=(plain[1], EIGHT_SHARE, "of the noise called \"8\" by the plain networks (lower CI end)")))
    rows.append(report.claim_row(
        "two networks of one setting cannot tell noise by their disagreement (pair AUROC)", None, "AUROC",
        same["pair auroc"], Finding("the disagreement of two networks of one setting is no alarm for noise", "AUROC",
                                    0.6, "below"), same["pair auroc"], n_seeds, percent=False,
        finding_bounds=(0, 1), gate=gate))
    for key, what in (("auroc_confidence", "detects noise (AUROC gain)"), ("ece", "is calibrated (ECE gain)")):
        rows.append(report.claim_row(
            f"averaging two networks of one setting {what.split(' (')[0]} no better ({what.split('(')[1]}",
            None, "gain", same[key], Finding(f"averaging two networks of one setting {what.split(' (')[0]} no better",
                                             "gain", USELESS[key], "below"), same[key], n_seeds, percent=False,
            bounds=(-1, 1), finding_bounds=(-1, 1), gate=gate))
    for key, what in (("auroc_confidence", "noise detection"), ("ece", "calibration")):
        r = kappa_gain.loc[key]
        rows.append(report.claim_row(
            f"the more two networks agree on noise, the less their ensemble gains ({what}: ρ of κ and gain)", None, "ρ",
            (r.rho, r.lo, r.hi), Finding(f"pairs that agree more on noise gain less {what} from averaging", "ρ", 0.0,
                                         "below"), (r.rho, r.lo, r.hi), n_seeds, percent=False, bounds=(-1, 1),
            finding_bounds=(-1, 1), gate=gate))
    return pd.DataFrame(rows)


SUMMARY_CLAIMS = ("the architecture shapes", "the training set shapes", "the type of task shapes",
                  "the training recipe shapes",
                  "two networks of one setting cannot tell", "averaging two networks of one setting",
                  "the more two networks agree")


def summary_finding(verdicts: pd.DataFrame) -> str:
    """The chapter's findings, each sentence produced from its verdict row (``report.findings``)."""
    return report.findings(verdicts, SUMMARY_CLAIMS)


def factor_clause(effects: pd.DataFrame) -> str:
    """Which factor explains most of the variance of κ, worded from the shares and intervals."""
    factors = [f for f in FACTORS if f in effects.index and effects.loc[f, "effect"] == effects.loc[f, "effect"]]
    main = effects.loc[factors]
    top = main.share.idxmax()
    decided = [f for f in factors if main.loc[f, "effect_lo"] > 0]
    total = effects.loc["total (R²)", "share"]
    lead = (f"Together the {report.plural(len(factors), 'factor')} and their interactions explain {report.pct(total)} of the variance of κ "
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
