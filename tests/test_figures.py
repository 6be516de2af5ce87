"""Trend figures: expected traces, escaped labels, shared colours, empty inputs."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from landscape.analysis import trends
from landscape.present import figures

EVIL = '<img src=x onerror="alert(1)"> & <b>GANs</b>'


def _docs(n_topics=14, years=range(2016, 2025), seed=0):
    """Topic 0 has an untrusted HTML-like label and rises; the rest are flat; about 20% unassigned."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, year in enumerate(years):
        weights = np.r_[2.0, np.ones(n_topics - 1) * 0.5, 3.0]
        weights[0] = 0.2 + 0.5 * i
        probs = weights / weights.sum()
        topics = np.r_[np.arange(n_topics), -1][rng.choice(n_topics + 1, size=600, p=probs)]
        days = rng.integers(0, 365, size=600)
        for j, (topic, day) in enumerate(zip(topics, days, strict=True)):
            rows.append(
                dict(
                    id=f"{year}-{j}",
                    date=pd.Timestamp(year, 1, 1) + pd.Timedelta(days=int(day)),
                    date_precision="year" if j % 10 == 0 else "day",
                    topic=int(topic),
                    topic_label=EVIL if topic == 0 else f"topic number {topic}",
                    area="vision" if topic % 2 == 0 else "language",
                )
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def summary():
    return trends.trend_summary(_docs(), "year", window=5)


def _strings(fig) -> list[str]:
    """Every string in the figure's JSON (names, hover data, tick labels, titles)."""
    out = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(fig.to_json()))
    return out


def _assert_escaped(fig):
    text = _strings(fig)
    assert not any("<img" in s or "<b>GANs" in s for s in text), "raw label HTML reached the figure"
    assert any('&lt;img src=x onerror="alert(1)"&gt; &amp; &lt;b&gt;GANs&lt;/b&gt;' in s for s in text)


# ---- colours --------------------------------------------------------------------------------------
def test_topic_colors_are_stable_and_unassigned_is_grey():
    table = pd.DataFrame({"topic": [3, 0, 1, 2], "label": list("dabc")})
    colors = figures.topic_colors(table)
    assert colors == figures.topic_colors(table.sample(frac=1, random_state=1))
    assert colors == figures.topic_colors([0, 1, 2, 3])
    assert colors[-1] == figures.UNASSIGNED_COLOR
    assert len({colors[t] for t in range(4)}) == 4 and figures.UNASSIGNED_COLOR not in [
        colors[t] for t in range(4)
    ]
    # a landscape-like object works the same
    assert figures.topic_colors(type("L", (), {"topics": table})()) == colors


def test_many_topics_get_distinct_valid_colours():
    colors = figures.topic_colors(range(300))
    values = [colors[t] for t in range(300)]
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in values)
    assert len(set(values)) > 250  # the palette, then generated hues
    assert figures.topic_colors(range(300))[299] == values[299]


def test_area_colors():
    colors = figures.area_colors(pd.DataFrame({"area": ["vision", "language", None, "vision"]}))
    assert set(colors) == {"vision", "language", "unassigned"}
    assert colors["unassigned"] == figures.UNASSIGNED_COLOR and colors["vision"] != colors["language"]


# ---- trend figures ----------------------------------------------------------------------------------
def test_stacked_area_has_top_topics_other_and_unassigned(summary):
    shares = summary["shares"]
    fig = figures.shares_area_figure(shares, top=5)
    names = [t.name for t in fig.data]
    assert len(names) == 7 and names[-2:] == ["other", "unassigned"]
    assert all(t.stackgroup == "shares" for t in fig.data)
    assert names[0].startswith("0: &lt;img")  # the rising topic is the largest overall
    stacked = np.sum([np.asarray(t.y, dtype=float) for t in fig.data], axis=0)
    np.testing.assert_allclose(stacked, 1.0)  # top + other + unassigned = every paper of the bin
    colors = figures.topic_colors(shares["key"].unique())
    assert fig.data[0].line.color == colors[0]
    assert fig.data[-1].fillcolor == figures.UNASSIGNED_COLOR
    assert fig.layout.yaxis.title.text == "share of papers" and fig.layout.title.text
    _assert_escaped(fig)


def test_subtitle_reports_papers_left_out_by_date_precision():
    shares = trends.topic_shares(_docs(), "quarter")
    fig = figures.shares_area_figure(shares)
    assert shares.attrs["excluded_precision"] == 540
    assert "540 papers dated less precisely than a quarter left out" in fig.layout.title.subtitle.text


