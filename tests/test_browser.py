"""The reports in a real headless browser (Debian's chromium driven by Playwright): every plot is
drawn with the right number of points, nothing is requested from the network, nothing logs an
error, and hostile paper text stays inert text. Skipped when chromium or playwright is missing."""

import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
from report_fixtures import (  # noqa: E402
    HOSTILE_AREA,
    HOSTILE_IMG,
    HOSTILE_LABEL,
    HOSTILE_TITLE,
    hostile_report,
    sample_report,
    synthetic_landscape,
    synthetic_report,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.browser
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NAMES = ("landscape_map", "topic_trends", "topic_deep_dive")
DEV_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/papers_dev.parquet"

# JavaScript run in the page
ALL_DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(gd =>
    gd._fullLayout && (!gd.layout.meta || !gd.layout.meta.landscape_map || gd.landscapeMapReady))"""
MAP_POINTS = """() => {
  const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
    .find(g => g.layout.meta && g.layout.meta.landscape_map);
  const meta = gd.layout.meta.landscape_map;
  let drawn = 0;
  for (const i of meta.paper_traces) {
    const trace = gd._fullData.find(t => t.index === i);
    for (const v of trace.x) { if (v !== null && !Number.isNaN(v)) drawn += 1; }
  }
  const webgl = document.querySelectorAll('canvas.gl-canvas').length;
  return {drawn, declared: meta.n_papers, state: gd.landscapeMapState, webgl};
}"""
INJECTED = """() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  images: document.querySelectorAll('img[src="x"], img[src="y"]').length,
  svgs: document.querySelectorAll('svg[onload]').length,
  jsLinks: document.querySelectorAll('a[href^="javascript:"]').length,
})"""


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One page load with everything the page asked for and complained about."""

    def __init__(self, browser, path: Path, timeout_ms: int = 60_000):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.requests, self.errors, self.dialogs = [], [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        start = time.perf_counter()
        self.page.goto(path.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        self.page.wait_for_function(ALL_DRAWN, timeout=timeout_ms)
        self.seconds = time.perf_counter() - start

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check_clean(self):
        remote = [u for u in self.requests if not u.startswith("file://")]
        assert not remote, f"network requests: {remote[:5]}"
        assert not self.errors, self.errors
        assert not self.dialogs, self.dialogs
        injected = self.page.evaluate(INJECTED)
        assert injected == {"pwned": None, "images": 0, "svgs": 0, "jsLinks": 0}, injected

    def text(self) -> str:
        return self.page.text_content("body")

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return synthetic_report(tmp_path_factory)


@pytest.fixture(scope="module")
def land():
    return synthetic_landscape()


@pytest.fixture(scope="module")
def map_visit(browser, synthetic):
    visit = Visit(browser, synthetic / "reports" / "landscape_map.html")
    yield visit
    visit.close()


# ---- the synthetic hostile landscape -----------------------------------------------------------------
@pytest.mark.parametrize("name", ("index",) + NAMES)
def test_page_is_offline_clean_and_inert(browser, synthetic, name):
    visit = Visit(browser, synthetic / "reports" / f"{name}.html")
    try:
        visit.check_clean()
        plots = visit.page.evaluate("() => document.querySelectorAll('.js-plotly-plot .main-svg').length")
        assert plots >= {"index": 0, "landscape_map": 2, "topic_trends": 5, "topic_deep_dive": 1}[name]
        text = visit.text()
        if name == "landscape_map":  # table cells and legend entries show the markup as text
            for hostile in (HOSTILE_TITLE, HOSTILE_IMG, HOSTILE_LABEL, HOSTILE_AREA):
                assert hostile in text, hostile
        if name == "topic_trends":
            assert HOSTILE_AREA in text and HOSTILE_LABEL in text
        if name == "index":
            assert all(visit.page.locator(f'a[href="{n}.html"]').count() == 1 for n in NAMES)
    finally:
        visit.close()


def test_map_draws_every_paper_with_webgl(map_visit, land):
    points = map_visit.page.evaluate(MAP_POINTS)
    assert points["drawn"] == points["declared"] == len(land.documents)
    assert points["webgl"] >= 1


def test_hover_label_shows_hostile_title_as_text(map_visit):
    page = map_visit.page
    where = page.evaluate(
        """() => {
      const gd = document.querySelector('.js-plotly-plot');
      const hostile = t => t.includes('__pwned = "title"');
      const i = gd.layout.meta.landscape_map.paper_traces.find(i => gd.data[i].text.some(hostile));
      const k = gd.data[i].text.findIndex(hostile);
      const full = gd._fullData.find(t => t.index === i), L = gd._fullLayout;
      const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
      return {x: box.left + L.xaxis.l2p(full.x[k]), y: box.top + L.yaxis.l2p(full.y[k])};
    }"""
    )
    page.mouse.move(where["x"] + 30, where["y"] + 30)
    page.mouse.move(where["x"], where["y"])
    page.wait_for_function(
        "() => document.querySelector('.hoverlayer').textContent.length > 0", timeout=10_000
    )
    text = page.text_content(".hoverlayer")
    assert '<script>window.__pwned = "title"</script>Robust' in text
    assert "100% {x} gains" in text and "topic 0:" in text
    map_visit.check_clean()


def test_search_rings_papers_matching_titles_or_abstracts(map_visit, land):
    page = map_visit.page
    search = page.locator("input[type=search]")
    docs = land.documents
    text = (docs["title"] + "\n" + docs["abstract"]).str.lower()
    for query, words in (
        ("<b>bold", ["<b>bold"]),
        ("Diffusion IMAGE", ["diffusion", "image"]),
        ("secure", ["secure"]),
    ):
        search.fill(query)
        page.wait_for_function(
            f"() => document.querySelector('.js-plotly-plot').landscapeMapState.query === {query!r}"
        )
        state = page.evaluate("() => document.querySelector('.js-plotly-plot').landscapeMapState")
        expected = int(text.map(lambda t, w=words: all(x in t for x in w)).sum())
        assert expected > 0 and state["matches"] == expected, (query, state)
        ringed = page.evaluate(
            "() => { const gd = document.querySelector('.js-plotly-plot'); "
            "return gd.data[gd.layout.meta.landscape_map.search_trace].x.length; }"
        )
        assert ringed == expected
    search.fill("")
    page.wait_for_timeout(400)
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').landscapeMapState.matches") == 0
    map_visit.check_clean()


def test_time_filter_keeps_only_papers_of_the_period(map_visit, land):
    page = map_visit.page
    start = 2021 * 12  # January 2021, as the slider counts months
    page.evaluate(
        f"() => {{ const f = document.querySelector('input[id$=\"-from\"]'); f.value = {start};"
        " f.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_timeout(500)
    docs = land.documents
    dated = docs["date"].notna()
    last = np.where(
        docs["date_precision"] == "year",
        docs["date"].dt.year * 12 + 11,
        docs["date"].dt.year * 12 + docs["date"].dt.month - 1,
    )
    expected = int((dated & (pd.Series(last, index=docs.index) >= start)).sum())
    points = page.evaluate(MAP_POINTS)
    assert 0 < expected < len(docs)
    assert points["drawn"] == points["state"]["shown"] == expected
    assert page.text_content("[id$='-range']").startswith("2021-01 to ")
    page.evaluate(
        "() => { const f = document.querySelector('input[id$=\"-from\"]'); f.value = f.min;"
        " f.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_timeout(500)
    assert page.evaluate(MAP_POINTS)["drawn"] == len(docs)
    map_visit.check_clean()


def test_colour_switch_lists_areas_in_the_legend(map_visit, land):
    page = map_visit.page
    page.locator(".updatemenu-item-text", has_text="Colour by research area").click()
    page.wait_for_timeout(300)
    legend = page.evaluate(
        "() => Array.from(document.querySelectorAll('.legendtext')).map(e => e.textContent)"
    )
    assert sorted(legend) == sorted(set(land.topics["area"]) | {"unassigned"})
    page.locator(".updatemenu-item-text", has_text="Colour by topic").click()
    page.wait_for_timeout(300)
    legend = page.evaluate(
        "() => Array.from(document.querySelectorAll('.legendtext')).map(e => e.textContent)"
    )
    assert len(legend) == land.documents["topic"].nunique()
    map_visit.check_clean()


# ---- real builds (slow) -----------------------------------------------------------------------------
@pytest.mark.slow
def test_sample_report_pages_in_the_browser(browser, tmp_path_factory):
    from landscape.store import Landscape

    folder = sample_report(tmp_path_factory) / "reports"
    land = Landscape.load(folder / "landscape", embeddings=False)
    for name in ("index",) + NAMES:
        visit = Visit(browser, folder / f"{name}.html")
        try:
            visit.check_clean()
            if name == "landscape_map":
                points = visit.page.evaluate(MAP_POINTS)
                assert points["drawn"] == points["declared"] == len(land.documents)
        finally:
            visit.close()


@pytest.mark.slow
def test_hostile_corpus_report_stays_inert(browser, tmp_path_factory):
    from landscape.store import Landscape

    folder = hostile_report(tmp_path_factory) / "reports"
    land = Landscape.load(folder / "landscape", embeddings=False)
    hostile = land.documents[land.documents["source"].astype(str).str.contains("hostile")]
    assert any("<script>" in t for t in hostile["title"]), "markup survives ingest, so this test can fail"
    visit = Visit(browser, folder / "landscape_map.html")
    try:
        visit.check_clean()
        assert visit.page.evaluate(MAP_POINTS)["drawn"] == len(land.documents)
        # every hostile title is searchable as the text it is
        for title in hostile["title"]:
            visit.page.locator("input[type=search]").fill(title)
            visit.page.wait_for_timeout(400)
            assert (
                visit.page.evaluate(
                    "() => document.querySelector('.js-plotly-plot').landscapeMapState.matches"
                )
                >= 1
            )
        visit.check_clean()
    finally:
        visit.close()


# ---- the map at the size of the development corpus --------------------------------------------------
@pytest.mark.devdata
@pytest.mark.slow
def test_map_of_92k_papers_loads_and_stays_usable(browser, tmp_path):
    """Real titles and dates of ../shared/data/papers_dev.parquet on a synthetic layout: file size
    and load time at full scale (the layout does not change either)."""
    if not DEV_DATA.exists():
        pytest.skip(f"{DEV_DATA} not found")
    from landscape.present.maps import save_map

    real = pd.read_parquet(DEV_DATA, columns=["id", "title", "date"])
    land = synthetic_landscape(n=len(real), n_topics=150, seed=1)
    docs = land.documents
    docs["title"] = real["title"].to_numpy()
    docs["date"] = pd.to_datetime(real["date"], errors="coerce").to_numpy()
    docs["date_precision"] = "day"
    path = save_map(land, tmp_path / "map92k.html")
    megabytes = path.stat().st_size / 1e6
    visit = Visit(browser, path, timeout_ms=180_000)
    try:
        visit.check_clean()
        points = visit.page.evaluate(MAP_POINTS)
        assert points["drawn"] == len(real)
        start = time.perf_counter()
        visit.page.locator("input[type=search]").fill("diffusion")
        visit.page.wait_for_function(
            "() => document.querySelector('.js-plotly-plot').landscapeMapState.matches > 0", timeout=30_000
        )
        search_seconds = time.perf_counter() - start
        print(
            f"\n92k map: {megabytes:.1f} MB, loaded in {visit.seconds:.1f} s, search {search_seconds:.2f} s"
        )
        assert megabytes < 40 and visit.seconds < 120
    finally:
        visit.close()


# ---- the explorable map: panel, neighbours, selection, CSV, search, labels ---------------------------
LATEX_TITLE, FORMULA_TITLE, FORMULA_AUTHORS = (
    "G$^2$VLM: geometry grounded",
    '=HYPERLINK("http://x")',
    "@risk; +plus",
)
GD = "document.querySelector('.js-plotly-plot')"
STATE = f"() => {GD}.landscapeMapState"
# screen position of a paper, by id
POINT = f"""(id) => {{
  const gd = {GD}, meta = gd.layout.meta.landscape_map, L = gd._fullLayout, row = gd.landscapeMapRow(id);
  let t = meta.starts.length - 1;
  while (meta.starts[t] > row) t -= 1;
  const full = gd._fullData.find(tr => tr.index === meta.paper_traces[t]), k = row - meta.starts[t];
  const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return {{x: box.left + L.xaxis.l2p(full.x[k]), y: box.top + L.yaxis.l2p(full.y[k])}};
}}"""
PLOT_BOX = f"""() => {{ const r = {GD}.querySelector('.nsewdrag').getBoundingClientRect();
  return {{left: r.left, top: r.top, width: r.width, height: r.height}}; }}"""
LABELS = """() => Array.from(document.querySelectorAll('.annotation')).map(a => {
  const r = a.getBoundingClientRect();
  return {text: a.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom}; })"""


@pytest.fixture(scope="module")
def explore(browser, tmp_path_factory):
    from landscape.present.maps import save_map

    land = synthetic_landscape(n=400, n_topics=8, seed=11)
    land.embeddings = np.random.default_rng(11).standard_normal((400, 16)).astype("float32")
    docs = land.documents
    docs.loc[2, "title"], docs.loc[3, "title"], docs.loc[3, "authors"] = (
        LATEX_TITLE,
        FORMULA_TITLE,
        FORMULA_AUTHORS,
    )
    path = save_map(land, tmp_path_factory.mktemp("explore") / "map.html")
    visit = Visit(browser, path)
    yield land, visit
    visit.close()


def _click_paper(page, paper_id):
    where = page.evaluate(POINT, paper_id)
    page.mouse.move(where["x"] + 25, where["y"] + 25)
    page.mouse.move(where["x"], where["y"])
    page.wait_for_timeout(150)
    page.mouse.click(where["x"], where["y"])
    page.wait_for_function(f"() => {GD}.landscapeMapState.panelRow === {GD}.landscapeMapRow({paper_id!r})")


def _exact_neighbours(land, i, k=10):
    x = land.embeddings / np.linalg.norm(land.embeddings, axis=1, keepdims=True)
    sims = x @ x[i]
    sims[i] = -np.inf
    return np.argsort(-sims, kind="stable")[:k]


def test_click_opens_panel_with_details_and_ten_neighbours(explore):
    from landscape.present.latex import latex_to_text

    land, visit = explore
    page, docs = visit.page, land.documents
    _click_paper(page, "syn:2")
    assert page.text_content(".lm-title") == "G²VLM: geometry grounded", "LaTeX shown as text"
    meta = page.text_content(".lm-meta")
    assert "A. Author; B. Author" in meta and docs.loc[2, "date"].strftime("%Y") in meta
    assert page.get_attribute(".lm-link a", "href") == docs.loc[2, "url"]
    assert page.text_content(".lm-abstract") == docs.loc[2, "abstract"]
    shown = page.locator(".lm-near li").all_text_contents()
    assert shown == [latex_to_text(docs.loc[j, "title"]) for j in _exact_neighbours(land, 2)]
    assert "by meaning" in page.text_content(".lm-near-head")
    # a neighbour jumps to its own panel, ringed on the map, brought into view when off it
    x, y = float(docs.loc[2, "x"]), float(docs.loc[2, "y"])
    page.evaluate(
        f"() => Plotly.relayout({GD}, {{'xaxis.range': [{x - 0.2}, {x + 0.2}],"
        f" 'yaxis.range': [{y - 0.2}, {y + 0.2}]}})"
    )
    page.locator(".lm-near button").nth(1).click()
    second = _exact_neighbours(land, 2)[1]
    page.wait_for_function(
        f"() => {GD}.landscapeMapState.panelRow === {GD}.landscapeMapRow({docs.loc[second, 'id']!r})"
    )
    assert page.text_content(".lm-title") == latex_to_text(docs.loc[second, "title"])
    ring = page.evaluate(
        f"() => {{ const gd = {GD}; return gd.data[gd.layout.meta.landscape_map.focus_trace].x; }}"
    )
    assert ring == [pytest.approx(float(docs.loc[second, "x"]), rel=1e-5)]
    view = page.evaluate(f"() => [{GD}._fullLayout.xaxis.range, {GD}._fullLayout.yaxis.range]")
    assert view[0][0] < docs.loc[second, "x"] < view[0][1] and view[1][0] < docs.loc[second, "y"] < view[1][1]
    page.evaluate(f"() => Plotly.relayout({GD}, {{'xaxis.autorange': true, 'yaxis.autorange': true}})")
    visit.check_clean()


def test_hostile_paper_in_the_panel_is_text_without_a_link(explore):
    land, visit = explore
    page = visit.page
    for paper_id, title in (("syn:0", HOSTILE_TITLE), ("syn:1", HOSTILE_IMG)):
        _click_paper(page, paper_id)
        assert page.text_content(".lm-title") == title
        assert "<script>alert('abstract')</script>" in page.text_content(".lm-abstract")
    _click_paper(page, "syn:0")
    assert page.locator(".lm-link a").count() == 0, "the javascript: link is not offered"
    visit.check_clean()


def _drag(page, start, end, mode):
    """A box from start to end corner, or a lasso round the same box, drawn with the mouse."""
    page.evaluate(f"() => Plotly.relayout({GD}, {{dragmode: {mode!r}}})")
    (x0, y0), (x1, y1) = start, end
    path = [(x1, y1)] if mode == "select" else [(x1, y0), (x1, y1), (x0, y1), (x0 + 1, y0 + 1)]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in path:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def test_box_and_lasso_select_list_papers_and_download_csv(explore):
    land, visit = explore
    page, docs = visit.page, land.documents
    box = page.evaluate(PLOT_BOX)
    # a box over the upper-left part: the papers inside, as plotly's axes place them
    corners = (
        (box["left"] + 5, box["top"] + 5),
        (box["left"] + box["width"] * 0.55, box["top"] + box["height"] * 0.6),
    )

    def inside(grow):  # papers inside the box grown (or shrunk) by a few pixels, as plotly's axes place them
        area = page.evaluate(
            f"""([a, b, g]) => {{ const L = {GD}._fullLayout;
            const r = {GD}.querySelector('.nsewdrag').getBoundingClientRect();
            return [L.xaxis.p2l(a[0] - r.left - g), L.xaxis.p2l(b[0] - r.left + g),
                    L.yaxis.p2l(b[1] - r.top + g), L.yaxis.p2l(a[1] - r.top - g)]; }}""",
            [*corners, grow],
        )
        return int((docs["x"].between(area[0], area[1]) & docs["y"].between(area[2], area[3])).sum())

    _drag(page, *corners, "select")
    page.wait_for_function(f"() => {GD}.landscapeMapState.selected > 0")
    selected = page.evaluate(STATE)["selected"]
    assert 0 < inside(-3) <= selected <= inside(3)
    assert page.locator(".lm-selection-list li").count() == selected
    assert page.text_content(".lm-selection-count").startswith(f"{selected} papers selected")
    # lasso round the whole plot: every paper, and the CSV holds them all, formulas defused
    page.evaluate(f"() => Plotly.relayout({GD}, {{dragmode: 'pan'}})")
    page.mouse.dblclick(box["left"] + 3, box["top"] + 3)
    _drag(
        page,
        (box["left"] + 2, box["top"] + 2),
        (box["left"] + box["width"] - 2, box["top"] + box["height"] - 2),
        "lasso",
    )
    try:
        page.wait_for_function(f"() => {GD}.landscapeMapState.selected === {len(docs)}", timeout=10_000)
    except sync_api.TimeoutError:
        pytest.fail(f"lasso round the plot selected {page.evaluate(STATE)['selected']} of {len(docs)}")
    with page.expect_download() as download:
        page.locator(".lm-csv").click()
    import csv

    rows = list(csv.reader(Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["id", "title", "authors", "date", "topic", "url"]
    by_id = {r[0]: r for r in rows[1:]}
    assert sorted(by_id) == sorted(docs["id"])
    assert by_id["syn:3"][1] == "'" + FORMULA_TITLE and by_id["syn:3"][2] == "'" + FORMULA_AUTHORS
    assert by_id["syn:0"][1] == HOSTILE_TITLE and by_id["syn:0"][5] == "", "javascript: link left out"
    assert by_id["syn:2"][1] == "G²VLM: geometry grounded"
    assert by_id["syn:4"][5] == docs.loc[4, "url"]
    page.evaluate(f"() => Plotly.relayout({GD}, {{dragmode: 'pan'}})")
    visit.check_clean()


def test_search_counts_matches_in_titles_and_abstracts(explore):
    from landscape.present.latex import latex_to_text

    land, visit = explore
    page, docs = visit.page, land.documents
    text = (docs["title"].map(latex_to_text) + "\n" + docs["abstract"]).str.lower()
    for query in ("secure", "Reasoning MODEL", "g²vlm", "alert('abstract')"):
        terms = query.lower().split()
        expected = int(text.map(lambda t, w=terms: all(x in t for x in w)).sum())
        page.locator("input[type=search]").fill(query)
        page.wait_for_function(f"() => {GD}.landscapeMapState.query === {query!r}")
        assert page.evaluate(STATE)["matches"] == expected > 0, query
        assert page.text_content("[id$='-matches']").startswith(f"{expected:,} paper")
    assert not docs["title"].str.lower().str.contains("secure").any(), "'secure' is found in abstracts only"
    page.locator("input[type=search]").fill("")
    page.wait_for_function(f"() => {GD}.landscapeMapState.query === ''")
    visit.check_clean()


def _no_overlap(labels):
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert a["r"] <= b["l"] or b["r"] <= a["l"] or a["b"] <= b["t"] or b["b"] <= a["t"], (a, b)


def test_zooming_in_switches_group_labels_to_topic_labels(explore):
    land, visit = explore
    page = visit.page
    groups = set(land.topics["group_label"])
    topic_labels = set(land.topics["label"])
    page.evaluate(f"() => Plotly.relayout({GD}, {{'xaxis.autorange': true, 'yaxis.autorange': true}})")
    page.wait_for_function(f"() => {GD}.landscapeMapState.labelLevel === 'groups'")
    labels = page.evaluate(LABELS)
    assert labels and {a["text"] for a in labels} <= groups
    _no_overlap(labels)
    page.evaluate(
        f"""() => {{ const L = {GD}._fullLayout, x = L.xaxis.range, y = L.yaxis.range;
        const cx = (x[0] + x[1]) / 2, cy = (y[0] + y[1]) / 2, w = (x[1] - x[0]) / 5, h = (y[1] - y[0]) / 5;
        Plotly.relayout({GD}, {{'xaxis.range': [cx - w, cx + w], 'yaxis.range': [cy - h, cy + h]}}); }}"""
    )
    page.wait_for_function(f"() => {GD}.landscapeMapState.labelLevel === 'topics'")
    labels = page.evaluate(LABELS)
    shown = {a["text"] for a in labels}
    assert shown and all(any(t.startswith(a.rstrip("…")) for t in topic_labels) for a in shown), shown
    _no_overlap(labels)
    page.evaluate(f"() => Plotly.relayout({GD}, {{'xaxis.autorange': true, 'yaxis.autorange': true}})")
    page.wait_for_function(f"() => {GD}.landscapeMapState.labelLevel === 'groups'")
    visit.check_clean()
