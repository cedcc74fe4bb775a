"""The blind-spot report for a reader's own networks (``python -m noisecorr_utils.yours``): every
kind of MODEL argument, the report's files and numbers, and bad input caught in one line before
any work, with nothing written."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from noisecorr_utils import architectures, data, relations, stats, yours, zoo

PY = sys.executable
SPECS = [zoo.ModelSpec("mlp", n_train=2000, epochs=1, width=0.25, seed=s) for s in (0, 1)]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Two small trained MLPs as a state dict, a torch.export archive, TorchScript and a factory
    module; an untrained LeNet (near chance); a file that is not a model."""
    folder = tmp_path_factory.mktemp("yours")
    old = os.environ.get("NOISECORR_MODELS")
    os.environ["NOISECORR_MODELS"] = str(folder / "models")
    try:
        a, b = (zoo.get_model(s, progress=False) for s in SPECS)
    finally:
        os.environ.pop("NOISECORR_MODELS") if old is None else os.environ.__setitem__("NOISECORR_MODELS", old)
    torch.save(a.state_dict(), folder / "a.pt")
    ep = torch.export.export(b, (torch.rand(2, 1, 28, 28),),
                             dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=8192)},))
    torch.export.save(ep, folder / "b.pt2")
    torch.jit.save(torch.jit.trace(b, torch.rand(2, 1, 28, 28)), folder / "b.ts")
    torch.save(b.state_dict(), folder / "b.pt")
    (folder / "mynets.py").write_text(
        "from noisecorr_utils import architectures\n"
        "def small_mlp():\n"
        "    return architectures.build('mlp', (1, 28, 28), 10, (0.1307,), (0.3081,), width=0.25)\n"
        "def not_a_network():\n    return 42\n"
        "def broken():\n    raise RuntimeError('no GPU here')\n")
    untrained = architectures.build("lenet", (1, 28, 28), 10, (0.1307,), (0.3081,))
    torch.save(untrained.state_dict(), folder / "untrained.pt")
    (folder / "notes.txt").write_text("not a model")
    torch.save({"x": torch.zeros(3)}, folder / "wrong.pt")
    return folder


def run(args, cwd):
    return subprocess.run([PY, "-m", "noisecorr_utils.yours", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(cwd)})


def test_a_report_for_every_kind_of_model_argument(checkpoints):
    out = checkpoints / "report"
    done = run(["mlp@0.25:a.pt", "b.pt2", "b.ts", "mynets:small_mlp:b.pt", "lenet:untrained.pt", "--data", "mnist",
                "--out", str(out), "--n-noise", "200", "--n-test", "400", "--kinds", "uniform,gaussian"], checkpoints)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"report.html", "summary.json", "accuracy.csv", "agreement.csv", "blind_spots.csv", "detection.csv",
            "error_consistency.csv", "confidence_scaled_noise.csv", "noise_answers.csv"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdict"] == done.stdout.splitlines()[0]
    assert summary["flagged"] == ["untrained"]   # the untrained network is near chance
    acc = pd.read_csv(out / "accuracy.csv").set_index("network")["test accuracy"]
    # the same weights read three ways (export, TorchScript, factory + state dict) answer alike
    assert list(acc.index) == ["a", "b#1", "b#2", "b#3", "untrained"]
    assert acc["b#1"] == acc["b#2"] == acc["b#3"] > 0.5
    agree = pd.read_csv(out / "agreement.csv")
    same = agree[agree.a.str.startswith("b#") & agree.b.str.startswith("b#")]
    assert len(same) == 3 * 4 and (same.p_o == 1).all()
    row = agree[(agree.kind == "uniform") & (agree.brightness == 1.0)].iloc[0]
    assert row.p_o_lo <= row.p_o <= row.p_o_hi and row.kappa_lo <= row.kappa <= row.kappa_hi
    html = (out / "report.html").read_text()
    assert "https://" not in html.split("<body>")[1][:2000] and "Plotly.newPlot" in html
    assert summary["verdict"] in html


