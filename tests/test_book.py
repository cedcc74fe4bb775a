"""Checks on the book built with the CI profile (``make test`` builds it first)."""
import re

import pytest
from conftest import built_book

from noisecorr_utils import build

HTML = build.html_dir("ci")


@pytest.fixture(scope="module")
def pages():
    html = built_book("ci")
    return {p.relative_to(html).as_posix(): p.read_text() for p in html.rglob("*.html")}


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
    assert re.search(r'MNIST has <span class="pasted-text">60,000</span> training images', html)


@pytest.mark.parametrize("page", ["book/02_noise_mnist.html", "book/03_input_similarity.html"])
def test_chapters_open_with_a_summary_and_number_every_figure_and_table(pages, page):
    html = pages[page]
    assert html.index("Summary") < html.index("Provenance of this page")
    figures = html.count("Plotly.newPlot")
    numbered = len(re.findall(r'<span class="caption-number">Fig\. \d+ </span>', html))
    assert figures > 0 and numbered == figures, f"{figures} figures, {numbered} numbered captions"
    tables = html.count("<table")
    assert tables == len(re.findall(r'<span class="caption-number">Table \d+ </span>', html))
    rows = re.findall(r'<span id="((?:noise|sim)-verdict-\d+)"></span>', html)
    links = set(re.findall(r'href="#((?:noise|sim)-verdict-\d+)"', html))
    assert rows and links and set(rows) == links, "every verdict row is linked from the summary"
    for target in set(re.findall(r'href="#((?:noise|sim)-verdict-\d+)"', html)):
        assert f'id="{target}"' in html, f"a claim links to a missing verdict row {target}"


def test_no_dead_widget_controls(pages):
    for name, html in pages.items():
        assert "application/vnd.jupyter.widget-view+json" not in html, name
