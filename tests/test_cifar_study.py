"""The CIFAR-10 chapter's study functions on constructed inputs."""
import io
import numpy as np
import pandas as pd
import pytest

from noisecorr_utils import stats
from noisecorr_utils.studies import cifar_bird
from noisecorr_utils.studies.cifar_bird import claims, clutter
from noisecorr_utils.studies.cifar_bird import experiments as study

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class Fake:
    def __init__(self, accuracy):
        self.record = {"test_accuracy": accuracy}


def test_favourite_table_counts_seeds_and_shares():
    a = np.full((3, 100), 2)                  # three seeds answer "bird" ...
    a[1, :40] = 0                             # ... one of them only 60% of the time
    table = study.favourite_table(a, {"fam": [0, 1, 2]}, [Fake(0.93), Fake(0.94), Fake(0.95)], CLASSES)
    r = table.loc["fam"]
    assert r.favourite == "bird" and r["seeds with that favourite"] == 3
    assert r.bird == pytest.approx((1 + 0.6 + 1) / 3) and r.accuracy == pytest.approx(0.94)


def test_wilson_interval():
    p, lo, hi = study.wilson(3, 3)
    assert p == 1 and hi == 1 and lo == pytest.approx(0.4385, abs=1e-3)
    assert study.wilson(0, 0)[0] != study.wilson(0, 0)[0]  # undefined without models


def test_trees_consensus_and_the_noise_neighbour():
    names = CLASSES + ["noise"]
    rng = np.random.default_rng(0)
    means = {}
    for k in range(4):
        m = rng.normal(size=(11, 5))
        m[10] = m[2] + 0.01 * rng.normal(size=5)   # noise right beside bird
        means[f"m{k}"] = {"uncentred": m, "centred": m - m.mean(0)}
    table = study.trees(means, names)
    assert len(table) == 8 and all(len(e) == 10 for e in table.edges)    # a tree over 11 nodes
    assert study.noise_next_to(table, "uncentred", names) == (4, 4)
    shares = study.consensus(table, "uncentred", 11)
    assert shares[2, 10] == 1 and np.allclose(shares, shares.T) and shares.sum() == pytest.approx(2 * 10)


def test_cifar_verdicts_follow_the_rules():
    fav = pd.DataFrame([{"family": "airnet", "favourite": "bird", "seeds with that favourite": 3, "seeds": 3,
                         "share": 0.95, "share_lo": 0.92, "share_hi": 0.98, "bird": 0.95, "bird_lo": 0.92,
                         "bird_hi": 0.98, "accuracy": 0.931, "accuracy_lo": 0.93, "accuracy_hi": 0.932,
                         "favourite per seed": "bird, bird, bird"}]).set_index("family")
    cd = {"noise → cat": (1.0, 1.0, 1.0), "others → cat": (0.8, 0.75, 0.85), "horse → dog": (0.3, 0.2, 0.4),
          "accuracy": (0.85, 0.84, 0.86)}
    top = pd.DataFrame({"measure": list(clutter.CLUTTER_SIGN), "bird's rank": [1] + [3] * 7})
    next_to = {("airnet", "uncentred"): (3, 3), ("airnet", "centred"): (0, 10)}
    v = claims.verdict_table(fav, next_to, cd, top, 5).set_index("claim")
    fig, find = v["figure verdict"].tolist(), v["finding verdict"].tolist()
    assert fig[:2] == ["reproduced", "reproduced"] and find[:2] == ["holds", "holds"]   # bird, one class
    assert find[2:4] == ["undecided", "fails"]          # 3 of 3: the Wilson CI reaches below 50%; 0 of 10 does not
    assert fig[4:7] == ["reproduced", "reproduced", "differs"] and find[4:7] == ["holds", "holds", "fails"]
    assert find[7] == "fails"                           # bird first by 1 of 8 measures
    weak = claims.verdict_table(fav.assign(accuracy=0.80), next_to, {**cd, "accuracy": (0.6, 0.55, 0.65)}, top, 5)
    assert (weak["finding verdict"].iloc[:7] == "not tested").all()


def test_params_refuse_unknown_families_and_one_seed():
    with pytest.raises(ValueError, match="unknown family 'vit'; allowed: airnet, resnet"):
        cifar_bird.Params(cifar_archs=["vit"])
    with pytest.raises(ValueError, match="cifar_seeds=1: confidence intervals need at least 2 seeds"):
        cifar_bird.Params(cifar_seeds=1)


def test_trajectory_run_is_the_zoo_model(tmp_path, monkeypatch, model_cache):
    """The along-training run stores its final network as the zoo's model of that seed, and it is
    the network the zoo trains itself: the same weights (on the small ResNet, the cheap CIFAR-10
    network; the book runs it on airnet). The zoo keeps every epoch's state, so the run is never
    trained twice: replayed from those states, the shares are the ones recorded while training."""
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    import torch
    from noisecorr_utils import zoo

    shares = study.trajectory(0, ["gaussian"], 20, epochs=2, n_train=256, arch="resnet")
    assert shares.shape == (2, 1, 10) and np.allclose(shares.sum(-1), 1)
    spec = zoo.ModelSpec("resnet", dataset="cifar10", seed=0, epochs=2, n_train=256)
    stored = zoo.get_model(spec, progress=False)
    weights, _ = zoo.train_spec(spec)
    fresh = torch.load(io.BytesIO(weights), weights_only=True)
    assert all(torch.equal(stored.state_dict()[k], v) for k, v in fresh.items())
    assert np.array_equal(study.trajectory(0, ["gaussian"], 20, epochs=2, n_train=256, arch="resnet"), shares)  # cached

    states = zoo.epoch_states(spec)
    assert len(states) == 2 and all(torch.equal(states[-1][k], v) for k, v in fresh.items())
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results-2"))   # the zoo's model, no trajectory yet
    monkeypatch.setattr(zoo, "train_spec", lambda *a, **k: pytest.fail("trained the zoo's network again"))
    assert np.array_equal(study.trajectory(0, ["gaussian", "uniform"], 20, epochs=2, n_train=256, arch="resnet")[:, :1],
                          shares)


