"""The last page, "What the book found": every chapter's verdicts at both levels gathered from
the tables the chapters wrote (``results/tables/<profile>/*_verdicts.csv``), counted, drawn in one
summary figure, read claim by claim ("the number differs, the finding holds"), the discrepancies
with the sources explained where the book found why, the limitations, and the book's question
answered — every sentence chosen from the verdicts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import figures, report, results, verdicts as V
from ..chapter import Params as _Params
from ..chapter import Result, cached_run

NAME = "conclusions"
CHAPTERS = {"noise_verdicts": ("How small networks answer white noise", "02_noise_mnist", "noise-verdict",
                               "MNIST white-noise study"),
            "noise_recipe_verdicts": ("How small networks answer white noise", "02_noise_mnist", "recipe-verdict",
                                      "MNIST white-noise study, plain recipe"),
            "similarity_verdicts": ("Input similarity as the network sees it", "03_input_similarity", "sim-verdict",
                                    "Charpiat et al. (2019)"),
            "cifar_verdicts": ("Why noise looks like a bird", "04_cifar_bird", "cifar-verdict", "CIFAR-10 question"),
            "adversarial_verdicts": ("Intriguing properties, measured", "05_adversarial", "adv-verdict",
                                     "Szegedy et al. (2014)"),
            "synthesis_verdicts": ("What makes networks agree", "06_synthesis", "syn-verdict",
                                   "MNIST white-noise study (synthesis)")}
NUMBER_DIFFERS = (V.EXCEEDED, V.FELL_SHORT, V.DIFFERS)


@dataclass(frozen=True)
class Params(_Params):
    """Only the profile, whose chapters' tables are gathered."""


def run(p: Params) -> Result:
    """Every chapter's verdicts gathered, counted, drawn and read; the book's question answered.
    Not cached: it reads the tables the chapters of ``p.profile`` wrote."""
    return cached_run(NAME, p, _compute, cache=False)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    table = r.table("all_verdicts", gather(p.profile))
    r.table("verdict_counts", counts(table))
    r.markdown["answer"] = answer(table)
    r.markdown["count_table"] = report.md_table(counts(table).reset_index())
    r.markdown["all_table"] = "\n".join(
        ["| source | # | claim | the source's number | ours | the figure | the finding | in one line |",
         "|---|---|---|---|---|---|---|---|"]
        + [report.readable(f'| {v["source name"]} | <a href="{v["page"]}.html#{v["anchor"]}">'
                          f'{v["anchor"].rsplit("-", 1)[1]}</a> | {v["claim"]} | {v["source"]} | {v["ours"]} | '
                          f'**{v["figure verdict"]}** | **{v["finding verdict"]}** | {reading(v)} |')
           for v in table.to_dict("records")])
    r.figures["fig_summary"] = figures.verdict_summary(summary_points(table))
    r.markdown["discrepancies"] = discrepancies(table)
    r.markdown["limitations"] = limitations(table)
    r.text["n_claims"] = f"{len(table)}"
    return r


def gather(profile: str) -> pd.DataFrame:
    """All verdicts of the chapters that have written their table for ``profile``, in book order."""
    parts = []
    for name, (title, page, anchor, source) in CHAPTERS.items():
        t = results.read_table(profile, name)
        if t is not None:
            t.insert(0, "chapter", title)
            t.insert(1, "source name", source)
            t["page"], t["anchor"] = page, [f"{anchor}-{i + 1}" for i in range(len(t))]
            parts.append(t)
    if not parts:
        raise FileNotFoundError(f"no chapter has written its verdict table for profile {profile!r}; build the chapters first")
    return pd.concat(parts, ignore_index=True)


def counts(table: pd.DataFrame) -> pd.DataFrame:
    """Verdicts per chapter at both levels, one column per verdict that occurs."""
    parts = []
    for level, order in (("figure", V.FIGURE_VERDICTS), ("finding", V.FINDING_VERDICTS)):
        c = table.groupby(["chapter", f"{level} verdict"], sort=False).size().unstack(fill_value=0)
        c = c.reindex(columns=[v for v in order if v in c.columns])
        c.columns = [f"{level}: {v}" for v in c.columns]
        parts.append(c)
    return pd.concat(parts, axis=1).fillna(0).astype(int)


