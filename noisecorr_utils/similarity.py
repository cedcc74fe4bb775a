"""Input similarity from the network's perspective (Charpiat, Girard, Felardos & Tarabalka,
"Input Similarity from the Neural Network Perspective", NeurIPS 2019).

With G(x) the P×d matrix whose columns are the parameter gradients of the d outputs at x:

    K(x, x')   = G(x)ᵀ G(x')                                  (d×d)
    K^C(x, x') = K(x, x)^{-1/2} K(x, x') K(x', x')^{-1/2}     (normalised)
    k^C(x, x') = Tr K^C(x, x') / d                            (scalar similarity, k^C(x, x) = 1)
    N_S(x)     = Σ_{x'∈S} k^C(x, x') = Tr(a(x)ᵀ A) / d,  a(x) = G(x) K(x, x)^{-1/2},  A = Σ_{x'∈S} a(x')

Outputs: the logits. Log-probabilities would be the natural choice for a classifier, but their
Jacobian has rank d − 1 (Σ_k p_k ∂log p_k = 0), which makes K(x, x) singular by construction.

Regularisation: K(x, x) is replaced by K(x, x) + ε·(Tr K(x, x)/d)·I with ε = ``eps``
(relative, default 1e-4) before the inverse square root, in every formula here (fast and
brute force alike), so k^C(x, x) is 1 − O(ε).

How it is fast (memory independent of |S|, no P×d matrix per sample is ever stored):

* K(x, x) layer by layer from per-sample activations and output gradients: for a linear
  layer the per-sample weight gradient of output k is δ_k aᵀ, so its contribution is
  (δ_k·δ_l)(a·a); for a convolution the per-sample weight gradient is δ_k (unfolded input)ᵀ,
  formed per batch and reduced at once; for batch norm (eval mode, running statistics) the
  gradients of γ and β are Σ_hw δ_k·x̂ and Σ_hw δ_k per channel.
* A = Σ_x G(x) M(x), M = K^{-1/2}, and G(x)ᵀA are formed parameter by parameter from the same
  per-sample factors (for a linear weight, δ and a: no per-sample weight gradient is formed),
  so one forward and d backward passes per batch serve K, A and every G(x)ᵀA at once.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

from .train import to_float
from .progress import staged

# Bump when a change alters a number computed here: it is part of the book's cache keys.
VERSION = 2
SUPPORTED = (nn.Linear, nn.Conv2d, nn.BatchNorm2d)
MAX_OUTPUTS = 64


def _check(model: nn.Module, x: torch.Tensor) -> list[nn.Module]:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters: its gradient similarity is undefined")
    layers = [m for m in model.modules() if any(p.requires_grad for p in m.parameters(recurse=False))]
    bad = sorted({type(m).__name__ for m in layers if not isinstance(m, SUPPORTED)})
    if bad:
        raise ValueError(f"layers {', '.join(bad)} have parameters; supported: Linear, Conv2d, BatchNorm2d "
                         "(use per_sample_jacobians for other models)")
    if x.dim() != 4:
        raise ValueError(f"a batch must have shape (N, C, H, W), got {tuple(x.shape)}")
    return layers


class _Gradients:
    """The per-sample gradients of a batch's d outputs, parameter by parameter, from one forward
    pass and d backward passes to the layers' outputs (never as a P×d matrix per sample).

    Iterating yields ``(name, g)`` for every trainable parameter: ``g`` is (B, d, P) for a
    convolution's or batch norm's parameters and for biases, and the factors ``(δ, a)`` of a
    linear weight (its gradient for output k is δ_k aᵀ: (B, d, O) and (B, I))."""

    def __init__(self, model: nn.Module, x: torch.Tensor):
        layers = _check(model, x)
        model.eval()
        names = {m: n for n, m in model.named_modules()}
        inputs, outputs = {}, {}

        def hook(module, inp, out):
            inputs[module] = inp[0].detach()
            outputs[module] = out

        handles = [m.register_forward_hook(hook) for m in layers]
        try:
            with torch.enable_grad():
                f = model(x)
                if f.dim() != 2 or f.shape[1] > MAX_OUTPUTS:
                    raise ValueError(f"{f.shape[1] if f.dim() == 2 else tuple(f.shape)} outputs: this method "
                                     f"supports 1 to {MAX_OUTPUTS} outputs per sample")
                d = f.shape[1]
                outs = [outputs[m] for m in layers]
                deltas = [[] for _ in layers]
                for k in range(d):
                    grads = torch.autograd.grad(f[:, k].sum(), outs, retain_graph=k < d - 1)
                    for i, g in enumerate(grads):
                        deltas[i].append(g)
        finally:
            for h in handles:
                h.remove()
        self.f, self.d, self.batch = f.detach(), d, len(x)
        self.layers = [(names[m], m, inputs[m], torch.stack(delta, 1)) for m, delta in zip(layers, deltas)]

    def __iter__(self):
        for prefix, m, a, delta in self.layers:          # delta: (B, d, *out)
            name = (prefix + "." if prefix else "").__add__
            weight = m.weight is not None and m.weight.requires_grad
            bias = m.bias is not None and m.bias.requires_grad
            if isinstance(m, nn.BatchNorm2d):   # eval mode: y = γ·x̂ + β per channel, x̂ from running stats
                if m.running_mean is None:
                    raise ValueError("BatchNorm2d without running statistics is not supported")
                x_hat = (a - m.running_mean.view(1, -1, 1, 1)) / torch.sqrt(m.running_var.view(1, -1, 1, 1) + m.eps)
                if weight:
                    yield name("weight"), torch.einsum("bkchw,bchw->bkc", delta, x_hat)
                if bias:
                    yield name("bias"), delta.sum((3, 4))
            elif isinstance(m, nn.Linear):
                if weight:
                    yield name("weight"), (delta, a)
                if bias:
                    yield name("bias"), delta
            else:
                if m.groups != 1:
                    raise ValueError("grouped convolutions are not supported")
                dl = delta.flatten(3)  # (B, d, O, L)
                if weight:
                    yield name("weight"), conv_weight_gradients(m, a, dl)
                if bias:
                    yield name("bias"), dl.sum(3)

    def gram(self) -> torch.Tensor:
        """K(x, x) = G(x)ᵀG(x) for every sample: (B, d, d)."""
        K = torch.zeros(self.batch, self.d, self.d)
        for _, g in self:
            K += _gram_part(g)
        return K


def conv_weight_gradients(m: nn.Conv2d, a: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Per-sample gradients of a convolution's weight, flattened: the output gradients ``delta``
    (B, …, O, L) against the unfolded input ``a`` (B, I, L): (B, …, O·I)."""
    patches = nn.functional.unfold(a, m.kernel_size, m.dilation, m.padding, m.stride)
    return torch.einsum("b...ol,bil->b...oi", delta, patches).flatten(-2)


