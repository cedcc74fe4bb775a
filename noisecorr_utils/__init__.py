"""noisecorr: how small neural networks answer random inputs.

Data flows one way: ``data`` -> ``zoo`` (train or load a cached model) -> ``noise`` ->
answers -> ``stats`` -> ``figures`` -> notebook -> book. Submodules load on first use
(``noisecorr_utils.zoo``...), so ``python -m noisecorr_utils.data`` runs cleanly.
"""
import importlib

__version__ = "0.1.0"
_SUBMODULES = {"architectures", "build", "checks", "data", "compare", "devices", "enforcement", "explorer", "figures",
               "noise", "parallel", "paths", "progress", "provenance", "registration", "report", "results",
               "similarity", "stats", "studies", "train", "zoo"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("ModelSpec", "get_model"):
        return getattr(importlib.import_module(f"{__name__}.zoo"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
