"""Minimal adversarial examples by box-constrained L-BFGS (Szegedy et al., 2014, "Intriguing
properties of neural networks", ICLR).

For images x with target classes t (≠ their labels), minimise over x′ ∈ [0, 1]^n

    c · CE(f(x′), t) + ‖x′ − x‖²

by box-constrained L-BFGS in float64 on the logits (the gradient from torch), and search c per
image for the smallest perturbation that still reaches the target: double c from a small start
until the attack succeeds, then bisect between the last failure and the first success (as
Foolbox 2.4's ``LBFGSAttack``), keeping the smallest successful example seen.

The objective is separable over images. ``scipy.optimize.minimize(method="L-BFGS-B")`` on the
whole batch as one vector (``lbfgs_scipy``) saves only the per-call overhead — its own work
grows with the batch, and every image waits for the slowest. ``lbfgs`` therefore runs one
L-BFGS per image inside batched torch operations (own history, line search and stopping test
per image); ``benchmarks/bench_attacks.py`` measures it against a per-image loop of scipy's
L-BFGS-B at equal distortion.

The paper writes the objective as c·|r| + loss and asks for the *minimum* c; with c on the norm
term, the *maximum* c is meant. We put c on the loss, where the minimum is right.

Usage::

    result = attacks.minimal_lbfgs(model, x, target)    # x float in [0, 1], target (n,) classes
    result.x, result.success, result.distortion          # distortion: √(Σ(x′ − x)²/n)

``cached_attack(models, n, seed)`` attacks ``n`` random test digits of the zoo's models with random
wrong targets, cached per model and computed two models at a time (chapters 5 and 6).
"""
from __future__ import annotations

import copy
import sys
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import minimize
from torch import nn

from . import checks
from .train import to_float
from .progress import staged

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


def _objective(m64: nn.Module, x0: torch.Tensor, target: torch.Tensor, c: torch.Tensor, z: torch.Tensor):
    """Per image: c·CE(f(z), t) + ‖z − x0‖² and its gradient (float64)."""
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        f = c * nn.functional.cross_entropy(m64(z), target, reduction="none") + ((z - x0) ** 2).flatten(1).sum(1)
        (g,) = torch.autograd.grad(f.sum(), z)
    return f.detach(), g


