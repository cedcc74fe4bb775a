"""Figures: functions that take data and return a ``plotly.graph_objects.Figure``.

No display and no file I/O here, except :func:`use_book_renderer`: in a book build
(``NOISECORR_BOOK=1``) figures are emitted as plain HTML that calls the plotly.js the book
serves from its own ``_static`` folder — never a CDN, and never plotly 6's JSON-only
mimetype, which myst-nb cannot render (a silently blank figure).
"""
from __future__ import annotations

import base64
import io
import os

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer
from plotly.subplots import make_subplots

PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3",
           "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD")
CONFIG = {"displaylogo": False, "responsive": True}


class StaticBookRenderer(MimetypeRenderer):
    """``text/html`` only, without plotly.js (the book page loads it once)."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False, config=CONFIG,
                           validate=False, default_width="100%")
        return {"text/html": html}


pio.renderers["noisecorr_book"] = StaticBookRenderer()


def use_book_renderer() -> None:
    pio.renderers.default = "noisecorr_book"


if os.environ.get("NOISECORR_BOOK") == "1":
    use_book_renderer()


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, height=height, template="plotly_white", font=dict(size=13))
    if not fig.layout.margin.l:
        fig.update_layout(margin=dict(l=60, r=20, t=60, b=50))
    return fig


def _png_source(image: np.ndarray) -> str:
    """An (H, W) or (H, W, 3) uint8 array as a base64 PNG data URI (compact in the page)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def mosaic(images: np.ndarray, rows: int, cols: int, pad: int = 2) -> np.ndarray:
    """Tile (rows*cols, C, H, W) uint8 images into one (H', W', 3) uint8 picture."""
    n, c, h, w = images.shape
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for i in range(min(n, rows * cols)):
        r, q = divmod(i, cols)
        img = images[i].transpose(1, 2, 0)
        if c == 1:
            img = np.repeat(img, 3, axis=2)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + q * (w + pad):pad + q * (w + pad) + w] = img
    return out


def image_grid(images: np.ndarray, row_labels, cols: int, title: str, width: int = 640) -> go.Figure:
    """One row of ``cols`` images per label, drawn as a single compact PNG."""
    rows = len(row_labels)
    pic = mosaic(images, rows, cols)
    fig = go.Figure(go.Image(source=_png_source(pic), hoverinfo="skip"))
    h, w = images.shape[2], images.shape[3]
    fig.update_xaxes(visible=False)
    fig.update_yaxes(tickmode="array", tickvals=[2 + r * (h + 2) + h / 2 for r in range(rows)],
                     ticktext=list(row_labels), showgrid=False)
    fig.update_layout(margin=dict(l=100, r=10, t=50, b=10))
    return _layout(fig, title, height=int(60 + width * pic.shape[0] / pic.shape[1]))


def class_balance(counts: dict[str, dict[str, list[int]]], classes: dict[str, tuple]) -> go.Figure:
    """Bars of images per class, train and test, with a dropdown over data sets.

    ``counts[dataset][split]`` lists the counts per class.
    """
    fig = go.Figure()
    names = list(counts)
    for d, name in enumerate(names):
        for s, split in enumerate(("train", "test")):
            fig.add_bar(x=list(classes[name]), y=counts[name][split], name=split,
                        marker_color=PALETTE[s], visible=(d == 0),
                        hovertemplate="%{x}: %{y} images<extra>" + split + "</extra>")
    buttons = []
    for d, name in enumerate(names):
        visible = [i // 2 == d for i in range(2 * len(names))]
        buttons.append(dict(label=name, method="update", args=[{"visible": visible}]))
    fig.update_layout(updatemenus=[dict(buttons=buttons, x=1.0, xanchor="right", y=1.15, yanchor="top")],
                      barmode="group", yaxis_title="images", xaxis_title="class")
    return _layout(fig, "Images per class")


def accuracy_by_arch(table) -> go.Figure:
    """Test accuracy per model (points) and its mean ± std over seeds (bars).

    ``table``: a pandas DataFrame with columns ``group``, ``seed``, ``test_accuracy``.
    """
    fig = go.Figure()
    groups = list(dict.fromkeys(table["group"]))
    stats = table.groupby("group", sort=False)["test_accuracy"].agg(["mean", "std", "count"])
    fig.add_bar(x=groups, y=[100 * stats.loc[g, "mean"] for g in groups], name="mean over seeds",
                marker_color="#c6d4e8",
                error_y=dict(type="data", array=[100 * np.nan_to_num(stats.loc[g, "std"]) for g in groups]),
                hovertemplate="%{x}: %{y:.2f}%<extra>mean ± std</extra>")
    fig.add_scatter(x=table["group"], y=100 * table["test_accuracy"], mode="markers", name="one seed",
                    marker=dict(color="#4C72B0", size=8), customdata=table["seed"],
                    hovertemplate="%{x}, seed %{customdata}: %{y:.2f}%<extra></extra>")
    lo = 100 * table["test_accuracy"].min()
    fig.update_yaxes(title="test accuracy (%)", range=[max(0, lo - 3), 100])
    return _layout(fig, "Test accuracy of the zoo (mean ± std over seeds)")


def training_curves(curves) -> go.Figure:
    """Training loss against minibatch, one line per model, coloured by group.

    ``curves``: iterable of (group, label, steps, losses).
    """
    fig = go.Figure()
    colours, shown = {}, set()
    for group, label, steps, losses in curves:
        colour = colours.setdefault(group, PALETTE[len(colours) % len(PALETTE)])
        fig.add_scatter(x=steps, y=losses, mode="lines", name=group, legendgroup=group,
                        showlegend=group not in shown, line=dict(color=colour, width=1.5),
                        hovertemplate=label + ": step %{x}, loss %{y:.3f}<extra></extra>")
        shown.add(group)
    fig.update_xaxes(title="minibatch")
    fig.update_yaxes(title="training loss (cross-entropy)", type="log")
    return _layout(fig, "Training curves")


__all__ = ["use_book_renderer", "mosaic", "image_grid", "class_balance", "accuracy_by_arch",
           "training_curves", "make_subplots"]
