"""airnet on CIFAR-10: seconds and accuracy per epoch in fp32 against bf16 autocast, and the
achieved training FLOP/s as a share of a bf16 matmul peak measured in the same run.

Both precisions train the same network from the same seed with the zoo's airnet recipe (cut to
``--epochs``, so the schedule is compressed alike), on the same threads, channels_last. After
each epoch, the accuracy on the first 2,000 test images (one pass, no test-time averaging).
Training FLOPs: 3 × the forward multiply-adds × 2 of the convolutions and linear layers (forward,
input gradient, weight gradient), counted with hooks.

    .venv/bin/python benchmarks/bench_airnet.py [--epochs 2]

Targets (issue 9): bf16 faster than fp32 at equal accuracy; >= 30% of the bf16 matmul peak.
"""
from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from noisecorr_utils import architectures, data, train, zoo


def matmul_peak(dtype, n: int = 4096, repeats: int = 6) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def forward_macs(model: nn.Module, shape) -> int:
    """Multiply-adds of one image's forward pass through the convolutions and linear layers."""
    total = 0

    def hook(m, inp, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            total += out[0].numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        else:
            total += m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.train()  # one pass (the test-time averaging runs six)
    with torch.no_grad():
        model(torch.rand(1, *shape))
    for h in handles:
        h.remove()
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    ds = data.load("cifar10")
    threads = torch.get_num_threads()
    train.TRAIN_THREADS = threads
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(f"torch {torch.__version__}, {threads} threads; matmul peak fp32 {peaks['fp32'] / 1e9:.0f} GFLOP/s, "
          f"bf16 {peaks['bf16'] / 1e9:.0f} GFLOP/s")
    monitor = (ds.x_test[:2000], ds.y_test[:2000])
    seconds = {}
    for precision in ("fp32", "bf16"):
        spec = zoo.ModelSpec("airnet", dataset="cifar10", epochs=args.epochs, precision=precision)
        model = zoo.build(spec, ds)
        architectures.init_whitening(model, train.to_float(ds.x_train[:5000]))
        flops = 6 * forward_macs(model, ds.shape) * len(ds.x_train)  # per epoch
        per_epoch, accs = [], []
        clock = [time.perf_counter()]

        def epoch_end(epoch, m):  # the evaluation is not counted as training time
            per_epoch.append(time.perf_counter() - clock[0])
            m.eval()
            body = m[-1].body  # one pass, no test-time averaging
            with torch.no_grad():
                accs.append((body(m[0](train.to_float(monitor[0]))).argmax(1) == monitor[1]).float().mean().item())
            clock[0] = time.perf_counter()

        train.fit(model, ds.x_train, ds.y_train, spec.recipe, seed=0, progress=False, on_epoch_end=epoch_end)
        seconds[precision] = sum(per_epoch)
        achieved = flops * args.epochs / seconds[precision]
        print(f"{precision}: seconds per epoch {', '.join(f'{s:.1f}' for s in per_epoch)}; accuracy after each "
              f"epoch {', '.join(f'{100 * a:.1f}%' for a in accs)}; {achieved / 1e9:.0f} GFLOP/s = "
              f"{100 * achieved / peaks['bf16']:.0f}% of the bf16 matmul peak")
    print(f"bf16 / fp32 speed-up: {seconds['fp32'] / seconds['bf16']:.2f}×")


if __name__ == "__main__":
    main()
