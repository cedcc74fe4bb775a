"""A model-agnostic trainer on in-memory uint8 tensors.

No ``DataLoader``, no per-item transforms: the images are converted to float once, and each
minibatch is one gather from that tensor. Seeded: the same model, data and seed give the same
weights on the same machine.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm


@dataclass
class History:
    steps: list[int] = field(default_factory=list)        # minibatch index of each loss point
    train_loss: list[float] = field(default_factory=list)  # mean loss over the last points' window
    epoch_test_acc: list[float] = field(default_factory=list)
    seconds: float = 0.0


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float32 pixels in [0, 1]; float images are returned as they are."""
    return x.to(torch.float32).div_(255) if x.dtype == torch.uint8 else x


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Logits for float images (or uint8, converted), batched, in eval mode."""
    model.eval()
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size]
        out.append(model(to_float(xb)))
    return torch.cat(out) if out else torch.empty(0)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return (predict_logits(model, x).argmax(1) == y).float().mean().item()


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int,
        lr: float, seed: int, x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
        progress: bool = True, log_every: int | None = None, desc: str = "train",
        loss: nn.Module | None = None) -> History:
    """Train with Adam on ``x`` (uint8 or float in [0, 1]) and targets ``y``, minimising ``loss``
    (default: cross-entropy, ``y`` class labels; e.g. ``nn.MSELoss()`` for regression targets).

    The training loss is recorded as the mean over every ``log_every`` minibatches (default:
    about 100 points over the whole run).
    """
    if epochs < 1 or batch_size < 1 or lr <= 0:
        raise ValueError(f"epochs={epochs}, batch_size={batch_size}, lr={lr}: all must be positive")
    generator = torch.Generator().manual_seed(seed)
    xf = to_float(x)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = loss if loss is not None else nn.CrossEntropyLoss()
    n = len(xf)
    steps_per_epoch = (n + batch_size - 1) // batch_size
    log_every = log_every or max(1, epochs * steps_per_epoch // 100)
    hist = History()
    start = time.perf_counter()
    bar = tqdm(total=epochs * steps_per_epoch, desc=desc, disable=not progress, mininterval=1.0,
               leave=False)
    step, running = 0, torch.zeros(())
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            batch_loss = loss_fn(model(xf[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            running += batch_loss.detach()
            step += 1
            if step % log_every == 0:
                hist.steps.append(step)
                hist.train_loss.append(running.item() / log_every)
                running.zero_()
            bar.update(1)
        if x_test is not None:
            hist.epoch_test_acc.append(accuracy(model, x_test, y_test))
    bar.close()
    model.eval()
    hist.seconds = time.perf_counter() - start
    return hist
