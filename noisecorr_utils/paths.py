"""Where the project keeps its caches: data arrays, trained models, result tables.

Each can be moved with an environment variable (``NOISECORR_DATA``, ``NOISECORR_MODELS``,
``NOISECORR_RESULTS``); tests point them at temporary folders.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("NOISECORR_DATA", ROOT / "data"))


def models_dir() -> Path:
    return Path(os.environ.get("NOISECORR_MODELS", ROOT / "models"))


def results_dir() -> Path:
    return Path(os.environ.get("NOISECORR_RESULTS", ROOT / "results"))


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside ``target``; move it into place only if the block succeeds.

    A crash or kill inside the block leaves at most a ``.tmp`` file that is never read.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
