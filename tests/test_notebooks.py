"""The notebooks: committed clean and thin, executed by Papermill with their figures kept, and the
package helpers they call (opening or building the landscape, choosing a topic, escaped tables)."""

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
from report_fixtures import (  # noqa: E402
    HOSTILE_AREA,
    HOSTILE_LABEL,
    HOSTILE_URL,
    SAMPLE,
    synthetic_landscape,
    synthetic_report,
)

import landscape.present.notebook as nb  # noqa: E402
from landscape import locations  # noqa: E402
from landscape.errors import LandscapeError  # noqa: E402
from landscape.present import opening  # noqa: E402
from landscape.present.report import NOTEBOOKS, notebook_dir, notebook_parameters  # noqa: E402

NAMES = [name for name, _, _ in NOTEBOOKS]
COMMON = {"landscape_dir", "corpus", "taxonomy", "random_state", "top_n"}


@pytest.fixture(scope="module")
def land():
    return synthetic_landscape()


# ---- the committed notebooks -----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_clean_with_one_parameters_cell(name):
    path = notebook_dir() / f"{name}.ipynb"
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit notebooks without outputs"
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    assert book.metadata.kernelspec.name == "python3"
    # thin: a few calls per cell, the logic lives in the package
    for cell in code:
        if cell is not tagged[0]:
            assert len([line for line in cell.source.splitlines() if line.strip()]) <= 5, cell.source
    assert any(c.cell_type == "markdown" and len(c.source) > 200 for c in book.cells), "prose for the reader"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_default_to_the_bundled_sample(name):
    params = notebook_parameters(notebook_dir() / f"{name}.ipynb")
    assert COMMON <= set(params)
    assert params["landscape_dir"] == "None" and params["random_state"] == "42"
    assert params["corpus"] == "None", "None: the bundled sample, found through the package"
    if name in ("topic_trends", "topic_deep_dive"):
        assert json.loads(params["freq"]) in ("month", "quarter", "year")
    if name == "topic_trends":
        assert "window" in params
    if name == "topic_deep_dive":
        assert "topic" in params and "query" not in params, "one parameter: number, label or words"


# ---- executed by Papermill (the synthetic hostile landscape) ---------------------------------------
@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = synthetic_report(tmp_path_factory)
    return {n: nbformat.read(folder / "reports" / "notebooks" / f"{n}.ipynb", as_version=4) for n in NAMES}


