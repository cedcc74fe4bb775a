"""Where models run and in which precision: the CPU, or a CUDA GPU when there is one.

``resolve()`` gives ``cuda`` when a GPU is available and ``cpu`` otherwise; the environment
variable ``NOISECORR_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``…) overrides it. Every tensor is moved
explicitly; cached weights are always stored on the CPU, and each model's record names the
device it was trained on.
"""
from __future__ import annotations

import os

import torch
from torch import nn

PRECISIONS = ("fp32", "bf16")


def resolve(device: torch.device | str | None = None) -> torch.device:
    """The device to use: ``device`` if given, else ``$NOISECORR_DEVICE``, else cuda if available."""
    name = device if device is not None else os.environ.get("NOISECORR_DEVICE") or (
        "cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {name!r}; allowed: cpu, cuda, cuda:N") from None
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {name!r}; allowed: cpu, cuda, cuda:N")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} was asked for, but this machine has no usable CUDA GPU; use cpu")
    return dev


def bf16_supported(device: torch.device) -> bool:
    """Whether bfloat16 autocast runs natively: on the CPU it needs AVX-512 BF16 or AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    flags = cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def check_precision(precision: str, device: torch.device | None = None) -> None:
    """One line if ``precision`` is unknown, or cannot run on ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r}; allowed: {', '.join(PRECISIONS)}")
    if device is not None and precision == "bf16" and not bf16_supported(device):
        raise ValueError(f"precision='bf16' cannot run natively on this {device.type} "
                         "(no AVX-512 BF16 or AMX); use precision='fp32'")


def of(model: nn.Module) -> torch.device:
    """The device of a model's first parameter or buffer (the CPU for an empty model)."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")
