"""How figures reach the page: plotly renderers for the static book and for live Jupyter, and
``grid_figure``, which combines several controls over a grid of precomputed values.

In a book build (``NOISECORR_BOOK=1``) figures are emitted as plain HTML that calls the
plotly.js the book serves from its own ``_static`` folder — never a CDN, and never plotly 6's
JSON-only mimetype, which myst-nb cannot render (a silently blank figure).
"""
from __future__ import annotations

import os

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

CONFIG = {"displaylogo": False, "responsive": True}

# Plotly's sliders and menus can each restyle a figure, but two controls cannot be combined
# (brightness × noise kind × model pair) without a kernel. A figure made by ``grid_figure``
# carries its whole grid in ``layout.meta.grid``; this script, run right after the plot is
# drawn, listens to plotly's own control events and shows the grid cell of the current state.
GRID_SCRIPT = """
(function () {
  var gd = document.getElementById('{plot_id}');
  if (!gd || !gd.layout || !gd.layout.meta || !gd.layout.meta.grid) { return; }
  var grid = gd.layout.meta.grid;
  function redraw() {
    var cell = grid.cells;
    for (var i = 0; i < grid.state.length; i++) { cell = cell[grid.state[i]]; }
    var update = {};
    if (grid.key === null) { for (var k in cell) { update[k] = cell[k]; } } else { update[grid.key] = [cell]; }
    Plotly.restyle(gd, update, Array.isArray(grid.trace) ? grid.trace : [grid.trace]);
    if (grid.titles) {
      var t = grid.titles;
      if (typeof t === 'string') {
        for (var j = 0; j < grid.state.length; j++) { t = t.replace('{' + grid.dims[j] + '}', grid.labels[j][grid.state[j]]); }
      } else {
        for (var k = 0; k < grid.state.length; k++) { t = t[grid.state[k]]; }
      }
      Plotly.relayout(gd, {'title.text': t});
    }
  }
  gd.on('plotly_sliderchange', function (e) {
    var d = grid.dims.indexOf(e.slider.name);
    if (d >= 0) { grid.state[d] = e.slider.steps.indexOf(e.step); redraw(); }
  });
  gd.on('plotly_buttonclicked', function (e) {
    var d = grid.dims.indexOf(e.menu.name);
    if (d >= 0) { grid.state[d] = e.active; redraw(); }
  });
})();
"""


class StaticBookRenderer(MimetypeRenderer):
    """``text/html`` only, without plotly.js (the book page loads it once)."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False, config=CONFIG,
                           validate=False, default_width="100%", post_script=GRID_SCRIPT)
        return {"text/html": html}


class LiveNotebookRenderer(MimetypeRenderer):
    """For live Jupyter: plotly.js inlined once per kernel (offline), then HTML like the book's."""

    def __init__(self):
        self.loaded = False

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=not self.loaded, full_html=False,
                           config=CONFIG, validate=False, default_width="100%",
                           post_script=GRID_SCRIPT)
        self.loaded = True
        return {"text/html": html}


pio.renderers["noisecorr_book"] = StaticBookRenderer()
pio.renderers["noisecorr_live"] = LiveNotebookRenderer()


def use_book_renderer() -> None:
    pio.renderers.default = "noisecorr_book"


def use_live_renderer() -> None:
    """Figures with combined controls (``grid_figure``) need this renderer in live Jupyter."""
    pio.renderers.default = "noisecorr_live"


if os.environ.get("NOISECORR_BOOK") == "1":
    use_book_renderer()


