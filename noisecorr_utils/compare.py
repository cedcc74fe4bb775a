"""Compare a fresh build's verdict tables with the book's published reference results.

The full profile's verdict tables are committed under ``reference/`` (``<name>.csv``). After a
rebuild — on this machine or another, where floating-point differences train other networks
from the same seeds — this lists, per verdict, whether it agrees with the published one and how
far its headline number moved:

    python -m noisecorr_utils.compare                        # results/tables/full against reference/
    python -m noisecorr_utils.compare --profile quick        # another profile's tables
    python -m noisecorr_utils.compare --update               # publish this build's tables as the reference

``make book`` runs it at the end. Exit code 0 when every verdict agrees, 1 when one differs,
2 when there is nothing to compare.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd

from .paths import ROOT, results_dir

REFERENCE = ROOT / "reference"
TABLES = ("noise_verdicts", "similarity_verdicts", "cifar_verdicts", "adversarial_verdicts", "synthesis_verdicts")
# Published beside the verdicts (not compared verdict by verdict): the numbers behind them.
SUMMARIES = ("noise_pair_summary", "noise_accuracy", "noise_stability", "similarity_auroc", "similarity_denoising",
             "similarity_registration", "cifar_favourites", "cifar_pair_summary",
             "adversarial_table1", "synthesis_factors", "synthesis_rank_correlations", "synthesis_kappa_gain")


def compare(fresh_dir: Path, reference_dir: Path, tables=TABLES) -> pd.DataFrame:
    """One row per verdict of every table found in both folders: the claim, the published and
    the fresh verdict, whether they agree, and the published and fresh estimate with the move."""
    rows = []
    for name in tables:
        ref_path, new_path = reference_dir / f"{name}.csv", fresh_dir / f"{name}.csv"
        if not (ref_path.exists() and new_path.exists()):
            continue
        ref, new = (pd.read_csv(p, index_col=0) for p in (ref_path, new_path))
        new = new.set_index("claim")
        for _, r in ref.iterrows():
            fresh = new.loc[r.claim] if r.claim in new.index else None
            rows.append({"table": name, "claim": r.claim, "published": r.verdict,
                         "rebuilt": fresh.verdict if fresh is not None else "missing",
                         "agrees": fresh is not None and fresh.verdict == r.verdict,
                         "published estimate": r.get("estimate"),
                         "rebuilt estimate": fresh.get("estimate") if fresh is not None else None,
                         "moved by": (fresh.get("estimate") - r.get("estimate")) if fresh is not None else None})
    return pd.DataFrame(rows)


def render(table: pd.DataFrame) -> str:
    lines = []
    for t, sub in table.groupby("table", sort=False):
        lines.append(f"{t}: {int(sub.agrees.sum())} of {len(sub)} verdicts agree with the published book")
        for _, r in sub.iterrows():
            move = r["moved by"]
            moved = "" if pd.isna(move) else (f"; estimate {r['published estimate']:.4g} -> "
                                              f"{r['rebuilt estimate']:.4g} ({move:+.3g})")
            mark = "  same " if r.agrees else "  DIFF "
            lines.append(f"{mark}{r.published} -> {r.rebuilt}: {r.claim}{moved}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m noisecorr_utils.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="full")
    parser.add_argument("--reference", default=str(REFERENCE))
    parser.add_argument("--update", action="store_true", help="copy this build's verdict and summary tables to the reference")
    args = parser.parse_args(argv)
    fresh, reference = results_dir() / "tables" / args.profile, Path(args.reference)
    if args.update:
        reference.mkdir(parents=True, exist_ok=True)
        for name in TABLES + SUMMARIES:
            if (fresh / f"{name}.csv").exists():
                shutil.copy2(fresh / f"{name}.csv", reference / f"{name}.csv")
        print(f"reference results updated from {fresh}")
        return 0
    table = compare(fresh, reference)
    if table.empty:
        print(f"error: no verdict tables to compare in {fresh} and {reference}", file=sys.stderr)
        return 2
    print(render(table))
    return 0 if table.agrees.all() else 1


if __name__ == "__main__":
    sys.exit(main())