def reading(row) -> str:
    """One claim in one line: how the number compares and what became of the finding."""
    fig, find = row["figure verdict"], row["finding verdict"]
    number = {V.REPRODUCED: "the number is reproduced", V.EXCEEDED: "the number is exceeded",
              V.FELL_SHORT: "the number falls short", V.DIFFERS: "the number differs",
              V.INCONCLUSIVE: "the number is undecided", V.NO_FIGURE: "no number to compare"}.get(fig)
    finding = {V.HOLDS: "the finding holds", V.FAILS: "the finding fails", V.UNDECIDED: "the finding is undecided",
               V.NOT_TESTED: "not tested (our networks are weaker)",
               V.DEGENERATE: "the finding cannot be judged (degenerate)"}[find]
    return finding if number is None or find == V.NOT_TESTED else f"{number}, {finding}"


def answer(table: pd.DataFrame) -> str:
    """The book's question — do two networks give the same answer to noise, and what decides it —
    answered from the verdicts of the noise and synthesis chapters' findings."""
    def verdicts_of(prefix):
        return table[table.claim.str.startswith(prefix)]["finding verdict"].tolist()

    raw = [v for c, v in zip(table.claim, table["finding verdict"]) if c.startswith("two ") and c.endswith("agree on noise")]
    beyond = verdicts_of("…and beyond their own answer habits")
    chance = verdicts_of("…compared with ~10% if uncorrelated")
    cross = verdicts_of("different CNN architectures do not agree")
    parts = []
    if raw:
        parts.append(f"Read as the MNIST study reads it — against 10% — networks of one architecture agree on noise "
                     f"far beyond chance ({_tally(raw)} architectures).")
    if chance:
        parts.append(f"But that 10% is not their chance level: chance explains little of the agreement for "
                     f"{_tally(chance, V.HOLDS)} architectures and most of it for {_tally(chance, V.FAILS)}.")
    if beyond:
        parts.append(f"Beyond the agreement their own answer habits imply (κ above 0.2), the finding holds for "
                     f"{_tally(beyond, V.HOLDS)} architectures, fails for {_tally(beyond, V.FAILS)} and is undecided "
                     f"or not testable for the rest.")
    if cross:
        parts.append(f"Networks of different CNN architectures answer noise nearly independently: the finding holds "
                     f"for {_tally(cross, V.HOLDS)} of {len(cross)} pairs of architectures.")
    factors = {f: verdicts_of(f"the {w} shapes") for f, w in (("architecture", "architecture"),
                                                              ("data", "training set"), ("task", "type of task"),
                                                              ("recipe", "training recipe"))}
    shaped = [f for f, v in factors.items() if v and v[0] == V.HOLDS]
    if any(factors.values()):
        parts.append("In the factorial zoo, " + (f"sharing the {report.and_list(shaped)} raises agreement on noise "
                                                  "beyond chance, with an interval clear of zero." if shaped else
                                                  "no factor raises agreement on noise with an interval clear of zero."))
    return " ".join(parts) or "No chapter has been built for this profile."


def _tally(verdicts: list, which: str = V.HOLDS) -> str:
    return f"{sum(v == which for v in verdicts)} of {len(verdicts)}"


def discrepancies(table: pd.DataFrame) -> str:
    """One line per claim whose number differs from its source's: what the book found that
    explains it, or that it is unexplained."""
    lines = []
    for v in table.to_dict("records"):
        if v["figure verdict"] not in NUMBER_DIFFERS:
            continue
        lines.append(f'- <a href="{v["page"]}.html#{v["anchor"]}">{v["claim"]}</a> ({v["source name"]}): '
                     f'{v["source"]} in the source, {v["ours"]} here ({v["figure verdict"]}). {explain(v, table)}')
    return report.readable("\n".join(lines)) or "No number of a source differs clearly from ours."


