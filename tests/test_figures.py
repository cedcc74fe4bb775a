import json

import numpy as np
import plotly.io as pio

from noisecorr_utils import figures


def _tables(kinds, pairs, levels):
    rng = np.random.default_rng(0)
    return [[[rng.integers(0, 50, (10, 10)) for _ in range(levels)] for _ in range(pairs)] for _ in range(kinds)]


def test_answer_histogram_has_slider_two_menus_and_the_whole_grid():
    tables = _tables(3, 2, 4)
    fig = figures.answer_histogram(tables, ["a", "b", "c"], ["p", "q"], ["0.25", "0.5", "0.75", "1"],
                                   [str(i) for i in range(10)])
    assert [m.name for m in fig.layout.updatemenus] == ["kind", "pair"]
    assert fig.layout.sliders[0].name == "brightness" and len(fig.layout.sliders[0].steps) == 4
    grid = fig.layout.meta["grid"]
    assert grid["dims"] == ["kind", "pair", "brightness"] and grid["state"] == [0, 0, 3]
    assert np.array_equal(np.asarray(grid["cells"][2][1][0]), tables[2][1][0])
    assert np.array_equal(np.asarray(fig.data[0].z), tables[0][0][3])


def test_book_renderer_emits_html_that_wires_the_controls():
    fig = figures.answer_histogram(_tables(1, 1, 2), ["a"], ["p"], ["0.5", "1"], [str(i) for i in range(10)])
    bundle = pio.renderers["noisecorr_book"].to_mimebundle(fig.to_dict())
    html = bundle["text/html"]
    assert list(bundle) == ["text/html"]
    assert "Plotly.newPlot" in html and "plotly_sliderchange" in html and "<script src" not in html


def test_kappa_matrix_slider_steps_carry_each_matrix():
    k = np.stack([np.eye(3) * (i + 1) / 3 for i in range(3)])
    fig = figures.kappa_matrix(k, ["a", "b", "c"], [0.3, 0.6, 1.0], "κ")
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 3 and np.allclose(steps[0].args[0]["z"][0], np.round(k[0], 3))