def test_the_numbers_match_the_books_statistics(checkpoints):
    """Three networks from the zoo, read as an export, TorchScript and a state dict: the report's κ
    matrix is the one the book's own function (``stats.pair_matrices``) computes on their answers."""
    ds = data.load("mnist")
    nets = [yours.load_network(str(checkpoints / "b.pt2"), ds), yours.load_network(f"mlp@0.25:{checkpoints / 'a.pt'}", ds),
            yours.load_network(f"lenet:{checkpoints / 'untrained.pt'}", ds)]
    result = yours.study(nets, ds, ["uniform"], [1.0], n_noise=150, n_test=300)
    x = yours.noise.generate("uniform", 150, ds, 1.0, seed=1)
    answers = np.stack([yours._logits(n, x).argmax(1).numpy() for n in nets])
    book = stats.pair_matrices(answers, 10)
    for row in result["agreement"].itertuples():
        i, j = [n.label for n in nets].index(row.a), [n.label for n in nets].index(row.b)
        assert np.isclose(row.kappa, book["kappa"][i, j], equal_nan=True) and np.isclose(row.p_o, book["p_o"][i, j])
    assert len(result["agreement"]) == 3
    correct = [yours._logits(n, ds.x_test[:300].float() / 255).argmax(1).numpy() == ds.y_test[:300].numpy() for n in nets]
    assert np.isclose(result["error_consistency"].iloc[0]["error consistency"], relations.error_consistency(correct[0], correct[1]))
    assert relations.auroc(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 1.0
    assert relations.auroc(np.array([0.0, 1.0]), np.array([2.0, 3.0])) == 0.0


BAD = {
    "a missing file": (["mlp:nowhere.pt", "b.pt2"], "mlp:nowhere.pt: no file 'nowhere.pt'"),
    "a file that is not a model": (["notes.txt", "b.pt2"], "notes.txt: not a model (neither a torch.export"),
    "an unknown architecture": (["resnet50:a.pt", "b.pt2"], "unknown architecture 'resnet50'; allowed: mlp"),
    "weights that do not fit": (["lenet:a.pt", "b.pt2"], "lenet:a.pt: the weights do not fit the network (missing keys"),
    "a state dict of something else": (["mlp:wrong.pt", "b.pt2"], "unexpected keys: x"),
    "a width that is no number": (["mlp@wide:a.pt", "b.pt2"], "width 'wide' must be a positive number"),
    "a factory that is no network": (["mynets:not_a_network:a.pt", "b.pt2"], "not_a_network() returned a int"),
    "a factory that does not exist": (["mynets:nothing:a.pt", "b.pt2"], "cannot import mynets:nothing"),
    "a factory that raises": (["mynets:broken:a.pt", "b.pt2"], "broken() raised RuntimeError: no GPU here"),
    "outputs of the wrong size": (["b.pt2", "b.ts", "--data", "cifar10"], "fails on a batch of cifar10 images"),
    "one model only": (["b.pt2"], "an ensemble needs at least 2 models, got 1"),
    "an unknown data set": (["b.pt2", "b.ts", "--data", "svhn"], "unknown data set 'svhn'; allowed: mnist"),
    "an unknown noise kind": (["b.pt2", "b.ts", "--kinds", "pink"], "unknown noise kind 'pink'"),
    "a brightness out of range": (["b.pt2", "b.ts", "--brightnesses", "0.5,2"], "brightness=2.0 is outside (0, 1]"),
    "too many test images": (["b.pt2", "b.ts", "--n-test", "20000"], "--n-test=20000 is more than the 10,000 test images"),
    "a bad normalisation": (["b.pt2", "b.ts", "--normalise", "0.1,0"], "need 1 mean(s) and 1 positive std(s)"),
    "an out folder that is something else": (["b.pt2", "b.ts", "--out", "mynets.py"], "exists and is not an earlier report"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_before_any_work(case, checkpoints):
    args, message = BAD[case]
    if "--data" not in args:
        args = [*args, "--data", "mnist"]
    if "--out" not in args:
        args = [*args, "--out", "fresh-report"]
    done = run(args, checkpoints)
    assert done.returncode == 2, done.stderr[-1500:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr
    assert not (checkpoints / "fresh-report").exists()
    assert not [p for p in checkpoints.iterdir() if p.name.startswith(".fresh-report")]
