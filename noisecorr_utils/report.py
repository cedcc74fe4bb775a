"""Reporting, in one place: a value with its confidence interval as text, verdict tables, and
sentences whose wording is chosen from the numbers (never typed into a notebook).

Every formatter writes an undefined value (NaN, None) as a dash, never as "nan".
"""
from __future__ import annotations

import math
import re

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


def change_in_points(m, lo=None, hi=None, digits: int = 0) -> str:
    """A difference of two shares in percentage points, signed: ``+56 points [+43, +70]``."""
    def signed(x):
        text = f"{100 * x:+.{digits}f}"
        return text[1:] if float(text) == 0 else text    # 0, not +0 or -0

    if _undefined(m):
        return DASH
    head = f"{signed(m)} points"
    return head if _undefined(lo) or _undefined(hi) else f"{head} [{signed(lo)}, {signed(hi)}]"


def kappa_text(m, lo=None, hi=None) -> str:
    """κ with its interval for a sentence; where κ is undefined (a network that gives one answer
    to all the noise has chance agreement 1) the sentence says why instead of showing a dash."""
    return "undefined (one network gives a single answer)" if _undefined(m) else with_ci(m, lo, hi, percent=False)


def p_value(p: float, n_perm: int) -> str:
    """A permutation p-value; at its floor 1/(n_perm + 1) it is written ``≤ 0.002``."""
    if _undefined(p):
        return DASH
    floor = 1 / (n_perm + 1)
    return f"≤ {floor:.2g}" if p <= floor * (1 + 1e-9) else f"{p:.3f}"


def and_list(items) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    if not items:
        return ""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def a(word: str) -> str:
    """``a LeNet``, ``an AllCNN``, ``an MLP`` (an acronym spoken letter by letter takes "an" before
    F, H, L, M, N, R, S, X)."""
    spoken_vowel = word[:1] in "AEIOUaeiou" or (word[:2].isupper() and word[:1] in "FHLMNRSX")
    return f"{'an' if spoken_vowel else 'a'} {word}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 seed``, ``3 seeds`` (``many`` where the plural is not ``one + "s"``)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def claim_row(claim: str, figure, quantity: str, estimate, finding, finding_estimate, seeds: int, *,
              percent: bool = True,
              finding_percent: bool = False, bounds=(0.0, 1.0), finding_bounds=(-1.0, 1.0), gate=None,
              degenerate: bool = False, ours: str | None = None, finding_ours: str | None = None) -> dict:
    """One row of a chapter's verdict table at both levels (``verdicts``): the claim; the source's
    number (``figure``, a ``verdicts.Figure``, or None where the source gives none) against our
    ``estimate`` (mean, lo, hi) of ``quantity``; the source's conclusion (``finding``, a ``verdicts.Finding``)
    against ``finding_estimate``; the rules as coded, both verdicts and, where one is open, about
    how many seeds would decide. ``gate`` = (accuracy, required, what): both levels are not tested
    below the source's accuracy; ``degenerate``: the statistic cannot speak. ``bounds`` are the
    range of each quantity (a test checks every interval against it)."""
    from . import verdicts as V

    fmt = (lambda x: pct(x)) if percent else (lambda x: f"{x:g}")
    ffmt = (lambda x: pct(x)) if finding_percent else (lambda x: f"{x:g}")
    m, lo, hi = estimate
    fm, flo, fhi = finding_estimate
    fig_v = V.NO_FIGURE if figure is None else figure.verdict(lo, hi)
    find_v = finding.verdict(flo, fhi)
    fig_rule = "—" if figure is None else figure.rule(quantity, fmt)
    find_rule = finding.rule(ffmt)
    if gate is not None:
        accuracy, required, what = gate
        note = f"; not tested below {pct(required, 1)} {what}"
        fig_rule, find_rule = (fig_rule + note if figure is not None else fig_rule), find_rule + note
        if not accuracy >= required:
            fig_v = V.NOT_TESTED if figure is not None else fig_v
            find_v = V.NOT_TESTED
    if degenerate:   # the finding's statistic (κ) cannot speak; the figure's (p_o) still can
        find_v = V.DEGENERATE
    need = [V.seeds_to_decide(estimate, seeds, (figure.low, figure.high)) if fig_v == V.INCONCLUSIVE else None,
            V.seeds_to_decide(finding_estimate, seeds, finding.edges) if find_v == V.UNDECIDED else None]
    need = [n for n in need if n]
    return {"claim": claim, "source": "—" if figure is None else figure.source,
            "ours": ours or with_ci(m, lo, hi, percent=percent),
            "estimate": m, "lo": lo, "hi": hi, "figure rule": fig_rule, "figure verdict": fig_v,
            "finding": finding.sentence, "finding quantity": finding.quantity,
            "finding ours": finding_ours or with_ci(fm, flo, fhi, percent=finding_percent),
            "finding_estimate": fm, "finding_lo": flo, "finding_hi": fhi, "finding rule": find_rule,
            "finding verdict": find_v, "finding side": finding.side, "finding threshold": finding.threshold,
            "seeds": seeds, "seeds to decide": max(need) if need else None,
            "range_lo": bounds[0], "range_hi": bounds[1], "finding_range_lo": finding_bounds[0],
            "finding_range_hi": finding_bounds[1]}


