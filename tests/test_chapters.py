"""Every chapter has one shape: ``Params`` in, ``run`` -> ``Result`` out, and a notebook that is
its parameter cell, the run, one-line display cells and prose."""
import ast
import io
import json
import re
import tokenize

import pandas as pd
import plotly.graph_objects as go
import pytest

from noisecorr_utils import build, profiles
from noisecorr_utils.studies import chapter, noise_mnist

NOTEBOOKS = build.notebooks()
MAX_CODE_LINES = 40


def _cells(nb_path):
    return json.loads(nb_path.read_text())["cells"]


def _code(nb_path):
    return [c for c in _cells(nb_path) if c["cell_type"] == "code"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameter_cell_is_the_chapters_params(nb):
    params = profiles.study(profiles.chapter_of(nb.stem)).Params
    cell = next(c for c in _code(nb) if "parameters" in c["metadata"].get("tags", []))
    assert "".join(cell["source"]) == params.parameter_cell(), f"rewrite it from {params.__module__}.Params"
    declared = build.declared_parameters(nb)
    assert list(declared) == params.names()
    defaults = params()
    for name, info in declared.items():
        value = ast.literal_eval(info["default"])
        assert (tuple(value) if isinstance(value, list) else value) == getattr(defaults, name), name
        assert info["help"]


def _f_strings(source: str) -> int:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return sum(1 for t in tokens if t.type == getattr(tokenize, "FSTRING_START", -1) or
               (t.type == tokenize.STRING and re.match(r"^[rRbB]*[fF]", t.string)))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_tells_the_story_and_the_package_does_the_work(nb):
    chapter_name = profiles.chapter_of(nb.stem)
    code = [c for c in _code(nb) if "parameters" not in c["metadata"].get("tags", [])]
    run_cell = "".join(code[0]["source"])
    assert run_cell == (f"from noisecorr_utils.studies import {chapter_name} as study\n\n"
                        "r = study.run(study.Params.from_namespace(globals()))\nr.glue()\nr.provenance()")
    lines = [l for c in code for l in "".join(c["source"]).splitlines() if l.strip() and not l.strip().startswith("#")]
    assert len(lines) <= MAX_CODE_LINES, f"{len(lines)} code lines"
    for c in code[1:]:
        source = "".join(c["source"])
        tree = ast.parse(source)
        banned = [type(n).__name__ for n in ast.walk(tree) if isinstance(
            n, (ast.FunctionDef, ast.Lambda, ast.For, ast.While, ast.ListComp, ast.DictComp, ast.SetComp,
                ast.GeneratorExp, ast.Import, ast.ImportFrom, ast.Assign))]
        assert not banned and not _f_strings(source), f"{nb.name}: {banned or 'f-string'} in {source!r}"
        assert all(len(l) <= 100 for l in source.splitlines())


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_glued_figure_is_shown_by_a_cell(nb):
    markdown = "".join("".join(c["source"]) for c in _cells(nb) if c["cell_type"] == "markdown")
    code = "".join("".join(c["source"]) for c in _code(nb))
    for name in re.findall(r"```\{glue:figure\} (\S+)", markdown):
        assert f'r.figure("{name}")' in code, name


def test_from_namespace_refuses_a_name_that_is_no_parameter():
    namespace = {"profile": "ci", "cheap_seeds": 3, "In": [], "_": None, "study": noise_mnist}
    assert noise_mnist.Params.from_namespace(namespace).cheap_seeds == 3
    with pytest.raises(ValueError, match="'n_sed' is not a parameter of this chapter; allowed: profile, n_train"):
        noise_mnist.Params.from_namespace({**namespace, "n_sed": 3})


def test_params_are_frozen_and_lists_become_tuples():
    p = noise_mnist.Params(kinds=["uniform"], brightnesses=[1.0])
    assert p.kinds == ("uniform",) and hash(p)
    with pytest.raises(Exception):
        p.kinds = ("gaussian",)


def test_a_result_survives_its_json_round_trip():
    r = chapter.Result("x", noise_mnist.Params(profile="ci"))
    r.table("x_verdicts", pd.DataFrame({"claim": ["a", "b"], "verdict": ["reproduced", "inconclusive"],
                                        "estimate": [0.123456789, float("nan")]}))
    r.figures["fig"] = go.Figure(go.Bar(x=[1, 2], y=[3.5, 4.25]))
    r.text["n"] = "1,000"
    r.markdown["clause"] = "**bold** and a [link](#x)"
    back = chapter.Result.from_json(r.to_json(), r.params)
    assert back.verdicts.claim.tolist() == ["a", "b"] and back.text == r.text and back.markdown == r.markdown
    assert list(back.figures["fig"].data[0].y) == [3.5, 4.25]
    again = chapter.Result.from_json(back.to_json(), r.params)
    assert again.to_json() == back.to_json()


def test_a_chapter_runs_from_the_command_line_and_writes_the_books_tables(tmp_path):
    """``python -m noisecorr_utils.studies.noise_mnist --profile ci`` prints the verdict table and
    writes byte-identical tables to the CI book build's. It starts from the build's caches without
    the chapter's own result, so ``run`` computes every table again from the cached noise answers
    (those are checked cold by the build itself and by ``test_integrity``)."""
    import hashlib
    import os
    import shutil
    import subprocess
    import sys

    from noisecorr_utils import paths, results

    names = ["noise_verdicts", "noise_pair_summary", "noise_permutation_null"]
    built = {name: results.table_path("ci", name) for name in names}
    missing = [str(p) for p in built.values() if not p.exists()]
    if missing:
        pytest.fail(f"run the CI build first (make test does): missing {missing}")
    shutil.copytree(paths.results_dir() / "cache", tmp_path / "results" / "cache")
    env = {**os.environ, "NOISECORR_RESULTS": str(tmp_path / "results")}
    key = chapter.result_key("noise_mnist", profiles.chapter_params("ci", "noise_mnist"))
    with pytest.MonkeyPatch.context() as m:
        m.setenv("NOISECORR_RESULTS", env["NOISECORR_RESULTS"])
        results.forget(key)
        assert not results.is_cached(key, ".txt")
        done = subprocess.run([sys.executable, "-m", "noisecorr_utils.studies.noise_mnist", "--profile", "ci"],
                              capture_output=True, text=True, env=env, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        assert results.is_cached(key, ".txt")   # computed, not read back
    assert "two MLPs agree on noise" in done.stdout and "verdict" in done.stdout
    for name, path in built.items():
        again = tmp_path / "results" / "tables" / "ci" / f"{name}.csv"
        assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest(), name


def test_command_line_refuses_bad_overrides_in_one_line():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "noisecorr_utils.studies.noise_mnist", "--profile", "ci", "--set",
                           "cheap_seeds=1"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: cheap_seeds=1: confidence intervals need at least 2 seeds"


def test_a_dask_cluster_computes_the_same_chapter(tmp_path):
    """The adversarial chapter of the CI profile with empty caches, its training and attacks sent to
    a ``dask.distributed.LocalCluster`` (2 worker processes, 1 thread each) through
    ``DASK_SCHEDULER_ADDRESS``, as ``make book SCHEDULER=…`` does: the same tables as the plain build."""
    import hashlib
    import os
    import subprocess
    import sys

    import shutil

    distributed = pytest.importorskip("dask.distributed")
    from noisecorr_utils import paths, profiles, results
    from noisecorr_utils.studies.adversarial import experiments

    names = ["adversarial_verdicts", "adversarial_table1", "adversarial_transfer"]
    built = {name: results.table_path("ci", name) for name in names}
    if not all(p.exists() for p in built.values()):
        pytest.fail("run the CI build first (make test does)")
    p = profiles.chapter_params("ci", "adversarial")
    chapter_specs = [s for table in (experiments.TABLE1, experiments.TABLE3)
                     for group in experiments.specs(table, p.network_seeds, p.epochs, p.n_train).values() for s in group]
    shutil.copytree(paths.models_dir(), tmp_path / "models", ignore=shutil.ignore_patterns(".locks"))
    for spec in chapter_specs[:2]:   # the build's networks, but for two that the cluster trains again
        for stale in (tmp_path / "models").glob(f"{spec.arch}-{spec.dataset}-{spec.key}.*"):
            stale.unlink()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        env = {**os.environ, "DASK_SCHEDULER_ADDRESS": cluster.scheduler_address,
               "NOISECORR_MODELS": str(tmp_path / "models"), "NOISECORR_RESULTS": str(tmp_path / "results")}
        done = subprocess.run([sys.executable, "-m", "noisecorr_utils.studies.adversarial", "--profile", "ci"],
                              capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    for spec in chapter_specs[:2]:   # trained on the cluster, stored here
        assert (tmp_path / "models" / f"{spec.arch}-{spec.dataset}-{spec.key}.pt").exists()
    assert done.stderr.count(" trained ") == 2, done.stderr[-2000:]
    for name, path in built.items():
        again = tmp_path / "results" / "tables" / "ci" / f"{name}.csv"
        assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest(), name
