"""Minimal L-BFGS attack: the batched solver (``attacks.lbfgs``: every image its own L-BFGS, one
forward/backward pass for all) against the reference, scipy's L-BFGS-B image by image, both
measured in this run on the same model, images, targets and c search (16 doublings from 0.01,
6 bisections, 100 iterations per solve, one thread).

    .venv/bin/python benchmarks/bench_attacks.py [--n 200] [--n-ref 20] [--archs fc100 lenet]

The batched solver attacks the chapter's ``--n`` images at once. The per-image loop's time is
linear in the number of images by construction (independent solves), so it is measured on the
first ``--n-ref`` images and scaled to ``--n``; distortions are compared on those images. Also
printed: scipy's L-BFGS-B on the ``--n-ref`` images as one vector (``attacks.lbfgs_scipy``).
Target (issue 13): batched ≥ 10× faster than the per-image loop at equal distortion.
"""
from __future__ import annotations

import argparse

import torch

from timing import timed

from noisecorr_utils import attacks, zoo


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--n-ref", type=int, default=20)
    parser.add_argument("--archs", nargs="+", default=["fc100", "lenet"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    x, y = attacks.test_images(args.n)
    target = attacks.random_targets(y, 10, seed=1)
    k = args.n_ref
    print(f"{args.n} MNIST test images (reference: first {k}, time scaled ×{args.n / k:g}), random wrong targets, one thread")
    print(f"{'model':<7} {'solver':<28} {'seconds':>8} {'for n':>8} {'success':>8} {'distortion (first k)':>21} {'speed-up':>9}")
    for arch in args.archs:
        model = zoo.get_model(zoo.ModelSpec(arch), progress=False)
        t_ref, ref = timed(lambda: attacks.minimal_lbfgs(model, x[:k], target[:k], y[:k], max_iter=100, solver="scipy per image"))
        t_vec, vec = timed(lambda: attacks.minimal_lbfgs(model, x[:k], target[:k], y[:k], max_iter=100, solver="scipy"))
        t_bat, bat = timed(lambda: attacks.minimal_lbfgs(model, x, target, y, max_iter=100))
        ref_n = t_ref * args.n / k
        for name, sec, per_n, r in (("scipy L-BFGS-B per image", t_ref, ref_n, ref),
                                    ("scipy L-BFGS-B, one vector", t_vec, t_vec * args.n / k, vec),
                                    ("batched (attacks.lbfgs)", t_bat, t_bat, bat)):
            print(f"{arch:<7} {name:<28} {sec:8.1f} {per_n:8.1f} {r.success.float().mean().item():8.0%} "
                  f"{r.distortion[:k].nanmean().item():21.4f} {ref_n / per_n:8.1f}×")


if __name__ == "__main__":
    main()
