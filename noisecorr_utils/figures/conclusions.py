"""Charts of the last page: every claim of every source, both verdicts and the finding's margin."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .base import UNDEFINED, layout

VERDICT_COLOURS = {"reproduced": "#2E7D32", "holds": "#2E7D32", "exceeded": "#1565C0", "fell short": "#E65100",
                   "differs": "#E65100", "fails": "#C62828", "inconclusive": "#9E9E9E", "undecided": "#9E9E9E",
                   "not tested": "#FFFFFF", "degenerate": UNDEFINED, "—": "#F5F5F5"}
LEGEND = (("reproduced", "holds"), ("exceeded",), ("fell short", "differs"), ("fails",), ("inconclusive", "undecided"),
          ("not tested",), ("degenerate",), ("—",))   # the figure's verdicts, the finding's verdicts, one colour each


def verdict_summary(points) -> go.Figure:
    """One row per claim (grouped by source): its figure and finding verdicts as coloured cells, and
    the finding's estimate with its 95% interval as a margin to the rule's threshold, in the
    quantity's own units, positive on the side the finding needs (a bar crossing 0: undecided).
    ``points``: ``studies.conclusions.summary_points``."""
    labels = [f"{s} · {c[:70]}{'…' if len(c) > 70 else ''}" for s, c in zip(points.source, points.claim)]
    y = list(range(len(points)))[::-1]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.1, 0.9], horizontal_spacing=0.02)
    for col, level in enumerate(("figure verdict", "finding verdict")):   # colours; the words are in the hover
        colours = [VERDICT_COLOURS.get(v, "#FFFFFF") for v in points[level]]
        fig.add_trace(go.Scatter(x=[col] * len(points), y=y, mode="markers", text=list(points[level]),
                                 marker=dict(symbol="square", size=12, color=colours, line=dict(width=1, color="#555")),
                                 customdata=labels, showlegend=False,
                                 hovertemplate="%{customdata}<br>" + level + ": %{text}<extra></extra>"), 1, 1)
    for names in LEGEND:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=" / ".join("no number to test" if n == "—" else n for n in names),
                                 marker=dict(symbol="square", size=12, color=VERDICT_COLOURS[names[0]],
                                             line=dict(width=1, color="#555"))), 1, 1)
    margin = points.margin.to_numpy(float)
    err_hi = points.margin_hi.to_numpy(float) - margin
    err_lo = margin - points.margin_lo.to_numpy(float)
    fig.add_trace(go.Scatter(
        x=margin, y=y, mode="markers", showlegend=False, customdata=np.stack([labels, points.quantity], -1),
        marker=dict(size=8, color=[VERDICT_COLOURS.get(v, "#999") for v in points["finding verdict"]],
                    line=dict(width=1, color="#333")),
        error_x=dict(type="data", array=np.nan_to_num(err_hi), arrayminus=np.nan_to_num(err_lo), thickness=1.2),
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}: margin %{x:.3g}<extra></extra>"), 1, 2)
    fig.add_vline(x=0, line=dict(color="#333", dash="dot"), row=1, col=2)
    finite = np.abs(np.concatenate([points.margin_lo, points.margin_hi]).astype(float))
    limit = float(np.nanquantile(finite[np.isfinite(finite)], 0.9)) * 1.1 if np.isfinite(finite).any() else 1.0
    fig.update_xaxes(range=[-0.7, 1.7], tickvals=[0, 1], ticktext=["figure", "finding"], tickangle=-90, side="top",
                     showgrid=False, row=1, col=1)
    fig.update_xaxes(range=[-limit, limit], title_text="the finding's margin to its threshold, 95% CI<br>"
                                                       "(the quantity's units; > 0: the side the finding needs)",
                     row=1, col=2)
    fig.update_yaxes(tickvals=y, ticktext=labels, tickfont=dict(size=9), row=1, col=1)
    fig.update_layout(margin=dict(l=20, b=150), legend=dict(orientation="h", x=0, y=-60 / (18 * len(points)),
                                                            yanchor="top", title_text="verdict"))
    return layout(fig, "Every claim: both verdicts and the finding's margin", height=max(480, 18 * len(points) + 260))
