"""One integrity rule for every cache file the project writes (models, their records, data
arrays, results arrays and tables): beside ``name`` a sidecar ``name.sha256`` holds the sha256
of its bytes, written after the file and atomically like it. Every read checks it; a missing
sidecar, a mismatch or a read error means "recompute, and say so in one line" — never a silent
use of damaged bytes and never a permanent failure.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .paths import atomic_path

SUFFIX = ".sha256"


def sidecar(path: Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and its checksum to the sidecar, each atomically (the sidecar
    last: a kill between the two leaves a file whose sidecar does not match, which is recomputed)."""
    path = Path(path)
    sidecar(path).unlink(missing_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    with atomic_path(sidecar(path)) as tmp:
        tmp.write_text(digest(data) + "\n")


def write_text(path: Path, text: str) -> None:
    write(path, text.encode())


def read(path: Path, what: str = "cache file") -> bytes | None:
    """The bytes of ``path`` if its sidecar vouches for them; None if there is no file, or (with a
    one-line notice) if the file cannot be read, has no sidecar or does not match it."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = path.read_bytes()
        expected = sidecar(path).read_text().strip() if sidecar(path).exists() else None
    except OSError as err:
        return _damaged(path, what, f"unreadable ({err.strerror or err})")
    if expected is None:
        return _damaged(path, what, "no checksum beside it")
    if digest(data) != expected:
        return _damaged(path, what, "sha256 mismatch")
    return data


def read_text(path: Path, what: str = "cache file") -> str | None:
    data = read(path, what)
    if data is None:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        return _damaged(path, what, "not text")


def is_valid(path: Path) -> bool:
    """Whether ``path`` exists and matches its sidecar (a damaged file is reported, as by ``read``)."""
    return read(path) is not None


def discard(path: Path) -> None:
    """Remove a file and its sidecar (a damaged cache entry, before it is recomputed)."""
    for p in (Path(path), sidecar(path)):
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass


def _damaged(path: Path, what: str, why: str) -> None:
    from . import progress

    progress.emit(f"noisecorr: {what} {path.name} is damaged ({why}); computing it again", event="damaged",
                  path=str(path))
    return None

