"""The built CI book in a real headless Chromium (Debian's /usr/bin/chromium via Playwright):
every page loads with no console error and no failed request, every plotly figure is drawn,
and the noise chapter's slider and menus change the plotted data. Full-page screenshots of
the last run are kept in ``screenshots/`` (git-ignored)."""
from __future__ import annotations

import functools
import http.server
import shutil
import os
import re
import threading

import pytest
from conftest import built_book

from noisecorr_utils import build
from noisecorr_utils.paths import ROOT

# The CI book by default; `NOISECORR_BROWSER_PROFILE=full pytest tests/test_browser.py` checks the published one.
PROFILE = os.environ.get("NOISECORR_BROWSER_PROFILE", "ci")
HTML = build.html_dir(PROFILE)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server():
    built_book(PROFILE)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


PAGES = ["index.html", "book/intro.html", "genindex.html", "search.html"] + [
    f"book/{nb.stem}.html" for nb in build.notebooks()]

FIGURE_STATE = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
    traces: (gd._fullData || []).filter(t => t.visible === true && (
        (t.x && t.x.length) || (t.y && t.y.length) || (t.z && t.z.length) || t.source)).length,
    svg: gd.querySelectorAll('.main-svg').length,
    drawn: gd.querySelectorAll('.heatmaplayer image, .imagelayer image, .barlayer .point, .scatterlayer .trace, .boxlayer .trace').length
}))"""


def open_page(browser, url, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")  # the whole document parsed (large pages stream for a while)
    page.wait_for_load_state("networkidle")
    # plotly draws after load; on a busy machine that can take a moment
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.plotly-graph-div'))
        .every(g => g._fullData && g.querySelector('.main-svg'))""", timeout=30000)
    return page, problems


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_and_draws_every_figure(browser, server, path):
    """At a desktop's 1400 px: no console error or failed request, every figure drawn, numbered
    and free of the layout flaws ``FIT_FLAWS`` looks for, no NaN or unglued value on the page."""
    page, problems = open_page(browser, f"{server}/{path}", width=1400)
    figures = page.evaluate(FIGURE_STATE)
    page.wait_for_timeout(600)   # render.FIT_SCRIPT refits after the first draw
    fit, layout = page.evaluate(FIT_FLAWS), page.evaluate(LAYOUT_FLAWS)
    text = page.evaluate("() => (document.querySelector('main') || document.body).innerText")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / (path.replace("/", "_").replace(".html", ".png"))), full_page=True)
    page.close()
    assert problems == [], "\n".join(problems)
    for i, fig in enumerate(figures):
        assert fig["traces"] > 0 and fig["svg"] > 0 and fig["drawn"] > 0, f"figure {i} on {path} is blank: {fig}"
    flaws = [f"{f['figure']}: {', '.join(f['flaws'])}" for f in fit if f["flaws"]]
    assert not flaws, f"{path} at 1400 px:\n" + "\n".join(flaws)
    if path.startswith("book/0"):
        assert figures, f"{path} has no figure"
        for fig in layout:
            assert fig["numbered"], f"a figure on {path} has no numbered caption: {fig['title']!r}"
        assert not re.search(r"\bnan\b", text, flags=re.IGNORECASE), f"'NaN' shown on {path}"
        assert "{glue" not in text


GRID_Z = """() => { const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
    .find(g => g.layout.meta && g.layout.meta.grid);
  const grid = gd.layout.meta.grid;
  const cell = grid.state.reduce((c, i) => c[i], grid.cells);
  return {z: JSON.stringify(gd.data[0].z), expected: JSON.stringify(cell), state: grid.state.slice(),
          title: gd.layout.title.text}; }"""


