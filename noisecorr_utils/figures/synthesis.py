"""Charts of the synthesis chapter: the κ matrix of the factorial zoo grouped by a chosen factor,
every pair measure against every other, and ensemble gains by size and kind of diversity."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .base import PALETTE, UNDEFINED, layout
from .style import KAPPA_SCALE, kappa_limit, matrix_axes
from .render import grid_figure


def _rounded(m: np.ndarray) -> list:
    return [[None if v != v else round(float(v), 3) for v in row] for row in m]


def kappa_by_factor(matrices: dict[str, np.ndarray], labels: list[str], orders: dict[str, list[int]]) -> go.Figure:
    """The κ of every pair of models (NaN: not comparable) for each noise setting of ``matrices``,
    rows and columns grouped by the factor chosen in a menu (``orders``: factor -> model order)."""
    settings, factors = list(matrices), list(orders)
    limit = kappa_limit(np.concatenate([m.ravel() for m in matrices.values()]))

    def cell(m, order):
        sub = m[np.ix_(order, order)]
        names = [labels[i] for i in order]
        return {"z": [_rounded(sub)], "x": [names], "y": [names]}

    cells = [[cell(matrices[s], orders[f]) for f in factors] for s in settings]
    fig = go.Figure(go.Heatmap(zmin=-limit, zmax=limit, **KAPPA_SCALE, colorbar=dict(title="κ"),
                               hoverongaps=False, hovertemplate="%{y}<br>%{x}<br>κ = %{z:.2f}<extra></extra>"))
    fig.add_scatter(x=[None], y=[None], mode="markers", marker=dict(symbol="square", size=12, color=UNDEFINED),
                    name="no κ: other label spaces, both answer one class, or a model with itself")
    fig.update_layout(plot_bgcolor=UNDEFINED, legend=dict(orientation="h", y=-0.32, x=0))
    matrix_axes(fig)
    layout(fig, "", height=860, controls=True)
    fig.update_layout(margin=dict(l=170, r=20, t=120, b=200))
    return grid_figure(fig, cells, ["noise", "grouped by"], [settings, factors], [0, 0], key=None,
                       title="κ of every pair of models, {noise}, grouped by {grouped by}")


def measure_scatter(table, measures, colour_by: str = "pair") -> go.Figure:
    """One point per pair of models; the measures on the axes are chosen in two menus."""
    measures = list(measures)
    text = [f"{a} · s{sa} — {b} · s{sb}" for a, sa, b, sb in zip(table["A"], table["seed A"], table["B"], table["seed B"])]
    colours = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(dict.fromkeys(table[colour_by]))}
    fig = go.Figure()
    for i, (kind, colour) in enumerate(colours.items()):
        sel = (table[colour_by] == kind).to_numpy()
        fig.add_scatter(mode="markers", name=kind, marker=dict(color=colour, size=7, opacity=0.75),
                        text=[t for t, s in zip(text, sel) if s],
                        hovertemplate="%{text}<br>x %{x:.3f}<br>y %{y:.3f}<extra></extra>")
    masks = [(table[colour_by] == kind).to_numpy() for kind in colours]
    # one grid cell sets x and y of every trace (restyle with one list per trace)
    cells = [[{"x": [np.round(table[x].to_numpy(float)[m], 4).tolist() for m in masks],
               "y": [np.round(table[y].to_numpy(float)[m], 4).tolist() for m in masks]}
              for x in measures] for y in measures]
    layout(fig, "", height=520, controls=True)
    fig.update_layout(legend=dict(orientation="h", y=-0.18, x=0))
    fig = grid_figure(fig, cells, ["y", "x"], [measures, measures], [0, 1], key=None, trace=list(range(len(masks))),
                      title="{y} against {x}, one point per pair of networks")
    return fig


def ensemble_gains(table, scores: dict[str, str]) -> go.Figure:
    """Bars of the mean gain of ensembles over their members (95% range over draws) per kind of
    diversity; a slider for the ensemble size and a menu for the score."""
    sizes = sorted(table["size"].unique())
    diversities = list(dict.fromkeys(table["diversity"]))
    cells = []
    for key in scores:
        row = []
        for size in sizes:
            sub = table[(table["score"] == key) & (table["size"] == size)].set_index("diversity").reindex(diversities)
            g, lo, hi = (np.round(sub[c].to_numpy(float), 4) for c in ("gain", "lo", "hi"))
            row.append({"y": [[None if v != v else v for v in g.tolist()]],
                        "error_y": [dict(type="data", symmetric=False, array=np.nan_to_num(hi - g).tolist(),
                                         arrayminus=np.nan_to_num(g - lo).tolist())],
                        "text": [[f"{int(d)} drawn" for d in sub["draws"].fillna(0)]]})
        cells.append(row)
    fig = go.Figure(go.Bar(x=diversities, marker_color=[PALETTE[i] for i in range(len(diversities))],
                           hovertemplate="%{x}<br>gain %{y:.4f}<br>%{text}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#555", width=1))
    fig.update_yaxes(title="gain over the members' mean (positive: better)")
    layout(fig, "", height=480, controls=True)
    fig.update_layout(margin=dict(b=90))
    return grid_figure(fig, cells, ["score", "ensemble size"], [list(scores.values()), [str(s) for s in sizes]],
                       [0, 0], key=None, slider_dim="ensemble size",
                       title="What an ensemble gains: {score}, {ensemble size} networks")


def kappa_vs_gain(pairs, scores: dict[str, str]) -> go.Figure:
    """One point per pair of digit networks: noise κ against what averaging the pair gains, a menu
    for the score, coloured by what the two networks share."""
    kinds = list(dict.fromkeys(pairs["kind"]))
    masks = [(pairs["kind"] == k).to_numpy() for k in kinds]
    fig = go.Figure()
    for i, (k, m) in enumerate(zip(kinds, masks)):
        fig.add_scatter(x=np.round(pairs["noise κ"].to_numpy(float)[m], 3).tolist(), mode="markers", name=k,
                        marker=dict(color=PALETTE[i % len(PALETTE)], size=7, opacity=0.75),
                        text=[f"{a} — {b}" for a, b in zip(pairs["A"][m], pairs["B"][m])],
                        hovertemplate="%{text}<br>noise κ %{x:.2f}<br>gain %{y:.4f}<extra></extra>")
    cells = [{"y": [np.round(pairs[f"gain {key}"].to_numpy(float)[m], 4).tolist() for m in masks]} for key in scores]
    fig.update_xaxes(title="κ of the two networks' answers to uniform noise")
    fig.update_yaxes(title="gain of the pair's average over its members")
    layout(fig, "", height=480, controls=True)
    fig.update_layout(legend=dict(orientation="h", y=-0.2, x=0))
    return grid_figure(fig, cells, ["score"], [list(scores.values())], [0], key=None, trace=list(range(len(masks))),
                       title="Does agreeing on noise predict what an ensemble gains? ({score})")