def lbfgs(model: nn.Module, x: torch.Tensor, target: torch.Tensor, c: torch.Tensor, max_iter: int = 200,
          _model64: nn.Module | None = None, memory: int = 10, gtol: float = 1e-5, ftol: float = 2.2e-9) -> torch.Tensor:
    """One box-constrained L-BFGS solve per image, the whole batch at once: argmin over
    x′ ∈ [0, 1] of c_i·CE(f(x′_i), t_i) + ‖x′_i − x_i‖², started at x. Returns x′ (float32).

    Each image keeps its own curvature history (``memory`` pairs), its own projected
    backtracking line search and its own stopping tests (scipy's: projected gradient below ``gtol``, relative decrease below
    ``ftol``, or a failed line search), as a
    loop of scipy's L-BFGS-B would; but one forward/backward pass serves every image. The
    direction is the two-loop recursion on the free variables (those not held at a bound by the
    gradient) — a projected L-BFGS (Bertsekas, 1982; Kim, Sra & Dhillon, 2010) rather than
    L-BFGS-B's Cauchy-point step; ``lbfgs_scipy`` is the reference."""
    m = _model64 or _float64(model)
    x0 = x.detach().double()
    n = len(x0)
    t, cw = target.long(), c.double()
    z = x0.clone()
    f, g = _objective(m, x0, t, cw, z)
    S = torch.zeros((n, memory) + x0.shape[1:], dtype=torch.float64)
    Y = torch.zeros_like(S)
    rho = torch.zeros(n, memory, dtype=torch.float64)      # 0 marks an empty slot
    gamma = torch.full((n,), 0.5, dtype=torch.float64)     # 1 / curvature of ‖r‖² until measured
    running = torch.ones(n, dtype=torch.bool)
    view = (-1,) + (1,) * (x0.dim() - 1)
    dot = lambda a, b: (a * b).flatten(1).sum(1)  # noqa: E731
    for _ in range(max_iter):
        held = ((z <= 0) & (g > 0)) | ((z >= 1) & (g < 0))
        running &= ((z - g).clamp(0, 1) - z).flatten(1).abs().amax(1) > gtol
        if not running.any():
            break
        q = torch.where(held, 0.0, g)
        alpha = torch.zeros_like(rho)
        for k in reversed(range(memory)):
            alpha[:, k] = rho[:, k] * dot(S[:, k], q)
            q = q - alpha[:, k].view(view) * Y[:, k]
        r = gamma.view(view) * q
        for k in range(memory):
            beta = rho[:, k] * dot(Y[:, k], r)
            r = r + (alpha[:, k] - beta).view(view) * S[:, k]
        d = torch.where(held, 0.0, -r)
        uphill = dot(d, g) >= 0
        d[uphill] = -torch.where(held, 0.0, g)[uphill]
        step = torch.ones(n, dtype=torch.float64)
        searching = running.clone()
        z_new, f_new, g_new = z.clone(), f.clone(), g.clone()
        for _ in range(20):                                  # projected backtracking (Armijo)
            idx = torch.nonzero(searching)[:, 0]             # only the images still searching
            trial = (z[idx] + step[idx].view(view) * d[idx]).clamp(0, 1)
            ft, gt = _objective(m, x0[idx], t[idx], cw[idx], trial)
            ok = ft <= f[idx] + 1e-4 * dot(g[idx], trial - z[idx])
            done = idx[ok]
            z_new[done], f_new[done], g_new[done] = trial[ok], ft[ok], gt[ok]
            searching[done] = False
            step[idx[~ok]] /= 2
            if not searching.any():
                break
        running &= ~searching                               # no progress along d: stop that image
        running &= (f - f_new) > ftol * torch.maximum(f.abs(), f_new.abs()).clamp_min(1)
        s, yv = z_new - z, g_new - g
        sy = dot(s, yv)
        keep = running & (sy > 1e-10 * dot(s, s).clamp_min(1e-300))
        if keep.any():
            S[keep] = torch.cat([S[keep, 1:], s[keep, None]], 1)
            Y[keep] = torch.cat([Y[keep, 1:], yv[keep, None]], 1)
            rho[keep] = torch.cat([rho[keep, 1:], (1 / sy[keep])[:, None]], 1)
            gamma[keep] = sy[keep] / dot(yv, yv)[keep]
        z, f, g = z_new, f_new, g_new
    return z.float().clamp_(0, 1)


def lbfgs_scipy(model: nn.Module, x: torch.Tensor, target: torch.Tensor, c: torch.Tensor, max_iter: int = 200,
                _model64: nn.Module | None = None) -> torch.Tensor:
    """The same solve with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` on the whole
    batch as one vector (the objective is a sum over images). The reference for ``lbfgs``."""
    m = _model64 or _float64(model)
    x0 = x.detach().double()
    t, cw = target.long(), c.double()

    def objective(flat):
        f, g = _objective(m, x0, t, cw, torch.from_numpy(flat).view(x0.shape))
        return float(f.sum()), g.numpy().ravel()

    out = minimize(objective, x0.numpy().ravel(), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, 1.0)] * x0.numel(), options=dict(maxiter=max_iter))
    return torch.from_numpy(out.x).view(x0.shape).float().clamp_(0, 1)


def distortion(x: torch.Tensor, x_adv: torch.Tensor) -> torch.Tensor:
    """Szegedy et al.'s distortion √(Σ(x′ − x)²/n) per image, n the number of pixel values."""
    return ((x_adv - x) ** 2).flatten(1).mean(1).sqrt()


@torch.no_grad()
def _classes(model, x):
    model.eval()
    return model(x).argmax(1)


SOLVERS = ("batched", "scipy", "scipy per image")


