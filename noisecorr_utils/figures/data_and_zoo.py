"""Charts of chapter 1: data sets and the zoo."""
from __future__ import annotations

import plotly.graph_objects as go

from .base import PALETTE, layout, menu


def class_balance(counts: dict[str, dict[str, list[int]]], classes: dict[str, tuple]) -> go.Figure:
    """Bars of images per class, train and test, with a dropdown over data sets.
    ``counts[dataset][split]`` lists the counts per class."""
    fig = go.Figure()
    names = list(counts)
    for d, name in enumerate(names):
        for s, split in enumerate(("train", "test")):
            fig.add_bar(x=list(classes[name]), y=counts[name][split], name=split,
                        marker_color=PALETTE[s], visible=(d == 0),
                        hovertemplate="%{x}: %{y} images<extra>" + split + "</extra>")
    buttons = [dict(label=name, method="update", args=[{"visible": [i // 2 == d for i in range(2 * len(names))]}])
               for d, name in enumerate(names)]
    fig.update_layout(updatemenus=[menu(buttons)], barmode="group", yaxis_title="images", xaxis_title="class")
    return layout(fig, "Images per class", controls=True)


def accuracy_by_arch(table) -> go.Figure:
    """Test accuracy per model (points) and the mean over seeds (bars), on an axis cut above 0 —
    the axis title says so. ``table``: columns ``group``, ``seed``, ``test_accuracy``."""
    fig = go.Figure()
    groups = list(dict.fromkeys(table["group"]))
    means = table.groupby("group", sort=False)["test_accuracy"].mean()
    fig.add_bar(x=groups, y=[100 * means[g] for g in groups], name="mean over seeds", marker_color="#c6d4e8",
                hovertemplate="%{x}: %{y:.2f}%<extra>mean</extra>")
    fig.add_scatter(x=table["group"], y=100 * table["test_accuracy"], mode="markers", name="one seed",
                    marker=dict(color=PALETTE[0], size=7), customdata=table["seed"],
                    hovertemplate="%{x}, seed %{customdata}: %{y:.2f}%<extra></extra>")
    low = max(0.0, float(100 * table["test_accuracy"].min()) - 3)
    fig.update_yaxes(title=f"test accuracy (%) — axis cut at {low:.0f}%", range=[low, 100])
    fig.update_xaxes(title="architecture (data set)")
    return layout(fig, "Test accuracy of the zoo")


def training_curves(curves) -> go.Figure:
    """Training loss against minibatch, one line per model, coloured by group.
    ``curves``: iterable of (group, label, steps, losses)."""
    fig = go.Figure()
    colours, shown = {}, set()
    for group, label, steps, losses in curves:
        colour = colours.setdefault(group, PALETTE[len(colours) % len(PALETTE)])
        fig.add_scatter(x=steps, y=losses, mode="lines", name=group, legendgroup=group,
                        showlegend=group not in shown, line=dict(color=colour, width=1.2),
                        hovertemplate=label + ": step %{x}, loss %{y:.3f}<extra></extra>")
        shown.add(group)
    fig.update_xaxes(title="minibatch")
    fig.update_yaxes(title="training loss (cross-entropy, label-smoothed)", type="log")
    return layout(fig, "Training curves", height=460)
