"""Charts of chapter 4: where CIFAR-10 networks send noise, spanning trees, clutter."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .base import PALETTE, layout, menu


def class_share_bars(shares: dict[str, np.ndarray], classes, kind: str) -> go.Figure:
    """Share of each class in the answers to noise: bars for the mean over a family's seeds and
    a point per seed. ``shares[family]`` is (seeds, classes)."""
    fig = go.Figure()
    for f, (family, s) in enumerate(shares.items()):
        fig.add_bar(x=list(classes), y=np.round(s.mean(0), 4).tolist(), name=f"{family} (mean)",
                    marker_color=PALETTE[f], opacity=0.55, offsetgroup=family,
                    hovertemplate=family + ": %{x} %{y:.1%}<extra>mean over seeds</extra>")
        for seed_row in s:
            fig.add_scatter(x=list(classes), y=np.round(seed_row, 4).tolist(), mode="markers", showlegend=False,
                            marker=dict(color=PALETTE[f], size=6), offsetgroup=family,
                            hovertemplate=family + ", one seed: %{x} %{y:.1%}<extra></extra>")
    fig.update_layout(barmode="group", scattermode="group")
    fig.update_xaxes(title="class the network answers")
    fig.update_yaxes(title=f"share of {kind} noise images", range=[0, 1], tickformat=".0%")
    return layout(fig, f"Where CIFAR-10 networks send {kind} noise", height=440)


def trajectory(shares: np.ndarray, kinds, classes) -> go.Figure:
    """Share of each class in the answers to noise after every epoch of one training run, a menu
    for the noise kind. ``shares``: (epochs, kinds, classes)."""
    epochs = list(range(1, shares.shape[0] + 1))
    fig = go.Figure()
    if len(epochs) == 1:   # a path of one point says nothing: the classes' shares after that epoch, as bars
        fig.add_bar(x=list(classes), y=np.round(shares[0, 0], 4).tolist(), marker_color=PALETTE[0],
                    hovertemplate="%{x}: %{y:.1%}<extra></extra>")
        buttons = [dict(label=k, method="restyle", args=[{"y": [np.round(shares[0, i], 4).tolist()]}])
                   for i, k in enumerate(kinds)]
        fig.update_layout(updatemenus=[menu(buttons, name="kind")])
        fig.update_yaxes(title="share of noise images", range=[0, 1], tickformat=".0%")
        return layout(fig, "Where noise goes after the one epoch of training this profile runs (one airnet)",
                      height=460, controls=True)
    for c, name in enumerate(classes):
        fig.add_scatter(x=epochs, y=np.round(shares[:, 0, c], 4).tolist(), mode="lines+markers", name=name,
                        line=dict(color=PALETTE[c % len(PALETTE)]),
                        hovertemplate=name + ": %{y:.1%} after epoch %{x}<extra></extra>")
    buttons = [dict(label=k, method="restyle", args=[{"y": [np.round(shares[:, i, c], 4).tolist()
                                                            for c in range(len(classes))]}])
               for i, k in enumerate(kinds)]
    fig.update_layout(updatemenus=[menu(buttons, name="kind")])
    fig.update_xaxes(title="epoch", dtick=1)
    fig.update_yaxes(title="share of noise images", range=[0, 1], tickformat=".0%")
    return layout(fig, "Where noise goes along training (one airnet run)", height=460, controls=True)


def _mds(d: np.ndarray) -> np.ndarray:
    """Classical multidimensional scaling of a distance matrix to 2-D positions."""
    n = len(d)
    j = np.eye(n) - 1 / n
    b = -0.5 * j @ (d ** 2) @ j
    w, v = np.linalg.eigh(b)
    order = np.argsort(w)[::-1][:2]
    return v[:, order] * np.sqrt(np.maximum(w[order], 0))


def spanning_trees(trees: dict[str, tuple[np.ndarray, list]], names) -> go.Figure:
    """The minimum spanning tree over the class means (and noise), one per model and centring
    (a menu); nodes placed by multidimensional scaling of the cosine distances, the noise node
    in red. ``trees[label] = (distance matrix, edges)``."""
    labels = list(trees)

    def traces(label):
        d, edges = trees[label]
        pos = _mds(d)
        pos = pos / max(1e-9, np.abs(pos).max())
        ex, ey = [], []
        for i, j in edges:
            ex += [pos[i, 0], pos[j, 0], None]
            ey += [pos[i, 1], pos[j, 1], None]
        return ([round(float(v), 4) if v is not None else None for v in ex],
                [round(float(v), 4) if v is not None else None for v in ey],
                np.round(pos[:, 0], 4).tolist(), np.round(pos[:, 1], 4).tolist())

    ex, ey, nx, ny = traces(labels[0])
    colours = [PALETTE[0]] * (len(names) - 1) + [PALETTE[3]]
    fig = go.Figure()
    fig.add_scatter(x=ex, y=ey, mode="lines", line=dict(color="#999", width=2), hoverinfo="skip", showlegend=False)
    fig.add_scatter(x=nx, y=ny, mode="markers+text", text=list(names), textposition="top center",
                    marker=dict(size=14, color=colours), hoverinfo="text", showlegend=False)
    buttons = []
    for label in labels:
        ex, ey, nx, ny = traces(label)
        buttons.append(dict(label=label, method="restyle", args=[{"x": [ex, nx], "y": [ey, ny]}, [0, 1]]))
    fig.update_layout(updatemenus=[menu(buttons, name="model")])
    fig.update_xaxes(title="first scaling axis (cosine distances)", showticklabels=False, zeroline=False)
    fig.update_yaxes(title="second scaling axis", showticklabels=False, zeroline=False, scaleanchor="x")
    return layout(fig, "Minimum spanning tree of the class-mean features and the noise", height=560, controls=True)


def consensus_heatmap(shares: np.ndarray, names, centring: str) -> go.Figure:
    """How often each pair of nodes is joined in the models' spanning trees."""
    fig = go.Figure(go.Heatmap(z=np.round(shares, 3), x=list(names), y=list(names), zmin=0, zmax=1,
                               colorscale="Blues", colorbar=dict(title="share of models"),
                               hovertemplate="%{y} – %{x}: in %{z:.0%} of the trees<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title="node")
    fig.update_xaxes(title="node")
    return layout(fig, f"Consensus tree: how often each edge appears ({centring} features)", height=520)


def clutter_scatter(clutter, shares: dict[str, np.ndarray], measures, classes) -> go.Figure:
    """Each class of each model: a clutter measure (menu) against the share of noise the model sends
    to the class."""
    fig = go.Figure()
    families = list(dict.fromkeys(clutter["family"]))
    for f, family in enumerate(families):
        sub = clutter[clutter.family == family]
        share = np.concatenate([shares[label] for label in dict.fromkeys(sub["model"])])
        fig.add_scatter(x=np.round(sub[measures[0]].to_numpy(), 5).tolist(), y=np.round(share, 4).tolist(),
                        mode="markers", name=family, marker=dict(color=PALETTE[f], size=8, opacity=0.7),
                        text=[classes[c] for c in sub["class"]],
                        hovertemplate="%{text}: clutter %{x:.3g}, %{y:.1%} of noise<extra>" + family + "</extra>")
    buttons = []
    for m in measures:
        xs = [np.round(clutter[clutter.family == family][m].to_numpy(), 5).tolist() for family in families]
        buttons.append(dict(label=m, method="update", args=[{"x": xs}, {"xaxis.title.text": m}]))
    fig.update_layout(updatemenus=[menu(buttons, name="measure")])
    fig.update_xaxes(title=measures[0])
    fig.update_yaxes(title="share of Gaussian noise sent to the class", tickformat=".0%")
    return layout(fig, "Clutter of a class against the share of noise it receives", height=480, controls=True)


def attractor_grid(sweep: np.ndarray, labels, kinds, brightnesses, classes) -> go.Figure:
    """Share of each class (columns) in each model's answers (rows) to noise, for every noise kind
    (menu) and brightness (slider): the whole grid precomputed, shown by plotly's own controls.
    ``sweep``: (kinds, brightnesses, models, n) answers."""
    from ..stats import class_shares
    from .render import grid_figure

    n_classes = len(classes)
    cells = [[np.round(class_shares(per_b, n_classes), 3).tolist() for per_b in per_kind] for per_kind in sweep]
    fig = go.Figure(go.Heatmap(z=cells[0][-1], x=list(classes), y=list(labels), zmin=0, zmax=1, colorscale="Viridis",
                               colorbar=dict(title="share"),
                               hovertemplate="%{y} answers %{x} to %{z:.0%} of the noise<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title="model", type="category")
    fig.update_xaxes(title="class the model answers", type="category")
    layout(fig, "", height=max(380, 40 * len(labels) + 220), controls=True)
    return grid_figure(fig, cells, ["kind", "brightness"], [kinds, [f"{b:g}" for b in brightnesses]],
                       [0, len(brightnesses) - 1], slider_dim="brightness",
                       title="Where each model sends {kind} noise at brightness {brightness}")
