"""What produced a page: profile, parameters, git commit, package versions — and the machine.

Training is deterministic on one machine, not across machines: floating-point results depend on
the CPU's instruction set (AVX-512, AMX), the number of threads and the torch build, so the
same seed can give another network elsewhere. Each page therefore names them.
"""
from __future__ import annotations

import os
import platform
import time
from importlib import metadata

PACKAGES = ("torch", "torchvision", "numpy", "scipy", "pandas", "plotly", "papermill", "jupyter-book")
FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict[str, str]:
    """CPU model, the instruction-set flags that change floating-point results, threads, torch build."""
    import torch

    from . import devices, train

    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), model)
    except OSError:
        pass
    flags = devices.cpu_flags()
    cuda = torch.version.cuda
    return {"cpu": f"{model}, {os.cpu_count()} cores", "flags": ", ".join(f for f in FLAGS if f in flags) or "none of "
            + ", ".join(FLAGS), "threads": f"{train.TRAIN_THREADS} per training process, {torch.get_num_threads()} here",
            "torch build": f"{torch.__version__} ({'CUDA ' + cuda if cuda else 'CPU'} build), device {devices.resolve()}"}


def card(archive: str | None = None, **parameters) -> "IPython.display.Markdown":
    """A small Markdown note for the top of an executed page (``archive``: a link to the
    chapter's tables as CSV in one zip archive)."""
    from IPython.display import Markdown

    profile = parameters.get("profile", os.environ.get("NOISECORR_PROFILE", "?"))
    commit = os.environ.get("NOISECORR_COMMIT", "unknown")
    params = ", ".join(f"`{k}={v!r}`" for k, v in parameters.items() if k != "profile")
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    m = machine()
    return Markdown(
        f"```{{admonition}} Provenance of this page\n:class: note dropdown\n"
        f"Profile **{profile}** · git commit `{commit}` · executed {time.strftime('%Y-%m-%d %H:%M')}.\n\n"
        f"Machine: {m['cpu']}; instruction sets {m['flags']}; {m['threads']}; torch {m['torch build']}. "
        "Results are deterministic on one machine, not across machines.\n\n"
        f"Parameters: {params or 'none'}.\n\nVersions: {vers}.\n"
        + (f"\nData: <a href=\"{archive}\" download>every table of this chapter as CSV (zip)</a>.\n" if archive else "")
        + "```")
