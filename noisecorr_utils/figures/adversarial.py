"""Charts of the adversarial chapter: examples beside their originals, distortion histograms,
transfer heatmaps, units against random directions, transfer against noise κ."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .base import PALETTE, image_grid, layout, menu


def examples(x: np.ndarray, x_adv: np.ndarray, said: list[str], gain: float = 5.0) -> go.Figure:
    """Rows: originals, adversarial examples, their difference ×``gain`` around grey (float in [0, 1], (n, 1, 28, 28))."""
    diff = np.clip(0.5 + gain * (x_adv - x), 0, 1)
    tiles = np.concatenate([x, x_adv, diff])
    tiles = (tiles * 255).round().astype(np.uint8)
    return image_grid(tiles, ["original", "adversarial", f"difference ×{gain:g}"], len(x),
                      "Minimal adversarial examples and their perturbations", col_labels=said, width=760)


def distortion_histograms(distortions: dict[str, np.ndarray]) -> go.Figure:
    """One histogram per network of the minimal distortions (successful examples, all seeds)."""
    fig = go.Figure()
    for i, (name, d) in enumerate(distortions.items()):
        d = d[np.isfinite(d)]
        fig.add_histogram(x=np.round(d, 4), name=name, histnorm="probability", opacity=0.55, nbinsx=40,
                          marker_color=PALETTE[i % len(PALETTE)],
                          hovertemplate=f"{name}<br>distortion %{{x}}<br>share %{{y:.1%}}<extra></extra>")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="distortion √(Σ(x′ − x)²/n)")
    fig.update_yaxes(title="share of examples", tickformat=".0%")
    return layout(fig, "Minimal distortion per network", height=440)


def transfer_heatmaps(matrices: dict[str, tuple], title: str) -> go.Figure:
    """Heatmaps of error rates (source network × target network), one per kind of input, with a
    menu; ``matrices``: kind -> (mean, lo, hi) DataFrames."""
    fig = go.Figure()
    kinds = list(matrices)
    for i, kind in enumerate(kinds):
        mean, lo, hi = matrices[kind]
        text = [[f"{m:.0%}" if m == m else "" for m in row] for row in mean.values]
        custom = np.dstack([lo.values, hi.values]).round(3)
        fig.add_heatmap(z=mean.values.round(3), x=list(mean.columns), y=list(mean.index), zmin=0, zmax=1,
                        colorscale="Reds", text=text, texttemplate="%{text}", customdata=custom, visible=i == 0,
                        colorbar=dict(title="error", tickformat=".0%"),
                        hovertemplate="made on %{y}, asked %{x}: error %{z:.1%} [%{customdata[0]:.1%}, "
                                      "%{customdata[1]:.1%}]<extra></extra>")
    buttons = [dict(label=k, method="update", args=[{"visible": [j == i for j in range(len(kinds))]}])
               for i, k in enumerate(kinds)]
    fig.update_layout(updatemenus=[menu(buttons, name="input")])
    fig.update_yaxes(autorange="reversed", title="examples made on")
    fig.update_xaxes(title="network asked")
    return layout(fig, title, height=480, controls=True)


def unit_purity(tables: dict[str, "pandas.DataFrame"]) -> go.Figure:
    """Box plots of the class purity of the top images: single units against random directions,
    per network."""
    fig = go.Figure()
    for i, kind in enumerate(("unit", "random direction")):
        xs, ys = [], []
        for name, t in tables.items():
            v = t.loc[t.kind == kind, "purity"].to_numpy()
            xs += [name] * len(v)
            ys += list(np.round(v, 3))
        fig.add_box(x=xs, y=ys, name="single units" if kind == "unit" else "random directions",
                    marker_color=PALETTE[i], boxmean=True)
    fig.update_layout(boxmode="group")
    fig.update_yaxes(title="class purity of the top images", tickformat=".0%", range=[0, 1.05])
    fig.update_xaxes(title="network (penultimate layer, all seeds)")
    return layout(fig, "Are single units purer than random directions?", height=440)


def transfer_vs_kappa(table) -> go.Figure:
    """One point per ordered pair of models: noise κ against the transfer rate of adversarial examples."""
    fig = go.Figure()
    for i, (kind, sub) in enumerate(table.groupby("pair", sort=False)):
        fig.add_scatter(x=sub["noise κ"].round(3), y=sub["transfer"].round(3), mode="markers", name=kind,
                        marker=dict(color=PALETTE[i], size=8, opacity=0.75),
                        text=[f"{a}·s{sa} → {b}·s{sb}" for a, sa, b, sb in
                              zip(sub["A"], sub["seed A"], sub["B"], sub["seed B"])],
                        hovertemplate="%{text}<br>noise κ %{x:.2f}<br>transfer %{y:.0%}<extra></extra>")
    fig.update_xaxes(title="κ of the two models' answers to uniform noise")
    fig.update_yaxes(title="share of A's examples that B gets wrong", tickformat=".0%")
    return layout(fig, "Do models that agree on noise share adversarial examples?", height=460)