def _html_outputs(book):
    for cell in book.cells:
        for out in cell.get("outputs", []):
            if "data" in out and "text/html" in out["data"]:
                yield out["data"]["text/html"]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_keeps_its_figures(executed, name):
    book = executed[name]
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    injected = [c for c in book.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "landscape_dir = " in injected[0].source
    html = list(_html_outputs(book))
    figures = sum(h.count("Plotly.newPlot(") for h in html)
    assert figures >= {"landscape_map": 2, "topic_trends": 5, "topic_deep_dive": 1}[name]
    assert sum(h.count("plotly.js v") for h in html) == 1, "plotly.js inlined once per notebook"
    # figures that only exist as plotly's JSON mimetype vanish in nbconvert's HTML
    for cell in book.cells:
        for out in cell.get("outputs", []):
            if "application/vnd.plotly.v1+json" in out.get("data", {}):
                assert "text/html" in out["data"]
    stderr = [o.text for c in book.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, stderr


def test_map_notebook_shows_map_table_and_hierarchy(executed, land):
    html = "\n".join(_html_outputs(executed["landscape_map"]))
    assert "landscape-map" in html and "-search" in html
    assert "landscape-table" in html and "treemap" in html
    assert "Topic quality, measured when the landscape was built" in html
    assert HOSTILE_LABEL not in html and "&lt;img src=y onerror=" in html


def test_deep_dive_takes_a_label_or_words(tmp_path_factory, tmp_path):
    from landscape.present.report import run_notebook

    folder = synthetic_report(tmp_path_factory)
    path = notebook_dir() / "topic_deep_dive.ipynb"
    params = {"landscape_dir": str(folder / "landscape"), "topic": "Speech Audio", "top_n": 3}
    run_notebook(path, tmp_path / "q.ipynb", params, timeout=120)
    html = "\n".join(_html_outputs(nbformat.read(tmp_path / "q.ipynb", as_version=4)))
    assert "Topic 4: speech audio" in html and "whose label is" in html
    assert "Keyword weights per topic" in html
    with pytest.raises(LandscapeError, match=r"topic_deep_dive.ipynb failed in code cell \d+ .*no topic 99"):
        run_notebook(path, tmp_path / "bad.ipynb", {**params, "topic": 99}, timeout=120)
    assert (tmp_path / "bad.ipynb").exists(), "the executed notebook is kept for debugging"


def test_a_build_is_reused_only_for_the_same_precision(monkeypatch):
    # a landscape embedded in bf16 is not reused where a build would now embed in int8 (or fp32)
    keys = set()
    for precision in ("fp32", "bf16", "int8"):
        monkeypatch.setenv("LANDSCAPE_PRECISION", precision)
        keys.add(opening.inputs_key([SAMPLE.resolve()], random_state=42))
    assert len(keys) == 3
    assert opening.inputs_key([SAMPLE.resolve()], random_state=42) in keys  # stable


def _seed_sample_build(name: str):
    """A landscape of the bundled sample, seeded where the notebooks' default build goes
    (``$LANDSCAPE_CACHE_DIR/landscapes``), so that no build runs."""
    key = opening.inputs_key([SAMPLE.resolve()], random_state=42)
    target = locations.cache_dir("landscapes") / f"{SAMPLE.stem}-{key[:12]}"
    synthetic_landscape(name=name).save(target)
    (target / opening.BUILD_STAMP).write_text(json.dumps({"key": key}))
    return target


def test_copied_notebook_runs_from_any_folder_with_papermill(tmp_path, monkeypatch):
    """A notebook copied elsewhere and run by papermill from a third folder finds the bundled sample
    through the installed package (not the working directory) and its build in the cache folder."""
    import papermill

    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "cache"))
    _seed_sample_build("seeded sample")
    copy = tmp_path / "mine" / "map.ipynb"
    copy.parent.mkdir()
    shutil.copy(notebook_dir() / "landscape_map.ipynb", copy)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    papermill.execute_notebook(str(copy), "out.ipynb", kernel_name="python3", progress_bar=False)
    book = nbformat.read(elsewhere / "out.ipynb", as_version=4)
    html = "\n".join(_html_outputs(book))
    assert "<strong>seeded sample</strong>: 300 papers" in html
    printed = "".join(o.get("text", "") for c in book.cells for o in c.get("outputs", []))
    assert "reusing the landscape built earlier" in printed and str(tmp_path / "cache") in printed


