"""Similarity benchmark (Charpiat et al., 2019), on an untrained LeNet with 10 outputs:

1. K(x, x) for N samples three ways, side by side in this run: the per-sample backward loop of
   the official code (one backward per sample and per output), torch.func's vmap∘jacrev,
   and the project's layer-wise ``per_sample_gram``.
2. N_S and the per-class N_S (10 sums) of 2,000 queries against 2,000 reference images two ways:
   forward-mode products G(x)ᵀA_j (one jvp per output column and sum, the project's method
   until December 2026) and the per-sample gradient factors (``similarity._traces``).
3. N_S over |S| = 60,000 training images for 10,000 test + 10,000 noise queries (the chapter's
   workload), and the same with 10x fewer inputs, to check linear scaling.

    .venv/bin/python benchmarks/bench_similarity.py [--n 256] [--quick]

Targets (issue 4): layer-wise >= 10x the loop; N_S over 60k + 10k + 10k <= 2 min;
10x more inputs cost <= 11x the time.
"""
from __future__ import annotations

import argparse

import torch

from timing import timed

from torch.func import functional_call, jvp

from noisecorr_utils import architectures, data, noise, similarity, train


def loop_gram(model, x):
    params = [p for p in model.parameters() if p.requires_grad]
    out = []
    for xi in x:
        f = model(xi.unsqueeze(0))[0]
        rows = []
        for k in range(len(f)):
            g = torch.autograd.grad(f[k], params, retain_graph=k < len(f) - 1)
            rows.append(torch.cat([t.flatten() for t in g]))
        G = torch.stack(rows)
        out.append(G @ G.T)
    return torch.stack(out)


def jvp_traces(model, inputs, sums, eps=1e-4, batch_size=256):
    """The reference: Tr(M(x) G(x)ᵀ A) / d with one forward-mode product per column of every A."""
    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    buffers = dict(model.named_buffers())
    out = []
    for i in range(0, len(inputs), batch_size):
        xb = train.to_float(inputs[i:i + batch_size])
        K, _ = similarity.per_sample_gram(model, xb)
        M = similarity.inverse_sqrt(K, eps)

        def f(p):
            return functional_call(model, ({**p, **buffers}), (xb,))

        cols = []
        for A in sums:
            d = next(iter(A.values())).shape[-1]
            T = torch.stack([jvp(f, (params,), ({n: A[n][..., j] for n in params},))[1] for j in range(d)], -1)
            cols.append(torch.einsum("bjk,bkj->b", M, T) / d)
        out.append(torch.stack(cols, 1))
    return torch.cat(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=256, help="samples for the per-sample comparison")
    parser.add_argument("--quick", action="store_true", help="skip the 80,000-input run")
    args = parser.parse_args()
    ds = data.load("mnist")
    torch.manual_seed(0)
    model = architectures.build("lenet", ds.shape, ds.n_classes, ds.mean, ds.std).eval()
    x = train.to_float(ds.x_test[:args.n])
    t_loop, K_loop = timed(lambda: loop_gram(model, x))
    t_jac, G = timed(lambda: similarity.per_sample_jacobians(model, x))
    t_ours, (K_ours, _) = timed(lambda: similarity.per_sample_gram(model, x))
    assert torch.allclose(K_ours, K_loop, rtol=1e-3, atol=1e-5)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; lenet, d = 10, {args.n} samples")
    for name, t in (("backward loop (official code)", t_loop), ("vmap∘jacrev", t_jac), ("layer-wise (ours)", t_ours)):
        print(f"  {name:30} {args.n / t:9.0f} samples/s   {t_loop / t:6.1f}x the loop")
    queries, S = noise.generate("uniform", 2000, ds, seed=0), ds.x_train[:2000]
    labels = torch.as_tensor(ds.y_train[:2000])
    sums = [similarity.reference_sum(model, S[labels == c]) for c in range(10)]
    for name, k in (("N_S", 1), ("per-class N_S", 10)):
        t_ref, ref = timed(lambda: jvp_traces(model, queries, sums[:k]))
        t_new, new = timed(lambda: similarity._traces(model, queries, sums[:k], 1e-4, 256))
        assert torch.allclose(new, ref, rtol=1e-3, atol=1e-3 * ref.abs().max().item())
        print(f"  {name:14} 2,000 queries, {k:2d} sums: forward mode {t_ref:6.1f} s, factors {t_new:6.1f} s "
              f"({t_ref / t_new:.1f}x)")
    if args.quick:
        return
    queries = torch.cat([train.to_float(ds.x_test), noise.generate("uniform", 10000, ds, seed=0)])
    t_small, _ = timed(lambda: similarity.density(model, queries[::10], S=ds.x_train[:6000]))
    t_full, ns = timed(lambda: similarity.density(model, queries, S=ds.x_train))
    print(f"N_S, |S| = 60,000, 20,000 queries: {t_full:.1f} s ({80000 / t_full:.0f} inputs/s); "
          f"10x fewer inputs: {t_small:.1f} s; ratio {t_full / t_small:.1f}x for 10x the inputs")


if __name__ == "__main__":
    main()
