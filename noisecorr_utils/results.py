"""Result tables that a notebook hands on: CSV files under ``results/tables/<profile>/``.

Written atomically with a fixed float format, so two runs that compute the same numbers
write byte-identical files (tests compare their sha256).
"""
from __future__ import annotations

from pathlib import Path

from .paths import atomic_path, results_dir


def table_path(profile: str, name: str) -> Path:
    return results_dir() / "tables" / profile / f"{name}.csv"


def save_table(df, profile: str, name: str) -> Path:
    path = table_path(profile, name)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, float_format="%.6g", lineterminator="\n")
    return path


def cached_array(key: dict, compute):
    """``compute()`` (a numpy array or torch tensor), stored under ``results/cache/`` by a hash of
    ``key`` (which must name everything the result depends on, e.g. model spec keys and
    parameters), so a rebuild of the book recomputes nothing. Written atomically."""
    import hashlib
    import json

    import numpy as np

    blob = json.dumps(key, sort_keys=True, default=str)
    path = results_dir() / "cache" / f"{hashlib.sha256(blob.encode()).hexdigest()[:20]}.npy"
    if path.exists():
        try:
            return np.load(path, allow_pickle=False)
        except ValueError:
            pass  # damaged: recompute
    value = compute()
    value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, value)
    return value
