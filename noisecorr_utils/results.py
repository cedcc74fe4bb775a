"""Result tables that a notebook hands on: CSV files under ``results/tables/<profile>/``.

Written atomically with a fixed float format, so two runs that compute the same numbers
write byte-identical files (tests compare their sha256). Every file here, tables and the arrays
and texts under ``results/cache/``, has a checksum sidecar (``integrity``): a damaged or
unvouched file is recomputed, never used.
"""
from __future__ import annotations

from pathlib import Path

from . import integrity
from .paths import results_dir


def table_path(profile: str, name: str) -> Path:
    return results_dir() / "tables" / profile / f"{name}.csv"


def table_csv(df) -> str:
    """A result table as the CSV text it is saved as (fixed float format)."""
    return df.to_csv(float_format="%.6g", lineterminator="\n")


def save_table(df, profile: str, name: str, csv: str | None = None) -> Path:
    """Write ``df`` (or its CSV text ``csv``, as ``table_csv`` made it) to ``table_path``."""
    path = table_path(profile, name)
    integrity.write_text(path, table_csv(df) if csv is None else csv)
    return path


def read_table(profile: str, name: str) -> "pandas.DataFrame | None":
    """A result table written by ``save_table``, or None if it is missing or damaged (the chapter
    that writes it must run again)."""
    import io

    import pandas as pd

    text = integrity.read_text(table_path(profile, name), "result table")
    return None if text is None else pd.read_csv(io.StringIO(text), index_col=0, keep_default_na=False,
                                                 na_values=[""])


def cache_key(what: str, depends=(), **parts) -> dict:
    """A cache key: what is computed, the ``VERSION`` of every module it depends on (bumped when a
    change there alters a number; a module, or a ``(name, version)`` pair), and every parameter,
    model key and input it depends on."""
    versions = dict(m if isinstance(m, tuple) else
                    (m.__name__.rsplit(".", 1)[-1], getattr(m, "VERSION", getattr(m, "CODE_VERSION", None)))
                    for m in depends)
    return {"what": what, "versions": versions, **parts}


def _cache_file(key: dict, suffix: str) -> Path:
    import hashlib
    import json

    blob = json.dumps(key, sort_keys=True, default=str)
    return results_dir() / "cache" / f"{hashlib.sha256(blob.encode()).hexdigest()[:20]}{suffix}"


def cached_table(key: dict, compute) -> "pandas.DataFrame":
    """``compute()`` (a DataFrame), stored under ``results/cache/`` as CSV with every float's 17
    significant digits (a lossless round trip, index name included) by a hash of ``key`` (see
    ``cache_key``); read back on the next call, so a warm run sees the numbers a cold one did."""
    import io

    import pandas as pd

    text = cached_text({**key, "format": "csv17"}, lambda: compute().to_csv(float_format="%.17g", lineterminator="\n"))
    return pd.read_csv(io.StringIO(text), index_col=0)


def cached_text(key: dict, compute) -> str:
    """``compute()`` (a string, e.g. a chapter's whole result as JSON), stored under
    ``results/cache/`` by a hash of ``key`` and read back on the next call."""
    path = _cache_file(key, ".txt")
    value = integrity.read_text(path)
    if value is None:
        value = compute()
        integrity.write_text(path, value)
    return value


def forget(key: dict, suffix: str = ".txt") -> None:
    """Remove what is stored under ``key`` (``.txt``: ``cached_text``), so that the next call
    computes it again."""
    integrity.discard(_cache_file(key, suffix))


def is_cached(key: dict, suffix: str = ".npy") -> bool:
    """Whether an intact result of ``key`` is stored (``.npy``: ``cached_array``, ``.npz``:
    ``store_arrays``); a damaged one is reported and counts as not stored."""
    return integrity.is_valid(_cache_file(key, suffix))


def store_arrays(key: dict, **arrays) -> None:
    """Several named numpy arrays under one key (read back with ``load_arrays``)."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    integrity.write(_cache_file(key, ".npz"), buffer.getvalue())


def load_arrays(key: dict) -> dict:
    """The arrays ``store_arrays`` stored under ``key``; KeyError if none are (intact)."""
    import io

    import numpy as np

    data = integrity.read(_cache_file(key, ".npz"))
    if data is None:
        raise KeyError(f"nothing intact cached for {key.get('what', key)!r}")
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def cached_array(key: dict, compute):
    """``compute()`` (a numpy array or torch tensor), stored under ``results/cache/`` by a hash of
    ``key`` (which must name everything the result depends on, e.g. model spec keys and
    parameters), so a rebuild of the book recomputes nothing."""
    import io

    import numpy as np

    path = _cache_file(key, ".npy")
    data = integrity.read(path)
    if data is not None:
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError:
            integrity.discard(path)
    if compute is None:
        raise KeyError(f"nothing cached for {key.get('what', key)!r} and nothing to compute it with")
    value = compute()
    value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    buffer = io.BytesIO()
    np.save(buffer, value)
    integrity.write(path, buffer.getvalue())
    return value
