import os
import subprocess
import sys

import pytest

from noisecorr_utils import build, profiles
from noisecorr_utils.paths import ROOT


def test_profiles_resolve_to_declared_parameters():
    for profile in ("ci", "quick", "full"):
        params = build.resolve(profile)
        assert set(params) == {nb.stem for nb in build.notebooks()}
        for name, values in params.items():
            assert values["profile"] == profile
            assert set(values) <= set(build.declared_parameters(ROOT / "notebooks" / f"{name}.ipynb"))


def test_every_notebook_is_valid_nbformat_with_cell_ids():
    """Cell ids are required by nbformat 4.5 (a missing one is a warning today, an error tomorrow)."""
    import json

    import nbformat

    for nb in build.notebooks():
        raw = json.loads(nb.read_text())   # nbformat.read would add missing ids silently
        assert all("id" in cell for cell in raw["cells"]), nb.name
        nbformat.validate(nbformat.from_dict(raw))


def test_unknown_profile(tmp_path):
    with pytest.raises(build.BuildError, match="unknown profile 'fulll'; allowed: ci, full, quick"):
        build.resolve("fulll")


def _profile(tmp_path, monkeypatch, text: str) -> str:
    (tmp_path / "p.yaml").write_text(text)
    monkeypatch.setattr(profiles, "PARAMS", tmp_path)
    return "p"


def test_typo_in_profile_key_is_an_error(tmp_path, monkeypatch):
    name = _profile(tmp_path, monkeypatch, "notebooks:\n  01_data_and_zoo:\n    n_seed: 3\n")
    with pytest.raises(build.BuildError, match="'n_seed' is not a parameter of 01_data_and_zoo.ipynb; allowed: "):
        build.resolve(name)


def test_unknown_notebook_in_profile(tmp_path, monkeypatch):
    name = _profile(tmp_path, monkeypatch, "notebooks:\n  99_nothing: {a: 1}\n")
    with pytest.raises(build.BuildError, match="notebook '99_nothing' does not exist"):
        build.resolve(name)


def test_a_default_goes_to_every_chapter_that_has_it(tmp_path, monkeypatch):
    name = _profile(tmp_path, monkeypatch, "defaults:\n  n_train: 500\n  n_noise: 40\n")
    params = build.resolve(name)
    assert params["02_noise_mnist"]["n_noise"] == params["06_synthesis"]["n_noise"] == 40
    assert "n_noise" not in params["01_data_and_zoo"] and params["01_data_and_zoo"]["n_train"] == 500
    assert set(params["99_conclusions"]) == {"profile"}


@pytest.mark.parametrize("text,message", [
    ("defaults:\n  n_tain: 500\n", "p.yaml: default 'n_tain' is a parameter of no chapter"),
    ("notebooks:\n  02_noise_mnist:\n    cheap_seeds: 1\n",
     "p.yaml: notebooks.02_noise_mnist: cheap_seeds=1: confidence intervals need at least 2 seeds"),
    ("notebooks: [1, 2]\n", "p.yaml: 'notebooks' must be a mapping of names to values, not list"),
    ("notebooks:\n  02_noise_mnist: [1]\n", "p.yaml: notebooks.02_noise_mnist must be a mapping of parameters"),
    ("defaults: {n_train: 5\n", "p.yaml line 2, column 1: not valid YAML"),
])
def test_bad_profiles_fail_in_one_line(tmp_path, monkeypatch, text, message):
    name = _profile(tmp_path, monkeypatch, text)
    with pytest.raises(build.BuildError) as err:
        build.resolve(name)
    assert message in str(err.value) and "\n" not in str(err.value)


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
    assert matcher("book/.03_input_similarity.75nmcgds.tmp.ipynb")
    assert not matcher("book/03_input_similarity.ipynb") and not matcher("book/intro.md")


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


def test_stages_count_exclusive_time_and_reach_the_stage_table(tmp_path, monkeypatch):
    import time

    from noisecorr_utils import progress

    progress.STAGES.take()
    with progress.stage("attacks"):
        time.sleep(0.05)
        with progress.stage("training"):
            time.sleep(0.1)
    got = progress.STAGES.take()
    assert 0.04 < got["attacks"] < 0.1 and 0.09 < got["training"] < 0.2    # the inner stage is not counted twice
    monkeypatch.setattr(build, "stage_dir", lambda profile: tmp_path)
    build._write_stages("x", [{"notebook": "02_noise_mnist", "stage": "training", "seconds": 30.0},
                              {"notebook": "03_input_similarity", "stage": "kernels and N_S", "seconds": 60.0}])
    by_stage, per_notebook = build.stage_table("x", jupyter_book_seconds=10.0)
    assert by_stage.stage.tolist() == ["kernels and N_S", "training", "jupyter-book"]
    assert by_stage.share.tolist() == [0.6, 0.3, 0.1] and len(per_notebook) == 3


def test_a_kernel_refuses_a_package_from_another_checkout(monkeypatch, tmp_path):
    from noisecorr_utils import parallel
    from noisecorr_utils.studies import adversarial

    env = build.kernel_environment("ci")
    assert env["NOISECORR_CHECKOUT"] == str(ROOT) and env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    assert all(env[k] for k in ("NOISECORR_DATA", "NOISECORR_MODELS", "NOISECORR_RESULTS"))
    monkeypatch.setattr(parallel, "die_with_parent", lambda: None)
    monkeypatch.setenv("NOISECORR_BOOK", "1")
    monkeypatch.setenv("NOISECORR_CHECKOUT", str(ROOT))
    assert adversarial.Params.from_namespace({"profile": "ci"}).profile == "ci"
    monkeypatch.setenv("NOISECORR_CHECKOUT", str(tmp_path))
    with pytest.raises(ImportError, match="not from the checkout being built") as err:
        adversarial.Params.from_namespace({"profile": "ci"})
    assert "\n" not in str(err.value)


def test_orphans_of_dead_builds_are_removed_and_live_ones_kept(tmp_path):
    (tmp_path / "book").mkdir()
    dead, live = 2 ** 22 + 12345, os.getpid()
    files = {name: tmp_path / name for name in (f"book/.02_noise_mnist.abc_1.{dead}.tmp.ipynb",
                                                 f"book/.02_noise_mnist.xyz.{live}.tmp.ipynb",
                                                 f".progress-02_noise_mnist.{dead}.jsonl",
                                                 f".progress-02_noise_mnist.{live}.jsonl", ".progress-old.jsonl")}
    for path in files.values():
        path.write_text("")
    build._remove_orphans(tmp_path)
    assert sorted(p.name for p in files.values() if p.exists()) == sorted(
        [f".02_noise_mnist.xyz.{live}.tmp.ipynb", f".progress-02_noise_mnist.{live}.jsonl"])


def test_reading_time_counts_prose_and_figures_and_goes_under_the_title():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter\n\n" + "word " * 390 + "{glue:text}`n_noise` {glue:text}`ex_po`"),
                nbformat.v4.new_code_cell("r.glue()"),
                nbformat.v4.new_markdown_cell("```{glue:figure} fig_a\nCaption.\n```\n\n```{glue:figure} fig_b\nCaption.\n```")]
    minutes, figures = build.reading_time(nb)
    assert figures == 2 and minutes == 3          # ~400 words at 200 a minute, and 2 × 12 s
    build._prepare_for_book(nb)
    assert nb.cells[0].source.startswith("# A chapter\n\n*About 3 min to read, 2 interactive figures.*\n")
