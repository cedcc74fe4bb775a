
import numpy as np
import plotly.io as pio
import pytest

from noisecorr_utils import figures


def _tables(kinds, pairs, levels):
    rng = np.random.default_rng(0)
    return [[[rng.integers(0, 50, (10, 10)) for _ in range(levels)] for _ in range(pairs)] for _ in range(kinds)]


def test_answer_histogram_has_slider_two_menus_the_whole_grid_and_a_title_per_cell():
    tables = _tables(3, 2, 4)
    fig = figures.answer_histogram(tables, ["a", "b", "c"], ["p", "q"], ["0.25", "0.5", "0.75", "1"],
                                   [str(i) for i in range(10)])
    assert [m.name for m in fig.layout.updatemenus] == ["kind", "pair"]
    assert fig.layout.sliders[0].name == "brightness" and len(fig.layout.sliders[0].steps) == 4
    grid = fig.layout.meta["grid"]
    assert grid["dims"] == ["kind", "pair", "brightness"] and grid["state"] == [0, 0, 3]
    assert np.array_equal(np.asarray(grid["cells"][2][1][0]), tables[2][1][0])
    assert np.array_equal(np.asarray(fig.data[0].z), tables[0][0][3])
    title = grid["titles"][2][1][0]
    assert title.startswith("q, c, brightness 0.25: pₒ") and "κ" in title
    assert fig.layout.title.text == grid["titles"][0][0][3]


def test_book_renderer_emits_html_that_wires_the_controls():
    fig = figures.answer_histogram(_tables(1, 1, 2), ["a"], ["p"], ["0.5", "1"], [str(i) for i in range(10)])
    bundle = pio.renderers["noisecorr_book"].to_mimebundle(fig.to_dict())
    html = bundle["text/html"]
    assert list(bundle) == ["text/html"]
    assert "Plotly.newPlot" in html and "plotly_sliderchange" in html and "<script src" not in html


def test_html_wrapper_glues_instead_of_displaying(monkeypatch):
    monkeypatch.setenv("NOISECORR_BOOK", "1")
    fig = figures.class_balance({"d": {"train": [1, 2], "test": [1, 1]}}, {"d": ("a", "b")})
    wrapped = figures.html(fig)
    assert not hasattr(wrapped, "_ipython_display_") and "Plotly.newPlot" in wrapped._repr_html_()


def test_kappa_matrix_is_centred_on_zero_marks_undefined_and_follows_the_slider():
    k = np.stack([np.full((3, 3), 0.1 * (i + 1)) for i in range(3)])
    k[:, 0, 1] = k[:, 1, 0] = np.nan
    fig = figures.kappa_matrix(k, ["a", "b", "c"], [0.3, 0.6, 1.0], "uniform")
    undefined, diagonal, values = fig.data[:3]
    assert values.zmid == 0 and values.zmin == -values.zmax
    assert values.z[1][1] is None and values.z[0][1] is None          # the diagonal and NaN left to their layers
    assert undefined.z[0][1] == 1 and diagonal.z[2][2] == 1
    assert "undefined" in " ".join(t.name or "" for t in fig.data[3:])
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 3 and steps[0].args[1]["title.text"].endswith("brightness 0.3")
    assert fig.layout.title.text.endswith("brightness 1")


def test_kappa_curves_say_where_kappa_is_undefined():
    nan = float("nan")
    curves = [{"A–A": ([nan, 0.2, 0.3], [nan, 0.1, 0.2], [nan, 0.3, 0.4])}]
    fig = figures.kappa_curves(curves, ["uniform"], [0.1, 0.5, 1.0])
    assert "undefined below brightness 0.5" in fig.layout.annotations[0].text
    assert None in fig.data[1].y and not any(v != v for v in fig.data[1].y if v is not None)  # gaps, no NaN


def test_every_chart_titles_its_axes():
    rng = np.random.default_rng(0)
    charts = [
        figures.kappa_curves([{"A": (np.ones(2) * .2, np.ones(2) * .1, np.ones(2) * .3)}], ["u"], [0.5, 1.0]),
        figures.attractor_map([[rng.random((2, 10))]], ["g"], ["u"], [0.5, 1.0], list("0123456789")),
        figures.confidence_histograms({"g": rng.random(50)}, {"g": rng.random(50)}, "uniform"),
        figures.ratio_bars(["a", "b"], [(1.0, 0.8, 1.2), (3.0, 2.0, 4.0)], "t", "ratio"),
    ]
    for fig in charts:
        layout = fig.to_dict()["layout"]
        for axis in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
            if layout[axis].get("visible", True) and not layout[axis].get("matches"):
                assert layout[axis].get("title", {}).get("text"), f"{axis} untitled in '{layout['title']['text']}'"