def grid_figure(fig: go.Figure, cells, dims, labels, state, key: str = "z", trace: int = 0,
                title=None, slider_dim: str | None = None) -> go.Figure:
    """Attach plotly controls over a grid of precomputed values for one trace property.

    ``cells`` is nested lists indexed by the dimensions ``dims`` (``labels[i]`` names the
    values of dimension i); the last-level item is what ``key`` of trace ``trace`` becomes
    (``key=None``: the item is a dict of several properties, each a list with one value per
    trace of ``trace``, which may then be a list of trace indices: ``{"x": [x0, x1], "y": [y0, y1]}``).
    Dimension ``slider_dim`` gets a slider, every other one a dropdown menu, in a row between
    the title and the plot (never over the title). ``title`` may name dimensions in braces,
    e.g. ``"{kind} at brightness {brightness}"``, or be nested lists of strings shaped like
    the grid (a title per cell, e.g. with that cell's numbers).
    """
    menus, sliders = [], []
    n_menus = sum(d != slider_dim for d in dims)
    k = 0
    for d, (dim, names) in enumerate(zip(dims, labels)):
        if dim == slider_dim:
            sliders.append(dict(name=dim, active=state[d], currentvalue=dict(prefix=f"{dim}: "),
                                pad=dict(t=40), steps=[dict(label=str(v), method="skip", args=[None])
                                                       for v in names]))
        else:
            menus.append(dict(name=dim, active=state[d], x=k / max(1, n_menus), xanchor="left",
                              y=1.01, yanchor="bottom", direction="down", showactive=True,
                              buttons=[dict(label=str(v), method="skip", args=[None]) for v in names]))
            k += 1
    cell = cells
    for i in state:
        cell = cell[i]
    if key is None:
        for n, t in enumerate(trace if isinstance(trace, list) else [trace]):
            fig.data[t].update({k: v[n] for k, v in cell.items()})
    else:
        fig.update_traces({key: cell}, selector=trace)
    grid = dict(cells=cells, dims=list(dims), labels=[[str(v) for v in n] for n in labels],
                state=list(state), key=key, trace=trace, titles=title)
    fig.update_layout(updatemenus=menus, sliders=sliders, meta=dict(grid=grid))
    if isinstance(title, str):
        t = title
        for dim, names, i in zip(dims, labels, state):
            t = t.replace("{" + dim + "}", str(names[i]))
        fig.update_layout(title_text=t)
    elif title is not None:
        t = title
        for i in state:
            t = t[i]
        fig.update_layout(title_text=t)
    return fig




def html(fig: go.Figure) -> "IPython.display.HTML":
    """The figure as an HTML display object, for myst-nb's ``glue`` (a numbered ``{glue:figure}``
    caption): a plotly Figure itself would display at once through its ``_ipython_display_``
    and leave nothing to glue. Book pages load plotly.js themselves; in live Jupyter it is
    inlined once per kernel."""
    from IPython.display import HTML

    book = os.environ.get("NOISECORR_BOOK") == "1"
    renderer = pio.renderers["noisecorr_book" if book else "noisecorr_live"]
    return HTML(renderer.to_mimebundle(fig.to_dict())["text/html"])


def figure_data(fig: go.Figure) -> "pandas.DataFrame":
    """The numbers a figure draws, one row per point (per cell of a heatmap), in the state it is
    first shown: trace, its type, x, y, z where the trace has them, and the error bars. Images
    (PNG mosaics of inputs) are named, not expanded into pixels."""
    import numpy as np
    import pandas as pd

    rows = []
    for k, trace in enumerate(fig.data):
        name = getattr(trace, "name", None) or f"trace {k + 1}"
        get = lambda key: _decoded(getattr(trace, key, None)) if key in trace else None   # noqa: E731
        if trace.type == "image":
            rows.append({"trace": name, "type": "image", "note": "pixels: the PNG drawn in the figure"})
            continue
        z = get("z")
        if z is not None and np.ndim(z) == 2:
            xs, ys = get("x"), get("y")
            for i, line in enumerate(z):
                for j, value in enumerate(line):
                    rows.append({"trace": name, "type": trace.type, "x": xs[j] if xs is not None else j,
                                 "y": ys[i] if ys is not None else i, "z": value})
            continue
        columns = {key: get(key) for key in ("x", "y", "z", "text") if get(key) is not None
                   and not isinstance(get(key), str)}
        for bar in ("error_x", "error_y"):
            e = get(bar)
            if e is not None and e.array is not None:
                columns[f"{bar}_plus"] = _decoded(e.array)
                columns[f"{bar}_minus"] = _decoded(e.arrayminus if e.arrayminus is not None else e.array)
        n = max((len(v) for v in columns.values()), default=0)
        for i in range(n):
            rows.append({"trace": name, "type": trace.type,
                         **{key: (v[i] if i < len(v) else None) for key, v in columns.items()}})
    return pd.DataFrame(rows)


def _decoded(value):
    """A trace property as plain values: plotly's typed arrays (``{"dtype", "bdata", "shape"}``, how
    a figure read back from JSON holds numpy arrays) decoded."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if value.get("shape"):
            arr = arr.reshape([int(n) for n in str(value["shape"]).split(",")])
        return arr.tolist()
    return value
