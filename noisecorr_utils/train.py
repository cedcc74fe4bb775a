"""A model-agnostic trainer on in-memory uint8 tensors.

No ``DataLoader``, no per-item transforms: the images are converted to float once, and each
minibatch is one gather from that tensor (augmentation, where a recipe asks for it, is done on
the whole minibatch at once). How a model is trained — optimiser, schedule, precision,
augmentation — is a :class:`Recipe`; ``RECIPES`` holds the zoo's, chosen by the recorded sweep
in ``benchmarks/sweep_recipes.py``. Seeded: the same model, data, recipe and seed give the same
weights on the same machine (training runs on ``TRAIN_THREADS`` threads, whatever the caller's
setting, so a model trained in a worker process equals one trained in the notebook).
"""
from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from . import devices

TRAIN_THREADS = 1  # two small models in two processes train faster than one on two threads
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class Recipe:
    """How a network is trained. The learning rate follows a linear warm-up from
    ``lr_start``·lr to lr over the first ``warmup`` share of the steps, then a linear decay to
    ``lr_end``·lr (with warmup=0 and lr_end=1: constant)."""

    epochs: int
    batch_size: int
    lr: float
    optimizer: str = "adam"          # "adam" or "sgd" (Nesterov momentum)
    momentum: float = 0.9            # SGD only
    weight_decay: float = 0.0        # SGD: coupled L2 as torch applies it
    warmup: float = 0.0
    lr_start: float = 1.0
    lr_end: float = 1.0
    label_smoothing: float = 0.0
    precision: str = "fp32"          # "fp32" or "bf16" (autocast)
    channels_last: bool = False
    flip: bool = False               # random horizontal flips
    translate: int = 0               # random shifts of up to this many pixels (reflect padding)
    lookahead: bool = False          # airbench's lookahead: pull weights to a slow average every 5 steps
    bias_lr_scale: float = 1.0       # lr multiplier of the batch-norm biases (airbench: 64)
    frozen_bias_after: int = 0       # epochs after which the first layer's bias freezes (0: never)
    normalise: bool = True           # standardise inputs by the data set's mean and std (False: pixels in [0, 1])

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        if not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ValueError(f"lr={self.lr!r} must be positive")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
        devices.check_precision(self.precision)
        if not 0 <= self.warmup < 1:
            raise ValueError(f"warmup={self.warmup!r} must be a share of the steps in [0, 1)")

    def replace(self, **changes) -> "Recipe":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def describe(self) -> str:
        """One line for the chapter's recipe table, e.g. ``SGD-Nesterov, warm-up 23% + linear decay``."""
        opt = "Adam" if self.optimizer == "adam" else f"SGD-Nesterov (momentum {self.momentum:g})"
        sched = ("constant" if self.warmup == 0 and self.lr_end == 1 else
                 f"warm-up {self.warmup:.0%} + linear decay to {self.lr_end:g}×")
        extras = [f"label smoothing {self.label_smoothing:g}"] if self.label_smoothing else []
        if self.flip or self.translate:
            extras.append("flip" * self.flip + (" + " if self.flip and self.translate else "")
                          + (f"{self.translate}-px shifts" if self.translate else ""))
        if self.lookahead:
            extras.append("lookahead")
        if not self.normalise:
            extras.append("inputs not normalised")
        return ", ".join([f"{opt}, lr {self.lr:g}, {sched}"] + extras)

    def key_fields(self) -> dict:
        """The recipe as it enters a model's cache key: fields added since the first zoo are left
        out at their defaults, so the zoo's models keep their keys."""
        fields = dataclasses.asdict(self)
        if fields["normalise"]:
            del fields["normalise"]
        return fields


# The zoo's recipes, by (architecture, data set, pixel-permuted?). The MNIST rows are the settings
# that benchmarks/sweep_recipes.py selects from its recorded runs (benchmarks/results/recipe_sweep.csv):
# the cheapest that reached the accuracy target on both sweep seeds, or, where none did, the most
# accurate (tests/test_recipes.py checks that they agree). The airnet row is airbench93's (Jordan,
# 2024, "94% on CIFAR-10 in 3.29 seconds on a single GPU"), its decoupled hyper-parameters
# converted to torch's: lr = 11.5 / (1 + 1/(1 − 0.85)) / 1024 per example × batch, weight decay
# 0.0153 / 11.5; 12 epochs instead of 11 (measured: 93.3% on one seed). The small ResNet gets a
# one-cycle SGD recipe of about the same time per model (18 epochs).
_SGD = dict(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4, warmup=0.2, lr_start=0.1, lr_end=0.0,
            label_smoothing=0.1, batch_size=256)