def test_cifar_charts_carry_their_data_and_controls():
    rng = np.random.default_rng(0)
    classes = [f"c{i}" for i in range(10)]
    sweep = rng.integers(0, 10, (2, 3, 4, 50))
    grid = figures.attractor_grid(sweep, ["m0", "m1", "m2", "m3"], ["a", "b"], [0.25, 0.5, 1.0], classes)
    cells = grid.layout.meta["grid"]["cells"]
    assert len(cells) == 2 and len(cells[0]) == 3 and np.allclose(np.asarray(cells[1][2]).sum(1), 1)
    assert grid.layout.sliders[0].name == "brightness" and grid.layout.updatemenus[0].name == "kind"
    d = np.array([[0, 1, 3], [1, 0, 2], [3, 2, 0]], dtype=float)
    trees = figures.spanning_trees({"one": (d, [(0, 1), (1, 2)]), "two": (d, [(0, 2), (1, 2)])}, ["a", "b", "noise"])
    assert [b.label for b in trees.layout.updatemenus[0].buttons] == ["one", "two"]
    assert sum(v is None for v in trees.data[0].x) == 2       # two edges, separated by gaps
    bars = figures.class_share_bars({"f": rng.dirichlet(np.ones(10), 3)}, classes, "Gaussian")
    assert bars.layout.yaxis.title.text == "share of Gaussian noise images"


def test_adversarial_charts_title_their_axes_and_switch_inputs():
    import pandas as pd

    rng = np.random.default_rng(0)
    m = pd.DataFrame(rng.random((2, 2)), index=["A", "B"], columns=["A", "B"])
    heat = figures.transfer_heatmaps({"adversarial": (m, m * 0.9, m * 1.1), "noise": (m / 2, m / 3, m)}, "t")
    assert [b.label for b in heat.layout.updatemenus[0].buttons] == ["adversarial", "noise"]
    assert [t.visible for t in heat.data] == [True, False]
    units = pd.DataFrame({"kind": ["unit"] * 5 + ["random direction"] * 5, "purity": rng.random(10)})
    link = pd.DataFrame({"A": ["a", "a"], "B": ["b", "a"], "seed A": [0, 0], "seed B": [1, 1],
                         "pair": ["different networks", "same network"], "transfer": [0.2, 0.5], "noise κ": [0.1, 0.3]})
    x = rng.random((3, 1, 28, 28))
    charts = [heat, figures.distortion_histograms({"A": rng.random(20)}), figures.unit_purity({"MLP": units}),
              figures.transfer_vs_kappa(link)]
    for fig in charts:
        layout = fig.to_dict()["layout"]
        for axis in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
            assert layout[axis].get("title", {}).get("text"), f"{axis} untitled in '{layout['title']['text']}'"
    grid = figures.examples(x, np.clip(x + 0.01, 0, 1), ["→ 1", "→ 2", "→ 3"])
    assert list(grid.layout.yaxis.ticktext) == ["original", "adversarial", "difference ×5"]


def test_the_fit_script_rides_with_every_figure_and_the_toolbar_is_short():
    """render.FIT_SCRIPT (titles and menus fitted to the screen width) is in every figure's HTML,
    before the grid script, and the toolbar keeps only what a static figure uses."""
    fig = figures.answer_histogram(_tables(1, 1, 2), ["a"], ["p"], ["0.5", "1"], [str(i) for i in range(10)])
    html = pio.renderers["noisecorr_book"].to_mimebundle(fig.to_dict())["text/html"]
    assert html.index("gd._ncFit = fit") < html.index("plotly_sliderchange")
    assert '"lasso2d"' in html and '"select2d"' in html        # removed from the toolbar


def test_dense_matrices_keep_labels_readable_and_undefined_is_neutral():
    from noisecorr_utils.figures import style

    k = np.full((2, 40, 40), 0.2)
    fig = figures.kappa_matrix(k, [f"model {i}" for i in range(40)], [0.5, 1.0], "uniform")
    assert fig.layout.xaxis.tickfont.size >= style.MIN_FONT and fig.layout.yaxis.tickfont.size >= style.MIN_FONT
    undefined = fig.data[0].colorscale[0][1]
    r, g, b = (int(undefined[i:i + 2], 16) for i in (1, 3, 5))
    assert max(r, g, b) - min(r, g, b) < 8                     # a grey, not a colour that reads as a value


def test_one_epoch_of_training_is_drawn_as_bars_not_a_lone_dot():
    shares = np.random.default_rng(0).dirichlet(np.ones(10), (1, 2))
    fig = figures.trajectory(shares, ["gaussian", "uniform"], [f"c{i}" for i in range(10)])
    assert [t.type for t in fig.data] == ["bar"] and len(fig.data[0].x) == 10
    assert len(fig.layout.updatemenus[0].buttons) == 2
    many = figures.trajectory(np.repeat(shares, 3, axis=0), ["gaussian", "uniform"], [f"c{i}" for i in range(10)])
    assert {t.type for t in many.data} == {"scatter"} and len(many.data) == 10


def test_the_identity_line_on_a_log_axis_starts_above_zero():
    import pandas as pd

    table = pd.DataFrame({"sigma": [0.0, 2.0, 4.0, 2.0, 4.0], "repeats": [1] * 5, "seed": [0, 0, 0, 1, 1],
                          "inherited": [0.0, 0.5, 1.1, 0.6, 1.0], "predicted (a)": [np.nan, 0.4, 0.9, np.nan, np.nan]})
    fig = figures.registration_noise(table, ["a"])
    line = next(t for t in fig.data if (t.name or "").startswith("y = σ"))
    assert min(line.x) > 0 and min(line.y) > 0