def test_cache_locations_follow_one_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "c"))
    assert opening.default_work_dir() == tmp_path / "c" / "landscapes"
    from landscape.embed.cache import default_cache_dir

    assert default_cache_dir() == tmp_path / "c" / "embeddings"
    monkeypatch.delenv("LANDSCAPE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert locations.cache_dir("layouts") == tmp_path / "xdg" / "landscape" / "layouts"
    assert locations.sample_corpus().resolve() == SAMPLE.resolve()


# ---- helpers: choosing topics -----------------------------------------------------------------------
def test_choose_topic_by_id_label_words_or_size(land):
    """The synthetic landscape has no embedding model: words decide, and the page says so."""
    assert nb.choose_topic(land, 2).topic == 2
    assert nb.choose_topic(land, "2").how == "id"
    assert nb.choose_topic(land, "Speech AUDIO").how == "label"
    match = nb.choose_topic(land, "federated clients")
    assert (match.topic, match.how, match.weak) == (5, "words", False)
    assert match.candidates.iloc[0]["topic"] == 5 and match.candidates["score"].is_monotonic_decreasing
    largest = land.topics.sort_values("size", ascending=False).iloc[0]["topic"]
    assert nb.choose_topic(land).topic == largest and nb.choose_topic(land).how == "largest"
    with pytest.raises(LandscapeError, match="no topic 99"):
        nb.choose_topic(land, 99)
    weak = nb.choose_topic(land, "quantum chromodynamics")
    assert weak.weak
    page = nb.topic_choice(weak).data
    assert "Weak match" in page and "words only" in page
    hostile = nb.topic_choice(nb.choose_topic(land, "<script>alert(1)</script> speech")).data
    assert "<script>alert" not in hostile and "&lt;script&gt;alert" in hostile


def test_neighbours_by_centroid_then_by_map(land):
    near = nb.neighbour_topics(land, 0, k=3)
    assert list(near.columns) == ["topic", "label", "area", "size", "similarity"]
    assert len(near) == 3 and 0 not in set(near["topic"])
    assert near.iloc[0]["topic"] == 1 and near.iloc[0]["similarity"] > 0.99  # built as near twins
    assert near["similarity"].is_monotonic_decreasing
    assert "centroids" in near.attrs["measure"]
    flat = synthetic_landscape()
    flat.centroids = None
    by_map = nb.neighbour_topics(flat, 0, k=10)
    assert len(by_map) == len(flat.topics) - 1 and "map" in by_map.attrs["measure"]


def test_topic_papers_representative_and_recent(land):
    topic0 = int(land.documents["topic"].iloc[0])
    reps = nb.topic_papers(land, topic0, kind="representative", n=4)
    wanted = [i for i in land.topic(topic0)["representative_ids"] if i in set(land.papers(topic0)["id"])]
    assert list(reps["id"]) == wanted[:4]
    recent = nb.topic_papers(land, 2, kind="recent", n=5)
    assert recent["date"].is_monotonic_decreasing and len(recent) == 5
    assert recent["date"].iloc[0] == land.papers(2)["date"].max()
    with pytest.raises(LandscapeError, match="kind must be"):
        nb.topic_papers(land, 2, kind="oldest")


# ---- helpers: escaped HTML -------------------------------------------------------------------------
def test_safe_url_only_allows_http_links():
    assert nb.safe_url("https://arxiv.org/abs/1") == "https://arxiv.org/abs/1"
    assert nb.safe_url("HTTP://example.org/x?a=1") == "HTTP://example.org/x?a=1"
    for bad in (HOSTILE_URL, "data:text/html,<script>", 'https://x" onmouseover="alert(1)', "", None):
        assert nb.safe_url(bad) is None


def test_tables_and_headings_show_hostile_text_as_text(land):
    table = nb.topic_table(land).data
    assert "<img src=y" not in table and "&lt;img src=y onerror=" in table
    assert "<script>" not in table and "&lt;script&gt;" in table
    assert 'href="javascript' not in table and 'href="https://arxiv.org/abs/' in table
    assert table.count("<tr>") == len(land.topics) + 1
    assert nb.topic_table(land, 2).data.count("<tr>") == 3
    papers = nb.papers_table(land.documents.head(3)).data
    assert "&lt;script&gt;window.__pwned" in papers and "<script>window" not in papers
    assert papers.count("<a href=") == 2, "the javascript: url of paper 0 is not linked"
    head = nb.heading(HOSTILE_AREA, 3).data
    assert head.startswith("<h3") and "<script>" not in head
    with pytest.raises(LandscapeError, match="level must be 1 to 4"):
        nb.heading("x", 7)
    card = nb.topic_card(land, 3).data
    assert "Topic 3: &lt;img" in card and "<img" not in card


def test_quality_panel_reads_the_recorded_numbers(land):
    import copy

    quality = {
        "papers": 300,
        "topics": 12,
        "outlier_share": 0.05,
        "npmi": 0.1234,
        "diversity": 0.9,
        "top_n": 10,
        "sizes": {"min": 3, "median": 8.0, "max": 40, "largest_share": 0.2, "gini": 0.3},
        "stability": {"seeds": [1, 2], "ari": 0.7777},
    }
    recorded = copy.copy(land)
    recorded.meta = {**(land.meta or {}), "quality": quality}
    html = nb.quality_panel(recorded).data
    for text in ("Topic quality, measured", "0.123", "0.900", "5.0%", "20.0%", "0.778", "top 10 keywords"):
        assert text in html, text


def test_frame_tables_format_values():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "key": [1, 2],
            "label": ["<b>a</b>", "b"],
            "slope": [0.123456, -2.0],
            "verdict": ["emerging", "fading"],
            "papers": [1200, 3],
            "share_first": [0.1, 0.2],
            "share_last": [0.3, 0.1],
            "slope_low": [0.1, -3.0],
            "slope_high": [0.2, -1.0],
        }
    )
    html = nb.frame_table(frame[["key", "label", "slope", "papers"]]).data
    assert "&lt;b&gt;a&lt;/b&gt;" in html and "0.123" in html and "1,200" in html