# What a reader sees for the identifiers the code uses (the CSV behind a table keeps the identifiers).
READABLE = {"fashion_mnist": "Fashion-MNIST", "salt_and_pepper": "salt and pepper",
            "within_between": "within/between-class variability (Papyan)", "spread_ratio": "spread ratio",
            "participation_ratio": "participation ratio", "two_nn": "intrinsic dimension (TwoNN)",
            "spectral_slope": "spectral slope", "high_frequency_share": "high-frequency share",
            "edge_density": "edge density", "png_bytes": "PNG size (bytes)"}
_SYMBOLS = {"p_o": "pₒ", "p_e": "pₑ"}   # the agreement symbols, subscripted as in the prose's maths
_IDENTIFIER = re.compile(r"(?<![\w/.])(?:p_o|p_e|[a-z][a-z0-9]+(?:_[a-z0-9]+)+)(?![\w/]|\.\w)")   # not in a path


def readable(text):
    """``text`` as a reader should see it in a table: the agreement symbols subscripted (pₒ, pₑ),
    known identifiers by name (``READABLE``), any other snake_case word with spaces."""
    if not isinstance(text, str):
        return text
    return _IDENTIFIER.sub(lambda m: _SYMBOLS.get(m[0]) or READABLE.get(m[0]) or m[0].replace("_", " "), text)


def md_table(df, index: bool = False) -> str:
    """A DataFrame as a Markdown table (for a numbered ``{table}`` caption in the book); undefined
    cells as a dash, identifiers in headers and text cells made ``readable``."""
    shown = df.copy()
    for col in shown.columns:
        shown[col] = [DASH if _undefined(v) else readable(v) for v in shown[col]]
    shown.columns = [readable(c) for c in shown.columns]
    if index:
        shown.index = [readable(i) for i in shown.index]
        shown.index.name = readable(df.index.name)
    return shown.to_markdown(index=index)


def anchor(prefix: str, i: int) -> str:
    return f"{prefix}-{i + 1}"


def _bold(verdict: str) -> str:
    return verdict if verdict == "—" else f"**{verdict}**"


VERDICT_RULES = (
    "**The figure** sets our 95% interval against a band around the source's number, aware of the side the "
    "claim argues for: *reproduced* inside the band, *exceeded* wholly beyond it on the side the claim argues for, "
    "*fell short* wholly beyond it on the other side, *differs* outside a band that argues neither way, "
    "*inconclusive* when the interval reaches over an edge (a wide interval never passes). **The finding** is what "
    "the source concluded from its number, fixed as a rule before the run: *holds* when our interval lies wholly on "
    "the side the conclusion needs, *fails* when wholly on the other, *undecided* otherwise. Both are *not tested* "
    "on networks weaker than the source's, and a finding is *degenerate* where κ cannot speak. Each row prints its "
    "rules exactly as coded (`noisecorr_utils.verdicts`). Intervals are t-intervals over seeds; where one would "
    "leave its quantity's range, it is computed on the logit (or log) scale and mapped back.")


