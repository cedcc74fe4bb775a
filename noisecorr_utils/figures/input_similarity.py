"""Charts of chapter 3: densities N_S, the registration task, similarity enforcement."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .base import PALETTE, band_line, band_ys, layout, menu
from .render import grid_figure


def density_histograms(test_density, noise_density: dict, kinds, brightnesses, model: str) -> go.Figure:
    """Distribution of N_S for test digits (fixed) and for noise (menu: kind; slider: brightness).
    ``noise_density[(kind, brightness)]`` is a 1-D array."""
    values = np.concatenate([np.asarray(test_density)] + [np.asarray(v) for v in noise_density.values()])
    edges = np.linspace(np.quantile(values, 0.001), np.quantile(values, 0.999), 61)
    centres = 0.5 * (edges[1:] + edges[:-1])

    def hist(v):
        v = np.asarray(v)
        return (np.histogram(v, edges)[0] / len(v)).round(4).tolist()

    fig = go.Figure()
    fig.add_bar(x=centres, y=hist(test_density), name="test digits", marker_color=PALETTE[0], opacity=0.6)
    fig.add_bar(x=centres, y=hist(noise_density[kinds[0], brightnesses[-1]]), name="noise",
                marker_color=PALETTE[1], opacity=0.6)
    fig.update_layout(barmode="overlay", xaxis_title="N_S (soft count of similar training images)",
                      yaxis_title="share of inputs")
    layout(fig, "", height=480, controls=True)
    cells = [[hist(noise_density[k, b]) for b in brightnesses] for k in kinds]
    return grid_figure(fig, cells, ["kind", "brightness"], [kinds, [f"{b:g}" for b in brightnesses]],
                       [0, len(brightnesses) - 1], key="y", trace=1, slider_dim="brightness",
                       title=model + ": N_S of test digits and of {kind} noise at brightness {brightness}")


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
    fig.update_layout(updatemenus=[menu(buttons, name="kind")])
    fig.update_xaxes(title="class (true class for digits, the model's answer for noise)", type="category")
    fig.update_yaxes(title="median N_S")
    layout(fig, f"{model}: N_S by class, digits and noise (marker area: share of noise)", height=480, controls=True)
    return fig


def registration_noise(table, readings) -> go.Figure:
    """The noise a regressor inherits from its targets (paired retrainings) against the target
    noise σ, mean and 95% band over seeds, beside y = σ and the averaging argument's prediction
    σ·√mean(1/N) for each reading of N (a menu). ``table``: ``studies.similarity.registration_table``
    rows with one repeat; the predictions come from the runs that have kernel rows."""
    from ..stats import seed_ci

    one = table[table.repeats == 1]
    sigmas = sorted(s for s in one.sigma.unique() if s > 0)
    fig = go.Figure()
    measured = [seed_ci(one[one.sigma == s]["inherited"], bounds=(0, np.inf)) for s in sigmas]
    band_line(fig, sigmas, *zip(*measured), "inherited noise (paired networks)", PALETTE[0],
              "σ = %{x}: %{y:.3f} px inherited<extra></extra>")
    fig.add_scatter(x=sigmas, y=sigmas, mode="lines", name="y = σ (the targets' own noise)",   # σ > 0: a log axis
                    line=dict(color="grey", dash="dot"))
    with_kernel = table[table.filter(like="predicted").notna().any(axis=1)]
    top = with_kernel.sigma.max() if len(with_kernel) else max(sigmas)

    def prediction(name):
        col = f"predicted ({name})"
        per_unit = (with_kernel[col] / with_kernel.sigma).mean() if len(with_kernel) else np.nan
        return [round(float(per_unit * s), 5) for s in sigmas]

    fig.add_scatter(x=sigmas, y=prediction(readings[0]), mode="lines+markers", name="σ·√mean(1/N), N = " + readings[0],
                    line=dict(color=PALETTE[3], dash="dash"))
    buttons = [dict(label=name, method="restyle", args=[{"y": [prediction(name)], "name": [f"σ·√mean(1/N), N = {name}"]},
                                                         [3]]) for name in readings]
    fig.update_layout(updatemenus=[menu(buttons, name="reading")])
    fig.update_xaxes(title="σ of the Gaussian noise on the training targets (pixels)")
    fig.update_yaxes(title="inherited noise per coordinate (pixels)", type="log")
    return layout(fig, f"Noise inherited from noisy targets (prediction from the σ = {top:g} networks' kernel)",
                  height=480, controls=True)


def ratio_bars(names, estimates, title: str, xtitle: str, band=(0.5, 2.0)) -> go.Figure:
    """Ratios with their 95% intervals as points with error bars on a log axis, with the band a
    verdict accepts shaded. ``estimates``: (mean, lo, hi) per name."""
    m, lo, hi = (np.array(v, dtype=float) for v in zip(*estimates))
    fig = go.Figure(go.Scatter(x=m, y=list(names), mode="markers", marker=dict(size=10, color=PALETTE[0]),
                               error_x=dict(type="data", symmetric=False, array=np.nan_to_num(hi - m).round(4).tolist(),
                                            arrayminus=np.nan_to_num(m - lo).round(4).tolist()),
                               hovertemplate="%{y}: %{x:.2f}<extra></extra>", showlegend=False))
    fig.add_vrect(x0=band[0], x1=band[1], fillcolor=PALETTE[2], opacity=0.12, line_width=0,
                  annotation_text="verdict band", annotation_position="top left")
    fig.add_vline(x=1, line=dict(color="grey", dash="dot"))
    fig.update_xaxes(title=xtitle, type="log")
    fig.update_yaxes(title="reading of N")
    return layout(fig, title, height=360)


def learning_curves(table, metrics=("val accuracy", "pair cosine")) -> go.Figure:
    """Mean and 95% band over seeds of a metric against training step, one line per variant,
    and a menu to switch the metric. ``table``: columns variant, seed, step and the metrics."""
    from ..stats import mean_ci

    variants = list(dict.fromkeys(table["variant"]))
    steps = sorted(table["step"].unique())

    def series(metric, variant):
        sub = table[table.variant == variant]
        out = [mean_ci(sub[sub.step == s][metric], bounds=(-1, 1)) for s in steps]
        return [np.round(np.array(v), 4).tolist() for v in zip(*out)]

    fig = go.Figure()
    for i, v in enumerate(variants):
        band_line(fig, steps, *series(metrics[0], v), v, PALETTE[i % len(PALETTE)],
                   v + ": %{y:.3f} after %{x} minibatches<extra></extra>")
    buttons = []
    for metric in metrics:
        ys = []
        for v in variants:
            ys += band_ys(*series(metric, v))
        buttons.append(dict(label=metric, method="update", args=[{"y": ys}, {"yaxis.title.text": metric}]))
    fig.update_layout(updatemenus=[menu(buttons, name="metric")])
    fig.update_xaxes(title="minibatches")
    fig.update_yaxes(title=metrics[0])
    layout(fig, "Training with and without similarity enforcement (mean and 95% band over seeds)", height=480,
           controls=True)
    return fig


