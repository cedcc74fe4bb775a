"""The blind-spot report's time for 10 networks (issue 26: ≤ 2 min here for 10 MNIST networks and
10,000 noise images per kind and level), against a reference measured in the same run: the bare
inference those images need (``noise.answers`` on the same networks and images), so that the
ratio says what the report adds to reading the answers (bootstraps, error consistency, the page).

    .venv/bin/python benchmarks/bench_yours.py [--arch lenet] [--n-noise 10000]

Writes ``benchmarks/results/yours.txt``.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from noisecorr_utils import architectures, data, noise, yours


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="lenet")
    parser.add_argument("--networks", type=int, default=10)
    parser.add_argument("--n-noise", type=int, default=10_000)
    parser.add_argument("--kinds", default="uniform,gaussian")
    parser.add_argument("--brightnesses", default="0.5,1")
    args = parser.parse_args()
    ds = data.load("mnist")
    with tempfile.TemporaryDirectory() as tmp:
        models = []
        for seed in range(args.networks):   # inference costs what it costs whatever the weights
            torch.manual_seed(seed)
            net = architectures.build(args.arch, ds.shape, ds.n_classes, ds.mean, ds.std).eval()
            torch.save(net.state_dict(), Path(tmp) / f"{args.arch}{seed}.pt")
            models.append(net)
        kinds, levels = args.kinds.split(","), [float(b) for b in args.brightnesses.split(",")]
        start = time.perf_counter()
        for kind in kinds:
            for b in levels:
                noise.answers(models, noise.generate(kind, args.n_noise, ds, b, seed=1))
        noise.answers(models, ds.x_test.float() / 255)
        reference = time.perf_counter() - start
        start = time.perf_counter()
        code = yours.main([f"{args.arch}:{Path(tmp) / f'{args.arch}{s}.pt'}" for s in range(args.networks)]
                          + ["--data", "mnist", "--out", str(Path(tmp) / "report"), "--n-noise", str(args.n_noise),
                             "--n-test", "10000", "--kinds", args.kinds, "--brightnesses", args.brightnesses])
        report = time.perf_counter() - start
    assert code == 0
    lines = [f"blind-spot report, {args.networks} {args.arch} networks, {len(kinds) * len(levels)} noise cells × "
             f"{args.n_noise:,} images + 10,000 test images ({torch.get_num_threads()} threads)",
             f"  reference (noise.answers on the same images): {reference:7.1f} s",
             f"  report (python -m noisecorr_utils.yours):     {report:7.1f} s   ratio {report / reference:.2f}×",
             f"  target ≤ 120 s: {'met' if report <= 120 else 'missed'}"]
    print("\n".join(lines))
    out = Path(__file__).parent / "results" / "yours.txt"
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