def test_noise_chapter_slider_and_menus_change_the_histogram(browser, server):
    page, problems = open_page(browser, f"{server}/book/02_noise_mnist.html")
    gd = page.locator(".js-plotly-plot", has=page.locator(".slider-container")).first
    gd.scroll_into_view_if_needed()
    before = page.evaluate(GRID_Z)
    # the slider: click at its left end (lowest brightness)
    rail = gd.locator(".slider-rail-rect").first.bounding_box()
    page.mouse.click(rail["x"] + 3, rail["y"] + rail["height"] / 2)
    after_slider = page.evaluate(GRID_Z)
    # each control moves its own index of the grid state, and the figure shows that state's cell
    # (which may equal the previous one where the models answer alike: hence also the titles)
    assert after_slider["state"][2] == 0 and after_slider["z"] == after_slider["expected"]
    # the noise-kind menu (first dropdown): open it, choose its second entry
    choose(page, gd, 0, 1)
    after_kind = page.evaluate(GRID_Z)
    assert after_kind["state"][0] == 1 and after_kind["z"] == after_kind["expected"]
    assert after_kind["title"] != after_slider["title"] and "pₒ" in after_kind["title"]
    # the model-pair menu (second dropdown)
    choose(page, gd, 1, 1)
    after_pair = page.evaluate(GRID_Z)
    assert after_pair["state"][1] == 1 and after_pair["z"] == after_pair["expected"]
    assert len({before["z"], after_slider["z"], after_kind["z"], after_pair["z"]}) > 1, "no control changed the data"
    page.close()
    assert problems == []


TRACE0 = """(title) => { const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
    .find(g => ((g.layout.title || {}).text || '').startsWith(title));
  return {x: JSON.stringify(gd.data[0].x), y: JSON.stringify(gd.data.map(t => t.y)),
          names: gd.data.map(t => t.name), title: gd.layout.title.text, yaxis: gd.layout.yaxis.title.text}; }"""


def choose(page, gd, menu: int, entry: int):
    """Open dropdown ``menu`` of a figure and click its ``entry``."""
    gd.locator(".updatemenu-header-group").nth(menu).click()
    gd.locator(".updatemenu-dropdown-button-group").first.locator(".updatemenu-dropdown-button").nth(entry).click()


def test_similarity_chapter_controls(browser, server):
    page, problems = open_page(browser, f"{server}/book/03_input_similarity.html")
    # the registration figure: the reading menu swaps the prediction line
    gd = page.locator(".js-plotly-plot").filter(has_text="Noise inherited").first
    gd.scroll_into_view_if_needed()
    before = page.evaluate(TRACE0, "Noise inherited")
    choose(page, gd, 0, 1)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .some(g => (g.data[3] || {}).name === 'σ·√mean(1/N), N = effective count')""", timeout=10000)
    after = page.evaluate(TRACE0, "Noise inherited")
    assert after["names"][3].endswith("effective count") and after["y"] != before["y"]
    # the density histogram: its brightness slider shows the grid cell its state names
    gd = page.locator(".js-plotly-plot", has=page.locator(".slider-container")).first
    gd.scroll_into_view_if_needed()
    rail = gd.locator(".slider-rail-rect").first.bounding_box()
    page.mouse.click(rail["x"] + 3, rail["y"] + rail["height"] / 2)
    cell = page.evaluate(GRID_Y)
    assert cell["state"][1] == 0 and cell["y"] == cell["expected"] and f"brightness {cell['labels'][1][0]}" in cell["title"]
    # the enforcement curves: the metric menu switches accuracy to the gradient cosine
    gd = page.locator(".js-plotly-plot").filter(has_text="similarity enforcement").first
    gd.scroll_into_view_if_needed()
    before = page.evaluate(TRACE0, "Training with and without")
    choose(page, gd, 0, 1)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .some(g => ((g.layout.yaxis || {}).title || {}).text === 'pair cosine')""", timeout=10000)
    after = page.evaluate(TRACE0, "Training with and without")
    assert after["y"] != before["y"] and after["yaxis"] == "pair cosine"
    page.close()
    assert problems == []


GRID_Y = """() => { const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
    .find(g => g.layout.meta && g.layout.meta.grid);
  const grid = gd.layout.meta.grid;
  const cell = grid.state.reduce((c, i) => c[i], grid.cells);
  return {y: JSON.stringify(gd.data[grid.trace].y), expected: JSON.stringify(cell), state: grid.state.slice(),
          title: gd.layout.title.text, labels: grid.labels}; }"""

