"""Figures: functions that take data and return a ``plotly.graph_objects.Figure``; no display
and no file I/O. ``render`` puts them on the page (static HTML for the book, offline); the
chart builders live by chapter (``data_and_zoo``, ``noise_mnist``, ``input_similarity``…, named as
the chapters' study packages), with their shared pieces in ``base`` and the style every figure
follows (sizes, fonts, colour scales) in ``style``."""
import os

from .adversarial import distortion_histograms, examples, transfer_heatmaps, transfer_vs_kappa, unit_purity
from .conclusions import verdict_summary
from .cifar_bird import attractor_grid, class_share_bars, clutter_scatter, consensus_heatmap, spanning_trees, trajectory
from .base import PALETTE, UNDEFINED, band_line, band_ys, image_grid, layout, menu, mosaic
from .noise_mnist import (answer_histogram, attractor_map, confidence_histograms, kappa_curves, kappa_matrix,
                          noise_gallery, recipe_bars)
from .render import FIT_SCRIPT, GRID_SCRIPT, figure_data, grid_figure, html, use_book_renderer, use_live_renderer
from .input_similarity import density_by_class, density_histograms, learning_curves, ratio_bars, registration_noise
from .synthesis import ensemble_gains, kappa_by_factor, kappa_vs_gain, measure_scatter
from .data_and_zoo import accuracy_by_arch, class_balance, training_curves
from .your_networks import detection_bars, kappa_menu

if os.environ.get("NOISECORR_BOOK") == "1":
    use_book_renderer()


def _count_as_plotting():
    """Every chart builder's time counts for the "plotting" stage of the build's stage table."""
    from ..progress import staged

    for name, value in list(globals().items()):
        if callable(value) and getattr(value, "__module__", "").startswith(__name__ + ".") \
                and not name.startswith("_") and name not in ("html", "grid_figure", "figure_data", "use_book_renderer",
                                                              "use_live_renderer"):
            globals()[name] = staged("plotting")(value)


_count_as_plotting()
