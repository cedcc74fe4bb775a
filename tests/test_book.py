"""Checks on the book built with the CI profile (``make test`` builds it first)."""
import re
from pathlib import Path

import pytest

from noisecorr_utils import build

HTML = build.html_dir("ci")


@pytest.fixture(scope="module")
def pages():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no CI book in {HTML}; run `python -m noisecorr_utils.build --profile ci` first")
    return {p.relative_to(HTML).as_posix(): p.read_text() for p in HTML.rglob("*.html")}


def test_every_notebook_became_a_page(pages):
    for nb in build.notebooks():
        assert f"book/{nb.stem}.html" in pages


def test_no_script_or_style_from_the_network(pages):
    for name, html in pages.items():
        external = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', html)
        assert external == [], f"{name} loads {external}"


def test_plotly_is_served_by_the_book_itself(pages):
    assert (HTML / "_static" / "plotly.min.js").stat().st_size > 1_000_000
    for name, html in pages.items():
        if "Plotly.newPlot" in html:
            assert 'src="../_static/plotly.min.js' in html, name
            assert "application/vnd.plotly.v1+json" not in html


def test_zoo_page_has_figures_numbers_and_provenance(pages):
    html = pages["book/01_data_and_zoo.html"]
    assert html.count("Plotly.newPlot") >= 5
    assert "Provenance of this page" in html and "Profile <strong>ci</strong>" in html
    assert "{glue" not in html  # every {glue} role was resolved
    assert re.search(r"MNIST has <strong>60,000</strong>", html) or "60,000" in html


def test_no_dead_widget_controls(pages):
    for name, html in pages.items():
        assert "application/vnd.jupyter.widget-view+json" not in html, name
