"""Integrity of every cache file: a sha256 sidecar written with it, checked on every read. A
flipped byte, a truncated, emptied or deleted file, a deleted sidecar or a hand-edited record
means "recompute and say so in one line", never a silent use and never a permanent failure;
two processes never train the same network twice."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import flip_byte

from noisecorr_utils import integrity, results, zoo

DAMAGES = {
    "flipped byte": lambda p: flip_byte(p, len(p.read_bytes()) // 2, 0x10),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "emptied": lambda p: p.write_bytes(b""),
    "deleted": lambda p: p.unlink(),
    "sidecar deleted": lambda p: integrity.sidecar(p).unlink(),
    "sidecar edited": lambda p: integrity.sidecar(p).write_text("0" * 64 + "\n"),
}


@pytest.fixture
def results_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"


def only_file(folder, pattern):
    files = [p for p in folder.rglob(pattern) if not p.name.endswith(integrity.SUFFIX)]
    assert len(files) == 1, files
    return files[0]


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_file_is_reported_and_never_read(damage, tmp_path, capsys):
    path = tmp_path / "x.bin"
    integrity.write(path, b"forty-two bytes of something worth keeping")
    assert integrity.read(path) == b"forty-two bytes of something worth keeping"
    DAMAGES[damage](path)
    assert integrity.read(path) is None
    said = capsys.readouterr().err.strip()
    if damage == "deleted":
        assert said == ""   # nothing cached is not damage
    else:
        assert said.count("\n") == 0 and "x.bin is damaged" in said and "computing it again" in said


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_cached_arrays_texts_and_npz_are_recomputed_when_damaged(damage, results_cache):
    calls = []

    def compute():
        calls.append(1)
        return np.arange(1000, dtype=np.float64) / 7

    key = results.cache_key("integrity-test", n=1000)
    first = results.cached_array(key, compute)
    results.store_arrays(key, run=first, kernel=first[:10])
    text = results.cached_text(key, lambda: "{\"answer\": 42}")
    DAMAGES[damage](only_file(results_cache, "*.npy"))
    DAMAGES[damage](only_file(results_cache, "*.npz"))
    DAMAGES[damage](only_file(results_cache, "*.txt"))
    assert not results.is_cached(key, ".npz")
    with pytest.raises(KeyError):
        results.load_arrays(key)
    assert results.cached_text(key, lambda: "{\"answer\": 42}") == text
    assert np.array_equal(results.cached_array(key, compute), first) and len(calls) == 2
    assert np.array_equal(results.cached_array(key, compute), first) and len(calls) == 2   # intact again


def test_an_edited_result_table_is_not_believed(results_cache):
    table = pd.DataFrame({"verdict": ["holds"], "p_o": [0.81]}, index=["claim 1"])
    path = results.save_table(table, "ci", "some_verdicts")
    assert results.read_table("ci", "some_verdicts").loc["claim 1", "p_o"] == 0.81
    path.write_text(path.read_text().replace("0.81", "0.99"))
    assert results.read_table("ci", "some_verdicts") is None


TINY = zoo.ModelSpec("mlp", n_train=256, epochs=1, width=0.2, seed=3)


def weights_and_record(spec):
    return zoo._paths(spec)


@pytest.mark.parametrize("damage", ["edited record", "flipped weights", "record sidecar deleted", "truncated weights"])
def test_a_damaged_model_is_trained_again_bit_identically(damage, model_cache, capsys):
    first = zoo.get_model(TINY, progress=False)
    weights, record = weights_and_record(TINY)
    before = weights.read_bytes()
    if damage == "edited record":
        rec = json.loads(record.read_text())
        record.write_text(json.dumps({**rec, "test_accuracy": 0.99}, indent=1))
    elif damage == "flipped weights":
        flip_byte(weights, -20, 0x01)
    elif damage == "record sidecar deleted":
        integrity.sidecar(record).unlink()
    else:
        weights.write_bytes(before[:100])
    again = zoo.get_model(TINY, progress=False)
    assert "damaged" in capsys.readouterr().err
    assert again.record["created"] >= first.record["created"]
    assert again.record["test_accuracy"] == first.record["test_accuracy"]
    assert weights.read_bytes() == before   # retrained bit-identically
    assert all(torch.equal(p, q) for p, q in zip(first.state_dict().values(), again.state_dict().values()))


def test_two_processes_train_a_network_once(model_cache):
    spec = "zoo.ModelSpec('lenet', n_train=10000, epochs=2, seed=11)"  # ~8 s: both start before either ends
    code = f"from noisecorr_utils import zoo; zoo.get_model({spec}, progress=False)"
    env = {**os.environ, "NOISECORR_MODELS": str(model_cache), "NOISECORR_WORKERS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    said = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), said
    assert sum(" trained " in s for s in said) == 1, said
    assert sum(" loaded " in s for s in said) == 1, said


def test_a_models_folder_that_cannot_be_written_is_refused_before_training(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NOISECORR_MODELS", str(blocker / "models"))
    with pytest.raises(PermissionError) as err:
        zoo.get_model(TINY, progress=False)
    assert "is not writable" in str(err.value) and "\n" not in str(err.value)


def test_empty_cache_variables_mean_unset(monkeypatch):
    from noisecorr_utils import paths

    for variable, folder in (("NOISECORR_DATA", paths.data_dir), ("NOISECORR_MODELS", paths.models_dir),
                             ("NOISECORR_RESULTS", paths.results_dir)):
        monkeypatch.setenv(variable, "")
        assert folder().parent == paths.ROOT


def test_a_chapter_with_every_kind_of_cache_file_damaged_gives_the_same_tables(tmp_path, monkeypatch, capsys):
    """Fault injection on the similarity chapter of the ci profile (it writes ``.npy``, ``.npz`` and
    ``.txt`` caches): starting from the ci build's caches, damage the chapter's own result and
    up to two files of every other kind it reads (flipped, truncated, emptied, deleted, sidecar
    gone — in turn), rerun it, and compare its tables with the clean run's."""
    import shutil

    from noisecorr_utils import paths, profiles
    from noisecorr_utils.studies import input_similarity as chapter

    built = paths.ROOT / "results" / "cache"
    if built.exists():
        shutil.copytree(built, tmp_path / "results" / "cache")
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    read = []
    original = integrity.read
    monkeypatch.setattr(integrity, "read", lambda path, what="cache file": read.append(path) or original(path, what))
    p = profiles.chapter_params("ci", "input_similarity")
    clean = chapter.run(p).tables
    monkeypatch.setattr(integrity, "read", original)
    cache = tmp_path / "results" / "cache"
    chapter_file = read[0]   # the first file a chapter reads is its cached result
    assert chapter_file.suffix == ".txt" and chapter_file.read_text().startswith('{"chapter": "input_similarity"')
    if len([r for r in read if cache in r.parents]) == 1:   # the chapter's result was cached: see what computing it reads
        read.clear()
        monkeypatch.setattr(integrity, "read", lambda path, what="cache file": read.append(path) or original(path, what))
        chapter._compute(p)
        monkeypatch.setattr(integrity, "read", original)
    victims, per_kind = [], {}
    for path in dict.fromkeys(read):
        if cache in path.parents and path.exists() and per_kind.get(path.suffix, 0) < 2:   # never the shared models
            per_kind[path.suffix] = per_kind.get(path.suffix, 0) + 1
            victims.append(path)
    victims = list(dict.fromkeys([chapter_file, *victims]))
    assert {".npy", ".npz", ".txt"} <= {v.suffix for v in victims}, victims
    modes = [m for m in DAMAGES if m != "sidecar edited"]
    for i, path in enumerate(victims):
        DAMAGES[modes[i % len(modes)]](path)
    capsys.readouterr()
    again = chapter.run(p).tables
    assert capsys.readouterr().err.count("is damaged") >= len(victims) - sum(1 for i in range(len(victims))
                                                                         if modes[i % len(modes)] == "deleted")
    assert set(again) == set(clean)
    for name in clean:
        assert results.table_csv(again[name]) == results.table_csv(clean[name]), name
