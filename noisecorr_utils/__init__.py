"""noisecorr: how small neural networks answer random inputs.

Data flows one way: ``data`` -> ``zoo`` (train or load a cached model) -> ``noise`` ->
answers -> ``stats`` -> ``figures`` -> notebook -> book.
"""
from . import data, figures, provenance, zoo  # noqa: F401
from .zoo import ModelSpec, get_model  # noqa: F401

__version__ = "0.1.0"
