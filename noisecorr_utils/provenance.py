"""What produced a page: profile, parameters, git commit, package versions."""
from __future__ import annotations

import os
import platform
import time
from importlib import metadata

PACKAGES = ("torch", "torchvision", "numpy", "scipy", "pandas", "plotly", "papermill", "jupyter-book")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def card(**parameters) -> "IPython.display.Markdown":
    """A small Markdown note for the top of an executed page."""
    from IPython.display import Markdown

    profile = parameters.get("profile", os.environ.get("NOISECORR_PROFILE", "?"))
    commit = os.environ.get("NOISECORR_COMMIT", "unknown")
    params = ", ".join(f"`{k}={v!r}`" for k, v in parameters.items() if k != "profile")
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    return Markdown(
        f"```{{admonition}} Provenance of this page\n:class: note dropdown\n"
        f"Profile **{profile}** · git commit `{commit}` · executed {time.strftime('%Y-%m-%d %H:%M')}"
        f" on {os.cpu_count()} CPU cores.\n\nParameters: {params or 'none'}.\n\nVersions: {vers}.\n```")
