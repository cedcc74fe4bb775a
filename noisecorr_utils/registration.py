"""The registration analogue of Charpiat et al. (2019, §4.2, "Input Similarity from the Neural
Network Perspective", NeurIPS): there, a network learns to register satellite images from
ground truth with noisy alignments, and its error ends far below the noise of its targets.

Here: an MNIST digit is pasted at a random position on a larger blank canvas, a small CNN
regresses the position (two outputs: the shift along x and y, in pixels, 0 = centred), and
every *training* target carries Gaussian noise of standard deviation σ pixels. The paper's
averaging argument: the network's answer at x is close to a k^C-weighted mean of the noisy
targets of the training inputs it treats like x, so the noise it inherits has a standard
deviation of about σ/√N per coordinate, N a count of those inputs.

The inherited noise is measured directly, by **paired retrainings**: two networks with the same
initialisation, the same canvases and the same minibatch order, whose targets carry independent
draws of the noise. Whatever differs between their answers comes from the target noise, and
(a − b)/√2 has the standard deviation of the noise one network inherited.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import architectures, checks, similarity, train

# Bump when a change alters a number computed here: it is part of the book's cache keys.
VERSION = 2
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


def data(ds, n_train: int, n_test: int, canvas: int, seed: int):
    """Training and test canvases with their true shifts (the training ones fixed by ``seed``)."""
    x_train, shift_train = shifted_digits(ds.x_train[:n_train], canvas, seed=seed)
    x_test, shift_test = shifted_digits(ds.x_test[:n_test], canvas, seed=1_000_000 + seed)
    return x_train, shift_train, x_test, shift_test


def fit(ds, sigma: float, seed: int, noise_seed: int, *, n_train: int, epochs: int, repeats: int = 1,
        canvas: int = 40, batch_size: int = 128, lr: float = 1e-3) -> nn.Module:
    """A regressor trained on ``n_train`` canvases (fixed by ``seed``, as are its initialisation
    and minibatch order), each appearing ``repeats`` times with independent target noise of std
    ``sigma`` (drawn from ``noise_seed``). The number of optimiser steps does not depend on
    ``repeats``: the r-fold data set is seen for epochs/r epochs."""
    check(sigma, canvas)
    for name, value in (("n_train", n_train), ("epochs", epochs), ("repeats", repeats)):
        checks.positive_int(name, value)
    if epochs % repeats:
        raise ValueError(f"epochs={epochs} must be a multiple of repeats={repeats} (equal optimiser steps)")
    x_train, shift_train, _, _ = data(ds, n_train, 1, canvas, seed)
    targets = noisy_targets(shift_train.repeat(repeats, 1), sigma, noise_seed)
    torch.manual_seed(seed)
    model = regressor(canvas)
    train.fit(model, x_train.repeat(repeats, 1, 1, 1), targets,
              train.Recipe(epochs=epochs // repeats, batch_size=batch_size, lr=lr), seed=seed, loss=nn.MSELoss(),
              progress=False)
    return model


def paired_run(ds, sigma: float, seed: int, *, n_train: int, n_test: int, epochs: int, repeats: int = 1,
               canvas: int = 40, n_queries: int = 0, eps: float = 1e-4) -> tuple[np.ndarray, np.ndarray | None]:
    """Two regressors that differ only in the draw of their target noise (noise seeds 0 and 1; at
    σ = 0 one is trained and used twice). Returns (n_test, 6): true shift, prediction a,
    prediction b on the test canvases; and, if ``n_queries``, k^C of network a between the first
    ``n_queries`` test canvases and every training canvas, (n_queries, n_train) — else None."""
    x_train, _, x_test, shift_test = data(ds, n_train, n_test, canvas, seed)
    preds, models = [], []
    for noise_seed in ((0,) if sigma == 0 else (0, 1)):
        models.append(fit(ds, sigma, seed, noise_seed, n_train=n_train, epochs=epochs, repeats=repeats, canvas=canvas))
        preds.append(train.predict_logits(models[-1], x_test))
    if len(preds) == 1:
        preds.append(preds[0])
    kernel = (similarity.cross_kernel(models[0], train.to_float(x_test[:n_queries]), x_train, eps=eps).numpy()
              if n_queries else None)
    return torch.cat([shift_test, *preds], 1).numpy(), kernel


def inherited_noise(run: np.ndarray) -> float:
    """Per coordinate, the standard deviation of the noise one network inherited from its
    targets: RMS of (a − b)/√2 over test canvases and both coordinates."""
    return float(np.sqrt((((run[:, 2:4] - run[:, 4:6]) ** 2) / 2).mean()))


def rmse(run: np.ndarray) -> float:
    """Test RMSE per coordinate of network a against the true shifts."""
    return float(np.sqrt(((run[:, 2:4] - run[:, 0:2]) ** 2).mean()))


def errors(run: np.ndarray) -> np.ndarray:
    """Per test canvas, the distance in pixels between network a's prediction and the true shift."""
    return np.sqrt(((run[:, 2:4] - run[:, 0:2]) ** 2).sum(1))


READINGS = ("raw N_S", "effective count", "centred", "thresholded")


def counts(k: np.ndarray, threshold: float = 0.5) -> dict[str, np.ndarray]:
    """Readings of "how many training inputs the network treats like x" from each row of k^C
    (queries × training inputs):

    - **raw N_S** = Σ_j k(x, x_j), the paper's density;
    - **effective count** (Σ_j k)² / Σ_j k², the number of equally weighted targets whose mean
      has the variance of the k-weighted mean: the count the averaging argument needs;
    - **centred**: Σ_j max(k(x, x_j) − k̄(x), 0), with k̄(x) the mean of the row — the common
      component every training input shares removed;
    - **thresholded**: #{j : k(x, x_j) > ``threshold``}.
    """
    k = np.asarray(k, dtype=float)
    raw = k.sum(1)
    centred = np.clip(k - k.mean(1, keepdims=True), 0, None).sum(1)
    return {"raw N_S": raw, "effective count": raw ** 2 / np.maximum((k ** 2).sum(1), 1e-30),
            "centred": centred, "thresholded": (k > threshold).sum(1).astype(float)}
