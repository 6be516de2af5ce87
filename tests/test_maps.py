"""The interactive map: every paper drawn once, escaped text, colour switch, labels, compact HTML."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
from report_fixtures import HOSTILE_AREA, HOSTILE_IMG, HOSTILE_LABEL, HOSTILE_TITLE, synthetic_landscape  # noqa: E402

from landscape.errors import LandscapeError  # noqa: E402
from landscape.present.maps import (  # noqa: E402
    MAP_META_KEY,
    hierarchy_figure,
    landscape_map,
    map_html,
    map_points,
    save_map,
)


@pytest.fixture(scope="module")
def land():
    return synthetic_landscape()


@pytest.fixture(scope="module")
def fig(land):
    return landscape_map(land)


def _paper_traces(fig):
    return [fig.data[i] for i in fig.layout.meta[MAP_META_KEY]["paper_traces"]]


def test_every_paper_is_drawn_once_in_its_topic_trace(land, fig):
    docs = land.documents
    assert map_points(fig) == len(docs) == fig.layout.meta[MAP_META_KEY]["n_papers"]
    traces = _paper_traces(fig)
    assert all(t.type == "scattergl" for t in traces), "WebGL traces keep 100k points smooth"
    expected = docs["topic"].value_counts()
    for trace in traces:
        topic = -1 if trace.name == "unassigned" else int(trace.name.split(":")[0])
        assert len(trace.x) == expected[topic]
        # the trace holds exactly the coordinates of that topic's papers
        members = docs[docs["topic"] == topic]
        np.testing.assert_allclose(sorted(trace.x), sorted(members["x"]), rtol=1e-6)
    assert traces[0].name == "unassigned", "unassigned papers are drawn first, beneath the topics"


def test_hover_text_is_escaped_and_shows_title_date_topic(land, fig):
    everything = json.dumps(fig.to_plotly_json(), default=str)
    # plotly's JSON escapes '<' as \u003c: decode before looking for raw markup
    decoded = json.loads(everything)
    texts = [t for tr in decoded["data"] for t in (tr.get("text") or [])]
    names = [tr.get("name", "") for tr in decoded["data"]]
    notes = [a["text"] for a in decoded["layout"]["annotations"]]
    for text in texts + names + notes:
        assert "<script" not in text and "<img" not in text and "<svg" not in text, text
    escaped_title = next(t for t in texts if 'window.__pwned = "title"' in t.replace("<br>", " "))
    assert escaped_title.startswith("&lt;script&gt;")
    assert "&#37;" in escaped_title and "%" not in escaped_title.replace("&#37;", ""), (
        "% cannot start a placeholder"
    )
    assert any("&lt;img src=x onerror=" in t for t in texts)
    assert any("&lt;img src=y" in n for n in names), "topic labels in the legend are escaped"
    trace = _paper_traces(fig)[1]
    assert "%{text}" in trace.hovertemplate and "%{customdata}" in trace.hovertemplate
    assert trace.name in trace.hovertemplate and "area:" in trace.hovertemplate


def test_dates_keep_their_precision(land, fig):
    docs = land.documents.reset_index(drop=True)
    shown = {}
    for trace in _paper_traces(fig):
        shown.update(zip(trace.text, trace.customdata, strict=True))
    for i in (3, 5, 10, 20):  # plain titles, unique per paper
        row = docs.iloc[i]
        key = row["title"]
        if pd.isna(row["date"]):
            assert shown[key] == "no date"
        elif row["date_precision"] == "year":
            assert shown[key] == row["date"].strftime("%Y")
        else:
            assert shown[key] == row["date"].strftime("%Y-%m")


def test_colour_buttons_switch_between_topics_and_areas(land, fig):
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["Colour by topic", "Colour by research area"]
    n = len(fig.data)
    by_topic, by_area = (b.args[0] for b in menu.buttons)
    for style in (by_topic, by_area):
        assert all(len(v) == n for v in style.values()), "one value per trace"
    shown_areas = {fig.data[i].name for i, show in enumerate(by_area["showlegend"]) if show}
    areas = set(land.topics["area"])
    assert len(shown_areas) == len(areas) + 1  # every area plus unassigned
    assert '&lt;script&gt;window.__pwned = "area"&lt;/script&gt;' in shown_areas
    # in area mode a topic shares its area's colour and legend group
    topics = land.topics.set_index("topic")
    for i, trace in enumerate(_paper_traces(fig)):
        if trace.name == "unassigned":
            continue
        area = topics.loc[int(trace.name.split(":")[0]), "area"]
        assert by_area["legendgroup"][i] == f"area {area}"
    area_first = landscape_map(land, color_by="area")
    assert area_first.layout.updatemenus[0].active == 1
    assert area_first.layout.legend.title.text == "Research area"
    assert [t.marker.color for t in area_first.data] == list(by_area["marker.color"])


def test_labels_at_two_levels_sit_at_medians(land):
    fig = landscape_map(land, label_topics=2)
    labels = fig.layout.meta[MAP_META_KEY]["labels"]
    assert len(labels["topics"]) == 2
    largest = land.topics.sort_values("size", ascending=False).iloc[0]
    members = land.documents[land.documents["topic"] == largest["topic"]]
    x, y, text, size, chars = labels["topics"][0]
    assert (x, y) == pytest.approx((np.median(members["x"]), np.median(members["y"])), rel=1e-5)
    assert size == len(members) and chars == len(largest["label"])
    # parent topics (groups) label the zoomed-out view: every group, at its papers' median
    parent = land.documents["topic"].map(land.topics.set_index("topic")["group"])
    assert len(labels["groups"]) == parent.nunique()
    x, y, text, size, _ = labels["groups"][0]
    group = int(parent.value_counts().index[0])
    papers = land.documents[parent == group]
    assert size == len(papers) and text == f"group {group}"
    assert (x, y) == pytest.approx((np.median(papers["x"]), np.median(papers["y"])), rel=1e-5)
    assert {a.text for a in fig.layout.annotations} <= {g[2] for g in labels["groups"]}
    assert all(a.font.shadow for a in fig.layout.annotations), "labels carry a halo"
    assert len(landscape_map(land, label_topics=None).layout.meta[MAP_META_KEY]["labels"]["topics"]) == len(
        land.topics
    )
    none = landscape_map(land, label_topics=0)
    assert none.layout.meta[MAP_META_KEY]["labels"] == {"groups": [], "topics": []}
    assert len(none.layout.annotations) == 0


def test_bad_options_are_refused(land):
    with pytest.raises(LandscapeError, match="color_by must be one of topic, area"):
        landscape_map(land, color_by="year")
    with pytest.raises(LandscapeError, match="label_topics"):
        landscape_map(land, label_topics=-1)
    with pytest.raises(LandscapeError, match="neighbours"):
        landscape_map(land, neighbours=2.5)
    broken = synthetic_landscape()
    broken.documents = broken.documents.drop(columns=["x"])
    with pytest.raises(LandscapeError, match="lack x"):
        landscape_map(broken)


def test_map_html_has_controls_and_loads_nothing(fig):
    fragment = map_html(fig, div_id="m1")
    for control in ('id="m1-search"', 'id="m1-from"', 'id="m1-to"', "window.landscapeMapInit('m1')"):
        assert control in fragment
    assert "<script src" not in fragment and "cdn" not in fragment.lower()
    assert "Plotly.newPlot" in fragment and "plotly.js v" not in fragment  # plotly.js not repeated
    assert "plotly.js v" in map_html(fig, include_plotlyjs=True)


def test_standalone_page_and_size_per_point(tmp_path):
    """At 20,000 papers the points cost well under 200 bytes a paper beyond plotly.js, and the
    details (text, neighbours) travel compressed: less than the raw text itself."""
    big = synthetic_landscape(n=20000, n_topics=40, seed=3)
    small = synthetic_landscape(n=100, n_topics=40, seed=3)
    sizes = {}
    for details in (False, True):
        big_page = save_map(big, tmp_path / f"big{details}.html", details=details)
        small_page = save_map(small, tmp_path / f"small{details}.html", details=details)
        sizes[details] = (big_page.stat().st_size - small_page.stat().st_size) / (20000 - 100)
    html = big_page.read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1 and html.startswith("<!DOCTYPE html>")
    assert '"bdata"' in html, "coordinates travel as compact typed arrays"
    docs = big.documents
    mean_title = docs["title"].str.len().mean()
    assert sizes[False] < mean_title + 60, f"{sizes[False]:.0f} bytes per paper"
    raw = sum(docs[c].astype(str).str.len().mean() for c in ("title", "abstract", "authors", "id", "url"))
    assert sizes[True] - sizes[False] < raw, f"details cost {sizes[True] - sizes[False]:.0f} bytes per paper"


def test_hierarchy_treemap_puts_topics_in_their_groups(land):
    fig = hierarchy_figure(land)
    tree = fig.data[0]
    assert tree.type == "treemap"
    parents = dict(zip(tree.ids, tree.parents, strict=True))
    values = dict(zip(tree.ids, tree.values, strict=True))
    for row in land.topics.itertuples():
        assert parents[f"t{row.topic}"] == f"p{row.group}"
        assert values[f"t{row.topic}"] == row.size
    for group in land.topics["group"].unique():
        assert values[f"p{group}"] == land.topics.loc[land.topics["group"] == group, "size"].sum()
    assert not any(re.search(r"<(img|script)", label) for label in tree.labels)


def test_hostile_constants_are_really_hostile():
    """Guard: the fixture's strings are the markup the other tests expect to neutralise."""
    for text in (HOSTILE_TITLE, HOSTILE_IMG, HOSTILE_LABEL, HOSTILE_AREA):
        assert re.search(r"<(script|img)", text)


