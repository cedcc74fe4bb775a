import subprocess
import sys

import pytest

from noisecorr_utils import build
from noisecorr_utils.paths import ROOT


def test_profiles_resolve_to_declared_parameters():
    for profile in ("ci", "quick", "full"):
        params = build.resolve(profile)
        assert set(params) == {nb.stem for nb in build.notebooks()}
        for name, values in params.items():
            assert values["profile"] == profile


def test_unknown_profile(tmp_path):
    with pytest.raises(build.BuildError, match="unknown profile 'fulll'; allowed: ci, full, quick"):
        build.resolve("fulll")


def test_typo_in_profile_key_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "typo.yaml").write_text("notebooks:\n  01_data_and_zoo:\n    n_seed: 3\n")
    monkeypatch.setattr(build, "PARAMS", tmp_path)
    with pytest.raises(build.BuildError, match="'n_seed' is not a parameter of 01_data_and_zoo.ipynb; allowed: "):
        build.resolve("typo")


def test_unknown_notebook_in_profile(tmp_path, monkeypatch):
    (tmp_path / "x.yaml").write_text("notebooks:\n  99_nothing: {a: 1}\n")
    monkeypatch.setattr(build, "PARAMS", tmp_path)
    with pytest.raises(build.BuildError, match="notebook '99_nothing' does not exist"):
        build.resolve("x")


def test_cli_unknown_profile_exits_nonzero_with_one_line():
    done = subprocess.run([sys.executable, "-m", "noisecorr_utils.build", "--profile", "nope"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: unknown profile 'nope'; allowed: ci, full, quick (files in params/)"


def test_every_notebook_declares_documented_parameters():
    for nb in build.notebooks():
        params = build.declared_parameters(nb)
        assert "profile" in params
        for name, info in params.items():
            assert info["help"], f"{nb.name}: parameter {name} has no comment"


def test_a_killed_runs_temporary_notebook_is_never_part_of_the_book():
    import yaml
    from sphinx.util.matching import Matcher

    patterns = yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"]
    matcher = Matcher(patterns)
    assert matcher("book/.03_similarity.75nmcgds.tmp.ipynb")
    assert not matcher("book/03_similarity.ipynb") and not matcher("book/intro.md")
