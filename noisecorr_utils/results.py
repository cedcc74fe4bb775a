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