def explain(row, table: pd.DataFrame) -> str:
    """What the book measured that explains a discrepancy, where it measured something."""
    claim = row["claim"]
    if claim.endswith("agree on noise") or claim.startswith("at 50% brightness two CNNs") or \
            claim.startswith("CNN and MLP agree"):
        return ("Raw agreement follows where each network sends noise: with other favourite classes (chapter 2's "
                "share of \"8\" and attractor map) the agreement that habits alone imply changes, and κ beyond it "
                "stays small; the training recipe and the networks' accuracy are the candidates this book varies.")
    if claim.startswith("90% of noise is called"):
        return ("Which class swallows bright noise depends on the network: the favourite classes per seed are in "
                "the row; the study's explanation (brightness) is tested in chapter 6 on networks trained on flattened "
                "brightness.")
    if claim.startswith("…compared with ~10%"):
        return ("10% is the chance level of networks that answer uniformly; ours answer noise with strong class "
                "habits, so their chance agreement pₑ is higher — the book's main correction to the study.")
    return "Unexplained by the measurements of this book."


def limitations(table: pd.DataFrame) -> str:
    """What the book's networks and numbers are not, and which claims are open with the seeds that
    would decide them — from the verdicts."""
    open_rows = table[table["finding verdict"].eq(V.UNDECIDED) | table["figure verdict"].eq(V.INCONCLUSIVE)]
    untested = table[table["finding verdict"].eq(V.NOT_TESTED)]
    lines = ["- **Networks.** Small networks trained here on two CPU cores with one recipe per architecture; the "
             "sources' exact networks and recipes are unknown. A ResNet18 is replaced by `airnet` and a small "
             "ResNet on CIFAR-10.",
             "- **Data.** MNIST, Fashion-MNIST and CIFAR-10 only; noise as the book defines its kinds.",
             f"- **Not tested.** {report.plural(len(untested), 'claim')} could not be tested because our networks are "
             "weaker than the source's (the rule of each row names the gate)."]
    if len(open_rows):
        need = open_rows["seeds to decide"].dropna()
        lines.append(f"- **Open.** {report.plural(len(open_rows), 'claim')} are left undecided by the seeds we trained"
                     + (f"; about {int(need.max())} seeds would decide the hardest of them"
                        if len(need) else "") + ":")
        lines += [f'  - <a href="{v["page"]}.html#{v["anchor"]}">{v["claim"]}</a>: '
                  + (f"about {int(v['seeds to decide'])} seeds would decide" if v["seeds to decide"] == v["seeds to decide"]
                     and v["seeds to decide"] else "more seeds would not decide it (the estimate sits on an edge)")
                  for v in open_rows.to_dict("records")]
    return report.readable("\n".join(lines))


def summary_points(table: pd.DataFrame) -> pd.DataFrame:
    """For the summary figure: per claim, the finding's estimate and interval as a margin to its
    threshold, oriented so that positive is the side the finding needs (its own units)."""
    rows = []
    for v in table.to_dict("records"):
        side, threshold = v["finding side"], v["finding threshold"]
        sign = -1.0 if side == "below" else 1.0
        m, lo, hi = (v["finding_estimate"], v["finding_lo"], v["finding_hi"])
        if side == "inside":
            margin = lo_m = hi_m = np.nan
        else:
            margin = sign * (m - threshold)
            a, b = sign * (lo - threshold), sign * (hi - threshold)
            lo_m, hi_m = min(a, b), max(a, b)
        rows.append({"source": v["source name"], "claim": v["claim"], "figure verdict": v["figure verdict"],
                     "finding verdict": v["finding verdict"], "margin": margin, "margin_lo": lo_m, "margin_hi": hi_m,
                     "quantity": v["finding quantity"], "anchor": v["anchor"]})
    return pd.DataFrame(rows)
