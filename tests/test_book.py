"""Checks on the book built with the CI profile (``make test`` builds it first)."""
import os
import re

import pytest
from conftest import built_book

from noisecorr_utils import build

PROFILE = os.environ.get("NOISECORR_BROWSER_PROFILE", "ci")   # the CI book unless told
HTML = build.html_dir(PROFILE)


@pytest.fixture(scope="module")
def pages():
    """The CI book's pages (``NOISECORR_BROWSER_PROFILE=quick`` or ``full``: that book's), not the
    downloads it serves (e.g. the blind-spot report)."""
    html = built_book(PROFILE)
    return {p.relative_to(html).as_posix(): p.read_text() for p in html.rglob("*.html")
            if not p.relative_to(html).as_posix().startswith("_static/")}


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
    assert "Provenance of this page" in html and f"Profile <strong>{PROFILE}</strong>" in html
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


def test_every_table_has_a_numbered_caption_and_readable_words(pages):
    """On every page, every table has a numbered caption, and no cell shows a code identifier
    (``two_nn``, ``p_o``) outside code formatting: tables go through ``report.md_table``."""
    import html as entities

    for name, html in pages.items():
        tables = re.findall(r"<table\b.*?</table>", html, flags=re.S)
        numbered = [t for t in tables if re.search(r'<span class="caption-number">Table \d+ </span>', t)]
        assert len(numbered) == len(tables), f"{name}: {len(tables) - len(numbered)} tables without a numbered caption"
        for table in tables:
            table = re.sub(r'<(code|span class="math[^"]*")[^>]*>.*?</(code|span)>', " ", table, flags=re.S)
            text = entities.unescape(re.sub(r"<[^>]+>", " ", table))
            raw = re.findall(r"(?<![\w/.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/]|\.\w)", text)
            assert not raw, f"{name}: identifiers in a table: {sorted(set(raw))[:5]}"


def test_no_dead_widget_controls(pages):
    for name, html in pages.items():
        assert "application/vnd.jupyter.widget-view+json" not in html, name


def test_every_figure_links_the_numbers_it_draws(pages):
    """Each figure has a "data (CSV)" link to a file the book serves, whose values are the figure's
    (checked on the first trace's y of every figure that draws a y), and each chapter page links
    its tables as one zip archive."""
    import csv
    import io
    import json
    import zipfile

    from noisecorr_utils.figures.render import _decoded

    checked = 0
    for name, html in pages.items():
        if "Plotly.newPlot" not in html:
            continue
        plots = re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', html, flags=re.S)
        links = re.findall(r'<p class="figure-data"><a href="\.\./(_static/downloads/[^"]+\.csv)" download>', html)
        assert len(links) == html.count("Plotly.newPlot"), f"{name}: {len(links)} data links"
        for traces, link in zip(plots, links):
            rows = list(csv.DictReader(io.StringIO((HTML / link).read_text())))
            first = json.loads(traces)[0]
            first["y"] = _decoded(first.get("y"))
            if isinstance(first.get("y"), list) and first.get("type", "scatter") in ("scatter", "bar") and rows:
                ys = [r["y"] for r in rows if r["trace"] == (first.get("name") or "trace 1")][:len(first["y"])]
                assert [str(v) for v in first["y"]] == ys or [float(v) for v in first["y"] if v is not None] == \
                    [float(v) for v in ys if v != ""], f"{name}: {link} is not what the figure draws"
                checked += 1
        archive = re.search(r'<a href="\.\./(_static/downloads/[^"]+_tables\.zip)" download>', html)
        assert archive, f"{name} links no table archive"
        with zipfile.ZipFile(HTML / archive.group(1)) as z:
            assert z.namelist() and all(n.endswith(".csv") for n in z.namelist())
    assert checked >= 10


@pytest.mark.skipif(PROFILE == "full", reason="the published book has no banner")
def test_every_page_of_a_small_profile_says_so(pages):
    banner = build.small_profile_banner(PROFILE)
    assert 'url=book/intro.html' in pages["index.html"]   # the root only redirects to a page that says so
    shown = [name for name in pages if name.startswith("book/")]
    assert len(shown) >= len(build.notebooks())
    for name in shown:
        assert banner in pages[name], f"{name} does not say it comes from the {PROFILE} profile"


def test_formulas_are_typeset_by_the_book_itself(pages):
    html = pages["book/03_input_similarity.html"]
    assert r"\(k^C\)" in html and r"\sum_{x" in html          # dollar maths became MathJax input
    assert 'src="../_static/mathjax/tex-svg.js' in html
    assert (HTML / "_static" / "mathjax" / "tex-svg.js").stat().st_size > 1_000_000


def test_no_formula_is_left_in_plain_text(pages):
    """Every formula goes through MathJax: outside maths, code and scripts no page shows ``^``,
    ``_{``, ``Σ`` or a raw ``p_o``/``p_e`` (e.g. a raw ``k^C`` or ``Σ_{x′}``)."""
    import html as entities

    for name, html in pages.items():
        html = re.sub(r"<(script|style|pre|code|details)\b.*?</\1>", " ", html, flags=re.S)
        html = re.sub(r'<(span|div) class="math[^"]*">.*?</\1>', " ", html, flags=re.S)
        text = re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html)))
        found = [text[max(0, m.start() - 40):m.end() + 40] for m in re.finditer(r"\^|_\{|Σ|(?<!\w)p_[oe](?!\w)", text)]
        assert not found, f"{name}: formulas in plain text: {found[:3]}"


def test_prose_shows_no_seams_of_its_templates(pages):
    """The running text (tables, code and the provenance box left out) has no doubled words, no
    dash standing in for a number, no empty "(—)" slots and no "at least 100%"."""
    import html as entities

    seams = [r"\b(\w{2,})\s+\1\b", r"(?:^|[\s(,])–(?:$|[\s,.;])", r"\(—\)", r"the figure —", r"at least 100%"]
    provenance = r'<div class="[^"]*admonition[^"]*">\s*<p class="admonition-title">Provenance of this page</p>.*?</div>'
    for name, html in pages.items():
        html = re.sub(r"<(script|style|table|pre|details)\b.*?</\1>", " ", html, flags=re.S)
        html = re.sub(provenance, " ", html, flags=re.S)   # "executed 2026-12-05 05:08" is not prose
        for paragraph in re.findall(r"<p>(.*?)</p>", html, flags=re.S):
            text = re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", "", paragraph)))
            found = [m.group(0) for seam in seams for m in re.finditer(seam, text, flags=re.I)]
            assert not found, f"{name}: {found} in “{text[:200]}”"
