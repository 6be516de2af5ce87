"""The interactive map at the size of the development corpus, in headless Chromium: page size, load,
click, search, time filter, selection and zoom times.

The papers are the real titles, abstracts, authors and dates of ``../shared/data/papers_dev.parquet``
(92,705 papers); the layout and topics are synthetic (150 Gaussian topics in 30 parent groups), and
so are the embeddings the neighbours are found with: random unit vectors of 384 dimensions (no saved
dev landscape has embeddings; random vectors are the worst case for the k-means cells, so the time is
an upper bound, and recall is measured on clustered vectors instead).

    python bench/map_browser.py            # all 92,705 papers
    python bench/map_browser.py --n 5000   # a quicker look
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEV_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/papers_dev.parquet"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GD = "document.querySelector('.js-plotly-plot')"
STATE = f"() => {GD}.landscapeMapState"


def dev_landscape(n: int | None, seed: int = 0, n_topics: int = 150):
    from landscape.store import Landscape

    columns = ["id", "title", "abstract", "authors", "date", "date_precision", "arxiv_id"]
    real = pd.read_parquet(DEV_DATA, columns=columns)
    if n:
        real = real.sample(n=n, random_state=seed).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 12, (n_topics, 2))
    topic = rng.integers(-1, n_topics, len(real))
    xy = np.where(topic[:, None] >= 0, centres[topic.clip(0)], rng.normal(0, 12, (len(real), 2)))
    xy = xy + rng.normal(0, 1.2, xy.shape)
    words = [
        "graph",
        "vision",
        "language",
        "policy",
        "speech",
        "privacy",
        "robot",
        "protein",
        "causal",
        "audio",
    ]
    labels = [f"{words[t % 10]} {words[(t // 10) % 10]} {t}" for t in range(n_topics)]
    docs = real.drop(columns=["arxiv_id"]).assign(
        date=pd.to_datetime(real["date"], errors="coerce"),
        url=np.where(
            real["arxiv_id"].fillna("") != "", "https://arxiv.org/abs/" + real["arxiv_id"].fillna(""), ""
        ),
        topic=topic,
        x=xy[:, 0].astype("float32"),
        y=xy[:, 1].astype("float32"),
    )
    topics = pd.DataFrame(
        {
            "topic": np.arange(n_topics),
            "label": labels,
            "size": np.bincount(topic[topic >= 0], minlength=n_topics),
            "area": [f"area {t % 8}" for t in range(n_topics)],
            "group": np.arange(n_topics) // 5,
            "group_label": [f"group {words[(t // 5) % 10]} {t // 5}" for t in range(n_topics)],
        }
    )
    vectors = rng.standard_normal((len(docs), 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Landscape(docs, topics, {"name": "dev map"}, vectors, None)


def neighbour_recall(n: int, seed: int = 0) -> float:
    """Share of the exact ten nearest found, on clustered vectors of n rows (500 queries)."""
    from landscape.present.neighbours import nearest_neighbours

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((300, 384), dtype=np.float32)
    x = centres[rng.integers(0, 300, n)] + 1.5 * rng.standard_normal((n, 384), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    found = nearest_neighbours(x)
    queries = rng.choice(n, 500, replace=False)
    sims = x[queries] @ x.T
    sims[np.arange(len(queries)), queries] = -np.inf
    exact = np.argsort(-sims, axis=1)[:, :10]
    return float(np.mean([len(set(exact[i]) & set(found[q])) / 10 for i, q in enumerate(queries)]))


def timed(page, action, until: str, timeout_ms: int = 60_000) -> float:
    start = time.perf_counter()
    action()
    page.wait_for_function(until, timeout=timeout_ms)
    return time.perf_counter() - start


def browse(path: Path) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        out["load_s"] = timed(
            page,
            lambda: page.goto(path.resolve().as_uri(), wait_until="load", timeout=180_000),
            f"() => {GD} && {GD}.landscapeMapReady",
            180_000,
        )
        where = page.evaluate(
            f"""() => {{ const gd = {GD}, L = gd._fullLayout, meta = gd.layout.meta.landscape_map;
            const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
            const full = gd._fullData.find(t => t.index === meta.paper_traces[meta.paper_traces.length - 1]);
            for (let k = 0; k < full.x.length; k++) {{
              const px = L.xaxis.l2p(full.x[k]), py = L.yaxis.l2p(full.y[k]);
              if (px > 80 && py > 80 && px < L._size.w - 80 && py < L._size.h - 80)
                return {{x: box.left + px, y: box.top + py, w: box.width, h: box.height,
                         left: box.left, top: box.top}};
            }} }}"""
        )
        page.mouse.move(where["x"] + 15, where["y"] + 15)
        page.mouse.move(where["x"], where["y"])
        page.wait_for_timeout(300)
        out["click_s"] = timed(
            page,
            lambda: page.mouse.click(where["x"], where["y"]),
            f"() => {GD}.landscapeMapState.panelRow !== null"
            " && document.querySelectorAll('.lm-near li').length",
        )
        before = page.evaluate(f"() => {GD}.landscapeMapState.panelRow")
        out["neighbour_jump_s"] = timed(
            page,
            lambda: page.locator(".lm-near button").first.click(),
            f"() => {GD}.landscapeMapState.panelRow !== {before}",
        )
        for query in ("diffusion", "graph neural network"):
            out[f"search '{query}'_s"] = timed(
                page,
                lambda q=query: page.locator("input[type=search]").fill(q),
                f"() => {GD}.landscapeMapState.matches > 0 && {GD}.landscapeMapState.query === {query!r}",
            )
            out[f"search '{query}' matches"] = page.evaluate(STATE)["matches"]
        page.locator("input[type=search]").fill("")
        page.wait_for_function(f"() => {GD}.landscapeMapState.matches === 0")
        total = page.evaluate(STATE)["shown"]
        out["time filter_s"] = timed(
            page,
            lambda: page.evaluate(
                "() => { const f = document.querySelector('input[id$=\"-from\"]');"
                " f.value = +f.min + Math.round((f.max - f.min) * 0.7);"
                " f.dispatchEvent(new Event('input')); }"
            ),
            f"() => {GD}.landscapeMapState.shown < {total}",
        )
        page.evaluate(
            "() => { const f = document.querySelector('input[id$=\"-from\"]'); f.value = f.min;"
            " f.dispatchEvent(new Event('input')); }"
        )
        page.wait_for_function(f"() => {GD}.landscapeMapState.shown === {total}")
        out["zoom to topic labels_s"] = timed(
            page,
            lambda: page.evaluate(
                f"""() => {{ const L = {GD}._fullLayout, x = L.xaxis.range, y = L.yaxis.range;
                const cx = (x[0] + x[1]) / 2, cy = (y[0] + y[1]) / 2;
                const w = (x[1] - x[0]) / 8, h = (y[1] - y[0]) / 8;
                Plotly.relayout({GD}, {{'xaxis.range': [cx - w, cx + w],
                                         'yaxis.range': [cy - h, cy + h]}}); }}"""
            ),
            f"() => {GD}.landscapeMapState.labelLevel === 'topics'",
        )
        out["zoom out to group labels_s"] = timed(
            page,
            lambda: page.evaluate(
                f"() => Plotly.relayout({GD}, {{'xaxis.autorange': true, 'yaxis.autorange': true}})"
            ),
            f"() => {GD}.landscapeMapState.labelLevel === 'groups'",
        )
        page.evaluate(f"() => Plotly.relayout({GD}, {{dragmode: 'select'}})")
        x0, y0 = where["left"] + where["w"] * 0.35, where["top"] + where["h"] * 0.35

        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + where["w"] * 0.2, y0 + where["h"] * 0.2, steps=4)
        # from releasing the mouse to the list of selected papers (plotly's own redraw included)
        out["box select_s"] = timed(page, page.mouse.up, f"() => {GD}.landscapeMapState.selected > 0")
        out["selected papers"] = page.evaluate(STATE)["selected"]
        start = time.perf_counter()
        with page.expect_download() as download:
            page.locator(".lm-csv").click()
        rows = Path(download.value.path()).read_text(encoding="utf-8-sig").count("\n") - 1
        out["csv_s"] = time.perf_counter() - start
        out["csv rows"] = rows
        timings = page.evaluate(f"() => {GD}.landscapeMapState.timings")
        for step, what in (
            ("plotted", "points drawn"),
            ("usable", "map usable: titles, panel, list, title search"),
            ("ready", "abstracts unpacked and searchable"),
        ):
            out[f"  load: {what}, after navigation_s"] = timings[step] / 1000
        out["page errors"] = len(errors)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="papers (default: all of the dev corpus)")
    parser.add_argument("--out", type=Path, default=None, help="keep the page here")
    parser.add_argument("--recall-n", type=int, default=20000, help="rows for the neighbour recall check")
    args = parser.parse_args()
    if not DEV_DATA.exists():
        raise SystemExit(f"{DEV_DATA} not found")
    from landscape.present import map_data
    from landscape.present.maps import landscape_map, save_map

    land = dev_landscape(args.n)
    n = len(land.documents)
    spent = []
    search = map_data.nearest_neighbours

    def timed_search(*a, **k):  # the figure's own neighbour search, timed
        start = time.perf_counter()
        found = search(*a, **k)
        spent.append(time.perf_counter() - start)
        return found

    map_data.nearest_neighbours = timed_search
    start = time.perf_counter()
    fig = landscape_map(land)
    figure_s = time.perf_counter() - start
    folder = Path(tempfile.mkdtemp(prefix="map-bench-"))
    path = save_map(fig, args.out or folder / "map.html", title="dev map")
    print(f"papers: {n:,}")
    print(f"neighbours (random 384-d unit vectors): {sum(spent):.1f} s")
    print(f"figure incl. neighbours, text block: {figure_s:.1f} s")
    print(f"page: {path.stat().st_size / 1e6:.1f} MB")
    for key, value in browse(path).items():
        print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
    if args.recall_n:
        recall = neighbour_recall(args.recall_n)
        print(f"neighbour recall@10 on {args.recall_n:,} clustered vectors: {recall:.3f}")
    if args.out is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
