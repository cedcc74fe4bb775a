"""Similarity enforcement during training (Charpiat et al., 2019, "Input Similarity from the
Neural Network Perspective", NeurIPS, §5): besides the task loss, ask the network to see
pairs of same-class images as similar, i.e. to raise the cosine of the parameter gradients
of their class output,

    loss = cross-entropy + sign · weight · mean over pairs of cos(∇θ f_y(x_a), ∇θ f_y(x_b)).

``sign = -1`` raises the similarity (what the paper's text describes); ``sign = +1`` lowers it
(what adding the cosine to the loss, as the official code appears to do, amounts to);
``sign = 0`` is plain training. The cosine is differentiated through (double backpropagation).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import similarity
from .train import predict_logits, to_float

# Bump when a change alters a number computed here: it is part of the book's cache keys.
VERSION = 2
SIGNS = {"plain": 0, "raise similarity": -1, "lower similarity": +1}


def pair_cosine(model: nn.Module, x_a: torch.Tensor, x_b: torch.Tensor, y: torch.Tensor,
                create_graph: bool = True) -> torch.Tensor:
    """cos(∇θ f_y(x_a), ∇θ f_y(x_b)) for each pair (a, b) of class y: (P,). Differentiable in the
    parameters when ``create_graph``. One forward and one backward pass for all the inputs: the
    inner products of per-sample gradients come layer by layer from their factors (for a linear
    layer, ⟨δ_a a_aᵀ, δ_b a_bᵀ⟩ = (δ_a·δ_b)(a_a·a_b)), as in ``similarity``; models with layers
    other than Linear and Conv2d holding parameters, or with batch norm, take one backward pass
    per input (``pair_cosine_per_input``)."""
    if not (len(x_a) == len(x_b) == len(y)) or len(y) == 0:
        raise ValueError(f"pairs need as many x_a ({len(x_a)}), x_b ({len(x_b)}) and labels ({len(y)}), at least one")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters: its gradient similarity is undefined")
    layers = [m for m in model.modules() if any(p.requires_grad for p in m.parameters(recurse=False))]
    coupled = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if coupled or not all(_factored(m) for m in layers):
        return pair_cosine_per_input(model, x_a, x_b, y, create_graph)
    inputs, outputs, reused = {}, {}, []

    def hook(module, inp, out):
        if module in inputs:
            reused.append(module)
        inputs[module], outputs[module] = inp[0], out

    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        with torch.enable_grad():
            f = model(torch.cat([x_a, x_b])).gather(1, torch.cat([y, y])[:, None]).sum()
            deltas = torch.autograd.grad(f, [outputs[m] for m in layers], create_graph=create_graph)
    finally:
        for h in handles:
            h.remove()
    if reused:                                        # a layer applied twice: its factors do not add up
        return pair_cosine_per_input(model, x_a, x_b, y, create_graph)
    n = len(y)
    dot = torch.zeros(n)
    sq = torch.zeros(2 * n)
    for m, delta in zip(layers, deltas):
        a = inputs[m] if create_graph else inputs[m].detach()
        parts = []                                    # per-sample gradients (2n, …) or factors
        if isinstance(m, nn.Linear):
            if m.weight.requires_grad:
                dd, aa = delta.pow(2).sum(1), a.pow(2).sum(1)
                sq = sq + dd * aa
                dot = dot + (delta[:n] * delta[n:]).sum(1) * (a[:n] * a[n:]).sum(1)
            if m.bias is not None and m.bias.requires_grad:
                parts.append(delta)
        else:
            dl = delta.flatten(2)                     # (2n, O, L)
            if m.weight.requires_grad:
                parts.append(similarity.conv_weight_gradients(m, a, dl))
            if m.bias is not None and m.bias.requires_grad:
                parts.append(dl.sum(2))
        for g in parts:
            sq = sq + g.pow(2).sum(1)
            dot = dot + (g[:n] * g[n:]).sum(1)
    return dot / (sq[:n].sqrt() * sq[n:].sqrt()).clamp_min(1e-12)


def _factored(m: nn.Module) -> bool:
    return type(m) is nn.Linear or (type(m) is nn.Conv2d and m.groups == 1)


def pair_cosine_per_input(model: nn.Module, x_a: torch.Tensor, x_b: torch.Tensor, y: torch.Tensor,
                          create_graph: bool = True) -> torch.Tensor:
    """``pair_cosine`` with one backward pass per input, for any model (and the reference the
    factored form is tested against)."""
    params = [p for p in model.parameters() if p.requires_grad]
    with torch.enable_grad():
        x = torch.cat([x_a, x_b])
        f = model(x).gather(1, torch.cat([y, y])[:, None])[:, 0]
        grads = [torch.cat([g.flatten() for g in torch.autograd.grad(f[i], params, create_graph=create_graph,
                                                                      retain_graph=True)])
                 for i in range(len(x))]
    G = torch.stack(grads)
    return nn.functional.cosine_similarity(G[:len(y)], G[len(y):], dim=1, eps=1e-12)


def same_class_pairs(y: torch.Tensor, n_pairs: int, generator: torch.Generator):
    """Indices (a, b) of ``n_pairs`` random pairs of distinct images with the same label."""
    by_class = [torch.nonzero(y == c)[:, 0] for c in range(int(y.max()) + 1)]
    by_class = [ix for ix in by_class if len(ix) >= 2]
    if not by_class:
        raise ValueError("no class has two images to pair")
    classes = torch.randint(0, len(by_class), (n_pairs,), generator=generator)
    a, b = [], []
    for c in classes.tolist():
        ix = by_class[c]
        i, j = torch.randperm(len(ix), generator=generator)[:2]
        a.append(ix[i]), b.append(ix[j])
    return torch.stack(a), torch.stack(b)


@dataclass
class Run:
    steps: list[int] = field(default_factory=list)       # minibatches done at each evaluation
    val_accuracy: list[float] = field(default_factory=list)
    pair_cosine: list[float] = field(default_factory=list)  # mean same-class cosine on held-out pairs


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, x_val: torch.Tensor, y_val: torch.Tensor, *,
        sign: int, weight: float = 1.0, steps: int = 150, batch_size: int = 64, n_pairs: int = 8,
        lr: float = 1e-3, seed: int = 0, eval_every: int = 10) -> Run:
    """Train ``steps`` Adam minibatches with the enforcement term of ``sign`` (see the module),
    recording validation accuracy and the mean same-class gradient cosine (on 32 fixed
    validation pairs) every ``eval_every`` steps, from step 0."""
    if sign not in (-1, 0, 1):
        raise ValueError(f"sign={sign!r}; allowed: -1 (raise similarity), 0 (plain), +1 (lower similarity)")
    for name, value in (("steps", steps), ("batch_size", batch_size), ("n_pairs", n_pairs), ("eval_every", eval_every)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer")
    if not weight >= 0:
        raise ValueError(f"weight={weight!r} must be non-negative")
    g = torch.Generator().manual_seed(seed)
    xf, xv = to_float(x), to_float(x_val)
    va, vb = same_class_pairs(y_val, 32, torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    run = Run()

    def evaluate(step):
        run.steps.append(step)
        run.val_accuracy.append((predict_logits(model, xv).argmax(1) == y_val).float().mean().item())
        run.pair_cosine.append(pair_cosine(model, xv[va], xv[vb], y_val[va], create_graph=False).mean().item())

    evaluate(0)
    for step in range(1, steps + 1):
        model.train()
        idx = torch.randint(0, len(xf), (batch_size,), generator=g)
        loss = loss_fn(model(xf[idx]), y[idx])
        if sign:
            a, b = same_class_pairs(y, n_pairs, g)
            loss = loss + sign * weight * pair_cosine(model, xf[a], xf[b], y[a]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0:
            evaluate(step)
    model.eval()
    return run


def curves(runs: dict) -> "pandas.DataFrame":
    """Long table from ``{(variant, seed): Run}``: variant, seed, step, val accuracy, cosine."""
    import pandas as pd

    rows = [{"variant": v, "seed": s, "step": st, "val accuracy": acc, "pair cosine": c}
            for (v, s), r in runs.items() for st, acc, c in zip(r.steps, r.val_accuracy, r.pair_cosine)]
    return pd.DataFrame(rows)


def area_under_curve(table) -> "pandas.DataFrame":
    """Mean validation accuracy over the evaluated steps, per variant and seed (a summary of
    "how fast it learns" over the whole window)."""
    return table.groupby(["variant", "seed"], as_index=False)["val accuracy"].mean()


def paired_difference(auc, variant: str, reference: str = "plain") -> np.ndarray:
    """Per-seed difference of the mean validation accuracy, ``variant`` minus ``reference``."""
    wide = auc.pivot(index="seed", columns="variant", values="val accuracy")
    return (wide[variant] - wide[reference]).to_numpy()