def test_initial_view_frames_the_bulk_not_far_off_islands():
    land = synthetic_landscape(n=3000, n_topics=10, seed=4)
    docs = land.documents
    far = docs.index[:3]
    docs.loc[far, "x"] = docs["x"].max() + 50 * (docs["x"].max() - docs["x"].min())
    fig = landscape_map(land)
    low, high = fig.layout.xaxis.range
    inside = docs["x"].between(low, high).mean()
    assert inside > 0.99 and not docs.loc[far, "x"].between(low, high).any()
    assert fig.layout.yaxis.range[0] <= docs["y"].quantile(0.01)
    assert landscape_map(synthetic_landscape(n=100, n_topics=5, seed=4)).layout.xaxis.range is None


def test_labels_of_topics_on_top_of_each_other_are_not_stacked():
    land = synthetic_landscape(n=3000, n_topics=6, seed=5)
    land.topics = land.topics.drop(columns=["group", "group_label"])  # no groups: topics label the map
    docs = land.documents
    big, small = land.topics.sort_values("size", ascending=False)["topic"].iloc[:2]
    at = docs["topic"] == big
    docs.loc[docs["topic"] == small, ["x", "y"]] = docs.loc[at, ["x", "y"]].median().to_numpy()
    notes = landscape_map(land, label_topics=None).layout.annotations
    texts = [n.text for n in notes]
    label = land.topics.set_index("topic")["label"]
    assert label[big] in texts and label[small] not in texts
    assert len(notes) == len(land.topics) - 1
    for i, a in enumerate(notes):  # no two labels share a spot
        for b in notes[i + 1 :]:
            assert (a.x, a.y) != (b.x, b.y)