# ---- helpers: plotly in notebooks ------------------------------------------------------------------
def test_figures_display_as_inline_html_with_plotly_js_once(land, monkeypatch):
    import plotly.graph_objects as go
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    monkeypatch.setitem(nb._state, "plotly_js_sent", False)
    nb.setup(plotly_js=False)
    with capture_output() as captured:
        display(go.Figure(go.Scatter(x=[1], y=[2])))
        display(go.Figure(go.Scatter(x=[3], y=[4])))
        display(nb.show_map(land))
    first, second, shown = (out.data for out in captured.outputs)
    assert set(first) == {"text/html", "text/plain"}, "no plotly JSON mimetype: nbconvert would drop it"
    assert "plotly.js v" in first["text/html"] and "Plotly.newPlot" in first["text/html"]
    assert "Plotly.newPlot" in second["text/html"] and "plotly.js v" not in second["text/html"]
    assert "landscape-map" in shown["text/html"] and "plotly.js v" not in shown["text/html"]
    assert '<script src="http' not in first["text/html"]
    with capture_output() as captured:
        nb.setup()  # plotly.js as its own output, for the figures after it
    assert "plotly.js v" in captured.outputs[0].data["text/html"] and nb._state["plotly_js_sent"]


def test_renderer_outside_ipython_gives_inline_html(monkeypatch):
    import plotly.graph_objects as go

    monkeypatch.setitem(nb._state, "plotly_js_sent", True)
    bundle = nb._renderer_class()().to_mimebundle(go.Figure(go.Bar(x=[1], y=[2])).to_dict())
    assert set(bundle) == {"text/html"} and "Plotly.newPlot" in bundle["text/html"]


# ---- helpers: opening or building the landscape ------------------------------------------------------
def test_open_landscape_from_a_directory(tmp_path, land, monkeypatch):
    land.save(tmp_path / "land")
    opened = nb.open_landscape(tmp_path / "land", corpus="ignored.csv")
    assert len(opened.documents) == len(land.documents)
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "cache"))
    _seed_sample_build("the sample")
    assert nb.open_landscape(None, None).name == "the sample", "no corpus: the bundled sample"
    with pytest.raises(LandscapeError, match="nope.csv: no such corpus file"):
        nb.open_landscape(None, str(tmp_path / "nope.csv"))
    with pytest.raises(LandscapeError, match="areas.yaml: no such taxonomy file"):
        nb.open_landscape(None, str(SAMPLE), taxonomy=str(tmp_path / "areas.yaml"))


def test_build_is_reused_while_inputs_stay_the_same(tmp_path, monkeypatch):
    import landscape.pipeline.build

    calls = []

    def fake_build(inputs, out_dir, *, random_state, taxonomy, log):
        calls.append((tuple(inputs), random_state, taxonomy))
        made = synthetic_landscape(n=50, seed=random_state)
        made.save(out_dir)
        return made

    monkeypatch.setattr(landscape.pipeline.build, "build", fake_build)
    corpus = tmp_path / "corpus.csv"
    shutil.copy(SAMPLE, corpus)
    work = tmp_path / "work"
    nb.open_landscape(None, str(corpus), random_state=1, work_dir=work)
    nb.open_landscape(None, [str(corpus)], random_state=1, work_dir=work)
    assert len(calls) == 1, "same file, seed and taxonomy: reused"
    nb.open_landscape(None, str(corpus), random_state=2, work_dir=work)
    assert len(calls) == 2, "another seed: built"
    corpus.write_text(corpus.read_text() + "\n", encoding="utf-8")
    nb.open_landscape(None, str(corpus), random_state=1, work_dir=work)
    assert len(calls) == 3, "changed file: built"
    assert len(list(work.iterdir())) == 3
    target = work / next(iter(sorted(p.name for p in work.iterdir())))
    opening.build_or_load([corpus], target, random_state=1, rebuild=True)
    assert len(calls) == 4


def test_figures_get_a_pixel_height(monkeypatch):
    """A div of height 100% collapses to a few pixels in JupyterLab's auto-height output area."""
    import plotly.graph_objects as go

    monkeypatch.setitem(nb._state, "plotly_js_sent", True)
    plain = nb.figure_html(go.Figure(go.Bar(x=[1], y=[2])))
    assert plain.startswith(f'<div style="height:{nb.FIGURE_HEIGHT}px;')
    tall = nb.figure_html(go.Figure(go.Bar(x=[1], y=[2]), layout={"height": 777}).to_dict())
    assert tall.startswith('<div style="height:777px;')
