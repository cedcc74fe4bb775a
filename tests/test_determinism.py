"""Two cold runs of the CI profile give byte-identical result tables."""
import hashlib
import os

import pytest

from noisecorr_utils import build, results
from noisecorr_utils.paths import ROOT

TABLES = ["noise_verdicts", "noise_pair_summary", "noise_permutation_null"]


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_cold_rerun_reproduces_the_ci_tables(tmp_path, monkeypatch):
    import papermill

    built = {name: results.table_path("ci", name) for name in TABLES}
    missing = [str(p) for p in built.values() if not p.exists()]
    if missing:
        pytest.fail(f"run the CI build first (make test does): missing {missing}")
    monkeypatch.setenv("NOISECORR_MODELS", str(tmp_path / "models"))    # cold: nothing cached
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    params = build.resolve("ci")["02_noise_mnist"]
    papermill.execute_notebook(str(ROOT / "notebooks" / "02_noise_mnist.ipynb"), str(tmp_path / "out.ipynb"),
                               parameters=params, cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
    for name, path in built.items():
        again = tmp_path / "results" / "tables" / "ci" / f"{name}.csv"
        assert sha(again) == sha(path), f"{name} differs between two cold runs"
