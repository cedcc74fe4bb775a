"""The zoo's MNIST recipes are the ones the recorded sweep selects — picked by a rule, not by hand."""
import importlib.util

import pandas as pd
import pytest

from noisecorr_utils import train
from noisecorr_utils.paths import ROOT

SWEEP = ROOT / "benchmarks" / "sweep_recipes.py"


@pytest.fixture(scope="module")
def sweep():
    spec = importlib.util.spec_from_file_location("sweep_recipes", SWEEP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_mnist_recipe_is_the_sweeps_selection(sweep):
    chosen = sweep.select(pd.read_csv(sweep.OUT)).set_index("group")
    assert set(chosen.index) == set(sweep.TARGETS)
    for group, row in chosen.iterrows():
        arch, _, perm = group.partition("·")
        recipe = train.recipe_for(arch, "mnist", permuted=bool(perm))
        assert (recipe.optimizer, recipe.epochs, recipe.batch_size, recipe.lr, recipe.precision) == (
            row.optimizer, row.epochs, row.batch_size, row.lr, row.precision), group


def test_selection_rule_on_a_constructed_sweep(sweep):
    rows = []
    for opt, epochs, seconds, accs in (("sgd", 4, 10, (0.991, 0.989)), ("sgd", 8, 20, (0.992, 0.991)),
                                      ("adam", 8, 30, (0.993, 0.992))):
        rows += [{"group": "lenet", "optimizer": opt, "epochs": epochs, "batch_size": 256, "lr": 0.1,
                  "precision": "fp32", "seed": s, "accuracy": a, "seconds": seconds} for s, a in enumerate(accs)]
    rows += [{"group": "lenet·perm", "optimizer": "sgd", "epochs": e, "batch_size": 256, "lr": 0.1, "precision": "fp32",
              "seed": s, "accuracy": a, "seconds": e} for e, a in ((4, 0.95), (8, 0.97)) for s in range(2)]
    chosen = sweep.select(pd.DataFrame(rows)).set_index("group")
    # lenet: the 4-epoch run misses 99.0% on one seed, so the cheapest that reaches it on both is 8 epochs
    assert chosen.loc["lenet", "epochs"] == 8 and chosen.loc["lenet", "optimizer"] == "sgd"
    # lenet·perm: nothing reaches 98%, so the most accurate
    assert chosen.loc["lenet·perm", "epochs"] == 8 and not chosen.loc["lenet·perm", "reached"]