LAYOUT_FLAWS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const title = gd.querySelector('.gtitle');
  const t = title ? title.getBoundingClientRect() : null;
  const menus = Array.from(gd.querySelectorAll('.updatemenu-header-group, .slider-container'))
    .map(m => m.getBoundingClientRect());
  const overlap = t && t.width > 0 ? menus.some(m => m.left < t.right && t.left < m.right && m.top < t.bottom && t.top < m.bottom) : false;
  const clipped = t ? (t.left < gd.getBoundingClientRect().left - 1 || t.right > gd.getBoundingClientRect().right + 1) : false;
  const figure = gd.closest('figure');
  return {title: title ? title.textContent : '', overlap, clipped,
          numbered: !!(figure && figure.querySelector('.caption-number'))};
})"""


FIT_FLAWS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const box = e => e.getBoundingClientRect();
  const hit = (a, b) => a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const g = box(gd), title = gd.querySelector('.gtitle'), t = title ? box(title) : null, flaws = [];
  const bar = gd.querySelector('.modebar');
  if (t && bar && hit(t, box(bar))) flaws.push('the title runs under the toolbar');
  const menus = Array.from(gd.querySelectorAll('.updatemenu-header-group')).map(box);
  if (t && menus.some(m => hit(t, m))) flaws.push('a menu covers the title');
  menus.forEach((m, i) => menus.slice(i + 1).forEach(n => { if (hit(m, n)) flaws.push('two menus overlap'); }));
  for (const a of gd.querySelectorAll('.annotation')) if (menus.some(m => hit(m, box(a)))) flaws.push('a menu covers a panel title');
  if (menus.some(m => m.right > g.right + 1)) flaws.push('a menu runs off the figure');
  const page = Math.min(document.documentElement.clientWidth, box(document.querySelector('main') || document.body).right);
  if (g.right > page + 1) flaws.push(`the figure is wider than the page (${Math.round(g.right)} > ${Math.round(page)} px)`);
  if (t && (t.left < g.left - 1 || t.right > g.right + 1)) flaws.push('the title is clipped');
  const notes = Array.from(gd.querySelectorAll('.annotation')).map(box);
  notes.forEach((a, i) => notes.slice(i + 1).forEach(b => { if (hit(a, b)) flaws.push('two panel titles or notes overlap'); }));
  const small = Array.from(gd.querySelectorAll('.xtick text, .ytick text, .annotation-text, .legendtext, .cbaxis text, .slider-labels text, .heatmap-label text, text.heatmap-label'))
    .filter(e => box(e).width > 0).map(e => parseFloat(getComputedStyle(e).fontSize)).filter(s => s < 9);
  if (small.length) flaws.push(`${small.length} labels under 9 px (smallest ${Math.min(...small)} px)`);
  const caption = gd.closest('figure') && gd.closest('figure').querySelector('.caption-number');
  return {figure: caption ? caption.textContent.trim() : (title ? title.textContent : '?'), flaws};
})"""


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("book/")])
def test_figures_fit_a_phone(browser, server, path):
    """At 420 px (1400 px: the page test above): no title under the toolbar or a menu, no menus
    over each other or a panel title, nothing wider than the page, no label under 9 px (issue 27)."""
    page, problems = open_page(browser, f"{server}/{path}", width=420)
    page.wait_for_timeout(600)   # render.FIT_SCRIPT refits after the first draw
    figures = page.evaluate(FIT_FLAWS)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / (path.replace("/", "_").replace(".html", "-420px.png"))), full_page=True)
    page.close()
    flaws = [f"{f['figure']}: {', '.join(f['flaws'])}" for f in figures if f["flaws"]]
    assert not flaws, f"{path} at 420 px:\n" + "\n".join(flaws)
    assert problems == [], "\n".join(problems)


