"""The trainer's pieces: schedule, augmentation, lookahead, airnet's whitening and test-time
averaging, and the recipe table."""
import pytest
import torch
from torch import nn

from noisecorr_utils import architectures, train


def test_schedule_warms_up_then_decays_linearly():
    r = train.Recipe(epochs=1, batch_size=1, lr=1.0, warmup=0.25, lr_start=0.2, lr_end=0.0)
    f = [train.lr_factor(s, 100, r) for s in range(100)]
    assert f[0] == pytest.approx(0.2) and f[25] == pytest.approx(1.0)
    assert f[12] == pytest.approx(0.2 + 0.8 * 12 / 25)
    assert f[99] == pytest.approx(1 - 74 / 75) and all(a >= b for a, b in zip(f[25:], f[26:]))
    constant = train.Recipe(epochs=1, batch_size=1, lr=1.0)
    assert {train.lr_factor(s, 10, constant) for s in range(10)} == {1.0}


def test_augmentation_flips_and_shifts_whole_images():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(train.augment(x, False, 0, g), x)
    flipped = [train.augment(x, True, 0, torch.Generator().manual_seed(s)) for s in range(20)]
    for out in flipped:
        for i in range(2):
            assert torch.equal(out[i], x[i]) or torch.equal(out[i], x[i].flip(-1))
    assert any(not torch.equal(o, x) for o in flipped)
    shifted = train.augment(x, False, 2, g)
    padded = nn.functional.pad(x, (2,) * 4, mode="reflect")
    for i in range(2):
        assert any(torch.equal(shifted[i], padded[i, :, dy:dy + 8, dx:dx + 8]) for dy in range(5) for dx in range(5))


def test_lookahead_ends_with_the_slow_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.rand(40, 1, 2, 2), torch.randint(0, 3, (40,))
    plain = train.Recipe(epochs=2, batch_size=8, lr=0.5, optimizer="sgd")
    a, b = (nn.Sequential(nn.Flatten(), nn.Linear(4, 3)) for _ in range(2))
    b.load_state_dict(a.state_dict())
    train.fit(a, x, y, plain, seed=0, progress=False)
    train.fit(b, x, y, plain.replace(lookahead=True), seed=0, progress=False)
    assert not torch.equal(a[1].weight, b[1].weight)  # the slow average differs from plain SGD
    assert torch.isfinite(b[1].weight).all()


def test_whitening_layer_decorrelates_patches():
    torch.manual_seed(0)
    model = architectures.build("airnet", (3, 32, 32), 10, [0.5] * 3, [0.25] * 3)
    mix = torch.tensor([[1.0, 0.8, 0.6], [0.0, 0.6, 0.5], [0.0, 0.0, 0.4]])
    x = (torch.einsum("ij,njhw->nihw", mix, torch.rand(64, 3, 32, 32)) / 2).clamp(0, 1)
    architectures.init_whitening(model, x, eps=0.0)
    whiten = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    out = nn.functional.conv2d(model[0](x), whiten.weight)[:, :12]   # the first half: +eigenvectors
    flat = out.permute(1, 0, 2, 3).reshape(12, -1)
    cov = flat @ flat.T / flat.shape[1]
    assert torch.allclose(cov, torch.eye(12), atol=2e-3)
    assert not whiten.weight.requires_grad


def test_test_time_averaging_is_the_mean_of_six_passes():
    torch.manual_seed(0)
    body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(5))
    tta = architectures.FlipShiftAverage(body)
    x = torch.rand(2, 3, 8, 8)
    tta.train()
    assert torch.equal(tta(x), body(x))
    tta.eval()
    p = nn.functional.pad(x, (1,) * 4, mode="reflect")
    views = [x, p[..., :8, :8], p[..., 2:, 2:]]
    mirror = [0.5 * (body(v) + body(v.flip(-1))) for v in views]
    assert torch.allclose(tta(x), 0.5 * mirror[0] + 0.25 * (mirror[1] + mirror[2]), atol=1e-6)


@pytest.mark.parametrize("field,value,message", [
    ("epochs", 0, "epochs=0 must be a positive integer"),
    ("batch_size", 2.5, "batch_size=2.5 must be a positive integer"),
    ("lr", 0, "lr=0 must be positive"),
    ("optimizer", "lion", "optimizer='lion'; allowed: adam, sgd"),
    ("precision", "fp8", "precision='fp8'; allowed: fp32, bf16"),
    ("warmup", 1.0, "warmup=1.0 must be a share of the steps in"),
])
def test_bad_recipes_fail_in_one_line(field, value, message):
    fields = dict(epochs=1, batch_size=8, lr=0.1)
    fields[field] = value
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        train.Recipe(**fields)


def test_every_zoo_recipe_is_valid_and_described():
    for (arch, dataset, permuted), recipe in train.RECIPES.items():
        assert arch in architectures.ARCHITECTURES
        assert recipe.describe().startswith(("Adam", "SGD"))
