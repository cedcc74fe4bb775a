"""The book's figure style in one place: palette, fonts and their smallest size, margins, the
diverging κ scale centred on 0 and the neutral colours of "undefined" and "a model with itself".
Every figure module takes its sizes and colours from here; ``render.FIT_SCRIPT`` fits titles and
menus to the reader's screen width."""
from __future__ import annotations

PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3",
           "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD")
UNDEFINED = "#D9D9D9"   # a value that does not exist (κ when a model gives one answer; other label spaces)
SELF = "#9A9A9A"        # a model compared with itself (a matrix's diagonal)

FONT = 13               # body text of a figure: axis titles, legends, menus
TITLE_FONT = 15
MIN_FONT = 9            # no label is drawn smaller (browser tests check it at 420 px and 1400 px)
TICK_FONT = dict(size=10)  # tick labels of matrices with many rows; plotly thins them where they would collide

MARGIN = dict(l=70, r=20, t=60, b=55)
CONTROLS_TOP = 120      # top margin of a figure with menus: title first, then the menus, then the plot

KAPPA_SCALE = dict(colorscale="RdBu_r", zmid=0)   # κ: red above chance, blue below, white at chance


def kappa_limit(values) -> float:
    """The symmetric colour range of a κ matrix: its largest |κ|, at least 0.05."""
    import numpy as np

    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    return max(0.05, float(np.abs(finite).max()) if len(finite) else 1.0)


def matrix_axes(fig) -> None:
    """Square cells, rows from the top, labels at the readable size (thinned by plotly where dense)."""
    fig.update_yaxes(autorange="reversed", scaleanchor="x", tickfont=TICK_FONT, showgrid=False)
    fig.update_xaxes(tickfont=TICK_FONT, tickangle=-60, showgrid=False)
