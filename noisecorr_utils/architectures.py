"""The architectures of the zoo, one small function each, behind a name registry.

Every model takes images with pixels in [0, 1] (so noise and data enter the same way),
normalises them with the data set's mean and std inside its first layer, and, for the
pixel-permutation experiment, may apply one fixed permutation of the pixels before anything
else: a network "trained on permuted MNIST" is then simply a network whose first layer
permutes, and it answers noise exactly as it would the permuted noise.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class Normalize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class PixelPermutation(nn.Module):
    """A fixed permutation of pixel positions (the same for every channel and image)."""

    def __init__(self, shape, seed: int):
        super().__init__()
        c, h, w = shape
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("index", torch.randperm(h * w, generator=g))
        self.shape = shape

    def forward(self, x):
        flat = x.flatten(2)[:, :, self.index]
        return flat.view(x.shape)


def _ch(n: int, width: float) -> int:
    return max(1, round(n * width))


def mlp(shape, n_classes, width=1.0):
    """Two hidden ReLU layers of 512 units (×width)."""
    d, h = shape[0] * shape[1] * shape[2], _ch(512, width)
    return nn.Sequential(nn.Flatten(), nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                         nn.Linear(h, n_classes))


def _fc(shape, n_classes, hidden, width=1.0):
    d = shape[0] * shape[1] * shape[2]
    sizes = [d] + [_ch(h, width) for h in hidden]
    layers = [nn.Flatten()]
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], n_classes))


def softmax(shape, n_classes, width=1.0):
    """Softmax regression: one linear layer ("FC10" in Szegedy et al., 2014)."""
    return _fc(shape, n_classes, [])


def fc100(shape, n_classes, width=1.0):
    """Two hidden ReLU layers of 100 units ("FC100-100-10" in Szegedy et al., 2014)."""
    return _fc(shape, n_classes, [100, 100], width)


def fc200(shape, n_classes, width=1.0):
    """Two hidden ReLU layers of 200 units ("FC200-200-10" in Szegedy et al., 2014)."""
    return _fc(shape, n_classes, [200, 200], width)


def fc123(shape, n_classes, width=1.0):
    """Hidden ReLU layers of 123 and 456 units ("FC123-456-10" in Szegedy et al., 2014)."""
    return _fc(shape, n_classes, [123, 456], width)


def lenet(shape, n_classes, width=1.0):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling: 5×5 convs, three FC layers."""
    c1, c2 = _ch(6, width), _ch(16, width)
    side = ((shape[1] // 2) - 4) // 2  # 28 -> 14 -> 10 -> 5 ; 32 -> 16 -> 12 -> 6
    return nn.Sequential(
        nn.Conv2d(shape[0], c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(c2 * side * side, _ch(120, width)), nn.ReLU(),
        nn.Linear(_ch(120, width), _ch(84, width)), nn.ReLU(), nn.Linear(_ch(84, width), n_classes))


def vgg(shape, n_classes, width=1.0):
    """Two VGG-style blocks (Simonyan & Zisserman, 2015) of two 3×3 convs, then an FC head."""
    c1, c2 = _ch(8, width), _ch(16, width)
    side = shape[1] // 4
    return nn.Sequential(
        nn.Conv2d(shape[0], c1, 3, padding=1), nn.ReLU(), nn.Conv2d(c1, c1, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.Conv2d(c2, c2, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(c2 * side * side, _ch(128, width)), nn.ReLU(), nn.Linear(_ch(128, width), n_classes))


def allcnn(shape, n_classes, width=1.0):
    """All-convolutional net (Springenberg et al., 2015): 3×3 convs, downsampling by stride instead
    of pooling, a 1×1 conv to the classes and global average pooling, no fully connected layer;
    batch normalisation after each conv. Version 3: 16/32/64 channels and a stride-1 conv after
    each downsampling (version 2, 12/24/48 channels and four convs, stopped at 99.1% on MNIST
    in the recipe sweep)."""
    c1, c2, c3 = _ch(16, width), _ch(32, width), _ch(64, width)

    def block(cin, cout, stride):
        return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(*block(shape[0], c1, 1), *block(c1, c2, 2), *block(c2, c2, 1), *block(c2, c3, 2),
                         *block(c3, c3, 1), nn.Conv2d(c3, n_classes, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = (nn.Identity() if stride == 1 and cin == cout else
                     nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


def resnet(shape, n_classes, width=1.0):
    """A small ResNet (He et al., 2016; the CIFAR variant with 3 stages of one basic block)."""
    c1, c2, c3 = _ch(16, width), _ch(32, width), _ch(64, width)
    return nn.Sequential(
        nn.Conv2d(shape[0], c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(),
        BasicBlock(c1, c1, 1), BasicBlock(c1, c2, 2), BasicBlock(c2, c3, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c3, n_classes))


class FlipShiftAverage(nn.Module):
    """Test-time augmentation of airbench (Jordan, 2024): in eval mode the logits are the mean
    over the image and its mirror, half of it at the original position and half averaged over
    two one-pixel diagonal shifts (reflect padding): six passes. In training mode, one pass."""

    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body

    def _mirror(self, x):
        return 0.5 * (self.body(x) + self.body(x.flip(-1)))

    def forward(self, x):
        if self.training:
            return self.body(x)
        h, w = x.shape[-2:]
        # channels-last images: the six passes run ~1.7× faster on the CPU, the logits equal to ~1e-8
        x = x.contiguous(memory_format=torch.channels_last)
        padded = nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
        shifted = [padded[..., 0:h, 0:w], padded[..., 2:h + 2, 2:w + 2]]
        return 0.5 * self._mirror(x) + 0.25 * (self._mirror(shifted[0]) + self._mirror(shifted[1]))


class Scale(nn.Module):
    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def _air_bn(c):
    """airbench's batch norm: no learned scale (γ fixed at 1), a learned bias, fast statistics."""
    bn = nn.BatchNorm2d(c, eps=1e-12, momentum=0.4)
    bn.weight.requires_grad_(False)
    return bn


def _air_group(cin, cout):
    conv1, conv2 = (nn.Conv2d(i, cout, 3, padding=1, bias=False) for i in (cin, cout))
    for conv in (conv1, conv2):  # identity-like start (dirac on the first channels), as airbench
        nn.init.dirac_(conv.weight.data[:conv.weight.shape[1]])
    return nn.Sequential(conv1, nn.MaxPool2d(2), _air_bn(cout), nn.GELU(), conv2, _air_bn(cout), nn.GELU())


def airnet(shape, n_classes, width=1.0):
    """airbench93's network (Jordan, 2024, "94% on CIFAR-10 in 3.29 seconds on a single GPU"):
    a frozen 2×2 patch-whitening convolution (set from the training data by ``init_whitening``),
    three conv groups of 64/128/128 channels (×width) with batch norm and GELU, max pooling,
    a linear layer scaled by 1/9; flip/shift averaging at test time (``FlipShiftAverage``)."""
    c = shape[0]
    w1, w2, w3 = _ch(64, width), _ch(128, width), _ch(128, width)
    whiten = nn.Conv2d(c, 2 * c * 4, 2, padding=0, bias=True)
    whiten.weight.requires_grad_(False)
    nn.init.zeros_(whiten.bias)
    head = nn.Linear(w3, n_classes, bias=False)
    body = nn.Sequential(whiten, nn.GELU(), _air_group(2 * c * 4, w1), _air_group(w1, w2), _air_group(w2, w3),
                         nn.AdaptiveMaxPool2d(1), nn.Flatten(), head, Scale(1 / 9))
    return FlipShiftAverage(body)


@torch.no_grad()
def init_whitening(model: nn.Module, x: torch.Tensor, eps: float = 5e-4) -> None:
    """Set airnet's first convolution to whiten 2×2 patches of ``x`` (float images in [0, 1], the
    model's own normalisation applied first): filters are the eigenvectors of the patch
    covariance divided by √(eigenvalue + eps), each with its negative (Jordan, 2024)."""
    whiten = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    front = next(m for m in model.modules() if isinstance(m, Normalize))
    xn = front(x)
    c, (kh, kw) = xn.shape[1], whiten.kernel_size
    patches = xn.unfold(2, kh, 1).unfold(3, kw, 1).transpose(1, 3).reshape(-1, c * kh * kw).double()
    cov = patches.T @ patches / len(patches)
    values, vectors = torch.linalg.eigh(cov)
    values, vectors = values.flip(0), vectors.T.flip(0)
    filters = (vectors / torch.sqrt(values + eps)[:, None]).reshape(-1, c, kh, kw)
    whiten.weight.copy_(torch.cat([filters, -filters]).float())


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp, "lenet": lenet, "vgg": vgg, "allcnn": allcnn, "resnet": resnet, "airnet": airnet,
    "softmax": softmax, "fc100": fc100, "fc200": fc200, "fc123": fc123}
CNNS = ("lenet", "vgg", "allcnn", "resnet", "airnet")
# Bumped when an architecture changes; part of the cache key of its models (1 is left out of it).
VERSIONS = {"allcnn": 3}
# Set from the training data before training (e.g. airnet's whitening layer).
DATA_INIT: dict[str, Callable[[nn.Module, torch.Tensor], None]] = {"airnet": init_whitening}


def build(arch: str, shape, n_classes: int, mean, std, width: float = 1.0,
          permutation_seed: int | None = None) -> nn.Module:
    """The network ``arch`` with its input normalisation (and pixel permutation) in front."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; allowed: {', '.join(ARCHITECTURES)}")
    front = [PixelPermutation(shape, permutation_seed)] if permutation_seed is not None else []
    return nn.Sequential(*front, Normalize(mean, std), ARCHITECTURES[arch](shape, n_classes, width))
