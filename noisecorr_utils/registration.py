"""The registration analogue of Charpiat et al. (2019, §4.2, "Input Similarity from the Neural
Network Perspective", NeurIPS): there, a network learns to register satellite images from
ground truth with noisy alignments, and its error ends far below the noise of its targets.

Here: an MNIST digit is pasted at a random position on a larger blank canvas, a small CNN
regresses the position (two outputs: the shift along x and y, in pixels, 0 = centred), and
every *training* target carries Gaussian noise of standard deviation σ pixels. The paper's
averaging argument: the network's answer at x is close to a k^C-weighted mean of the noisy
targets of the N_S(x) training inputs it treats like x, so the noise it inherits has
standard deviation about σ/√N_S(x) per coordinate.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import architectures, similarity, train

# Bump when a change alters a number computed here: it is part of the book's cache keys.
VERSION = 1
DIGIT = 28


def check(sigma: float, canvas: int) -> None:
    """Validate the task's parameters in one line each, before any work."""
    if not isinstance(sigma, (int, float)) or not sigma >= 0:
        raise ValueError(f"sigma={sigma!r} must be a non-negative number of pixels")
    if not isinstance(canvas, int) or not DIGIT < canvas <= 4 * DIGIT:
        raise ValueError(f"canvas={canvas!r} must be an integer in ({DIGIT}, {4 * DIGIT}]")


def shifted_digits(images: torch.Tensor, canvas: int = 40, seed: int = 0):
    """Paste each 28×28 uint8 digit at a uniformly random integer position on a blank
    ``canvas``×``canvas`` image. Returns (uint8 canvases (N, 1, canvas, canvas), float shifts
    (N, 2): the offset along x and y in pixels, minus the centred offset)."""
    check(0.0, canvas)
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, DIGIT, DIGIT):
        raise ValueError(f"images must have shape (N, 1, {DIGIT}, {DIGIT}), got {tuple(images.shape)}")
    n, room = len(images), canvas - DIGIT
    g = torch.Generator().manual_seed(seed)
    offsets = torch.randint(0, room + 1, (n, 2), generator=g)        # (x, y) of the top-left corner
    out = torch.zeros(n, 1, canvas, canvas, dtype=torch.uint8)
    rows = offsets[:, 1, None] + torch.arange(DIGIT)                   # (N, 28)
    cols = offsets[:, 0, None] + torch.arange(DIGIT)
    idx = torch.arange(n)[:, None, None]
    out[idx, 0, rows[:, :, None], cols[:, None, :]] = images[:, 0]
    return out, offsets.float() - room / 2


def noisy_targets(shifts: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """The training targets: true shifts plus independent Gaussian noise of std ``sigma`` pixels."""
    check(sigma, DIGIT + 1)
    g = torch.Generator().manual_seed(20_000 + seed)
    return shifts + sigma * torch.randn(shifts.shape, generator=g)


def regressor(canvas: int = 40, mean: float = 0.1307, std: float = 0.3081) -> nn.Module:
    """A LeNet-like CNN with two outputs (the shift); no batch norm, so the fast similarity path
    applies. The fully connected head keeps where the features are."""
    side = canvas // 4
    return nn.Sequential(
        architectures.Normalize([mean], [std]),
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * side * side, 64), nn.ReLU(), nn.Linear(64, 2))


def experiment(ds, sigma: float, seed: int, *, n_train: int, n_test: int, n_reference: int,
               epochs: int, canvas: int = 40, batch_size: int = 128, lr: float = 1e-3,
               eps: float = 1e-4, progress: bool = False) -> np.ndarray:
    """Train one regressor on ``n_train`` shifted training digits with targets noised by
    ``sigma``, and return, for ``n_test`` shifted test digits, an (n_test, 5) array: true shift
    (2), predicted shift (2) and N_S over the first ``n_reference`` training canvases."""
    check(sigma, canvas)
    for name, value in (("n_train", n_train), ("n_test", n_test), ("n_reference", n_reference),
                        ("epochs", epochs)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer")
    if n_reference > n_train:
        raise ValueError(f"n_reference={n_reference} exceeds n_train={n_train}: S is the training set")
    x_train, shift_train = shifted_digits(ds.x_train[:n_train], canvas, seed=seed)
    x_test, shift_test = shifted_digits(ds.x_test[:n_test], canvas, seed=1_000_000 + seed)
    torch.manual_seed(seed)
    model = regressor(canvas)
    train.fit(model, x_train, noisy_targets(shift_train, sigma, seed), epochs=epochs,
              batch_size=batch_size, lr=lr, seed=seed, loss=nn.MSELoss(), progress=progress,
              desc=f"registration σ={sigma:g}")
    predicted = train.predict_logits(model, x_test)
    n_s = similarity.density(model, x_test, S=x_train[:n_reference], eps=eps)
    return torch.cat([shift_test, predicted, n_s[:, None]], 1).numpy()


def errors(result: np.ndarray) -> np.ndarray:
    """Per test input of an ``experiment`` array, the distance in pixels between the predicted
    and the true shift."""
    return np.sqrt(((result[:, 2:4] - result[:, 0:2]) ** 2).sum(1))


def summarise(results: dict, sigma0: float = 0.0):
    """Per σ and seed, from ``{(sigma, seed): experiment array}``: the test RMSE per coordinate,
    the part of it the target noise added (√(RMSE² − RMSE₀²), RMSE₀ the mean over seeds at
    ``sigma0``), the averaging argument's prediction of that part, σ·√mean(1/N_S), and of the
    whole RMSE, √(RMSE₀² + σ²·mean(1/N_S)), and the Spearman
    correlation across test inputs of the error with 1/√N_S. A pandas DataFrame."""
    import pandas as pd
    from scipy.stats import spearmanr

    rmse = {k: float(np.sqrt(((v[:, 2:4] - v[:, 0:2]) ** 2).mean())) for k, v in results.items()}
    base = [r for (s, _), r in rmse.items() if s == sigma0]
    rmse0 = float(np.mean(base)) if base else float("nan")
    rows = []
    for (sigma, seed), v in sorted(results.items()):
        error = errors(v)
        n_s = v[:, 4]
        positive = n_s > 0
        inv = 1 / np.sqrt(n_s[positive])
        rows.append({
            "sigma": sigma, "seed": seed, "test RMSE": rmse[sigma, seed],
            "RMSE / sigma": rmse[sigma, seed] / sigma if sigma > 0 else float("nan"),
            "noise part": float(np.sqrt(max(rmse[sigma, seed] ** 2 - rmse0 ** 2, 0.0))),
            "predicted sigma/sqrt(N_S)": float(sigma * np.sqrt(np.mean(inv ** 2))),
            "predicted test RMSE": float(np.sqrt(rmse0 ** 2 + sigma ** 2 * np.mean(inv ** 2))),
            "median N_S": float(np.median(n_s)),
            "N_S <= 0": int((~positive).sum()),
            "spearman(error, 1/sqrt(N_S))": (float(spearmanr(error[positive], inv).statistic)
                                              if np.ptp(inv) > 0 else float("nan")),
        })
    return pd.DataFrame(rows)
