"""Noise-answer throughput: ``noise.answers`` (inference mode, large batches) against a
reference evaluation loop (autograd on, minibatches of 64, as a DataLoader loop would do),
both measured in this run on the same models and the same noise images.

    .venv/bin/python benchmarks/bench_noise.py [--n 20000]

Target (issue 3): >= 50,000 images/s for the MLP.
"""
from __future__ import annotations

import argparse
import time

import torch

from noisecorr_utils import architectures, data, noise


def reference_answers(model, x, batch_size=64):
    out = []
    for i in range(0, len(x), batch_size):
        out.append(model(x[i:i + batch_size]).argmax(1))
    return torch.cat(out)


def timed(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--archs", nargs="+", default=["mlp", "lenet", "vgg", "allcnn"])
    args = parser.parse_args()
    ds = data.load("mnist")
    x = noise.generate("uniform", args.n, ds, seed=0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.n:,} uniform noise images")
    print(f"{'arch':7} {'reference img/s':>16} {'ours img/s':>11} {'ratio':>6}")
    for arch in args.archs:
        torch.manual_seed(0)
        model = architectures.build(arch, ds.shape, ds.n_classes, ds.mean, ds.std).eval()
        ref_s, ref = timed(lambda: reference_answers(model, x), repeats=1)
        our_s, ours = timed(lambda: noise.answers([model], x)[0])
        assert torch.equal(ref, ours), "the two paths disagree"
        print(f"{arch:7} {args.n / ref_s:16,.0f} {args.n / our_s:11,.0f} {ref_s / our_s:5.1f}x")


if __name__ == "__main__":
    main()
