"""Zoo training: one process with two threads against two worker processes with one thread each.

Trains the same list of models (by default 4 LeNets and 4 MLPs on MNIST with their zoo recipes,
cut to ``--epochs``) three ways, in one run: serially in this process on 2 threads, serially
on 1 thread (the zoo's deterministic setting), and with ``zoo.get_models(workers=2)`` (two spawned
processes, one thread each). Prints models per minute and the ratios. Nothing is cached: each
way trains into its own temporary model folder.

    .venv/bin/python benchmarks/bench_zoo.py [--epochs 2] [--n 4]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch

from noisecorr_utils import train, zoo


def timed(specs, workers: int, threads: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NOISECORR_MODELS"] = tmp
        before = train.TRAIN_THREADS
        train.TRAIN_THREADS = threads
        start = time.perf_counter()
        try:
            zoo.get_models(specs, workers=workers, progress_bar=False)
        finally:
            train.TRAIN_THREADS = before
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n", type=int, default=4, help="models per architecture")
    args = parser.parse_args()
    specs = [zoo.ModelSpec(arch, seed=s, epochs=args.epochs) for arch in ("lenet", "mlp") for s in range(args.n)]
    torch.set_num_threads(2)
    rows = [("serial, 1 process × 2 threads", timed(specs, 1, 2)),
            ("serial, 1 process × 1 thread", timed(specs, 1, 1)),
            ("parallel, 2 processes × 1 thread", timed(specs, 2, 1))]
    reference = rows[0][1]
    print(f"{len(specs)} models (lenet and mlp, {args.epochs} epochs each), {os.cpu_count()} cores")
    for name, seconds in rows:
        print(f"{name:34} {seconds:7.1f} s  {60 * len(specs) / seconds:6.1f} models/min  "
              f"{reference / seconds:5.2f}× the 2-thread serial speed")


if __name__ == "__main__":
    main()
