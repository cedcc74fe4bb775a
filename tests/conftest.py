import pytest


@pytest.fixture
def model_cache(tmp_path, monkeypatch):
    """A fresh, empty model cache for one test."""
    folder = tmp_path / "models"
    monkeypatch.setenv("NOISECORR_MODELS", str(folder))
    return folder