def _gram_part(g) -> torch.Tensor:
    if isinstance(g, tuple):
        delta, a = g
        return torch.einsum("bko,blo->bkl", delta, delta) * a.pow(2).sum(1).view(-1, 1, 1)
    return torch.einsum("bkp,blp->bkl", g, g)


def _weighted_sum(g, M: torch.Tensor) -> torch.Tensor:
    """Σ_b G_b M_b for one parameter: (P, d), or (O, I, d) for a factored linear weight."""
    if isinstance(g, tuple):
        delta, a = g
        return torch.einsum("boj,bi->oij", torch.einsum("bko,bkj->boj", delta, M), a)
    return torch.einsum("bkp,bkj->pj", g, M)


def _times(g, A: torch.Tensor) -> torch.Tensor:
    """G_bᵀ A for one parameter and every sample b: (B, d, d); ``A`` is parameter-shaped × d."""
    if isinstance(g, tuple):
        delta, a = g
        return torch.einsum("bko,boj->bkj", delta, torch.einsum("bi,oij->boj", a, A))
    return torch.einsum("bkp,pj->bkj", g, A.reshape(g.shape[-1], -1))


def per_sample_gram(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """K(x, x) = G(x)ᵀG(x) for every sample of a batch, and the outputs: (B, d, d), (B, d)."""
    g = _Gradients(model, x)
    return g.gram(), g.f


def inverse_sqrt(K: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """(K + ε·Tr(K)/d·I)^{-1/2} for a batch of symmetric PSD matrices (B, d, d)."""
    d = K.shape[-1]
    scale = eps * K.diagonal(dim1=-2, dim2=-1).sum(-1).clamp_min(1e-30) / d
    Kr = K.double() + scale.double().view(-1, 1, 1) * torch.eye(d, dtype=torch.float64)
    w, V = torch.linalg.eigh(Kr)
    return ((V * w.clamp_min(1e-300).rsqrt().unsqueeze(-2)) @ V.transpose(-1, -2)).float()


def _batches(x, batch_size):
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size]
        yield to_float(xb)


@staged("kernels and N_S")
def reference_sum(model: nn.Module, S: torch.Tensor, eps: float = 1e-4, batch_size: int = 256):
    """A = Σ_{x∈S} G(x) K(x,x)^{-1/2}, as a dict of parameter-shaped tensors with a trailing
    axis of size d, formed parameter by parameter from the per-sample gradients' factors."""
    if len(S) == 0:
        raise ValueError("the reference set S is empty")
    shapes = {n: p.shape for n, p in model.named_parameters() if p.requires_grad}
    A = {}
    for xb in _batches(S, batch_size):
        g = _Gradients(model, xb)
        M = inverse_sqrt(g.gram(), eps)
        for name, grad in g:   # a second pass: M needs every layer's part of K, and holding every
                               # convolution's per-sample gradients at once would cost B·d·P memory
            part = _weighted_sum(grad, M).reshape(*shapes[name], g.d)
            A[name] = A[name] + part if name in A else part
    return A


def _traces(model: nn.Module, inputs: torch.Tensor, sums, eps: float, batch_size: int) -> torch.Tensor:
    """Tr(M(x) G(x)ᵀ A) / d for every input x and every A in ``sums`` (parameter-shaped dicts
    with a trailing axis of size d, or None for an empty sum): (len(inputs), len(sums)).
    The sums are stacked along their trailing axis, so one pass over each batch's per-sample
    gradients gives K(x, x) and every G(x)ᵀA, one product per parameter."""
    present = [i for i, A in enumerate(sums) if A is not None]
    stacked = {n: torch.cat([sums[i][n] for i in present], -1) for n in sums[present[0]]} if present else {}
    out = []
    for xb in _batches(inputs, batch_size):
        g = _Gradients(model, xb)
        K = torch.zeros(g.batch, g.d, g.d)
        T = torch.zeros(g.batch, g.d, len(present) * g.d)
        for name, grad in g:
            K += _gram_part(grad)
            if present:
                T += _times(grad, stacked[name])
        M = inverse_sqrt(K, eps)
        cols = torch.zeros(g.batch, len(sums))
        cols[:, present] = torch.einsum("bjk,bknj->bn", M, T.view(g.batch, g.d, len(present), g.d)) / g.d
        out.append(cols)
    return torch.cat(out)


@staged("kernels and N_S")
def density(model: nn.Module, queries: torch.Tensor, S: torch.Tensor | None = None, A=None,
            eps: float = 1e-4, batch_size: int = 256) -> torch.Tensor:
    """N_S(x) for every query x, in time linear in |S| + |queries| (Charpiat et al., 2019, §3)."""
    if A is None:
        if S is None:
            raise ValueError("give the reference set S or its precomputed sum A")
        A = reference_sum(model, S, eps, batch_size)
    if len(queries) == 0:
        raise ValueError("no query inputs")
    return _traces(model, queries, [A], eps, batch_size)[:, 0]  # Tr(M(x) G(x)ᵀ A) / d


def per_sample_jacobians(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """G(x)ᵀ for each sample, (B, d, P), with torch.func (vmap ∘ jacrev): any architecture,
    but memory B·d·P — for small batches, tests and the brute-force reference."""
    from torch.func import jacrev, vmap

    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    if not params:
        raise ValueError("the model has no trainable parameters: its gradient similarity is undefined")
    buffers = dict(model.named_buffers())
    model.eval()

    def single(p, xi):
        return functional_call(model, ({**p, **buffers}), (xi.unsqueeze(0),))[0]

    jac = vmap(jacrev(single), in_dims=(None, 0))(params, x)
    return torch.cat([j.flatten(2) for j in jac.values()], 2)


@staged("kernels and N_S")
def kernel_matrix(model: nn.Module, x: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """Brute-force k^C(x_i, x_j) for all pairs of a (small) batch: (N, N)."""
    G = per_sample_jacobians(model, x).double()            # (N, d, P)
    n, d = G.shape[:2]
    flat = G.reshape(n * d, -1)
    K = (flat @ flat.T).view(n, d, n, d).permute(0, 2, 1, 3)  # (N, N, d, d): one matmul, no (N, N, d, d, P) temporaries
    M = inverse_sqrt(torch.stack([K[i, i] for i in range(len(x))]).float(), eps).double()
    KC = torch.einsum("iab,ijbc,jcd->ijad", M, K, M)
    return (KC.diagonal(dim1=-2, dim2=-1).sum(-1) / G.shape[1]).float()


@staged("kernels and N_S")
def cross_kernel(model: nn.Module, queries: torch.Tensor, pool: torch.Tensor, eps: float = 1e-4,
                 batch_size: int = 256) -> torch.Tensor:
    """k^C(q, x) for a few queries q against every x of a pool: (Q, N).

    Per query, a(q) = G(q) M(q) is formed explicitly (Q·d·P numbers, so keep Q small); the pool
    needs only the products G(x)ᵀ a(q)_j and its own M(x), batch by batch."""
    if len(queries) == 0 or len(pool) == 0:
        raise ValueError("cross_kernel needs at least one query and one pool input")
    q = next(_batches(queries, len(queries)))
    G = per_sample_jacobians(model, q)                      # (Q, d, P)
    Kq, _ = per_sample_gram(model, q)
    aq = torch.einsum("qkp,qkj->qjp", G, inverse_sqrt(Kq, eps))  # a(q) columns: (Q, d, P)
    shapes = [(n, p.shape, p.numel()) for n, p in model.named_parameters() if p.requires_grad]
    per_query = []
    for a in aq:                                            # a(q) as parameter-shaped tensors (…, d)
        A, i = {}, 0
        for n, shape, size in shapes:
            A[n] = a[:, i:i + size].T.reshape(*shape, a.shape[0])
            i += size
        per_query.append(A)
    return _traces(model, pool, per_query, eps, batch_size).T   # Tr(a(q)ᵀ G(x) M(x)) / d


@staged("kernels and N_S")
def class_density(model: nn.Module, queries: torch.Tensor, S: torch.Tensor, labels: torch.Tensor,
                  n_classes: int, eps: float = 1e-4, batch_size: int = 256) -> torch.Tensor:
    """N_S restricted to each class: (n_queries, n_classes), column c = Σ_{x'∈S, label c} k^C(x, x').

    A vote argmax_c over these columns is what the network's averaging argument predicts
    (Charpiat et al., 2019, §4: a network trained with noisy labels answers like a kernel
    average of the labels of the inputs it finds similar). One pass over the queries: K(x, x)
    and the d·C products G(x)ᵀA_c from one pass over each batch's per-sample gradients."""
    if len(S) != len(labels):
        raise ValueError(f"S has {len(S)} inputs but {len(labels)} labels")
    sums = [reference_sum(model, S[labels == c], eps, batch_size) if (labels == c).any() else None
            for c in range(n_classes)]
    return _traces(model, queries, sums, eps, batch_size)
