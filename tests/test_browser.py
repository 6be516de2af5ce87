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


def test_search_rings_matching_titles(map_visit, land):
    page = map_visit.page
    search = page.locator("input[type=search]")
    titles = land.documents["title"].str.lower()
    for query, words in (("<script>", ["<script>"]), ("Diffusion IMAGE", ["diffusion", "image"])):
        search.fill(query)
        page.wait_for_function(
            "() => document.querySelector('.js-plotly-plot').landscapeMapState.matches !== undefined"
        )
        page.wait_for_timeout(400)
        state = page.evaluate("() => document.querySelector('.js-plotly-plot').landscapeMapState")
        expected = int(titles.map(lambda t, w=words: all(x in t for x in w)).sum())
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
