"""Helpers shared by the tests: temporary caches, damaging a file, the built book."""
from pathlib import Path

import pytest


@pytest.fixture
def model_cache(tmp_path, monkeypatch):
    """A fresh, empty model cache for one test."""
    folder = tmp_path / "models"
    monkeypatch.setenv("NOISECORR_MODELS", str(folder))
    return folder


def flip_byte(path: Path, offset: int, mask: int = 0xFF) -> None:
    """Damage a file in place: XOR one byte (``offset`` may be negative) with ``mask``."""
    raw = bytearray(path.read_bytes())
    raw[offset] ^= mask
    path.write_bytes(bytes(raw))


def built_book(profile: str) -> Path:
    """The HTML folder of a built profile; fails the test, saying how to build it, if it is missing."""
    from noisecorr_utils import build

    html = build.html_dir(profile)
    if not (html / "index.html").exists():
        pytest.fail(f"no {profile} book in {html}; run `python -m noisecorr_utils.build --profile {profile}` first")
    return html
