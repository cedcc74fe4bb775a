"""The published copy: the CI workflow is valid (checked offline against the GitHub workflow
schema that check-jsonschema ships) and ``make dist`` refuses a book that was not built."""
import subprocess
import sys
from pathlib import Path

import pytest

from noisecorr_utils import build, dist
from noisecorr_utils.paths import ROOT


def test_the_workflow_passes_its_offline_schema_check():
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows",
                           str(ROOT / ".github" / "workflows" / "book.yml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dist_of_a_profile_never_built_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(build, "html_dir", lambda profile: tmp_path / "nothing")
    with pytest.raises(build.BuildError, match="no quick book in .*; build it first: make book PROFILE=quick"):
        dist.archive("quick", tmp_path)
    assert not list(tmp_path.glob("*.tar.gz"))
