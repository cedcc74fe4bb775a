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

# The toolbar keeps what a reader of a static figure uses (save as PNG, zoom, pan, reset, autoscale):
# lasso and box selection do nothing here, and a short toolbar leaves the title its row on a phone.
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d"]}

# Every figure fits its container at any width (a phone's 420 px as a desktop's 1400 px): after
# each draw, resize and title change, this script wraps the title into lines that clear plotly's
# toolbar, and where the menus of the row above the plot would overlap each other or run off the
# right edge, stacks them in rows; the top margin grows to hold both; numbers printed in heatmap
# cells that plotly would shrink below 9 px are left to the hover. At widths where everything
# fits, the figure is left exactly as designed.
FIT_SCRIPT = r"""
(function () {
  var gd = document.getElementById('{plot_id}');
  if (!gd || gd._ncFit) { return; }
  var ROW = 38, GAP = 8;
  function plain(s) { return s.replace(/<br>/g, ' ').replace(/<[^>]+>/g, ''); }
  function wrap(text, font, room) {
    var ctx = (wrap.canvas || (wrap.canvas = document.createElement('canvas'))).getContext('2d');
    ctx.font = font.size + 'px ' + font.family;
    var words = text.replace(/<br>/g, ' ').split(/\s+/).filter(Boolean), lines = [], line = '';
    for (var i = 0; i < words.length; i++) {
      var next = line ? line + ' ' + words[i] : words[i];
      if (line && ctx.measureText(plain(next)).width > room) { lines.push(line); line = words[i]; } else { line = next; }
    }
    if (line) { lines.push(line); }
    return lines;
  }
  function cellLabels(width) {   // numbers printed in heatmap cells: hidden (still in the hover) below 9 px
    var shown = Array.prototype.map.call(gd.querySelectorAll('.heatmap-label'),
                                         function (e) { return e.tagName === 'text' ? e : e.querySelector('text'); })
      .filter(function (e) { return e && e.getBoundingClientRect().width > 0; });
    var tiny = shown.some(function (e) { return parseFloat(getComputedStyle(e).fontSize) < 9; });
    if (tiny && !gd._ncHidden) {
      var idx = [], saved = [];
      gd.data.forEach(function (t, i) { if (t.type === 'heatmap' && t.texttemplate) { idx.push(i); saved.push(t.texttemplate); } });
      gd._ncHidden = {width: width, idx: idx, saved: saved};
      if (idx.length) { Plotly.restyle(gd, {texttemplate: ''}, idx); }
    } else if (gd._ncHidden && width > gd._ncHidden.width + 40) {
      var h = gd._ncHidden; gd._ncHidden = null;
      if (h.idx.length) { Plotly.restyle(gd, {texttemplate: h.saved}, h.idx); }
    }
  }
  function fit() {
    var full = gd._fullLayout;
    if (!full || gd._ncFitting || !gd.clientWidth) { return; }
    var width = gd.clientWidth;
    cellLabels(width);
    if (!gd._ncBase) {
      gd._ncBase = {top: full.margin.t, title: (gd.layout.title && gd.layout.title.text) || '', titleY: full.title.y,
                    menus: (gd.layout.updatemenus || []).map(function (m) { return {x: m.x, y: m.y}; })};
    }
    var base = gd._ncBase, update = {}, extra = 0, rows = {}, size = full._size;
    // menus: in their designed places where they fit, else stacked in rows from the left
    var heads = Array.prototype.slice.call(gd.querySelectorAll('.updatemenu-header-group'));
    if (heads.length === base.menus.length && heads.length > 0) {
      var widths = heads.map(function (h) { return h.getBoundingClientRect().width; });
      var lefts = base.menus.map(function (m) { return size.l + (m.x || 0) * size.w; });
      var order = lefts.map(function (l, i) { return i; }).sort(function (a, b) { return lefts[a] - lefts[b]; });
      var fits = order.every(function (i, n) {
        var next = order[n + 1];
        return lefts[i] + widths[i] <= width - 4 && (next === undefined || lefts[i] + widths[i] + 2 <= lefts[next]);
      });
      var row = 0, x = 4;
      for (var k = 0; k < heads.length; k++) {
        if (fits) { update['updatemenus[' + k + '].x'] = base.menus[k].x; rows[k] = 0; continue; }
        if (x > 4 && x + widths[k] > width - 4) { row += 1; x = 4; }
        update['updatemenus[' + k + '].x'] = (x - size.l) / size.w;
        rows[k] = row;
        x += widths[k] + GAP;
      }
      extra = fits ? 0 : row * ROW;
    }
    // the title: one line beside the toolbar where it fits, else wrapped to the full width below it
    var bar = gd.querySelector('.modebar'), font = full.title.font, left = (full.title.x || 0) * width;
    var barBox = bar ? bar.getBoundingClientRect() : null, barWidth = barBox ? barBox.width : 0;
    var lines = wrap(base.title, font, width - left - barWidth - 16), below = 0;
    if (lines.length > 1 && barBox) {
      lines = wrap(base.title, font, width - left - 12);
      below = Math.round(barBox.bottom - gd.getBoundingClientRect().top) + 8;
    }
    var top = base.top + extra + below + Math.max(0, lines.length - 1) * Math.round(font.size * 1.3);
    update['title.text'] = lines.join('<br>');
    update['title.y'] = below ? 1 - below / full.height : base.titleY;
    update['margin.t'] = top;
    var h = size.h - (top - full.margin.t);
    for (var r in rows) { update['updatemenus[' + r + '].y'] = base.menus[r].y + rows[r] * ROW / h; }
    function current(key) {   // the layout's value at a relayout key such as 'updatemenus[1].y'
      return key.replace(/\[(\d+)\]/g, '.$1').split('.').reduce(function (o, k) { return o == null ? o : o[k]; }, gd.layout);
    }
    if (Object.keys(update).every(function (key) { return current(key) === update[key]; })) { return; }
    gd._ncFitting = true;
    function done() { gd._ncFitting = false; }
    Plotly.relayout(gd, update).then(function () {
      cellLabels(width);   // the plot may have shrunk with the margin
      // plotly anchors a title of several lines by more than its first line: measure and nudge
      var title = gd.querySelector('.gtitle');
      if (!below || !title) { return; }
      var over = barBox.bottom + 4 - title.getBoundingClientRect().top, now = gd._fullLayout;
      if (over > 0) { return Plotly.relayout(gd, {'title.y': now.title.y - over / now.height, 'margin.t': now.margin.t + Math.ceil(over)}); }
    }).then(done, done);
  }
  function retitle(text) {
    if (gd._ncFitting || text === undefined || !gd._ncBase) { return; }
    gd._ncBase.title = text; fit();
  }
  gd._ncFit = fit;
  gd.on('plotly_relayout', function (e) { if (e) { retitle(e['title.text']); } });
  gd.on('plotly_update', function (e) { if (e && e.layout) { retitle(e.layout['title.text']); } });
  var timer = null;
  window.addEventListener('resize', function () { clearTimeout(timer); timer = setTimeout(fit, 200); });
  fit();
})();
"""

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
                           validate=False, default_width="100%", post_script=[FIT_SCRIPT, GRID_SCRIPT])
        return {"text/html": html}


class LiveNotebookRenderer(MimetypeRenderer):
    """For live Jupyter: plotly.js inlined once per kernel (offline), then HTML like the book's."""

    def __init__(self):
        self.loaded = False

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=not self.loaded, full_html=False,
                           config=CONFIG, validate=False, default_width="100%",
                           post_script=[FIT_SCRIPT, GRID_SCRIPT])
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
