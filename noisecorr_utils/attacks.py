"""Minimal adversarial examples by box-constrained L-BFGS (Szegedy et al., 2014, "Intriguing
properties of neural networks", ICLR).

For images x with target classes t (≠ their labels), minimise over x′ ∈ [0, 1]^n

    c · CE(f(x′), t) + ‖x′ − x‖²

with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` in float64 on the logits (the
gradient from torch), and search c per image for the smallest perturbation that still reaches
the target: double c from a small start until the attack succeeds, then bisect between the last
failure and the first success (as Foolbox 2.4's ``LBFGSAttack``), keeping the smallest successful
example seen. The objective is a sum over images, so a whole batch is optimised as one vector
with a c per image (``benchmarks/bench_attacks.py`` measures the speed-up over a loop).

The paper writes the objective as c·|r| + loss and asks for the *minimum* c; with c on the norm
term, the *maximum* c is meant. We put c on the loss, where the minimum is right.

Usage::

    result = attacks.minimal_lbfgs(model, x, target)    # x float in [0, 1], target (n,) classes
    result.x, result.success, result.distortion          # distortion: √(Σ(x′ − x)²/n)
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import minimize
from torch import nn

from . import checks

# Bump when a change alters a number computed here: it is part of the book's cache keys.
VERSION = 1


@dataclass
class Result:
    x: torch.Tensor            # the adversarial examples (the original image where the attack failed)
    success: torch.Tensor      # bool: the example is classified as its target
    distortion: torch.Tensor   # √(Σ(x′ − x)²/n) per image (NaN where the attack failed)
    c: torch.Tensor            # the c of the kept example (NaN where it failed)


def check(model: nn.Module, x: torch.Tensor, target: torch.Tensor | None, labels: torch.Tensor | None = None,
          c: float = 1.0) -> None:
    """One clear line for bad input, before any work."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model={type(model).__name__!r} must be a torch module (a trained network)")
    if not torch.is_tensor(x) or not x.is_floating_point():
        raise ValueError("images must be a float tensor with pixels in [0, 1]")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"images must lie in [0, 1]; got values in [{x.min().item():.3g}, {x.max().item():.3g}]")
    if target is not None and labels is not None and (target == labels).any():
        i = int(torch.nonzero(target == labels)[0])
        raise ValueError(f"target class {int(target[i])} of image {i} equals its true class; choose another class")
    if not (isinstance(c, (int, float)) and c > 0):
        raise ValueError(f"c={c!r} must be positive")


def _float64(model: nn.Module) -> nn.Module:
    m = copy.deepcopy(model).double().eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def lbfgs(model: nn.Module, x: torch.Tensor, target: torch.Tensor, c: torch.Tensor, max_iter: int = 200,
          _model64: nn.Module | None = None) -> torch.Tensor:
    """One box-constrained L-BFGS solve for a batch, with a weight c per image: argmin over
    x′ ∈ [0, 1] of Σ_i c_i·CE(f(x′_i), t_i) + ‖x′_i − x_i‖², started at x. Returns x′ (float32)."""
    m = _model64 or _float64(model)
    x0 = x.detach().double()
    shape = x0.shape
    t = target.long()
    cw = c.double()

    def objective(flat):
        z = torch.from_numpy(flat).view(shape).requires_grad_(True)
        ce = nn.functional.cross_entropy(m(z), t, reduction="none")
        loss = (cw * ce).sum() + ((z - x0) ** 2).sum()
        (grad,) = torch.autograd.grad(loss, z)
        return float(loss.detach()), grad.numpy().ravel().astype(np.float64)

    with torch.enable_grad():
        out = minimize(objective, x0.numpy().ravel(), jac=True, method="L-BFGS-B",
                       bounds=[(0.0, 1.0)] * x0.numel(), options=dict(maxiter=max_iter))
    return torch.from_numpy(out.x).view(shape).float().clamp_(0, 1)


def distortion(x: torch.Tensor, x_adv: torch.Tensor) -> torch.Tensor:
    """Szegedy et al.'s distortion √(Σ(x′ − x)²/n) per image, n the number of pixel values."""
    return ((x_adv - x) ** 2).flatten(1).mean(1).sqrt()


