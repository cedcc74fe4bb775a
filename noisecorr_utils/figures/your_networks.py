"""Figures of the blind-spot report (``yours``) and of chapter 7."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .base import layout
from .style import KAPPA_SCALE


def kappa_menu(pairs, labels) -> go.Figure:
    """κ on noise between every two networks, one matrix per noise kind and brightness (menu)."""
    cells = list(dict.fromkeys(zip(pairs.kind, pairs.brightness)))

    def matrix(kind, b):
        m = np.eye(len(labels))
        for r in pairs[(pairs.kind == kind) & (pairs.brightness == b)].itertuples():
            i, j = labels.index(r.a), labels.index(r.b)
            m[i, j] = m[j, i] = r.kappa
        return np.round(m, 3).tolist()

    fig = go.Figure(go.Heatmap(z=matrix(*cells[0]), x=list(labels), y=list(labels), zmin=-1, zmax=1,
                               **KAPPA_SCALE, colorbar=dict(title="κ"),
                               hovertemplate="%{y} vs %{x}: κ %{z}<extra></extra>"))
    layout(fig, "κ on noise between every two networks", height=500, controls=True)
    fig.update_layout(xaxis_title="network", yaxis_title="network",
                      updatemenus=[dict(x=0, y=1.02, xanchor="left", yanchor="bottom", buttons=[
                          dict(label=f"{kind} at brightness {b:g}", method="restyle", args=[{"z": [matrix(kind, b)]}])
                          for kind, b in cells])])
    return fig


def detection_bars(detection) -> go.Figure:
    """AUROC of noise detection per noise kind and brightness: the ensemble's disagreement, its
    averaged confidence, and the best and mean single network."""
    x = [f"{k} {b:g}" for k, b in zip(detection.kind, detection.brightness)]
    fig = go.Figure([go.Bar(name=col.replace("AUROC ", ""), x=x, y=np.round(detection[col], 4).tolist())
                     for col in ("AUROC disagreement", "AUROC averaged confidence", "AUROC best single network",
                                 "AUROC mean single network")])
    fig.add_hline(y=0.5, line_dash="dot", annotation_text="chance", annotation_position="bottom right")
    layout(fig, "Telling noise from test images: which score does it", height=420)
    fig.update_layout(barmode="group", yaxis=dict(title="AUROC", range=[0, 1.02]), xaxis_title="noise kind and brightness",
                      legend=dict(orientation="h", y=-0.3))
    return fig
