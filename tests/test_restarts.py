"""Restarts and corrupt state: a killed training never leaves a model that is loaded, damaged
files are detected and rebuilt, and the build runs with no network."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch

from noisecorr_utils import zoo

SLOW_SPEC = "zoo.ModelSpec('lenet', n_train=20000, epochs=10, seed=7)"  # ~25 s: killed long before the end


def test_sigkill_during_training_leaves_nothing_that_is_loaded(model_cache):
    env = {**os.environ, "NOISECORR_MODELS": str(model_cache)}
    code = f"from noisecorr_utils import zoo; print('start', flush=True); zoo.get_model({SLOW_SPEC}, progress=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "start"
    time.sleep(3)  # data loaded, training under way
    assert proc.poll() is None, "training finished before it could be killed; make SLOW_SPEC slower"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    spec = eval(SLOW_SPEC)
    leftovers = sorted(p.name for p in model_cache.glob("*")) if model_cache.exists() else []
    assert not [n for n in leftovers if not n.startswith(".")], leftovers
    assert zoo.record(spec) is None
    # a half-written file from a kill during the save is never read either
    model_cache.mkdir(exist_ok=True)
    (model_cache / f".lenet-mnist-{spec.key}.abc.tmp.pt").write_bytes(b"half a model")
    quick = spec.replace(n_train=512, epochs=1)
    model = zoo.get_model(quick, progress=False)
    assert zoo.get_model(quick, progress=False).record["created"] == model.record["created"]


def test_a_weights_file_without_its_record_is_never_loaded(model_cache):
    spec = zoo.ModelSpec("mlp", n_train=256, epochs=1, width=0.2)
    model_cache.mkdir(parents=True)
    (model_cache / f"mlp-mnist-{spec.key}.pt").write_bytes(b"not a model")  # no record beside it
    model = zoo.get_model(spec, progress=False)
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    assert zoo.record(spec)["key"] == spec.key  # trained and written properly over the orphan


def test_a_stale_tmp_file_does_not_shadow_the_model(model_cache):
    spec = zoo.ModelSpec("mlp", n_train=256, epochs=1, width=0.2)
    first = zoo.get_model(spec, progress=False)
    stale = model_cache / f".mlp-mnist-{spec.key}.x1y2.tmp.pt"
    stale.write_bytes(b"half a model from a killed run")
    again = zoo.get_model(spec, progress=False)
    assert again.record["created"] == first.record["created"]  # loaded from the finished file
    assert all(torch.equal(p, q) for p, q in zip(first.state_dict().values(), again.state_dict().values()))


@pytest.mark.skipif(os.environ.get("NOISECORR_NETWORK_DISABLED") != "1",
                    reason="run through `make test`, which disables networking with scripts/offline.sh")
def test_the_test_run_really_has_no_network():
    with pytest.raises(OSError):
        socket.create_connection(("pypi.org", 443), timeout=3)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_build_killed_mid_training_leaves_no_process_and_no_temporary_notebook(sig, tmp_path):
    """The build owns its kernel and the kernel's workers: killed while networks train (SIGTERM as
    ``timeout`` sends, or SIGKILL, which it cannot catch), no child survives a few seconds, checked
    by PID; the temporary notebook goes at once (SIGTERM) or with the next build (SIGKILL)."""
    import shutil

    import psutil

    from noisecorr_utils import build
    from noisecorr_utils.paths import ROOT

    profile = f"kill{int(sig)}"
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / f"{profile}.yaml").write_text((ROOT / "params" / "ci.yaml").read_text())
    env = {**os.environ, "NOISECORR_MODELS": str(tmp_path / "models"), "NOISECORR_RESULTS": str(tmp_path / "results"),
           "NOISECORR_PARAMS_DIR": str(tmp_path / "params")}
    stage = build.stage_dir(profile)
    proc = subprocess.Popen([sys.executable, "-m", "noisecorr_utils.build", "--profile", profile, "--only",
                             "01_data_and_zoo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 240
        for line in proc.stdout:
            if " trained " in line or time.time() > deadline:
                break
        assert " trained " in line, "no network was trained"
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2, "expected the kernel and its training workers"
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [(p.pid, p.name()) for p in alive]
        if sig == signal.SIGKILL:
            build._remove_orphans(stage)   # what the next build does first
        assert not list(stage.glob("book/.*.tmp.ipynb")) and not list(stage.glob(".progress-*"))
    finally:
        proc.kill()
        shutil.rmtree(stage, ignore_errors=True)
