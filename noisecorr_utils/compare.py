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
TABLES = ("noise_verdicts", "noise_recipe_verdicts", "similarity_verdicts", "cifar_verdicts", "adversarial_verdicts",
          "synthesis_verdicts")
# Published beside the verdicts (not compared verdict by verdict): the numbers behind them.
SUMMARIES = ("noise_pair_summary", "noise_accuracy", "noise_stability", "noise_recipes", "noise_hein_scale",
             "similarity_auroc", "similarity_denoising", "similarity_registration", "cifar_favourites", "cifar_pair_summary",
             "adversarial_table1", "synthesis_factors", "synthesis_rank_correlations", "synthesis_kappa_gain")


def _levels(row) -> tuple[str, str | None]:
    """(figure verdict, finding verdict) of a verdict-table row; a reference from before the two
    levels has one ``verdict`` (its figure level) and no finding."""
    if "figure verdict" in row:
        return row["figure verdict"], row["finding verdict"]
    return row["verdict"], None


def compare(fresh_dir: Path, reference_dir: Path, tables=TABLES) -> pd.DataFrame:
    """One row per claim of every table found in both folders: the claim, the published and the
    fresh verdicts at both levels, whether they agree, the published and fresh estimate with the
    move, and the widths of both intervals (a rebuild should not be less certain)."""
    rows = []
    for name in tables:
        ref_path, new_path = reference_dir / f"{name}.csv", fresh_dir / f"{name}.csv"
        if not (ref_path.exists() and new_path.exists()):
            continue
        ref, new = (pd.read_csv(p, index_col=0, keep_default_na=False, na_values=[""]) for p in (ref_path, new_path))
        new = new.drop_duplicates("claim").set_index("claim")
        for _, r in ref.iterrows():
            fresh = new.loc[r.claim] if r.claim in new.index else None
            pub_fig, pub_find = _levels(r)
            fig, find = _levels(fresh) if fresh is not None else ("missing", "missing")
            rows.append({"table": name, "claim": r.claim, "published": pub_fig, "rebuilt": fig,
                         "published finding": pub_find, "rebuilt finding": find,
                         "agrees": fresh is not None and fig == pub_fig and (pub_find is None or find == pub_find),
                         "published estimate": r.get("estimate"),
                         "rebuilt estimate": fresh.get("estimate") if fresh is not None else None,
                         "moved by": (fresh.get("estimate") - r.get("estimate")) if fresh is not None else None,
                         "published width": r.get("hi") - r.get("lo"),
                         "rebuilt width": (fresh.get("hi") - fresh.get("lo")) if fresh is not None else None})
    return pd.DataFrame(rows)


def render(table: pd.DataFrame) -> str:
    lines = []
    for t, sub in table.groupby("table", sort=False):
        lines.append(f"{t}: {int(sub.agrees.sum())} of {len(sub)} claims agree with the published book")
        for _, r in sub.iterrows():
            move = r["moved by"]
            moved = "" if pd.isna(move) else (f"; estimate {r['published estimate']:.4g} -> "
                                              f"{r['rebuilt estimate']:.4g} ({move:+.3g})")
            width = ("" if pd.isna(r["rebuilt width"]) or pd.isna(r["published width"]) else
                     f"; CI width {r['published width']:.3g} -> {r['rebuilt width']:.3g}"
                     + (" (WIDER)" if r["rebuilt width"] > r["published width"] * 1.0001 else ""))
            finding = "" if r["published finding"] is None else f" | finding {r['published finding']} -> {r['rebuilt finding']}"
            mark = "  same " if r.agrees else "  DIFF "
            lines.append(f"{mark}{r.published} -> {r.rebuilt}{finding}: {r.claim}{moved}{width}")
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
