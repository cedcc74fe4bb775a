"""Charts of chapter 2: answers to noise, agreement and κ, favourite classes, confidence."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .base import CONTROLS_TOP, PALETTE, UNDEFINED, band_line, band_ys, image_grid, layout, menu
from .style import KAPPA_SCALE, SELF, matrix_axes
from .render import grid_figure


def answer_histogram(tables, kinds, pairs, brightnesses, class_names, state=None) -> go.Figure:
    """The 10×10 histogram of model A's answer (rows) against model B's (columns), with a
    noise-kind and a model-pair menu and a brightness slider; the title of every cell names its
    p_o, p_e and κ. ``tables[kind][pair][brightness]`` is a k×k count matrix."""
    from ..stats import from_table

    state = state or [0, 0, len(brightnesses) - 1]
    first = np.asarray(tables[state[0]][state[1]][state[2]])
    fig = go.Figure(go.Heatmap(z=first, x=list(class_names), y=list(class_names), colorscale="Blues",
                               texttemplate="%{z}", hovertemplate="A says %{y}, B says %{x}: %{z} images<extra></extra>",
                               colorbar=dict(title="images")))
    fig.update_xaxes(title="model B's answer", type="category", side="bottom")
    fig.update_yaxes(title="model A's answer", type="category", autorange="reversed", scaleanchor="x")
    layout(fig, "", height=700, controls=True)
    fig.update_layout(margin=dict(l=70, r=20, t=CONTROLS_TOP, b=110))

    def title(kind, pair, b, table):
        r = from_table(np.asarray(table))
        k = "undefined" if r.kappa != r.kappa else f"{r.kappa:.2f}"
        return f"{pair}, {kind}, brightness {b}: pₒ {r.observed:.0%}, pₑ {r.chance:.0%}, κ {k}"

    cells = [[[np.asarray(t).tolist() for t in per_pair] for per_pair in per_kind] for per_kind in tables]
    titles = [[[title(k, p, b, t) for b, t in zip(brightnesses, per_pair)] for p, per_pair in zip(pairs, per_kind)]
              for k, per_kind in zip(kinds, tables)]
    return grid_figure(fig, cells, ["kind", "pair", "brightness"], [kinds, pairs, brightnesses], state,
                       slider_dim="brightness", title=titles)



def kappa_matrix(kappas, labels, brightnesses, kind: str) -> go.Figure:
    """Models × models Cohen's κ, one matrix per brightness (a slider whose title follows it), on a
    diverging scale centred on 0 over the off-diagonal values; undefined κ drawn in its own colour
    and the diagonal (a model with itself) in grey, both named in the legend."""
    kappas = np.asarray(kappas, dtype=float)
    n = kappas.shape[1]
    off = kappas[:, ~np.eye(n, dtype=bool)]
    limit = float(np.nanmax(np.abs(off))) if np.isfinite(off).any() else 1.0
    limit = max(0.05, round(limit + 0.005, 2))

    def z(k):
        k = k.copy()
        np.fill_diagonal(k, np.nan)
        return [[None if v != v else round(float(v), 3) for v in row] for row in k]

    def undefined(k):
        mask = np.isnan(k) & ~np.eye(n, dtype=bool)
        return [[1 if v else None for v in row] for row in mask]

    eye = [[1 if i == j else None for j in range(n)] for i in range(n)]
    fig = go.Figure()
    fig.add_heatmap(z=undefined(kappas[-1]), x=labels, y=labels, colorscale=[[0, UNDEFINED], [1, UNDEFINED]],
                    showscale=False, hovertemplate="%{y} vs %{x}: κ undefined<extra></extra>")
    fig.add_heatmap(z=eye, x=labels, y=labels, colorscale=[[0, SELF], [1, SELF]], showscale=False,
                    hoverinfo="skip")
    fig.add_heatmap(z=z(kappas[-1]), x=labels, y=labels, zmin=-limit, zmax=limit, **KAPPA_SCALE,
                    colorbar=dict(title="κ"), hovertemplate="%{y} vs %{x}: κ = %{z:.2f}<extra></extra>")
    for name, colour in (("κ undefined (both models answer one class)", UNDEFINED), ("a model with itself", SELF)):
        fig.add_scatter(x=[None], y=[None], mode="markers", marker=dict(symbol="square", size=12, color=colour),
                        name=name)
    matrix_axes(fig)
    title = "Cohen's κ between every pair of models, {kind} noise at brightness {b:g}"
    steps = [dict(label=f"{b:g}", method="update",
                  args=[{"z": [undefined(k), eye, z(k)]}, {"title.text": title.format(kind=kind, b=b)}], )
             for b, k in zip(brightnesses, kappas)]
    fig.update_layout(sliders=[dict(active=len(steps) - 1, steps=steps, pad=dict(t=70),
                                    currentvalue=dict(prefix="brightness: "))],
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0, xanchor="left"),
                      plot_bgcolor="white")
    layout(fig, title.format(kind=kind, b=brightnesses[-1]), height=820, controls=True)
    fig.update_layout(margin=dict(l=120, r=20, t=110, b=130))
    return fig


def attractor_map(shares, groups, kinds, brightnesses, class_names) -> go.Figure:
    """Share of each class in a model group's answers against brightness, one panel per group,
    a menu for the noise kind. ``shares[kind][group]`` is a (n_brightness, k) array."""
    cols = min(4, len(groups))
    rows = (len(groups) + cols - 1) // cols
    titles = [g.replace("·", "<br>") if len(g) > 6 else g for g in groups]   # "lenet<br>w2<br>perm": narrow panels
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.03, vertical_spacing=0.14)
    for g, group in enumerate(groups):
        fig.add_trace(go.Heatmap(z=np.round(np.asarray(shares[0][g]).T, 3), x=[f"{b:g}" for b in brightnesses],
                                 y=list(class_names), zmin=0, zmax=1, colorscale="Viridis", showscale=g == 0,
                                 colorbar=dict(title="share"),
                                 hovertemplate=group + ": class %{y} at brightness %{x}: %{z:.0%}<extra></extra>"),
                      row=g // cols + 1, col=g % cols + 1)
    buttons = [dict(label=kind, method="restyle",
                    args=[{"z": [np.round(np.asarray(shares[k][g]).T, 3).tolist() for g in range(len(groups))]}])
               for k, kind in enumerate(kinds)]
    fig.update_layout(updatemenus=[menu(buttons, name="kind")])
    fig.update_yaxes(type="category", title_text="answer", col=1)
    fig.update_xaxes(title_text="brightness", row=rows, col=1)
    height = 260 * rows + 150
    layout(fig, "Which class do the models call noise? Share of answers by brightness", height=height, controls=True)
    fig.update_layout(margin=dict(l=70, r=20, t=170, b=50))
    fig.update_layout(updatemenus=[dict(y=1 + 56 / (height - 170 - 50))])   # above panel titles of up to 3 lines
    return fig


def kappa_curves(curves, kinds, brightnesses) -> go.Figure:
    """Mean κ (with its seed-level 95% band) against brightness, one line per comparison, a menu
    for the noise kind. ``curves[kind][comparison] = (mean, lo, hi)`` arrays over brightness.
    Where κ is undefined at low brightness (every model answers one class), the line starts
    late; a note on the figure says so."""
    fig = go.Figure()
    types = list(curves[0])
    x = list(brightnesses)
    for t, name in enumerate(types):
        band_line(fig, x, *curves[0][name], name, PALETTE[t % len(PALETTE)],
                  name + ": κ = %{y:.2f} at %{x}<extra></extra>")

    def note(k):
        starts = [next((b for b, v in zip(x, curves[k][name][0]) if v == v), None) for name in types]
        late = [s for s in starts if s is not None and s > x[0]]
        never = sum(s is None for s in starts)
        parts = []
        if late:
            parts.append(f"κ is undefined below brightness {min(late):g}–{max(late):g} for some comparisons "
                         "(every model answers one class), so their lines start late")
        if never:
            parts.append(f"{never} comparison(s) have no defined κ at any brightness")
        return "; ".join(parts)

    buttons = []
    for k, kind in enumerate(kinds):
        ys = []
        for name in types:
            ys += band_ys(*curves[k][name])
        buttons.append(dict(label=kind, method="update", args=[{"y": ys}, {"annotations[0].text": note(k) or " "}]))
    fig.add_annotation(text=note(0) or " ", x=0, xref="paper", xanchor="left", y=-0.22, yref="paper",
                       showarrow=False, font=dict(size=11, color="#555"))
    fig.update_layout(updatemenus=[menu(buttons, name="kind")])
    fig.update_xaxes(title="brightness (the noise image multiplied by)")
    fig.update_yaxes(title="Cohen's κ (0 = chance, 1 = always agree)")
    layout(fig, "Agreement beyond chance as noise gets brighter", height=520, controls=True)
    fig.update_layout(margin=dict(l=70, r=20, t=CONTROLS_TOP, b=110))
    return fig


def noise_gallery(images: np.ndarray, kinds, labels, brightnesses) -> go.Figure:
    """Thumbnails: one row per noise kind (``images`` (kinds·brightnesses, C, H, W) uint8, row by
    row), one column per brightness; each row labelled with its one-line definition."""
    return image_grid(images, [f"{k}" for k in kinds], cols=len(brightnesses),
                      title="The noise kinds at a few brightness levels",
                      col_labels=[f"brightness {b:g}" for b in brightnesses], width=520)


def confidence_histograms(conf_noise: dict, conf_test: dict, kind: str) -> go.Figure:
    """Distribution of the max-softmax probability on noise and on test digits, per model group
    (menu). ``conf_noise[group]`` and ``conf_test[group]`` are 1-D arrays over models × images."""
    groups = list(conf_noise)
    edges = np.linspace(0.1, 1.0, 46)
    centres = 0.5 * (edges[1:] + edges[:-1])

    def hist(v):
        return np.round(np.histogram(np.asarray(v), edges)[0] / max(1, len(v)), 4).tolist()

    fig = go.Figure()
    fig.add_bar(x=centres, y=hist(conf_test[groups[0]]), name="test digits", marker_color=PALETTE[0], opacity=0.6)
    fig.add_bar(x=centres, y=hist(conf_noise[groups[0]]), name=f"{kind} noise", marker_color=PALETTE[1], opacity=0.6)
    buttons = [dict(label=g, method="restyle", args=[{"y": [hist(conf_test[g]), hist(conf_noise[g])]}])
               for g in groups]
    fig.update_layout(barmode="overlay", updatemenus=[menu(buttons, name="group")])
    fig.update_xaxes(title="confidence: the largest softmax probability")
    fig.update_yaxes(title="share of images", type="log")
    return layout(fig, "How confident are the answers? Noise beside test digits", height=460, controls=True)


def recipe_bars(table) -> "go.Figure":
    """p_o, p_e and κ (bars with their 95% intervals over seeds) of pairs of networks of one
    architecture, per architecture × noise kind × brightness; the menu picks the training recipe.
    ``table``: ``studies.noise_mnist.recipes.recipe_table``."""
    recipes = list(dict.fromkeys(table.recipe))
    table = table.assign(setting=table.arch + " · " + table.kind + " · " + table.brightness.map("{:g}".format))
    settings = list(dict.fromkeys(table.setting))
    quantities = (("p_o", "p_o (observed)"), ("p_e", "p_e (chance)"), ("kappa", "κ"))

    def arrays(recipe):
        sub = table[table.recipe == recipe].set_index("setting").reindex(settings)
        out = {"y": [], "array": [], "arrayminus": []}
        for q, _ in quantities:
            m, lo, hi = (sub[c].astype(float).to_numpy() for c in (q, f"{q}_lo", f"{q}_hi"))
            out["y"].append([None if v != v else round(float(v), 4) for v in m])
            out["array"].append([0 if v != v else round(float(v), 4) for v in hi - m])
            out["arrayminus"].append([0 if v != v else round(float(v), 4) for v in m - lo])
        return out

    first = arrays(recipes[0])
    fig = go.Figure()
    for k, (q, name) in enumerate(quantities):
        fig.add_bar(x=settings, y=first["y"][k], name=name, marker_color=PALETTE[k],
                    error_y=dict(type="data", array=first["array"][k], arrayminus=first["arrayminus"][k]),
                    hovertemplate="%{x}<br>" + name + " = %{y:.3f}<extra></extra>")
    buttons = []
    for recipe in recipes:
        a = arrays(recipe)
        buttons.append(dict(label=recipe, method="update", args=[
            {"y": a["y"], "error_y.array": a["array"], "error_y.arrayminus": a["arrayminus"]},
            {"title.text": f"Agreement on noise under the {recipe} recipe"}]))
    fig.update_layout(barmode="group", updatemenus=[menu(buttons, name="recipe")], yaxis_title="pₒ, pₑ, κ",
                      xaxis_title="architecture · noise · brightness", legend=dict(orientation="h", y=-0.35))
    return layout(fig, f"Agreement on noise under the {recipes[0]} recipe", height=520, controls=True)