GRID_CELLS = """(title) => { const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
    .find(g => g.layout.meta && g.layout.meta.grid && (g.layout.title.text || '').startsWith(title));
  const grid = gd.layout.meta.grid;
  const cell = grid.state.reduce((c, i) => c[i], grid.cells);
  const traces = Array.isArray(grid.trace) ? grid.trace : [grid.trace];
  const keys = Object.keys(cell).filter(k => ['x', 'y', 'z'].includes(k));
  return {state: grid.state.slice(), title: gd.layout.title.text,
          shown: JSON.stringify(keys.map(k => traces.map(t => gd.data[t][k]))),
          expected: JSON.stringify(keys.map(k => cell[k]))}; }"""


def test_synthesis_chapter_controls(browser, server):
    page, problems = open_page(browser, f"{server}/book/06_synthesis.html")
    # the κ matrix: the factor menu regroups rows and columns
    gd = page.locator(".js-plotly-plot").filter(has_text="κ of every pair").first
    gd.scroll_into_view_if_needed()
    before = page.evaluate(GRID_CELLS, "κ of every pair")
    choose(page, gd, 1, 1)
    after = page.evaluate(GRID_CELLS, "κ of every pair")
    assert after["state"] == [0, 1] and after["shown"] == after["expected"] != before["shown"]
    assert "grouped by data" in after["title"]
    # the measures scatter: the x menu picks another measure
    gd = page.locator(".js-plotly-plot").filter(has_text="one point per pair").first
    gd.scroll_into_view_if_needed()
    before = page.evaluate(GRID_CELLS, "noise κ against")
    choose(page, gd, 1, 2)
    after = page.evaluate(GRID_CELLS, "noise κ against")
    assert after["state"] == [0, 2] and after["shown"] == after["expected"] != before["shown"]
    # the ensembles: the size slider shows larger ensembles
    gd = page.locator(".js-plotly-plot").filter(has_text="ensemble gains:").first
    gd.scroll_into_view_if_needed()
    rail = gd.locator(".slider-rail-rect").first.bounding_box()
    page.mouse.click(rail["x"] + rail["width"] - 3, rail["y"] + rail["height"] / 2)
    after = page.evaluate(GRID_CELLS, "What an ensemble gains")
    assert after["state"][1] > 0 and after["shown"] == after["expected"]
    page.close()
    assert problems == []


def test_formulas_are_typeset_offline(browser, server):
    page, problems = open_page(browser, f"{server}/book/03_input_similarity.html")
    page.wait_for_function("() => document.querySelectorAll('mjx-container svg').length > 3", timeout=30000)
    typeset = page.evaluate("() => document.querySelectorAll('mjx-container svg').length")
    page.close()
    assert problems == [], "\n".join(problems)
    assert typeset >= 5, f"only {typeset} formulas typeset"


def test_the_blind_spot_report_opens_offline_with_every_figure_drawn(browser, server):
    page, problems = open_page(browser, f"{server}/_static/downloads/your_networks/report/report.html")
    figures = page.evaluate(FIGURE_STATE)
    page.close()
    assert problems == [], "\n".join(problems)
    assert len(figures) == 2 and all(f["traces"] > 0 and f["drawn"] > 0 for f in figures), figures


def test_the_published_archive_opens_offline_from_its_folder(browser, tmp_path):
    """``make dist``'s archive, unpacked anywhere, is the book: its pages open from the files
    (no server) with every figure drawn, and its manifest names every result table."""
    import json
    import tarfile

    from noisecorr_utils import dist

    path = dist.archive(PROFILE, tmp_path)
    with tarfile.open(path) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    root = next((tmp_path / "unpacked").iterdir())
    manifest = json.loads((root / "MANIFEST.json").read_text())
    assert manifest["profile"] == PROFILE and "noise_verdicts.csv" in manifest["tables"]
    for page_path in ("index.html", "book/02_noise_mnist.html"):
        page, problems = open_page(browser, (root / page_path).as_uri())
        figures = page.evaluate(FIGURE_STATE)
        page.close()
        assert problems == [], "\n".join(problems)
        assert all(f["drawn"] > 0 for f in figures)
