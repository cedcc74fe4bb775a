"""Shared pieces of every chart: palette, layout (title above the controls, controls above the
plot), image mosaics, lines with a confidence band."""
from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go

from .style import CONTROLS_TOP, FONT, MARGIN, PALETTE, TITLE_FONT, UNDEFINED  # noqa: F401 (re-exported)


def layout(fig: go.Figure, title: str, height: int = 420, controls: bool = False) -> go.Figure:
    """Title at the top left of the figure, outside the plot; with ``controls`` the top margin
    leaves a row for menus between the title and the plot."""
    fig.update_layout(title=dict(text=title, x=0.01, xanchor="left", y=0.985, yanchor="top", yref="container",
                                 font=dict(size=TITLE_FONT)),
                      height=height, template="plotly_white", font=dict(size=FONT))
    top = CONTROLS_TOP if controls else MARGIN["t"]
    margin = fig.layout.margin
    fig.update_layout(margin=dict(l=margin.l if margin.l is not None else MARGIN["l"],
                                  r=margin.r if margin.r is not None else MARGIN["r"],
                                  t=max(top, margin.t or 0), b=margin.b if margin.b is not None else MARGIN["b"]))
    return fig


def menu(buttons, x: float = 0.0, name: str | None = None, active: int = 0) -> dict:
    """A dropdown placed in the row between the title and the plot."""
    out = dict(buttons=buttons, x=x, xanchor="left", y=1.01, yanchor="bottom", direction="down",
               showactive=True, active=active)
    if name:
        out["name"] = name
    return out


def png_source(image: np.ndarray) -> str:
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


def image_grid(images: np.ndarray, row_labels, cols: int, title: str, width: int = 640,
               col_labels=None) -> go.Figure:
    """One row of ``cols`` images per label, drawn as a single compact PNG; optional column labels."""
    rows = len(row_labels)
    pic = mosaic(images, rows, cols)
    fig = go.Figure(go.Image(source=png_source(pic), hoverinfo="skip"))
    h, w = images.shape[2], images.shape[3]
    if col_labels is not None:
        fig.update_xaxes(tickmode="array", tickvals=[2 + c * (w + 2) + w / 2 for c in range(cols)],
                         ticktext=list(col_labels), side="top", showgrid=False, zeroline=False)
    else:
        fig.update_xaxes(visible=False)
    fig.update_yaxes(tickmode="array", tickvals=[2 + r * (h + 2) + h / 2 for r in range(rows)],
                     ticktext=list(row_labels), showgrid=False, zeroline=False)
    fig.update_layout(margin=dict(l=150, r=10, t=80 if col_labels is not None else 50, b=10))
    return layout(fig, title, height=int(70 + width * pic.shape[0] / pic.shape[1]))


def band_ys(mean, lo, hi) -> tuple[list, list]:
    """The y values of a 95% band (a closed outline: hi forwards, lo backwards) and of its line.
    Undefined values become gaps (None), never NaN in the page."""
    def clean(v):
        return [None if x is None or x != x else round(float(x), 4) for x in v]
    return clean(hi) + clean(lo)[::-1], clean(mean)


def band_line(fig: go.Figure, x, mean, lo, hi, name: str, colour: str, hovertemplate: str) -> None:
    """A line of means with its 95% band behind it: two traces, band then line, so a menu can
    restyle them with ``band_ys``."""
    x = list(x)
    band, line = band_ys(mean, lo, hi)
    fig.add_scatter(x=x + x[::-1], y=band, fill="toself", line=dict(width=0), fillcolor=colour, opacity=0.18,
                    hoverinfo="skip", showlegend=False, legendgroup=name)
    fig.add_scatter(x=x, y=line, mode="lines+markers", name=name, legendgroup=name, line=dict(color=colour),
                    hovertemplate=hovertemplate)
