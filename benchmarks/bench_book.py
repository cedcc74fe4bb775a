"""Where the time of a cold book build goes: a build of a profile with empty model and result
caches (the prepared data kept), and its stage table — seconds and share per stage (training,
noise answers, kernels and N_S, attacks, features, bootstraps, plotting, the notebooks' own
overhead, jupyter-book), summed over the chapters and per chapter — written to
``benchmarks/results/book_stages_<profile>.csv`` with a summary beside it.

    .venv/bin/python benchmarks/bench_book.py --profile quick          # cold: empty caches
    .venv/bin/python benchmarks/bench_book.py --profile quick --warm   # the caches as they are

The reference it is set against is the same build warm (every cache filled): the ratio says how
much of a cold build is first-time work.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).parent / "results"


def machine() -> str:
    """The CPU model and core count: stage tables of different machines must not be mixed."""
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
    except OSError:
        names = []
    return f"{names[0] if names else 'unknown CPU'}, {os.cpu_count()} cores"


def build(profile: str, env: dict, timings: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "noisecorr_utils.build", "--profile", profile, "--timings",
                           str(timings)], cwd=ROOT, env=env)
    if done.returncode:
        raise SystemExit(f"error: the {profile} build failed (exit {done.returncode})")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--warm", action="store_true", help="keep the caches (measure a warm rebuild)")
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.warm:
            env.update(NOISECORR_MODELS=f"{tmp}/models", NOISECORR_RESULTS=f"{tmp}/results")
        cold = build(args.profile, env, Path(tmp) / "cold.csv")
        table = pd.read_csv(Path(tmp) / "cold.csv")
        warm = build(args.profile, env, Path(tmp) / "warm.csv")
    kind = "warm" if args.warm else "cold"
    by_stage = table.groupby("stage", as_index=False).seconds.sum().sort_values("seconds", ascending=False)
    by_stage["share"] = (by_stage.seconds / by_stage.seconds.sum()).round(3)
    per_chapter = table.pivot_table(index="notebook", columns="stage", values="seconds", aggfunc="sum").fillna(0)
    OUT.mkdir(exist_ok=True)
    table.to_csv(OUT / f"book_stages_{args.profile}.csv", index=False)
    lines = [f"{kind} build of the {args.profile} profile: {cold:.0f} s end to end (build command, data prepared);",
             f"the same build warm right after: {warm:.0f} s (ratio {kind}/warm {cold / warm:.1f}×)",
             f"machine: {machine()}", "",
             by_stage.to_string(index=False), "", per_chapter.round(0).to_string()]
    (OUT / f"book_stages_{args.profile}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