@torch.no_grad()
def _classes(model, x):
    model.eval()
    return model(x).argmax(1)


def minimal_lbfgs(model: nn.Module, x: torch.Tensor, target: torch.Tensor, labels: torch.Tensor | None = None,
                  c0: float = 0.01, doublings: int = 12, bisections: int = 6, max_iter: int = 200,
                  vectorised: bool = True) -> Result:
    """The smallest box-constrained L-BFGS perturbation of each image that makes ``model`` answer
    its ``target`` (see the module). ``vectorised=False`` solves image by image (the reference
    of the benchmark; same result up to the optimiser's tolerance)."""
    check(model, x, target, labels, c0)
    for name, value in (("doublings", doublings), ("max_iter", max_iter)):
        checks.positive_int(name, value)
    if not vectorised:
        parts = [minimal_lbfgs(model, x[i:i + 1], target[i:i + 1], None, c0, doublings, bisections, max_iter)
                 for i in range(len(x))]
        return Result(*(torch.cat([getattr(p, f) for p in parts]) for f in ("x", "success", "distortion", "c")))
    n = len(x)
    m64 = _float64(model)
    c = torch.full((n,), float(c0), dtype=torch.float64)
    lo = torch.zeros(n, dtype=torch.float64)            # largest c known to fail
    hi = torch.full((n,), float("inf"), dtype=torch.float64)  # smallest c known to succeed
    best = x.clone()
    best_d = torch.full((n,), float("inf"))
    best_c = torch.full((n,), float("nan"), dtype=torch.float64)

    def attempt(active):
        idx = torch.nonzero(active)[:, 0]
        adv = lbfgs(model, x[idx], target[idx], c[idx], max_iter, m64)
        ok = _classes(model, adv) == target[idx]
        d = distortion(x[idx], adv)
        for j, i in enumerate(idx.tolist()):
            if ok[j]:
                hi[i] = min(hi[i], c[i])
                if d[j] < best_d[i]:
                    best[i], best_d[i], best_c[i] = adv[j], d[j], c[i]
            else:
                lo[i] = max(lo[i], c[i])

    for _ in range(doublings):           # double c until the attack succeeds
        active = torch.isinf(hi)
        if not active.any():
            break
        attempt(active)
        c = torch.where(torch.isinf(hi), c * 2, c)
    for _ in range(bisections):          # then bisect between the last failure and the first success
        active = torch.isfinite(hi)
        if not active.any():
            break
        c = torch.where(active, (lo + hi) / 2, c)
        attempt(active)
    success = torch.isfinite(best_d)
    return Result(best, success, torch.where(success, best_d, torch.tensor(float("nan"))), best_c.float())


def random_targets(labels: torch.Tensor, n_classes: int, seed: int = 0) -> torch.Tensor:
    """A target for each image drawn uniformly among the wrong classes."""
    g = torch.Generator().manual_seed(seed)
    return (labels + torch.randint(1, n_classes, labels.shape, generator=g)) % n_classes


def two_class_minimal_l2(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """For a linear two-class classifier f(x) = Wx + b (no box), the closed-form smallest L2 step
    that moves each image to the decision boundary: |z_0 − z_1| / ‖w_0 − w_1‖. Checks the attack."""
    z = x.flatten(1) @ w.T + b
    return (z[:, 0] - z[:, 1]).abs() / (w[0] - w[1]).norm()


def ddn_reference(model: nn.Module, x: torch.Tensor, target: torch.Tensor, steps: int = 200) -> torch.Tensor:
    """An independent minimal-L2 attack from a maintained library — Foolbox 3's DDN (Rony et al.,
    2019, "Decoupling direction and norm"), targeted at the same classes — for checking our
    attack's distortions: the distortion √(Σ(x′ − x)²/n) of each example (NaN where it failed)."""
    import foolbox as fb

    model.eval()
    fmodel = fb.PyTorchModel(model, bounds=(0, 1))
    criterion = fb.criteria.TargetedMisclassification(target)
    _, clipped, success = fb.attacks.DDNAttack(steps=steps)(fmodel, x, criterion, epsilons=None)
    d = distortion(x, clipped)
    return torch.where(success, d, torch.tensor(float("nan")))