def test_line_chart_has_a_band_per_topic(summary):
    fig = figures.shares_line_figure(summary["shares"], keys=[0, 3])
    assert len(fig.data) == 6
    upper, lower, line = fig.data[:3]
    assert lower.fill == "tonexty" and line.mode == "lines+markers"
    share = summary["shares"][summary["shares"]["key"] == 0]
    np.testing.assert_allclose(np.asarray(upper.y, dtype=float), share["share_high"])
    np.testing.assert_allclose(np.asarray(lower.y, dtype=float), share["share_low"])
    assert "[%{customdata[4]:.1%}, %{customdata[5]:.1%}]" in line.hovertemplate
    _assert_escaped(fig)


def test_heatmap(summary):
    fig = figures.shares_heatmap(summary["shares"], top=4)
    [heat] = fig.data
    assert np.asarray(heat.z).shape == (4, 9)
    assert list(heat.x) == [str(y) for y in range(2016, 2025)]
    assert heat.y[-1].startswith("0: &lt;img")  # largest topic on top
    _assert_escaped(fig)


def test_burst_timeline(summary):
    bursts = summary["bursts"]
    assert 0 in bursts["key"].tolist()  # the rising topic bursts
    fig = figures.burst_timeline(bursts)
    [bar] = fig.data
    assert len(bar.y) == len(bursts) and bar.orientation == "h"
    assert fig.layout.xaxis.type == "date"
    strongest = bursts.sort_values("strength", ascending=False, kind="stable")
    assert [int(k) for k in fig.layout.meta["items"]] == strongest["key"].tolist()  # the table's order
    row = bursts[bursts["key"] == 0].iloc[0]
    i = [k for k, name in enumerate(bar.y) if name.startswith("0: ")][0]
    # the colour of topic 0 everywhere (map, panels), although only a few topics burst
    assert bar.marker.color[i] == figures.topic_colors(summary["shares"]["key"].unique())[0]
    assert bar.x[i] == pytest.approx((row["bin_end"] - row["bin_start"]).total_seconds() * 1000)
    _assert_escaped(fig)


def test_emerging_bar_chart(summary):
    emerging = summary["emerging"]
    assert emerging["key"].tolist()[0] == 0 and (emerging["verdict"] == "emerging").all()
    fig = figures.emerging_figure(emerging, top=5)
    assert [t.name for t in fig.data] == ["growth", "recent burst", "novelty", "score"]
    assert fig.layout.barmode == "relative" and fig.layout.yaxis.autorange == "reversed"
    assert fig.data[-1].y[0].startswith("0: &lt;img")  # ranked first, drawn on top
    assert fig.data[-1].x[0] == pytest.approx(emerging["score"].iloc[0])
    assert fig.layout.meta["items"] == [str(k) for k in emerging["key"].head(5)]
    _assert_escaped(fig)


def test_share_panels_show_bands_counts_and_partial_bins(summary):
    shares = summary["shares"].copy()
    shares.loc[shares["bin"] == "2024", "partial"] = True
    fig = figures.share_panels(shares, keys=[3, 0], window=("2020", "2023"))
    assert fig.layout.meta["items"] == ["3", "0"]  # the order asked for
    assert fig.layout.annotations[0].text == "3: topic number 3"
    assert fig.layout.annotations[1].text.startswith("0: &lt;img")
    upper, lower, line = fig.data[3:6]  # topic 0's panel
    share = shares[shares["key"] == 0]
    np.testing.assert_allclose(np.asarray(upper.y, dtype=float), share["share_high"])
    np.testing.assert_allclose(np.asarray(lower.y, dtype=float), share["share_low"])
    assert lower.fill == "tonexty" and "of %{customdata[3]:,} papers" in line.hovertemplate
    assert line.marker.symbol[-1] == "circle-open" and line.marker.symbol[0] == "circle"
    assert "partial bin" in line.customdata[-1][-1]
    assert len(fig.layout.shapes) == 2  # the growth window, shaded in each panel
    _assert_escaped(fig)
    assert figures.share_panels(shares, keys=[], empty="no emerging topics").layout.annotations[0].text == (
        "no emerging topics"
    )


def test_area_figures_use_area_colours(summary):
    fig = figures.shares_area_figure(summary["area_shares"])
    colors = figures.area_colors(["vision", "language"])
    by_name = {t.name: t.line.color for t in fig.data}
    assert by_name == {"vision": colors["vision"], "language": colors["language"]}


def test_empty_inputs_give_a_figure_with_a_message():
    docs = _docs(years=[2020])
    empty = trends.topic_shares(docs[docs["date_precision"] == "year"], "month")
    for make in (figures.shares_area_figure, figures.shares_line_figure, figures.shares_heatmap):
        fig = make(empty)
        assert len(fig.data) == 0 and fig.layout.annotations[0].text == "no dated papers to show"
    assert figures.burst_timeline(trends.bursts(docs)).layout.annotations[0].text == "no bursts found"
    assert len(figures.emerging_figure(trends.emerging_topics(docs.iloc[:0])).data) == 0
