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
    var update = {}; update[grid.key] = [cell];
    Plotly.restyle(gd, update, [grid.trace]);
    if (grid.titles) {
      var t = grid.titles;
      for (var j = 0; j < grid.state.length; j++) { t = t.replace('{' + grid.dims[j] + '}', grid.labels[j][grid.state[j]]); }
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


def grid_figure(fig: go.Figure, cells, dims, labels, state, key: str = "z", trace: int = 0,
                title: str | None = None, slider_dim: str | None = None) -> go.Figure:
    """Attach plotly controls over a grid of precomputed values for one trace property.

    ``cells`` is nested lists indexed by the dimensions ``dims`` (``labels[i]`` names the
    values of dimension i); the last-level item is what ``key`` of trace ``trace`` becomes.
    Dimension ``slider_dim`` gets a slider, every other one a dropdown menu. ``title`` may
    name dimensions in braces, e.g. ``"{kind} at brightness {brightness}"``.
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
                              y=1.02, yanchor="bottom", direction="down", showactive=True,
                              buttons=[dict(label=str(v), method="skip", args=[None]) for v in names]))
            k += 1
    cell = cells
    for i in state:
        cell = cell[i]
    fig.update_traces({key: cell}, selector=trace)
    grid = dict(cells=cells, dims=list(dims), labels=[[str(v) for v in n] for n in labels],
                state=list(state), key=key, trace=trace, titles=title)
    fig.update_layout(updatemenus=menus, sliders=sliders, meta=dict(grid=grid))
    if title:
        t = title
        for dim, names, i in zip(dims, labels, state):
            t = t.replace("{" + dim + "}", str(names[i]))
        fig.update_layout(title=t)
    return fig


def answer_histogram(tables, kinds, pairs, brightnesses, class_names, state=None) -> go.Figure:
    """The 10×10 histogram of model A's answer (rows) against model B's (columns), with a
    noise-kind and a model-pair menu and a brightness slider.

    ``tables[kind][pair][brightness]`` is a k×k count matrix.
    """
    first = np.asarray(tables[0][0][-1])
    fig = go.Figure(go.Heatmap(z=first, x=list(class_names), y=list(class_names), colorscale="Blues",
                               texttemplate="%{z}", hovertemplate="A says %{y}, B says %{x}: %{z} images<extra></extra>",
                               colorbar=dict(title="images")))
    fig.update_xaxes(title="model B's answer", type="category", side="bottom")
    fig.update_yaxes(title="model A's answer", type="category", autorange="reversed", scaleanchor="x")
    _layout(fig, "", height=680)
    fig.update_layout(margin=dict(l=70, r=20, t=110, b=60), title=dict(y=0.98, yanchor="top"))
    cells = [[[np.asarray(t).tolist() for t in per_pair] for per_pair in per_kind] for per_kind in tables]
    return grid_figure(fig, cells, ["kind", "pair", "brightness"], [kinds, pairs, brightnesses],
                       state or [0, 0, len(brightnesses) - 1], slider_dim="brightness",
                       title="{pair} · {kind} · brightness {brightness}")


def kappa_matrix(kappas, labels, brightnesses, title: str) -> go.Figure:
    """Models × models Cohen's κ, one matrix per brightness (a slider)."""
    fig = go.Figure(go.Heatmap(z=np.round(kappas[-1], 3), x=labels, y=labels, zmin=-0.2, zmax=1,
                               colorscale="RdBu_r", zmid=0, colorbar=dict(title="κ"),
                               hovertemplate="%{y} vs %{x}: κ = %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", tickfont=dict(size=9))
    fig.update_xaxes(tickfont=dict(size=9), tickangle=-60)
    steps = [dict(label=f"{b:g}", method="restyle", args=[{"z": [np.round(k, 3).tolist()]}])
             for b, k in zip(brightnesses, kappas)]
    fig.update_layout(sliders=[dict(active=len(steps) - 1, steps=steps, pad=dict(t=60),
                                    currentvalue=dict(prefix="brightness: "))])
    _layout(fig, title, height=760)
    fig.update_layout(margin=dict(l=110, r=20, t=60, b=110))
    return fig


def attractor_map(shares, groups, kinds, brightnesses, class_names) -> go.Figure:
    """Share of each class in a model group's answers against brightness, one panel per group,
    a menu for the noise kind. ``shares[kind][group]`` is a (n_brightness, k) array."""
    cols = min(4, len(groups))
    rows = (len(groups) + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(groups), shared_yaxes=True,
                        horizontal_spacing=0.03, vertical_spacing=0.12)
    for g, group in enumerate(groups):
        z = np.asarray(shares[0][g]).T
        fig.add_trace(go.Heatmap(z=z, x=[f"{b:g}" for b in brightnesses], y=list(class_names),
                                 zmin=0, zmax=1, colorscale="Viridis", showscale=g == 0,
                                 colorbar=dict(title="share"),
                                 hovertemplate=group + ": class %{y} at brightness %{x}: %{z:.0%}<extra></extra>"),
                      row=g // cols + 1, col=g % cols + 1)
    buttons = [dict(label=kind, method="restyle",
                    args=[{"z": [np.round(np.asarray(shares[k][g]).T, 3).tolist() for g in range(len(groups))]}])
               for k, kind in enumerate(kinds)]
    fig.update_layout(updatemenus=[dict(buttons=buttons, x=0, xanchor="left", y=1.12, yanchor="top")])
    fig.update_yaxes(type="category")
    _layout(fig, "Which class do the models call noise? (share of answers, by brightness)",
            height=300 * rows + 120)
    fig.update_layout(margin=dict(l=60, r=20, t=120, b=40))
    return fig


def _band_ys(mean, lo, hi) -> tuple[list, list]:
    """The y values of a 95% band (a closed outline: hi forwards, lo backwards) and of its line."""
    return list(hi) + list(lo)[::-1], list(mean)


def _band_line(fig: go.Figure, x, mean, lo, hi, name: str, colour: str, hovertemplate: str) -> None:
    """A line of means with its 95% band behind it: two traces, band then line, so a menu can
    restyle them with ``_band_ys``."""
    x = list(x)
    band, line = _band_ys(mean, lo, hi)
    fig.add_scatter(x=x + x[::-1], y=band, fill="toself", line=dict(width=0), fillcolor=colour, opacity=0.18,
                    hoverinfo="skip", showlegend=False, legendgroup=name)
    fig.add_scatter(x=x, y=line, mode="lines+markers", name=name, legendgroup=name, line=dict(color=colour),
                    hovertemplate=hovertemplate)


def kappa_curves(curves, kinds, brightnesses) -> go.Figure:
    """Mean κ (with a 95% band over pairs) against brightness, one line per pair type, a menu
    for the noise kind. ``curves[kind][pair_type] = (mean, lo, hi)`` arrays over brightness."""
    fig = go.Figure()
    types = list(curves[0])
    x = list(brightnesses)
    for t, name in enumerate(types):
        _band_line(fig, x, *curves[0][name], name, PALETTE[t % len(PALETTE)],
                   name + ": κ = %{y:.2f} at %{x}<extra></extra>")
    buttons = []
    for k, kind in enumerate(kinds):
        ys = []
        for name in types:
            ys += _band_ys(*(np.round(np.asarray(v), 4).tolist() for v in curves[k][name]))
        buttons.append(dict(label=kind, method="restyle", args=[{"y": ys}]))
    fig.update_layout(updatemenus=[dict(buttons=buttons, x=0, xanchor="left", y=1.15, yanchor="top")])
    fig.update_xaxes(title="brightness (noise image multiplied by)")
    fig.update_yaxes(title="Cohen's κ (0 = chance, 1 = always agree)")
    _layout(fig, "Agreement beyond chance as noise gets brighter", height=480)
    fig.update_layout(margin=dict(l=70, r=20, t=110, b=60))
    return fig


def density_by_class(test_median, noise_median, noise_share, kinds, class_names, model: str) -> go.Figure:
    """Median N_S of test digits per true class (bars) beside the median N_S of noise images per
    class the model *answers* (markers sized by the share of noise sent there), with a menu for
    the noise kind. ``noise_median[k]`` and ``noise_share[k]`` are per-class arrays for kind k
    (NaN where no noise lands)."""
    fig = go.Figure()
    names = [str(c) for c in class_names]
    fig.add_bar(x=names, y=np.round(test_median, 1).tolist(), name="test digits of the class",
                marker_color=PALETTE[0], opacity=0.7, hovertemplate="class %{x}: median N_S %{y:,.0f}<extra></extra>")

    def marker(k):
        share = np.asarray(noise_share[k], dtype=float)
        return dict(size=(8 + 40 * np.sqrt(share)).round(1).tolist(), color=PALETTE[1], line=dict(width=1, color="white"))

    def values(k):
        return [None if v != v else round(float(v), 1) for v in noise_median[k]]

    fig.add_scatter(x=names, y=values(0), mode="markers", name="noise answered as the class",
                    marker=marker(0), customdata=np.round(100 * np.asarray(noise_share[0]), 1).tolist(),
                    hovertemplate="answered %{x}: %{customdata}% of noise, median N_S %{y:,.0f}<extra></extra>")
    buttons = [dict(label=kind, method="restyle",
                    args=[{"y": [values(k)], "marker": [marker(k)],
                           "customdata": [np.round(100 * np.asarray(noise_share[k]), 1).tolist()]}, [1]])
               for k, kind in enumerate(kinds)]
    fig.update_layout(updatemenus=[dict(buttons=buttons, x=0, xanchor="left", y=1.15, yanchor="top")])
    fig.update_xaxes(title="class (true class for digits, the model's answer for noise)", type="category")
    fig.update_yaxes(title="median N_S")
    _layout(fig, f"{model}: density by class, digits and full-brightness noise (marker area: share of noise)",
            height=460)
    fig.update_layout(margin=dict(l=70, r=20, t=110, b=60))
    return fig


def registration_scatter(per_sigma: dict, max_points: int = 1500) -> go.Figure:
    """Per test input, its position error against 1/√N_S, one σ at a time (slider), with the
    averaging argument's expectation E|error| = σ·√(π/2)/√N_S (a 2-D error with std σ/√N_S per
    coordinate). ``per_sigma[σ] = (inv_sqrt_density, error)`` arrays."""
    sigmas = sorted(per_sigma)
    fig = go.Figure()

    def traces(sigma):
        inv, err = (np.asarray(v)[:max_points] for v in per_sigma[sigma])
        line_x = [0.0, float(inv.max())]
        return ([np.round(inv, 6).tolist(), line_x], [np.round(err, 4).tolist(),
                [0.0, float(sigma * np.sqrt(np.pi / 2) * inv.max())]])

    xs, ys = traces(sigmas[-1])
    fig.add_scatter(x=xs[0], y=ys[0], mode="markers", name="test inputs", marker=dict(size=4, opacity=0.5,
                    color=PALETTE[0]), hovertemplate="1/√N_S = %{x:.4f}<br>error %{y:.2f} px<extra></extra>")
    fig.add_scatter(x=xs[1], y=ys[1], mode="lines", name="averaging argument σ·√(π/2)/√N_S",
                    line=dict(color=PALETTE[3], dash="dash"))
    steps = []
    for sigma in sigmas:
        x, y = traces(sigma)
        steps.append(dict(label=f"{sigma:g}", method="update",
                          args=[{"x": x, "y": y}, {"title.text": f"Position error against 1/√N_S, target noise σ = {sigma:g} px"}]))
    fig.update_layout(sliders=[dict(active=len(sigmas) - 1, currentvalue=dict(prefix="σ (px): "), pad=dict(t=50),
                                    steps=steps)])
    fig.update_xaxes(title="1/√N_S (N_S: soft count of similar training canvases)")
    fig.update_yaxes(title="test error |predicted − true shift| (pixels)")
    return _layout(fig, f"Position error against 1/√N_S, target noise σ = {sigmas[-1]:g} px", height=500)


def registration_errors(summary) -> go.Figure:
    """Test RMSE against the target noise σ (mean and 95% band over seeds), beside y = σ and the
    averaging argument's prediction √(RMSE₀² + σ²·mean(1/N_S))."""
    from .stats import mean_ci

    fig = go.Figure()
    sigmas = sorted(summary["sigma"].unique())
    for col, name, colour in (("test RMSE", "network (test RMSE)", PALETTE[0]),
                              ("predicted test RMSE", "averaging argument", PALETTE[3])):
        stats_ = [mean_ci(summary[summary.sigma == s][col], bounds=(0, np.inf)) for s in sigmas]
        _band_line(fig, sigmas, *zip(*stats_), name, colour, name + ": %{y:.3f} px at σ = %{x}<extra></extra>")
    fig.add_scatter(x=[0, max(sigmas)], y=[0, max(sigmas)], mode="lines", name="y = σ (the targets' own error)",
                    line=dict(color="grey", dash="dot"))
    fig.update_xaxes(title="σ of the Gaussian noise on the training targets (pixels)")
    fig.update_yaxes(title="RMSE per coordinate on test canvases (pixels)")
    return _layout(fig, "Learning positions from noisy targets", height=460)


def learning_curves(table, metrics=("val accuracy", "pair cosine")) -> go.Figure:
    """Mean and 95% band over seeds of a metric against training step, one line per variant,
    and a menu to switch the metric. ``table``: columns variant, seed, step and the metrics."""
    from .stats import mean_ci

    variants = list(dict.fromkeys(table["variant"]))
    steps = sorted(table["step"].unique())

    def series(metric, variant):
        sub = table[table.variant == variant]
        out = [mean_ci(sub[sub.step == s][metric], bounds=(-1, 1)) for s in steps]
        return [np.round(np.array(v), 4).tolist() for v in zip(*out)]

    fig = go.Figure()
    for i, v in enumerate(variants):
        _band_line(fig, steps, *series(metrics[0], v), v, PALETTE[i % len(PALETTE)],
                   v + ": %{y:.3f} after %{x} minibatches<extra></extra>")
    buttons = []
    for metric in metrics:
        ys = []
        for v in variants:
            ys += _band_ys(*series(metric, v))
        buttons.append(dict(label=metric, method="update", args=[{"y": ys}, {"yaxis.title.text": metric}]))
    fig.update_layout(updatemenus=[dict(buttons=buttons, x=0, xanchor="left", y=1.15, yanchor="top")])
    fig.update_xaxes(title="minibatches")
    fig.update_yaxes(title=metrics[0])
    _layout(fig, "Training with and without similarity enforcement (mean and 95% band over seeds)", height=480)
    fig.update_layout(margin=dict(l=70, r=20, t=110, b=60))
    return fig


__all__ = ["density_by_class", "registration_scatter", "registration_errors", "learning_curves", "grid_figure", "answer_histogram", "kappa_matrix", "attractor_map", "kappa_curves",
           "use_live_renderer", "use_book_renderer", "mosaic", "image_grid", "class_balance", "accuracy_by_arch",
           "training_curves", "make_subplots"]