_ADAM = dict(optimizer="adam", lr=2e-3, warmup=0.2, lr_start=0.1, lr_end=0.0, label_smoothing=0.1, batch_size=256)
RECIPES: dict[tuple, Recipe] = {
    ("mlp", "mnist", False): Recipe(epochs=4, precision="bf16", **_SGD),
    ("mlp", "mnist", True): Recipe(epochs=4, precision="bf16", **_SGD),
    ("lenet", "mnist", False): Recipe(epochs=4, precision="fp32", **_SGD),
    ("lenet", "mnist", True): Recipe(epochs=8, precision="bf16", **_SGD),
    ("vgg", "mnist", False): Recipe(epochs=8, precision="bf16", **_ADAM),
    # Szegedy et al.'s fully connected networks (adversarial chapter): the MLP's recipe, 16 epochs
    # (FC100-100-10: 98.2% after 8, 98.4% after 16 — the paper's 98.36%; not swept further)
    **{(arch, "mnist", False): Recipe(epochs=16, precision="bf16", **_SGD) for arch in ("softmax", "fc100", "fc200", "fc123")},
    ("allcnn", "mnist", False): Recipe(epochs=8, precision="bf16", channels_last=True, **_SGD),
    ("airnet", "cifar10", False): Recipe(epochs=12, batch_size=256, lr=11.5 / (1 + 1 / 0.15) / 1024 * 256,
                                         optimizer="sgd", momentum=0.85, weight_decay=0.0153 / 11.5, warmup=0.23,
                                         lr_start=0.2, lr_end=0.07, label_smoothing=0.2, precision="bf16",
                                         channels_last=True, flip=True, translate=2, lookahead=True,
                                         bias_lr_scale=64.0, frozen_bias_after=3),
    ("resnet", "cifar10", False): Recipe(epochs=18, precision="bf16", channels_last=True, flip=True, translate=2,
                                         **{**_SGD, "lr": 0.2}),
}
_DEFAULT = Recipe(epochs=2, batch_size=128, lr=1e-3)


# Named recipes (the recipe as a studied factor): the zoo's own; ``plain``, the tutorial setup of the
# MNIST study's time (Adam at a constant 1e-3, batch 128, no label smoothing, pixels in [0, 1]);
# one-change ablations of the zoo's recipe; and one-ingredient additions to the plain one. Each
# ingredient's effect can so be measured from both ends.
RECIPE_NAMES = ("zoo", "plain", "no-label-smoothing", "no-normalisation", "constant-lr", "swap-optimiser",
                "plain+label-smoothing", "plain+normalisation", "plain+schedule")
# Epochs of the plain recipe per architecture, chosen to reach about the zoo recipe's accuracy
# (benchmarks/sweep_recipes.py --plain records the runs behind them).
PLAIN_EPOCHS = {"mlp": 4, "lenet": 10, "vgg": 6, "allcnn": 6}
_SCHEDULE = dict(warmup=0.2, lr_start=0.1, lr_end=0.0)


def named_recipe(name: str, arch: str, zoo_recipe: Recipe) -> Recipe:
    """The recipe ``name`` (``RECIPE_NAMES``) for ``arch``, built from the zoo's ``zoo_recipe``."""
    if name not in RECIPE_NAMES:
        raise ValueError(f"unknown recipe {name!r}; allowed: {', '.join(RECIPE_NAMES)}")
    plain = Recipe(epochs=PLAIN_EPOCHS.get(arch, 6), batch_size=128, lr=1e-3, optimizer="adam", precision="fp32",
                   channels_last=zoo_recipe.channels_last, normalise=False)
    smoothing = zoo_recipe.label_smoothing or 0.1
    if zoo_recipe.optimizer == "sgd":
        swapped = zoo_recipe.replace(optimizer="adam", lr=_ADAM["lr"], momentum=0.9, weight_decay=0.0)
    else:
        swapped = zoo_recipe.replace(optimizer="sgd", lr=_SGD["lr"], momentum=_SGD["momentum"],
                                     weight_decay=_SGD["weight_decay"])
    return {"zoo": zoo_recipe, "plain": plain,
            "no-label-smoothing": dataclasses.replace(zoo_recipe, label_smoothing=0.0),
            "no-normalisation": dataclasses.replace(zoo_recipe, normalise=False),
            "constant-lr": dataclasses.replace(zoo_recipe, warmup=0.0, lr_start=1.0, lr_end=1.0),
            "swap-optimiser": swapped,
            "plain+label-smoothing": dataclasses.replace(plain, label_smoothing=smoothing),
            "plain+normalisation": dataclasses.replace(plain, normalise=True),
            "plain+schedule": dataclasses.replace(plain, **_SCHEDULE)}[name]


