"""Trainer benchmark: time to 99.0% MNIST test accuracy, ours against the classic recipe.

In one process (the same threads for both):
(a) the pytorch/examples MNIST recipe: its CNN (two 3×3 convs of 32 and 64 channels, max
    pooling, dropout, a 128-unit dense layer), Adadelta lr 1.0, StepLR γ 0.7, batch 64,
    torchvision's ``MNIST`` dataset with ``ToTensor()`` + ``Normalize((0.1307,), (0.3081,))``
    behind a ``DataLoader``; evaluated after every epoch until it reaches the target;
(b) ``noisecorr_utils.train.fit`` with the zoo's ``lenet`` recipe on in-memory uint8 tensors.
Prints the seconds each needs to reach the target, the accuracies and the speed-up, and the
MLP's achieved FLOP/s against a float32 matmul peak measured in the same run.

    .venv/bin/python benchmarks/bench_train.py [--target 0.99] [--max-epochs 6]

Target (issue 9): speed-up >= 10x to 99.0% for lenet.
"""
from __future__ import annotations

import argparse
import struct
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from noisecorr_utils import data, train, zoo


def write_torchvision_mnist(root: Path, ds) -> None:
    """Write our verified arrays as the IDX files torchvision's MNIST reads (offline)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, x, y in (("train", ds.x_train, ds.y_train), ("t10k", ds.x_test, ds.y_test)):
        n = len(x)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", 2051, n, 28, 28) + x.numpy().tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", 2049, n) + y.to(torch.uint8).numpy().tobytes())


class ExamplesNet(nn.Module):
    """The CNN of pytorch/examples' mnist/main.py."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        x = self.dropout1(torch.flatten(nn.functional.max_pool2d(x, 2), 1))
        return self.fc2(self.dropout2(torch.relu(self.fc1(x))))


def classic_to_target(root, target: float, max_epochs: int, seed: int = 1):
    """The examples recipe, evaluated after each epoch: (seconds of training to the first epoch at
    or above ``target``, or None, and the accuracy per epoch)."""
    from torchvision import datasets, transforms

    torch.manual_seed(seed)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    loader = torch.utils.data.DataLoader(datasets.MNIST(root, train=True, download=False, transform=tf),
                                         batch_size=64, shuffle=True)
    test_loader = torch.utils.data.DataLoader(datasets.MNIST(root, train=False, download=False, transform=tf),
                                              batch_size=1000)
    model = ExamplesNet()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    seconds, accs = 0.0, []
    for _ in range(max_epochs):
        start = time.perf_counter()
        model.train()
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        sched.step()
        seconds += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test_loader)
        accs.append(correct / 10000)
        if accs[-1] >= target:
            return seconds, accs
    return None, accs


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def mlp_flops_per_sample(model) -> int:
    """Forward 2·MACs, backward 4·MACs (input and weight gradients) of the Linear layers."""
    macs = sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))
    return 6 * macs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--max-epochs", type=int, default=6)
    args = parser.parse_args()
    ds = data.load("mnist")
    peak = matmul_peak()
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads; float32 matmul peak {peak / 1e9:.1f} GFLOP/s")
    train.TRAIN_THREADS = threads  # both sides on the same threads
    with tempfile.TemporaryDirectory() as tmp:
        write_torchvision_mnist(Path(tmp), ds)
        ref_s, ref_accs = classic_to_target(tmp, args.target, args.max_epochs)
    print(f"pytorch/examples recipe: accuracy per epoch {', '.join(f'{100 * a:.2f}%' for a in ref_accs)}; "
          + (f"{ref_s:.1f} s of training to {100 * args.target:.1f}%" if ref_s else "never reached the target"))
    for arch in ("lenet", "mlp"):
        spec = zoo.ModelSpec(arch)
        model = zoo.build(spec, ds)
        hist = train.fit(model, ds.x_train, ds.y_train, spec.recipe, seed=0, progress=False)
        acc = train.accuracy(model, ds.x_test, ds.y_test)
        line = f"ours, {arch} ({spec.recipe.describe()}, {spec.recipe.epochs} epochs, {spec.recipe.precision}): " \
               f"{hist.seconds:.1f} s, {100 * acc:.2f}%"
        if arch == "lenet" and ref_s:
            line += (f"; speed-up to {100 * args.target:.1f}%: {ref_s / hist.seconds:.1f}×" if acc >= args.target
                     else " (below the target)")
        print(line)
        if arch == "mlp":
            achieved = mlp_flops_per_sample(model) * len(ds.x_train) * spec.recipe.epochs / hist.seconds
            print(f"       mlp training: {achieved / 1e9:.1f} GFLOP/s = {100 * achieved / peak:.0f}% of the "
                  "float32 matmul peak")


if __name__ == "__main__":
    main()
