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


def test_progress_lines_reach_the_terminal_and_are_counted(tmp_path, capsys):
    import json

    from noisecorr_utils import progress

    log = tmp_path / "progress.jsonl"
    tail = build._ProgressTail(log, "[x]")
    with log.open("w") as f:
        for status in ("loaded", "trained", "trained"):
            f.write(json.dumps({"line": f"{status} a model", "event": "model", "status": status}) + "\n")
        f.write('{"line": "half a li')  # a line still being written is not read yet
    tail.poll()
    assert capsys.readouterr().out.splitlines() == ["[x]   loaded a model", "[x]   trained a model",
                                                    "[x]   trained a model"]
    with log.open("a") as f:
        f.write('ne", "event": "note"}\n')
    assert tail.finish() == {"trained": 2, "loaded": 1}
    assert capsys.readouterr().out.strip() == "[x]   half a line"
    assert progress.duration(42) == "42 s" and progress.duration(600) == "10 min" and progress.duration(3900) == "1 h 05 min"


def test_a_model_tracker_reports_each_model_with_the_time_left(monkeypatch, tmp_path, capsys):
    import json

    from noisecorr_utils import progress

    monkeypatch.setenv("NOISECORR_PROGRESS", str(tmp_path / "p.jsonl"))
    monkeypatch.delenv("NOISECORR_BOOK", raising=False)
    tracker = progress.ModelTracker(3)
    tracker.loaded("mlp·s0", {"test_accuracy": 0.98})
    tracker.begin_training()
    tracker.trained("mlp·s1", {"test_accuracy": 0.981, "train_seconds": 7.2})
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("[1/3] mlp·s0") and "loaded" in lines[0] and "98.00%" in lines[0]
    assert lines[1].startswith("[2/3] mlp·s1") and "trained 7 s" in lines[1] and "left)" in lines[1]
    events = [json.loads(l) for l in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [e["status"] for e in events] == ["loaded", "trained"]
