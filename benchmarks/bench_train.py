"""Trainer benchmark: the project's in-memory trainer against the classic DataLoader loop.

In one process, trains the same model with the same optimizer (Adam), batch size and epochs
(a) as in pytorch/examples' MNIST: torchvision's ``MNIST`` dataset with
``ToTensor()`` + ``Normalize((0.1307,), (0.3081,))`` transforms behind a ``DataLoader``, and
(b) with ``noisecorr_utils.train.fit`` on in-memory uint8 tensors.
Prints seconds, test accuracy and the speed-up for ``mlp`` and ``lenet``, and the MLP's
achieved FLOP/s against a float32 matmul peak measured in the same run.

    .venv/bin/python benchmarks/bench_train.py [--epochs 1] [--batch-size 128]

Targets (issue 2): speed-up >= 5x for mlp and >= 3x for lenet, accuracy within 0.5 points,
MLP at >= 40% of the measured matmul peak.
"""
from __future__ import annotations

import argparse
import gzip
import struct
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from noisecorr_utils import architectures, data, train


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


def classic_loop(model, root, epochs, batch_size, lr, seed):
    """pytorch/examples/mnist style: per-item PIL -> ToTensor -> Normalize through a DataLoader."""
    from torchvision import datasets, transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(root, train=True, download=False, transform=tf)
    test_set = datasets.MNIST(root, train=False, download=False, transform=tf)
    g = torch.Generator().manual_seed(seed)
    loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=g)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=1000)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return seconds, correct / len(test_set)


def net_without_normalisation(arch, ds, seed):
    """The classic loop normalises in its transform; give it the same network minus that layer."""
    torch.manual_seed(seed)
    return architectures.ARCHITECTURES[arch](ds.shape, ds.n_classes)


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
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--archs", nargs="+", default=["mlp", "lenet"])
    args = parser.parse_args()
    ds = data.load("mnist")
    peak = matmul_peak()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; float32 matmul peak "
          f"{peak / 1e9:.1f} GFLOP/s (2048x2048)")
    print(f"{'arch':6} {'classic s':>10} {'ours s':>8} {'speed-up':>9} {'classic acc':>12} {'ours acc':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        write_torchvision_mnist(Path(tmp), ds)
        for arch in args.archs:
            ref_s, ref_acc = classic_loop(net_without_normalisation(arch, ds, 0), tmp, args.epochs,
                                          args.batch_size, args.lr, 0)
            torch.manual_seed(0)
            model = architectures.build(arch, ds.shape, ds.n_classes, ds.mean, ds.std)
            hist = train.fit(model, ds.x_train, ds.y_train, epochs=args.epochs, batch_size=args.batch_size,
                             lr=args.lr, seed=0, progress=False)
            acc = train.accuracy(model, ds.x_test, ds.y_test)
            print(f"{arch:6} {ref_s:10.2f} {hist.seconds:8.2f} {ref_s / hist.seconds:8.2f}x "
                  f"{100 * ref_acc:11.2f}% {100 * acc:8.2f}%")
            if arch == "mlp":
                achieved = mlp_flops_per_sample(model) * len(ds.x_train) * args.epochs / hist.seconds
                print(f"       mlp training: {achieved / 1e9:.1f} GFLOP/s = {100 * achieved / peak:.0f}% "
                      "of the matmul peak")


if __name__ == "__main__":
    main()
