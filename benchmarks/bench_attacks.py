"""Minimal L-BFGS attack: the batched solver (``attacks.lbfgs``: every image its own L-BFGS, one
forward/backward pass for all) against the reference, scipy's L-BFGS-B image by image, both
measured in this run on the same images, targets and model, at the same c search.

    .venv/bin/python benchmarks/bench_attacks.py [--n 40] [--archs fc100 lenet]

Also printed: scipy's L-BFGS-B on the whole batch as one vector (``attacks.lbfgs_scipy``).
Target (issue 13): batched ≥ 10× faster than the per-image loop at equal distortion.
"""
from __future__ import annotations

import argparse
import time

import torch

from noisecorr_utils import attacks, zoo
from noisecorr_utils.studies import adversarial as study


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--archs", nargs="+", default=["fc100", "lenet"])
    parser.add_argument("--max-iter", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x, y = study.test_images(args.n)
    target = attacks.random_targets(y, 10, seed=1)
    print(f"{args.n} MNIST test images, random wrong targets, c doubled from 0.01 then bisected 6 times, "
          f"{args.max_iter} L-BFGS iterations per solve, one thread")
    print(f"{'model':<8} {'solver':<26} {'seconds':>8} {'success':>8} {'mean distortion':>16} {'speed-up':>9}")
    for arch in args.archs:
        model = zoo.get_model(zoo.ModelSpec(arch), progress=False)
        runs = {}
        for name, kw in (("scipy L-BFGS-B per image", dict(vectorised=False)), ("batched (attacks.lbfgs)", {})):
            start = time.perf_counter()
            r = attacks.minimal_lbfgs(model, x, target, y, max_iter=args.max_iter, **kw)
            runs[name] = (time.perf_counter() - start, r)
        start = time.perf_counter()
        r = attacks._minimal(model, x, target, 0.01, 16, 6, args.max_iter, attacks.lbfgs_scipy)
        runs["scipy L-BFGS-B, one vector"] = (time.perf_counter() - start, r)
        ref = runs["scipy L-BFGS-B per image"][0]
        for name, (sec, r) in runs.items():
            print(f"{arch:<8} {name:<26} {sec:8.1f} {r.success.float().mean().item():8.0%} "
                  f"{r.distortion.nanmean().item():16.4f} {ref / sec:8.1f}×")


if __name__ == "__main__":
    main()