def recipe_for(arch: str, dataset: str, permuted: bool = False) -> Recipe:
    """The zoo's recipe for ``arch`` on ``dataset`` (Fashion-MNIST uses MNIST's; a permuted
    variant without its own row uses the plain one); Adam for 2 epochs where none was chosen."""
    base = "mnist" if dataset == "fashion_mnist" else dataset
    return RECIPES.get((arch, base, permuted)) or RECIPES.get((arch, base, False)) or _DEFAULT


@dataclass
class History:
    steps: list[int] = field(default_factory=list)        # minibatch index of each loss point
    train_loss: list[float] = field(default_factory=list)  # mean loss over the last points' window
    epoch_test_acc: list[float] = field(default_factory=list)
    seconds: float = 0.0


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float32 pixels in [0, 1]; float images are returned as they are."""
    return x.to(torch.float32).div_(255) if x.dtype == torch.uint8 else x


@contextmanager
def threads(n: int):
    """Run the block on ``n`` intra-op threads, then restore the caller's setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def inference_precision(model: nn.Module):
    """A context in which ``model`` answers as it was trained: bf16 autocast for a zoo model whose
    recipe trained it in bf16 (``model.spec``), full precision otherwise."""
    spec = getattr(model, "spec", None)
    bf16 = spec is not None and spec.recipe.precision == "bf16"
    return torch.autocast(devices.of(model).type, dtype=torch.bfloat16, enabled=bf16)


@torch.inference_mode()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Logits (float32, on the CPU) for float images (or uint8, converted), batched, in eval mode
    and the model's inference precision, on the model's device."""
    model.eval()
    device = devices.of(model)
    with inference_precision(model):
        out = [model(to_float(x[i:i + batch_size]).to(device)).float().cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else torch.empty(0)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return (predict_logits(model, x).argmax(1) == y).float().mean().item()


def lr_factor(step: int, total: int, recipe: Recipe) -> float:
    """The learning-rate multiplier at ``step`` of ``total`` (see :class:`Recipe`)."""
    warm = int(total * recipe.warmup)
    if step < warm:
        return recipe.lr_start + (1 - recipe.lr_start) * step / warm
    return 1 + (recipe.lr_end - 1) * (step - warm) / max(1, total - warm)


def augment(x: torch.Tensor, flip: bool, translate: int, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and shifts of up to ``translate`` pixels (reflect padding) for a
    minibatch (N, C, H, W), drawn from ``generator``."""
    n, _, h, w = x.shape
    if flip:
        mask = (torch.rand(n, generator=generator) < 0.5).view(-1, 1, 1, 1).to(x.device)
        x = torch.where(mask, x.flip(-1), x)
    if translate:
        r = translate
        padded = nn.functional.pad(x, (r,) * 4, mode="reflect")
        shifts = torch.randint(0, 2 * r + 1, (n, 2), generator=generator).to(x.device)
        out = torch.empty_like(x)
        for sy in range(2 * r + 1):
            for sx in range(2 * r + 1):
                hit = (shifts[:, 0] == sy) & (shifts[:, 1] == sx)
                if hit.any():
                    out[hit] = padded[hit, :, sy:sy + h, sx:sx + w]
        x = out
    return x


def _optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if recipe.optimizer == "adam":
        return torch.optim.Adam(params, lr=recipe.lr)
    norm_bias = {id(m.bias) for m in model.modules() if isinstance(m, nn.BatchNorm2d) and m.bias is not None}
    norm = [p for p in params if id(p) in norm_bias]
    other = [p for p in params if id(p) not in norm_bias]
    lr_b = recipe.lr * recipe.bias_lr_scale
    groups = [dict(params=other, lr=recipe.lr, weight_decay=recipe.weight_decay),
              dict(params=norm, lr=lr_b, weight_decay=recipe.weight_decay * recipe.lr / lr_b)]
    for g in groups:
        g["base_lr"] = g["lr"]
    return torch.optim.SGD([g for g in groups if g["params"]], momentum=recipe.momentum, nesterov=True)


