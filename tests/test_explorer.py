import pytest

from noisecorr_utils import data, explorer, zoo


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    import os

    os.environ["NOISECORR_MODELS"] = str(tmp_path_factory.mktemp("models"))
    try:
        return [zoo.get_model(zoo.ModelSpec("mlp", seed=s, n_train=128, epochs=1, width=0.1), progress=False)
                for s in (0, 1)]
    finally:
        del os.environ["NOISECORR_MODELS"]


def test_explorer_recomputes_when_a_control_moves(two_models, monkeypatch):
    monkeypatch.delenv("NOISECORR_BOOK", raising=False)
    box = explorer.noise_explorer(two_models, data.load("mnist"), kinds=["uniform", "gaussian"], n=300)
    (kind, brightness), _, readout, fig = box.children[0].children, box.children[1], box.children[2], box.children[3]
    first_z, first_text = [list(r) for r in fig.data[0].z], readout.value
    assert sum(map(sum, first_z)) == 300 and "κ" in first_text
    kind.value = "gaussian"
    assert [list(r) for r in fig.data[0].z] != first_z or readout.value != first_text


def test_explorer_leaves_no_dead_controls_in_a_book_build(two_models, monkeypatch):
    monkeypatch.setenv("NOISECORR_BOOK", "1")
    assert explorer.noise_explorer(two_models, data.load("mnist")) is None


def test_explorer_needs_two_models(two_models):
    with pytest.raises(ValueError, match="at least 2 models, got 1"):
        explorer.noise_explorer(two_models[:1], data.load("mnist"))
