"""Where the project keeps its caches: data arrays, trained models, result tables.

Each can be moved with an environment variable (``NOISECORR_DATA``, ``NOISECORR_MODELS``,
``NOISECORR_RESULTS``; empty means unset); tests point them at temporary folders.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _folder(variable: str, default: Path) -> Path:
    """The folder named by environment ``variable``; unset or empty: ``default``."""
    return Path(os.environ.get(variable) or default)


def data_dir() -> Path:
    return _folder("NOISECORR_DATA", ROOT / "data")


def models_dir() -> Path:
    return _folder("NOISECORR_MODELS", ROOT / "models")


def results_dir() -> Path:
    return _folder("NOISECORR_RESULTS", ROOT / "results")


# A page's downloads (figure data, table archives, reports) in a book build: <stage>/book/_static/
# downloads/<chapter>/ (the kernel runs in <stage>/book); a page in book/ links them as
# ../_static/downloads/<chapter>/<file>. Not "data": Sphinx applies exclude_patterns (which hold
# "data/*", the data sets) to static files too and would silently leave the folder empty.
DOWNLOADS = "downloads"


def downloads_dir(chapter: str) -> Path:
    return Path.cwd() / "_static" / DOWNLOADS / chapter


@contextmanager
def atomic_path(target: Path, tag: object = None):
    """Yield a temporary path beside ``target``; move it into place only if the block succeeds.

    A crash or kill inside the block leaves at most a ``.tmp`` file that is never read (named
    ``.<stem>.<random>[.<tag>].tmp<suffix>``: a build tags its notebooks with its pid).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tail = f".{tag}.tmp{target.suffix}" if tag is not None else f".tmp{target.suffix}"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=tail, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