def verdict_markdown(table, prefix: str) -> str:
    """The verdict table at both levels: each row with an anchor (``#<prefix>-<n>``) that the text
    links to; the rules as coded under each verdict; where a verdict is open, about how many seeds
    would decide."""
    lines = ["| # | claim | source | ours (95% CI over seeds) | the figure | the finding (ours) |",
             "|---|---|---|---|---|---|"]
    for i, r in enumerate(table.to_dict("records")):
        need = r.get("seeds to decide")
        decide = f"; about {int(need)} seeds would decide" if not _undefined(need) and need else ""
        figure = _bold(r["figure verdict"]) + ("" if r["figure verdict"] == "—" else f"<br>{r['figure rule']}")
        finding = (f"{r['finding']}: {r['finding quantity']} {r['finding ours']} → {_bold(r['finding verdict'])}"
                   f"<br>{r['finding rule']}{decide if r['finding verdict'] == 'undecided' else ''}")
        if r["figure verdict"] == "inconclusive":
            figure += decide
        lines.append(readable(f'| <span id="{anchor(prefix, i)}"></span>{i + 1} | {r["claim"]} | {r["source"]} | '
                              f"{r['ours']} | {figure} | {finding} |"))
    return "\n".join(lines)


def verdict_lines(table, prefix: str) -> str:
    """One line per claim for a chapter's summary box, each linking to its row: both verdicts."""
    def blank(value) -> bool:   # a claim without a number of its source has no figure to test
        return _undefined(value) or str(value).strip() in ("", "—", DASH)

    return "\n".join(readable(f'- <a href="#{anchor(prefix, i)}">{r["claim"]}</a>'
                              + ("" if blank(r["source"]) else f' ({r["source"]})') + ": "
                              + ("" if blank(r["figure verdict"]) else f'the figure {_bold(r["figure verdict"])}, ')
                              + f'the finding {_bold(r["finding verdict"])}')
                     for i, r in enumerate(table.to_dict("records")))


def finding_sentence(row) -> str:
    """A sentence stating what the verdict table says of one claim's finding — no more: it is
    produced from the row, so it follows the verdict."""
    r = dict(row)
    what = f"{r['finding quantity']} {r['finding ours']}"
    v = r["finding verdict"]
    if v == "holds":
        head = f"That {r['finding']} holds ({what})"
    elif v == "fails":
        head = f"That {r['finding']} fails ({what})"
    elif v == "undecided":
        need = r.get("seeds to decide")
        more = f"; about {int(need)} seeds would decide" if not _undefined(need) and need else ""
        head = f"Whether {r['finding']} is undecided with {plural(int(r['seeds']), 'seed')} ({what}{more})"
    elif v == "not tested":
        head = f"That {r['finding']} is not tested here: our networks are weaker than the source's"
    else:
        head = f"Whether {r['finding']} cannot be judged: the networks give one answer to nearly everything"
    fig = r["figure verdict"]
    tail = ("" if fig in ("—", "not tested", "degenerate") else
            f"; the source's {r['source']} {fig if fig not in ('reproduced', 'inconclusive') else 'is ' + fig} "
            f"(ours {r['ours']})")
    return f"{head}{tail}."


def findings(table, claims=None) -> str:
    """``finding_sentence`` of the rows whose claim starts with one of ``claims`` (all by default)."""
    rows = table.to_dict("records")
    chosen = rows if claims is None else [r for r in rows if any(r["claim"].startswith(c) for c in claims)]
    untested = {r["finding"]: r for r in chosen if r["finding verdict"] == "not tested"}   # one row per finding
    sentences = [finding_sentence(r) for r in chosen if r["finding verdict"] != "not tested"]
    if len(untested) > 1:   # one sentence, not the same one again and again
        sentences.append(f"Our networks are weaker than the source's, so {len(untested)} of its findings are not "
                         f"tested here: {and_list(f'that {f}' for f in untested)}.")
    else:
        sentences += [finding_sentence(r) for r in untested.values()]
    return readable(" ".join(sentences))


def link(prefix: str, table, claim_start: str) -> str:
    """An HTML link to the verdict row whose claim starts with ``claim_start`` (for glued prose)."""
    for i, claim in enumerate(table["claim"]):
        if claim.startswith(claim_start):
            r = table.iloc[i]
            return (f'<a href="#{anchor(prefix, i)}">claim {i + 1}: figure {r["figure verdict"]}, '
                    f'finding {r["finding verdict"]}</a>')
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
        return (f"almost entirely chance agreement: pₑ accounts for {share} of pₒ on average, and even the "
                f"largest mean κ, {with_ci(m, lo, hi, percent=False)}, is at most slight")
    if not _undefined(lo) and lo > 0.4:
        return (f"far more than chance agreement: although pₑ accounts for {share} of pₒ on average, the "
                f"largest mean κ is {with_ci(m, lo, hi, percent=False)}, {landis_koch(lo)} or better")
    return (f"partly chance agreement: pₑ accounts for {share} of pₒ on average, and the largest mean κ, "
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
