"""Reporting, in one place: a value with its confidence interval as text, verdict tables, and
sentences whose wording is chosen from the numbers (never typed into a notebook).

Every formatter writes an undefined value (NaN, None) as a dash, never as "nan".
"""
from __future__ import annotations

import math

DASH = "–"


def _undefined(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def num(x, digits: int = 2) -> str:
    """``0.37``; a dash when undefined."""
    return DASH if _undefined(x) else f"{x:.{digits}f}"


def pct(x, digits: int = 0) -> str:
    """A share as a percentage, ``81%``; a dash when undefined."""
    return DASH if _undefined(x) else f"{100 * x:.{digits}f}%"


def with_ci(m, lo=None, hi=None, percent: bool = True, digits: int | None = None) -> str:
    """``81.0% [74.7, 87.5]`` (percent) or ``0.37 [0.21, 0.52]``; ``(no CI)`` when the interval is
    undefined (one seed), a dash when the value is."""
    if _undefined(m):
        return DASH
    d = (1 if percent else 2) if digits is None else digits
    scale, unit = (100, "%") if percent else (1, "")
    head = f"{scale * m:.{d}f}{unit}"
    if _undefined(lo) or _undefined(hi):
        return f"{head} (no CI)"
    return f"{head} [{scale * lo:.{d}f}, {scale * hi:.{d}f}]"


def p_value(p: float, n_perm: int) -> str:
    """A permutation p-value; at its floor 1/(n_perm + 1) it is written ``≤ 0.002``."""
    if _undefined(p):
        return DASH
    floor = 1 / (n_perm + 1)
    return f"≤ {floor:.2g}" if p <= floor * (1 + 1e-9) else f"{p:.3f}"


def verdict_row(claim: str, source: str, estimate, low: float, high: float, rule: str, n: int,
                percent: bool = True, verdict: str | None = None) -> dict:
    """One row of a verdict table: the claim, the source's number, our estimate (mean, lo, hi) as
    text, the rule, the verdict (by ``stats.verdict_band`` unless given) and, when inconclusive,
    about how many seeds would decide."""
    from . import stats

    m, lo, hi = estimate
    v = verdict or stats.verdict_band((lo, hi), low, high)
    return {"claim": claim, "source": source, "ours": with_ci(m, lo, hi, percent=percent), "estimate": m,
            "lo": lo, "hi": hi, "rule": rule, "verdict": v, "seeds": n,
            "seeds to decide": stats.seeds_to_decide(estimate, n, low, high) if v == stats.INCONCLUSIVE else None}


def md_table(df, index: bool = False) -> str:
    """A DataFrame as a Markdown table (for a numbered ``{table}`` caption in the book); undefined
    cells as a dash."""
    shown = df.copy()
    for col in shown.columns:
        shown[col] = [DASH if _undefined(v) else v for v in shown[col]]
    return shown.to_markdown(index=index)


def anchor(prefix: str, i: int) -> str:
    return f"{prefix}-{i + 1}"


def verdict_markdown(table, prefix: str) -> str:
    """The verdict table: each row with an anchor (``#<prefix>-<n>``) that the text links to;
    where a verdict is inconclusive, about how many seeds would decide."""
    lines = ["| # | claim | source | ours (95% CI over seeds) | rule | verdict |", "|---|---|---|---|---|---|"]
    for i, r in enumerate(table.rename(columns={"seeds to decide": "seeds_to_decide"}).itertuples()):
        verdict = f"**{r.verdict}**"
        need = getattr(r, "seeds_to_decide", None)
        if r.verdict == "inconclusive" and not _undefined(need) and need:
            verdict += f" with {r.seeds} seeds; about {int(need)} would decide"
        lines.append(f'| <span id="{anchor(prefix, i)}"></span>{i + 1} | {r.claim} | {r.source} | {r.ours} | '
                     f'{r.rule} | {verdict} |')
    return "\n".join(lines)


def verdict_lines(table, prefix: str) -> str:
    """One line per verdict for a chapter's summary box, each linking to its row."""
    return "\n".join(f'- <a href="#{anchor(prefix, i)}">{r.claim}</a> ({r.source}): **{r.verdict}** — ours {r.ours}'
                              for i, r in enumerate(table.itertuples()))


def link(prefix: str, table, claim_start: str) -> str:
    """An HTML link to the verdict row whose claim starts with ``claim_start`` (for glued prose)."""
    for i, claim in enumerate(table["claim"]):
        if claim.startswith(claim_start):
            return f'<a href="#{anchor(prefix, i)}">verdict {i + 1}: {table["verdict"].iloc[i]}</a>'
    raise KeyError(f"no verdict row starts with {claim_start!r}")


LANDIS_KOCH = ((0.0, "no more than chance"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"),
               (0.8, "substantial"), (1.01, "almost perfect"))


def landis_koch(kappa: float) -> str:
    """The Landis & Koch (1977) reading of κ: ≤ 0 no more than chance, then slight, fair,
    moderate, substantial, almost perfect at 0.2 steps."""
    if _undefined(kappa):
        return "undefined"
    if kappa <= 0:
        return LANDIS_KOCH[0][1]
    return next(word for bound, word in LANDIS_KOCH[1:] if kappa <= bound)


def chance_clause(chance_share: float, kappa_ci: tuple[float, float, float]) -> str:
    """What a share p_e/p_o of chance in the observed agreement, beside the largest κ (with its
    interval), says about the agreement: chosen from the numbers."""
    m, lo, hi = kappa_ci
    share = pct(chance_share)
    if not _undefined(hi) and hi < 0.2:
        return (f"almost entirely chance agreement: p_e accounts for {share} of p_o on average, and even the "
                f"largest mean κ, {with_ci(m, lo, hi, percent=False)}, is at most slight")
    if not _undefined(lo) and lo > 0.4:
        return (f"far more than chance agreement: although p_e accounts for {share} of p_o on average, the "
                f"largest mean κ is {with_ci(m, lo, hi, percent=False)}, {landis_koch(lo)} or better")
    return (f"partly chance agreement: p_e accounts for {share} of p_o on average, and the largest mean κ, "
            f"{with_ci(m, lo, hi, percent=False)}, is {landis_koch(m)}")


def ensemble_clause(kappa_ci: tuple[float, float, float]) -> str:
    """What the largest κ means for an ensemble of such networks, chosen from its interval."""
    m, lo, hi = kappa_ci
    if not _undefined(hi) and hi < 0.2:
        return ("beyond that class preference the members' answers are close to independent, so averaging "
                "spreads a noise input's votes as far as the shared preference allows")
    if not _undefined(lo) and lo > 0.4:
        return ("the members also send the same noise images to the same class, so averaging them removes "
                "little of their blind spot: the study's warning holds for these networks")
    return ("the members share part of their answers beyond the class preference: averaging helps, "
            "but less than for independent members")
