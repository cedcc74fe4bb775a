"""Live exploration in Jupyter with ipywidgets: recompute from the cached models.

Needs a running kernel; the book shows the precomputed plotly figures instead.
"""
from __future__ import annotations

import os

from . import noise, stats


def noise_explorer(models, ds, kinds=None, n: int = 2000):
    """Brightness slider, noise-kind menu and two model menus; shows the answer histogram and
    p_o, p_e, κ for the chosen setting. Returns the widget (None in a book build)."""
    import ipywidgets as w
    import plotly.graph_objects as go

    if len(models) < 2:
        raise ValueError(f"the explorer needs at least 2 models, got {len(models)}")
    if os.environ.get("NOISECORR_BOOK") == "1":
        return None  # no live kernel behind a static page: no dead controls
    kinds = list(kinds or noise.KINDS)
    labels = [m.spec.label for m in models]
    kind = w.Dropdown(options=kinds, value=kinds[0], description="noise")
    brightness = w.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="brightness",
                               continuous_update=False)
    model_a = w.Dropdown(options=[(l, i) for i, l in enumerate(labels)],
                         value=0, description="model A")
    model_b = w.Dropdown(options=[(l, i) for i, l in enumerate(labels)], value=1, description="model B")
    fig = go.FigureWidget(go.Heatmap(z=[[0]], x=list(ds.classes), y=list(ds.classes), colorscale="Blues",
                                     texttemplate="%{z}"))
    fig.update_layout(height=520, xaxis_title="model B's answer", yaxis_title="model A's answer",
                      yaxis_autorange="reversed", template="plotly_white")
    readout = w.HTML()

    def update(_=None):
        x = noise.generate(kind.value, n, ds, brightness=brightness.value, seed=0)
        ans = noise.answers([models[model_a.value], models[model_b.value]], x).numpy()
        table = stats.contingency(ans[0], ans[1], ds.n_classes)
        r = stats.from_table(table)
        fig.data[0].z = table
        readout.value = (f"<b>pₒ</b> = {r.observed:.1%} &nbsp; <b>pₑ</b> = {r.chance:.1%} &nbsp; "
                         f"<b>κ</b> = {r.kappa:.3f} &nbsp; on {n:,} images")

    for control in (kind, brightness, model_a, model_b):
        control.observe(update, names="value")
    update()
    return w.VBox([w.HBox([kind, brightness]), w.HBox([model_a, model_b]), readout, fig])
