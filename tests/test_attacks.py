"""The box-constrained L-BFGS attack against closed forms and its own guarantees."""
import pytest
import torch
from torch import nn

from noisecorr_utils import architectures, attacks


def _linear_two_class(seed=0, d=20):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(d, 2))
    with torch.no_grad():
        model[1].weight.mul_(3)
    x = 0.4 + 0.2 * torch.rand(12, 1, 1, d)   # inside the box, away from its walls
    return model, x


def test_attack_on_a_linear_model_matches_the_closed_form():
    model, x = _linear_two_class()
    labels = model(x).argmax(1)
    result = attacks.minimal_lbfgs(model, x, 1 - labels, labels)
    assert result.success.all()
    l2 = (result.x - x).flatten(1).norm(dim=1)
    closed = attacks.two_class_minimal_l2(model[1].weight.detach(), model[1].bias.detach(), x)
    assert (l2 >= closed * 0.999).all() and (l2 <= closed * 1.25 + 1e-3).all()


def test_examples_stay_in_the_box_and_are_adversarial_or_marked_as_failures():
    torch.manual_seed(1)
    model = architectures.build("mlp", (1, 8, 8), 10, [0.3], [0.3], width=0.05)
    x = torch.rand(6, 1, 8, 8)
    labels = model(x).argmax(1)
    target = attacks.random_targets(labels, 10, seed=2)
    result = attacks.minimal_lbfgs(model, x, target, labels, doublings=3, bisections=2, max_iter=50)
    assert result.x.min() >= 0 and result.x.max() <= 1
    said = model(result.x).argmax(1)
    assert torch.equal(said[result.success], target[result.success])        # every success is adversarial
    assert torch.equal(result.x[~result.success], x[~result.success])        # failures keep the image, never counted
    assert torch.isnan(result.distortion[~result.success]).all()
    assert torch.allclose(result.distortion[result.success], attacks.distortion(x, result.x)[result.success])


def test_vectorised_and_per_image_attacks_agree():
    model, x = _linear_two_class(seed=3)
    labels = model(x).argmax(1)
    a = attacks.minimal_lbfgs(model, x[:4], 1 - labels[:4], labels[:4])
    b = attacks.minimal_lbfgs(model, x[:4], 1 - labels[:4], labels[:4], solver="scipy per image")
    c = attacks.minimal_lbfgs(model, x[:4], 1 - labels[:4], labels[:4], solver="scipy")
    assert torch.allclose(a.distortion, b.distortion, rtol=0.05)
    assert torch.allclose(c.distortion, b.distortion, rtol=0.05)


def test_random_targets_are_never_the_label():
    labels = torch.arange(10).repeat(50)
    t = attacks.random_targets(labels, 10)
    assert not (t == labels).any() and set(t.tolist()) == set(range(10))


@pytest.mark.parametrize("call,message", [
    (lambda m, x, y: attacks.minimal_lbfgs(m, x * 2, 1 - y, y), "images must lie in [0, 1]"),
    (lambda m, x, y: attacks.minimal_lbfgs(m, x, y, y), "equals its true class; choose another class"),
    (lambda m, x, y: attacks.minimal_lbfgs(m, x, 1 - y, y, c0=0), "c=0 must be positive"),
    (lambda m, x, y: attacks.minimal_lbfgs(m, x, 1 - y, y, solver="adam"), "solver='adam'; allowed: batched, scipy, scipy per image"),
    (lambda m, x, y: attacks.minimal_lbfgs("lenet", x, 1 - y, y), "model='str' must be a torch module"),
])
def test_bad_input_is_one_line(call, message):
    import re

    model, x = _linear_two_class()
    y = model(x).argmax(1)
    with pytest.raises(ValueError, match=re.escape(message)):
        call(model, x, y)