def loss_for(recipe: Recipe) -> nn.Module:
    """The training loss of a classification recipe: cross-entropy with its label smoothing."""
    return nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)


def optimizer_for(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """The optimiser a recipe trains ``model`` with."""
    return _optimizer(model, recipe)


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, recipe: Recipe, *, seed: int,
        x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
        progress: bool = True, log_every: int | None = None, desc: str = "train",
        loss: nn.Module | None = None, on_epoch_end: Callable[[int, nn.Module], None] | None = None,
        device: torch.device | str | None = None) -> History:
    """Train ``model`` on ``x`` (uint8 or float in [0, 1]) and targets ``y`` with ``recipe``,
    minimising ``loss`` (default: cross-entropy with the recipe's label smoothing, ``y`` class
    labels; e.g. ``nn.MSELoss()`` for regression targets). Test accuracy after each epoch if
    ``x_test`` is given; ``on_epoch_end(epoch, model)`` after each epoch (e.g. a checkpoint).

    The training loss is recorded as the mean over every ``log_every`` minibatches (default:
    about 100 points over the whole run).
    """
    device = devices.resolve(device)
    devices.check_precision(recipe.precision, device)
    generator = torch.Generator().manual_seed(seed)
    model.to(device)
    xf = to_float(x).to(device)
    y = y.to(device)
    if recipe.channels_last:
        model.to(memory_format=torch.channels_last)
    opt = _optimizer(model, recipe)
    loss_fn = loss if loss is not None else loss_for(recipe)
    n = len(xf)
    steps_per_epoch = (n + recipe.batch_size - 1) // recipe.batch_size
    total = recipe.epochs * steps_per_epoch
    log_every = log_every or max(1, total // 100)
    slow = _float_state(model) if recipe.lookahead else None
    first_bias = _first_bias(model) if recipe.frozen_bias_after else None
    hist = History()
    start = time.perf_counter()
    bar = tqdm(total=total, desc=desc, disable=not progress, mininterval=1.0, leave=False)
    step, running = 0, torch.zeros((), device=device)
    with threads(TRAIN_THREADS) if device.type == "cpu" else _nothing():
        for epoch in range(recipe.epochs):
            model.train()
            if first_bias is not None:
                first_bias.requires_grad_(epoch < recipe.frozen_bias_after)
            order = torch.randperm(n, generator=generator).to(device)
            for i in range(0, n, recipe.batch_size):
                idx = order[i:i + recipe.batch_size]
                xb = xf[idx]
                if recipe.flip or recipe.translate:
                    xb = augment(xb, recipe.flip, recipe.translate, generator)
                if recipe.channels_last:
                    xb = xb.contiguous(memory_format=torch.channels_last)
                factor = lr_factor(step, total, recipe)
                for g in opt.param_groups:
                    g["lr"] = g.get("base_lr", recipe.lr) * factor
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=recipe.precision == "bf16"):
                    batch_loss = loss_fn(model(xb).float(), y[idx])
                opt.zero_grad(set_to_none=True)
                batch_loss.backward()
                opt.step()
                running += batch_loss.detach()
                step += 1
                if slow is not None and (step % 5 == 0 or step == total):
                    _lookahead(model, slow, 1.0 if step == total else 0.95 ** 5 * (step / total) ** 3)
                if step % log_every == 0:
                    hist.steps.append(step)
                    hist.train_loss.append(running.item() / log_every)
                    running.zero_()
                bar.update(1)
            if x_test is not None:
                hist.epoch_test_acc.append(accuracy(model, x_test, y_test))
            if on_epoch_end is not None:
                on_epoch_end(epoch, model)
    bar.close()
    model.eval()
    hist.seconds = time.perf_counter() - start
    return hist


@contextmanager
def _nothing():
    yield


def _first_bias(model: nn.Module) -> torch.Tensor | None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and m.bias is not None:
            return m.bias
    return None


def _float_state(model: nn.Module) -> list[torch.Tensor]:
    return [v.detach().clone() for v in model.state_dict().values() if v.is_floating_point()]


@torch.no_grad()
def _lookahead(model: nn.Module, slow: list[torch.Tensor], decay: float) -> None:
    """Move the slow copy of every float weight and buffer towards the fast one by (1 − decay),
    then reset the fast one to it (airbench's lookahead; decay 1 at the end puts the slow copy
    in the model)."""
    fast = [v for v in model.state_dict().values() if v.is_floating_point()]
    for s, p in zip(slow, fast):
        s.lerp_(p, 1 - decay)
        p.copy_(s)
