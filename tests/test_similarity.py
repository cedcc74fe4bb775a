import pytest
import torch
from torch import nn

from noisecorr_utils import architectures, similarity


def small_model(kind: str, d: int):
    torch.manual_seed(0)
    if kind == "mlp":
        body = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, d))
    else:
        body = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(4, 6, 3, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(6, d))
    return nn.Sequential(architectures.Normalize([0.2], [0.3]), body).eval()


@pytest.fixture(scope="module")
def inputs():
    torch.manual_seed(1)
    return torch.rand(200, 1, 8, 8)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("d", [1, 10])
def test_fast_density_equals_brute_force(kind, d, inputs):
    model = small_model(kind, d)
    fast = similarity.density(model, inputs, S=inputs, batch_size=64)
    brute = similarity.kernel_matrix(model, inputs).sum(1)
    assert torch.allclose(fast, brute, rtol=1e-4, atol=1e-4 * brute.abs().max().item())


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_gram_matches_explicit_jacobians(kind, inputs):
    model = small_model(kind, 10)
    K, _ = similarity.per_sample_gram(model, inputs[:16])
    G = similarity.per_sample_jacobians(model, inputs[:16])
    assert torch.allclose(K, G @ G.transpose(1, 2), rtol=1e-4, atol=1e-6)


def test_kernel_is_symmetric_bounded_and_one_on_the_diagonal(inputs):
    k = similarity.kernel_matrix(small_model("cnn", 10), inputs[:40], eps=1e-8)
    assert torch.allclose(k, k.T, atol=1e-5)
    assert torch.allclose(k.diagonal(), torch.ones(40), atol=1e-4)
    assert (k.abs() <= 1 + 1e-4).all()


def test_regularisation_shrinks_self_similarity_as_documented(inputs):
    model = small_model("mlp", 10)
    for eps, tol in ((1e-6, 1e-5), (1e-2, 0.2)):
        diag = similarity.kernel_matrix(model, inputs[:10], eps=eps).diagonal()
        assert (diag <= 1 + 1e-5).all() and (diag >= 1 - tol).all()
    assert (similarity.kernel_matrix(model, inputs[:10], eps=1e-1).diagonal() < 0.99).all()


@pytest.mark.parametrize("make,message", [
    (lambda: similarity.density(nn.Sequential(nn.Flatten()), torch.rand(4, 1, 8, 8), S=torch.rand(4, 1, 8, 8)),
     "no trainable parameters"),
    (lambda: similarity.density(small_model("mlp", 3), torch.rand(4, 1, 8, 8), S=torch.rand(0, 1, 8, 8)),
     "reference set S is empty"),
    (lambda: similarity.per_sample_gram(small_model("mlp", 3), torch.rand(4, 64)),
     r"shape \(N, C, H, W\), got \(4, 64\)"),
    (lambda: similarity.per_sample_gram(
        nn.Sequential(nn.Flatten(), nn.Linear(64, 100)), torch.rand(4, 1, 8, 8)),
     "100 outputs: this method supports 1 to 64"),
    (lambda: similarity.per_sample_gram(nn.Sequential(nn.Conv2d(1, 2, 3), nn.GroupNorm(1, 2)), torch.rand(4, 1, 8, 8)),
     "layers GroupNorm have parameters; supported: Linear, Conv2d, BatchNorm2d"),
])
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_cross_kernel_equals_brute_force(kind, inputs):
    model = small_model(kind, 10)
    full = similarity.kernel_matrix(model, inputs[:30])
    cross = similarity.cross_kernel(model, inputs[:3], inputs[:30], batch_size=16)
    assert torch.allclose(cross, full[:3], rtol=1e-4, atol=1e-5)


def test_class_density_sums_to_density_and_matches_brute_force(inputs):
    model = small_model("cnn", 10)
    labels = torch.arange(60) % 3
    S, q = inputs[:60], inputs[60:70]
    per_class = similarity.class_density(model, q, S, labels, 4, batch_size=32)
    assert per_class.shape == (10, 4) and torch.all(per_class[:, 3] == 0)
    k = similarity.kernel_matrix(model, torch.cat([q, S]))[:10, 10:]
    for c in range(3):
        assert torch.allclose(per_class[:, c], k[:, labels == c].sum(1), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="S has 60 inputs but 5 labels"):
        similarity.class_density(model, q, S, labels[:5], 4)


def batchnorm_model(d):
    """A CNN with batch norm (eval mode, non-trivial running statistics, γ and β)."""
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Conv2d(4, 4, 3, stride=2), nn.BatchNorm2d(4, affine=False), nn.ReLU(),
                          nn.Flatten(), nn.Linear(36, d))
    for bn in (model[1], model[4]):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    nn.init.uniform_(model[1].weight, 0.5, 1.5), nn.init.uniform_(model[1].bias, -0.5, 0.5)
    return model.eval()


@pytest.mark.parametrize("d", [1, 10])
def test_batchnorm_models_take_the_fast_path_exactly(d, inputs):
    model = batchnorm_model(d)
    K, _ = similarity.per_sample_gram(model, inputs[:16])
    G = similarity.per_sample_jacobians(model, inputs[:16])
    assert torch.allclose(K, G @ G.transpose(1, 2), rtol=1e-4, atol=1e-6)
    fast = similarity.density(model, inputs, S=inputs, batch_size=64)
    brute = similarity.kernel_matrix(model, inputs).sum(1)
    assert torch.allclose(fast, brute, rtol=1e-4, atol=1e-4 * brute.abs().max().item())
