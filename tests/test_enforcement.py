import numpy as np
import pytest
import torch
from torch import nn

from noisecorr_utils import architectures, enforcement, similarity


def small_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(architectures.Normalize([0.2], [0.3]), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 3))


def test_pair_cosine_is_the_cosine_of_explicit_per_sample_gradients():
    model = small_model()
    x = torch.rand(6, 1, 8, 8)
    y = torch.tensor([0, 2, 1])
    cos = enforcement.pair_cosine(model, x[:3], x[3:], y)
    G = similarity.per_sample_jacobians(model, x)                     # (6, 3, P)
    ga, gb = G[torch.arange(3), y], G[3 + torch.arange(3), y]
    assert torch.allclose(cos, nn.functional.cosine_similarity(ga, gb), atol=1e-5)
    assert torch.allclose(enforcement.pair_cosine(model, x[:3], x[:3], y), torch.ones(3), atol=1e-5)


def test_the_factored_cosine_and_its_gradient_equal_one_backward_pass_per_input(monkeypatch):
    x, y = torch.rand(8, 1, 8, 8), torch.tensor([0, 2, 1, 1])
    grads = []
    per_input = enforcement.pair_cosine_per_input
    monkeypatch.setattr(enforcement, "pair_cosine_per_input", None)    # the factored path must not fall back
    for cosine in (enforcement.pair_cosine, per_input):
        model = small_model(3)
        cos = cosine(model, x[:4], x[4:], y)
        (cos * torch.arange(1.0, 5.0)).sum().backward()
        grads.append((cos.detach(), [p.grad.clone() if p.grad is not None else torch.zeros_like(p)
                                     for p in model.parameters()]))
    (fast, fast_grads), (slow, slow_grads) = grads
    assert torch.allclose(fast, slow, atol=1e-5)
    for a, b in zip(fast_grads, slow_grads):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


def test_models_the_factors_do_not_cover_take_the_per_input_path():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(72, 3)).train()
    x, y = torch.rand(4, 1, 8, 8), torch.tensor([0, 1])
    assert torch.allclose(enforcement.pair_cosine(model, x[:2], x[2:], y),
                          enforcement.pair_cosine_per_input(model, x[:2], x[2:], y), atol=1e-6)


def test_pair_cosine_is_differentiable_in_the_parameters():
    model = small_model()
    x = torch.rand(4, 1, 8, 8)
    enforcement.pair_cosine(model, x[:2], x[2:], torch.tensor([0, 1])).sum().backward()
    weights = [p for p in model.parameters() if p.dim() > 1]
    assert len(weights) == 3 and all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)


def test_pairs_share_a_class_and_are_distinct_images():
    y = torch.tensor([0, 1, 0, 1, 2, 0, 1])
    a, b = enforcement.same_class_pairs(y, 50, torch.Generator().manual_seed(0))
    assert torch.equal(y[a], y[b]) and (a != b).all() and (y[a] != 2).all()


def test_the_sign_moves_the_similarity_the_stated_way():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 1, 8, 8, generator=g)
    y = (x.mean((1, 2, 3)) * 30).long() % 3
    end = {}
    for name, sign in enforcement.SIGNS.items():
        run = enforcement.fit(small_model(), x[:200], y[:200], x[200:], y[200:], sign=sign, weight=5.0,
                              steps=30, batch_size=32, n_pairs=4, eval_every=10)
        assert run.steps == [0, 10, 20, 30] and len(run.val_accuracy) == 4
        end[name] = run.pair_cosine[-1]
    assert end["raise similarity"] > end["plain"] > end["lower similarity"]


def test_curves_and_paired_difference():
    runs = {(v, s): enforcement.Run(steps=[0, 10], val_accuracy=[0.1, acc + s / 10], pair_cosine=[0.5, 0.5])
            for v, acc in (("plain", 0.5), ("raise similarity", 0.7)) for s in range(3)}
    auc = enforcement.area_under_curve(enforcement.curves(runs))
    assert np.allclose(enforcement.paired_difference(auc, "raise similarity"), 0.1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sign=2), "sign=2; allowed: -1"), (dict(sign=0, steps=0), "steps=0 must be a positive integer"),
    (dict(sign=1, weight=-1.0), "weight=-1.0 must be non-negative")])
def test_bad_arguments_fail_before_training(kwargs, message):
    x, y = torch.rand(10, 1, 8, 8), torch.tensor([0, 1] * 5)
    with pytest.raises(ValueError, match=message):
        enforcement.fit(small_model(), x, y, x, y, **kwargs)