def minimal_lbfgs(model: nn.Module, x: torch.Tensor, target: torch.Tensor, labels: torch.Tensor | None = None,
                  c0: float = 0.01, doublings: int = 16, bisections: int = 6, max_iter: int = 200,
                  solver: str = "batched") -> Result:
    """The smallest box-constrained L-BFGS perturbation of each image that makes ``model`` answer
    its ``target`` (see the module). ``solver``: ``batched`` (every image at once, ``lbfgs``),
    or the references ``scipy`` (scipy's L-BFGS-B on the whole batch as one vector) and
    ``scipy per image`` (scipy's L-BFGS-B image by image; ``lbfgs_scipy``)."""
    if solver not in SOLVERS:
        raise ValueError(f"solver={solver!r}; allowed: {', '.join(SOLVERS)}")
    check(model, x, target, labels, c0)
    for name, value in (("doublings", doublings), ("max_iter", max_iter)):
        checks.positive_int(name, value)
    if solver == "scipy per image":
        parts = [_minimal(model, x[i:i + 1], target[i:i + 1], c0, doublings, bisections, max_iter, lbfgs_scipy)
                 for i in range(len(x))]
        return Result(*(torch.cat([getattr(p, f) for p in parts]) for f in ("x", "success", "distortion", "c")))
    return _minimal(model, x, target, c0, doublings, bisections, max_iter, lbfgs if solver == "batched" else lbfgs_scipy)


def _minimal(model, x, target, c0, doublings, bisections, max_iter, solve) -> Result:
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
        adv = solve(model, x[idx], target[idx], c[idx], max_iter, m64)
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


# ---------------------------------------------------------------------------------------------
# The zoo's models attacked, cached

def test_images(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` test images drawn once at random (float in [0, 1]) and their labels."""
    from . import data

    ds = data.load("mnist")
    checks.positive_int("n_attack", n)
    if n > len(ds.x_test):
        raise ValueError(f"n_attack={n} is more than the {len(ds.x_test):,} test images; allowed: 1 to {len(ds.x_test)}")
    idx = torch.randperm(len(ds.x_test), generator=torch.Generator().manual_seed(seed))[:n]
    return to_float(ds.x_test[idx]), ds.y_test[idx]


@torch.no_grad()
def said(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The model's answers in float32 (the precision the attack checks success in)."""
    model.eval()
    return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])


def _attack_job(spec, n: int, seed: int, doublings: int, bisections: int, max_iter: int):
    from . import zoo

    model = zoo.get_model(spec, progress=False)
    x, y = test_images(n, seed)
    target = random_targets(y, 10, seed=seed + 1)
    r = minimal_lbfgs(model, x, target, y, doublings=doublings, bisections=bisections, max_iter=max_iter)
    return np.concatenate([r.x.flatten(1).numpy(), r.success.float().numpy()[:, None], r.distortion.numpy()[:, None],
                           target.float().numpy()[:, None]], 1)


@staged("attacks")
def cached_attack(models, n: int, seed: int = 0, doublings: int = 16, bisections: int = 6, max_iter: int = 100) -> dict:
    """Targeted minimal L-BFGS examples of ``n`` test images (random wrong targets) for every
    model: ``{spec key: (x_adv (n, 1, 28, 28), success (n,), distortion (n,), target (n,))}``.
    Cached per model; what is missing is computed two models at a time."""
    from . import parallel, results, zoo

    keys = {m.spec.key: results.cache_key("lbfgs", (sys.modules[__name__], zoo), model=m.spec.key, n=n, seed=seed,
                                          doublings=doublings, bisections=bisections, max_iter=max_iter) for m in models}
    missing = list({m.spec.key: m for m in models if not results.is_cached(keys[m.spec.key])}.values())
    for i, value in parallel.each(_attack_job, [(m.spec, n, seed, doublings, bisections, max_iter) for m in missing]):
        results.cached_array(keys[missing[i].spec.key], lambda value=value: value)   # stored as each finishes
    out = {}
    for m in models:
        arr = results.cached_array(keys[m.spec.key], None)
        out[m.spec.key] = (torch.from_numpy(arr[:, :784]).float().view(-1, 1, 28, 28), torch.from_numpy(arr[:, 784] > 0.5),
                           torch.from_numpy(arr[:, 785]).float(), torch.from_numpy(arr[:, 786]).long())
    return out
