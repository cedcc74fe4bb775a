"""The last page, "What the book found": every chapter's verdicts gathered from the tables the
chapters wrote (``results/tables/<profile>/*_verdicts.csv``), counted, and the book's question
answered with wording chosen from them."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ... import report, results, stats
from ..chapter import Params as _Params
from ..chapter import Result, cached_run

NAME = "conclusions"
CHAPTERS = {"noise_verdicts": ("How small networks answer white noise", "02_noise_mnist", "noise-verdict"),
            "similarity_verdicts": ("Input similarity as the network sees it", "03_input_similarity", "sim-verdict"),
            "cifar_verdicts": ("Why noise looks like a bird", "04_cifar_bird", "cifar-verdict"),
            "adversarial_verdicts": ("Intriguing properties, measured", "05_adversarial", "adv-verdict"),
            "synthesis_verdicts": ("What makes networks agree", "06_synthesis", "syn-verdict")}


@dataclass(frozen=True)
class Params(_Params):
    """Only the profile, whose chapters' tables are gathered."""


def run(p: Params) -> Result:
    """Every chapter's verdicts gathered, counted and linked, and the book's question answered. Not
    cached: it reads the tables the chapters of ``p.profile`` wrote."""
    return cached_run(NAME, p, _compute, cache=False)


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    table = r.table("all_verdicts", gather(p.profile))
    r.table("verdict_counts", counts(table))
    noise_pairs = pd.read_csv(results.table_path(p.profile, "noise_pair_summary"), index_col=0)
    factors = results.table_path(p.profile, "synthesis_factors")
    r.markdown["answer"] = answer(noise_pairs, pd.read_csv(factors, index_col=0) if factors.exists() else None)
    r.markdown["count_table"] = report.md_table(counts(table).reset_index())
    r.markdown["all_table"] = "\n".join(
        ["| chapter | # | claim | source | ours | verdict |", "|---|---|---|---|---|---|"]
        + [f'| {v.chapter} | <a href="{v.page}.html#{v.anchor}">{v.anchor.rsplit("-", 1)[1]}</a> | {v.claim} | '
           f"{v.source} | {v.ours} | **{v.verdict}** |" for v in table.itertuples()])
    return r


def gather(profile: str) -> pd.DataFrame:
    """All verdicts of the chapters that have written their table for ``profile``, in book order."""
    parts = []
    for name, (title, page, anchor) in CHAPTERS.items():
        path = results.table_path(profile, name)
        if path.exists():
            t = pd.read_csv(path, index_col=0)
            t.insert(0, "chapter", title)
            t["page"], t["anchor"] = page, [f"{anchor}-{i + 1}" for i in range(len(t))]
            parts.append(t)
    if not parts:
        raise FileNotFoundError(f"no chapter has written its verdict table for profile {profile!r}; build the chapters first")
    return pd.concat(parts, ignore_index=True)


def counts(table: pd.DataFrame) -> pd.DataFrame:
    """Verdicts per chapter, one column per verdict."""
    out = table.groupby(["chapter", "verdict"], sort=False).size().unstack(fill_value=0)
    return out.reindex(columns=[v for v in stats.VERDICTS if v in out.columns])


def answer(noise: pd.DataFrame, factors: pd.DataFrame | None = None) -> str:
    """The book's question — do two networks give the same answer to noise, and what decides it —
    answered from the noise chapter's pair table (``noise_pair_summary``) and, when the synthesis
    chapter has run, its factor table (``synthesis_factors``); wording chosen from the numbers."""
    def k(name):
        r = noise.loc[name]
        return r.kappa, r.kappa_lo, r.kappa_hi

    same = [k(c) for c in ("MLP–MLP", "LeNet–LeNet") if c in noise.index]
    cross = [k(c) for c in ("LeNet–MLP", "LeNet–VGG", "LeNet–AllCNN", "VGG–AllCNN") if c in noise.index]
    high_same = [v for v in same if v[1] == v[1] and v[1] > 0.2]
    low_cross = [v for v in cross if v[2] == v[2] and v[2] < 0.2]
    p_o = noise.loc["MLP–MLP"].p_o if "MLP–MLP" in noise.index else float("nan")
    p_e = noise.loc["MLP–MLP"].p_e if "MLP–MLP" in noise.index else float("nan")
    first = (f"Two networks of one architecture agree on much of the noise (two MLPs on {p_o:.0%}), but most of that "
             f"is the agreement their own answer habits imply ({p_e:.0%} by chance).")
    if high_same and len(low_cross) == len(cross):
        second = ("Beyond chance, networks of the same architecture still share answers while networks of different "
                  "architectures barely do: the architecture, more than the data, decides where noise goes.")
    elif high_same:
        second = ("Beyond chance, networks of the same architecture share answers, and some pairs of different "
                  "architectures do too.")
    else:
        second = "Beyond chance, the answers of two networks to noise are only slightly correlated."
    if factors is None:
        return f"{first} {second}"
    main = factors.loc[["architecture", "data", "task"]]
    top = main.share.idxmax()
    raising = [f for f in main.index if main.loc[f, "effect_lo"] > 0]
    third = (f"In the factorial zoo of the last chapter, the {top} explains the largest share of the variance of κ "
             f"({main.loc[top, 'share']:.0%} of {factors.loc['total (R²)', 'share']:.0%} explained); "
             + (f"sharing the {' or the '.join(raising)} raises κ with an interval clear of zero."
                if raising else "no factor raises κ with an interval clear of zero."))
    return f"{first} {second} {third}"
