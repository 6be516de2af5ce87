"""The interactive map of a landscape: every paper as a point, coloured by topic or research area.

One WebGL trace (``Scattergl``) per topic keeps the legend useful (click a topic to hide it, double
click to isolate it) and stays smooth at 100,000 points. What makes the HTML large at that size is
per-point data, so each point carries only its coordinates (float32, sent base64-encoded), its
escaped title and its date; the topic label, area and colour are per trace. Topic labels sit at
topic centroids as annotations; buttons switch the colouring between topics and research areas
(one colour per topic's area, the legend then lists areas).

:func:`map_html` wraps the figure with a title search box and a time filter (template
``landscape/present/templates/map.html.j2`` and its script ``map_controls.js``): plotly has no text box, so
a small inline script restyles the plot from the page. :func:`save_map` writes a standalone page.

Paper text is untrusted: plotly renders a subset of HTML in hover labels, legend entries and
annotations, so every title and label is passed through ``html.escape`` (plotly shows entities as
the characters they stand for) and ``%`` is escaped so it cannot start a hover placeholder.
"""

from __future__ import annotations

import html
import math
import uuid
from pathlib import Path

from landscape.errors import LandscapeError

COLOR_BY = ("topic", "area")
UNASSIGNED = -1
MAP_META_KEY = "landscape_map"
# Plotly options for the map: wheel zoom on, the logo and the editing links off.
PLOT_CONFIG = {"scrollZoom": True, "displaylogo": False, "responsive": True}


def _esc(text) -> str:
    """Text safe for plotly's pseudo-HTML and its hover templates."""
    return html.escape(str(text), quote=False).replace("%", "&#37;")


def _short(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _hover_title(title: str, width: int = 140, wrap: int = 70) -> str:
    """One title for a hover label: shortened, escaped, broken once so the label stays narrow."""
    text = _short(title, width)
    if len(text) > wrap:
        cut = text.rfind(" ", 0, wrap + 1)
        if cut > wrap // 2:
            return _esc(text[:cut]) + "<br>" + _esc(text[cut + 1 :])
    return _esc(text)


def _date_strings(documents) -> list[str]:
    """Each paper's date as precise as it is known: ``2023``, ``2023-09`` or ``2023-09-14``."""
    import pandas as pd

    if "date" not in documents.columns:
        return ["no date"] * len(documents)
    dates = pd.to_datetime(documents["date"], errors="coerce")
    precision = (
        documents["date_precision"].astype(object).where(documents["date_precision"].notna(), "day")
        if "date_precision" in documents.columns
        else pd.Series("day", index=documents.index)
    )
    day, month, year = dates.dt.strftime("%Y-%m-%d"), dates.dt.strftime("%Y-%m"), dates.dt.strftime("%Y")
    out = day.where(precision == "day", month.where(precision == "month", year))
    return out.where(dates.notna(), "no date").tolist()


def _marker_size(n: int) -> float:
    # big dots for a hundred papers, small ones for a hundred thousand
    return round(min(8.0, max(2.5, 11.0 - 1.6 * math.log10(max(n, 1)))), 1)


def _colors(topics):
    """Topic and area colours from ``figures``, so the map agrees with the trend charts."""
    from landscape.present.figures import area_colors, topic_colors

    return topic_colors(topics), area_colors(topics)


def landscape_map(
    land,
    *,
    color_by: str = "topic",
    label_topics: int | None = 50,
    title: str | None = None,
    height: int = 720,
):
    """The interactive map of a landscape as a plotly figure.

    Parameters
    ----------
    land : a :class:`~landscape.store.Landscape` (``documents`` with ``x, y, topic``; ``topics``)
    color_by : ``"topic"`` or ``"area"``: the colouring shown first (buttons switch it)
    label_topics : at most this many labels, largest topics first; a label that would overlap a
        larger topic's at the initial view is left out (None: no limit)
    title : figure title (default: the landscape's name and paper count)
    height : figure height in pixels

    ``layout.meta["landscape_map"]`` tells the page script which traces hold papers
    (``paper_traces``), the search overlay trace (``search_trace``) and the paper count.
    """
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go

    if color_by not in COLOR_BY:
        raise LandscapeError(f"color_by must be one of {', '.join(COLOR_BY)}; got {color_by!r}")
    if label_topics is not None and (
        isinstance(label_topics, bool) or not isinstance(label_topics, int) or label_topics < 0
    ):
        raise LandscapeError(f"label_topics must be a whole number >= 0 or None; got {label_topics!r}")
    docs, topics = land.documents, land.topics
    missing = [c for c in ("x", "y", "topic", "title") if c not in docs.columns]
    if missing:
        raise LandscapeError(f"the landscape's documents lack {', '.join(missing)}: cannot draw a map")

    topic_ids = pd.to_numeric(docs["topic"], errors="coerce").fillna(UNASSIGNED).astype(int).to_numpy()
    xs = docs["x"].to_numpy(dtype="float32")
    ys = docs["y"].to_numpy(dtype="float32")
    hover_titles = np.array([_hover_title(t) for t in docs["title"].fillna("").astype(str)], dtype=object)
    dates = np.array(_date_strings(docs), dtype=object)

    info = {int(r.topic): r for r in topics.itertuples(index=False)}
    topic_color, area_color = _colors(topics)
    size = _marker_size(len(docs))
    opacity = 0.85 if len(docs) < 5000 else 0.6
    present = sorted(set(topic_ids.tolist()), key=lambda t: (t != UNASSIGNED, t))  # unassigned drawn first

    fig = go.Figure()
    paper_traces, topic_mode, area_mode = [], [], []
    for topic in present:
        idx = np.flatnonzero(topic_ids == topic)
        row = info.get(topic)
        if topic == UNASSIGNED:
            name, area = "unassigned", "unassigned"
        else:
            label = getattr(row, "label", None) if row is not None else None
            name = _esc(_short(f"{topic}: {label if label is not None else f'topic {topic}'}", 48))
            area = str(getattr(row, "area", "unassigned") if row is not None else "unassigned")
        hover = f"<b>%{{text}}</b><br>%{{customdata}}<br>topic {name}"
        if topic != UNASSIGNED:
            hover += f"<br>area: {_esc(area)}"
        fig.add_trace(
            go.Scattergl(
                x=xs[idx],
                y=ys[idx],
                text=hover_titles[idx].tolist(),
                customdata=dates[idx].tolist(),
                mode="markers",
                name=name,
                legendgroup=f"topic {topic}",
                legendrank=100000 if topic == UNASSIGNED else 1000 + len(paper_traces),
                marker={
                    "size": size,
                    "opacity": opacity * (0.6 if topic == UNASSIGNED else 1.0),
                    "color": topic_color.get(topic, "#9E9E9E"),
                },
                hovertemplate=hover + "<extra></extra>",
            )
        )
        paper_traces.append(len(fig.data) - 1)
        topic_mode.append((topic_color.get(topic, "#9E9E9E"), f"topic {topic}", True))
        area_mode.append((area_color.get(area, "#9E9E9E"), f"area {area}", topic == UNASSIGNED))

    # Legend-only traces, one per area, shown in area mode: clicking one toggles its whole group.
    areas = sorted({a for _, a, _ in area_mode if a != "area unassigned"})
    for group in areas:
        area = group.removeprefix("area ")
        fig.add_trace(
            go.Scattergl(
                x=[None],
                y=[None],
                mode="markers",
                name=_esc(_short(area, 48)),
                legendgroup=group,
                showlegend=False,
                marker={"size": 10, "color": area_color.get(area, "#9E9E9E")},
                hoverinfo="skip",
            )
        )
        topic_mode.append((area_color.get(area, "#9E9E9E"), group, False))
        area_mode.append((area_color.get(area, "#9E9E9E"), group, True))

    # Search matches are drawn on top by the page script; empty until someone searches.
    fig.add_trace(
        go.Scattergl(
            x=[],
            y=[],
            text=[],
            customdata=[],
            mode="markers",
            name="search matches",
            showlegend=False,
            marker={"size": size + 5, "color": "rgba(0,0,0,0)", "line": {"width": 1.5, "color": "#111111"}},
            hovertemplate="<b>%{text}</b><br>%{customdata}<extra>match</extra>",
        )
    )
    search_trace = len(fig.data) - 1
    topic_mode.append(("rgba(0,0,0,0)", "search", False))
    area_mode.append(("rgba(0,0,0,0)", "search", False))

    def restyle(mode):
        return {
            "marker.color": [c for c, _, _ in mode],
            "legendgroup": [g for _, g, _ in mode],
            "showlegend": [s for _, _, s in mode],
        }

    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "pad": {"b": 4},
                "active": COLOR_BY.index(color_by),
                "buttons": [
                    {
                        "label": "Colour by topic",
                        "method": "update",
                        "args": [restyle(topic_mode), {"legend.title.text": "Topic"}],
                    },
                    {
                        "label": "Colour by research area",
                        "method": "update",
                        "args": [restyle(area_mode), {"legend.title.text": "Research area"}],
                    },
                ],
            }
        ]
    )
    if color_by == "area":
        for trace, (color, group, show) in zip(fig.data, area_mode, strict=True):
            trace.update(marker_color=color, legendgroup=group, showlegend=show)

    x_view, y_view = _core_range(xs), _core_range(ys)
    notes = _topic_labels(topic_ids, xs, ys, topics, label_topics, (x_view, y_view), height)
    fig.update_layout(annotations=notes)
    name = land.name if hasattr(land, "name") else "landscape"
    fig.update_layout(
        title={"text": _esc(title or f"{name}: {len(docs):,} papers, {len(topics)} topics"), "x": 0.01},
        template="plotly_white",
        height=height,
        hovermode="closest",
        dragmode="pan",
        xaxis={"visible": False, **x_view},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1, **y_view},
        legend={
            "title": {"text": "Topic" if color_by == "topic" else "Research area"},
            "itemsizing": "constant",
            "groupclick": "togglegroup",
        },
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        meta={
            MAP_META_KEY: {
                "paper_traces": paper_traces,
                "search_trace": search_trace,
                "n_papers": int(len(docs)),
            }
        },
    )
    return fig


def _core_range(values, tail: float = 0.002, pad: float = 0.05) -> dict:
    """Initial axis range around the bulk of the papers: a few far-off islands (UMAP places small
    disconnected groups far away) would otherwise squeeze the map into a corner. Zooming out or a
    double-click on the autoscale button shows everything."""
    import numpy as np

    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    if len(values) < 1000:
        return {}
    low, high = np.quantile(values, [tail, 1 - tail])
    span = max(high - low, 1e-9)
    return {"range": [float(low - pad * span), float(high + pad * span)]}


# For placing labels without overlap at the initial view: an assumed plot area (the figure is
# responsive; a legend takes the right side) and the size of an 11 px label.
_PLOT_PX = (900, 620)
_CHAR_PX, _LABEL_PX = 6.3, 17


def _topic_labels(topic_ids, xs, ys, topics, label_topics, views, height: int = 720):
    """Annotations at the median position of the largest topics' papers.

    Largest topics first; a label that would overlap one already placed (at the initial view) is
    left out, so dense maps keep readable labels; the topic stays in the legend and hover text.
    """
    import numpy as np

    if label_topics == 0 or topics.empty:
        return []
    order = topics.sort_values(["size", "topic"], ascending=[False, True], kind="stable")
    span = []
    for values, view in zip((xs, ys), views, strict=True):
        bounds = view.get("range") or [float(np.nanmin(values)), float(np.nanmax(values))]
        span.append(max(bounds[1] - bounds[0], 1e-9))
    plot_h = max(200, height - 100)
    per_px = max(span[0] / _PLOT_PX[0], span[1] / min(_PLOT_PX[1], plot_h))
    placed, notes = [], []
    for row in order.itertuples(index=False):
        if label_topics is not None and len(notes) >= int(label_topics):
            break
        members = topic_ids == int(row.topic)
        if not members.any():
            continue
        x, y = float(np.median(xs[members])), float(np.median(ys[members]))
        text = _short(row.label, 28)
        half_w = (len(text) * _CHAR_PX + 6) * per_px / 2
        half_h = _LABEL_PX * per_px / 2
        if any(abs(x - px) < half_w + pw and abs(y - py) < half_h + ph for px, py, pw, ph in placed):
            continue
        placed.append((x, y, half_w, half_h))
        notes.append(
            {
                "x": x,
                "y": y,
                "text": _esc(text),
                "showarrow": False,
                "font": {"size": 11, "color": "#222222"},
                "bgcolor": "rgba(255,255,255,0.65)",
                "borderpad": 1,
            }
        )
    return notes


def hierarchy_figure(land, *, title: str | None = None, height: int = 620):
    """The two-level hierarchy as a treemap: groups holding their topics, area = papers.

    Click a group to zoom into it. Topics without a group sit directly under the root.
    """
    import plotly.graph_objects as go

    topics = land.topics
    topic_color, _ = _colors(topics)
    ids, labels, parents, values, colors, hover = [], [], [], [], [], []
    has_parent = "group" in topics.columns
    if has_parent:
        groups = topics[topics["group"].notna() & (topics["group"].astype(int) >= 0)]
        for parent, members in groups.groupby(groups["group"].astype(int), sort=True):
            label = members["group_label"].iloc[0] if "group_label" in members.columns else None
            text = str(label) if label is not None and str(label).strip() else f"group {parent}"
            ids.append(f"p{parent}")
            labels.append(_esc(_short(text, 40)))
            parents.append("")
            values.append(int(members["size"].sum()))
            colors.append("#EEEEEE")
            hover.append(f"{len(members)} topics")
    group_ids = set(ids)
    for row in topics.itertuples(index=False):
        parent = int(row.group) if has_parent and row.group == row.group else -1
        ids.append(f"t{int(row.topic)}")
        labels.append(_esc(_short(f"{int(row.topic)}: {row.label}", 40)))
        parents.append(f"p{parent}" if f"p{parent}" in group_ids else "")
        values.append(int(row.size))
        colors.append(topic_color.get(int(row.topic), "#9E9E9E"))
        hover.append(_esc(f"area: {getattr(row, 'area', '')}"))
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            marker={"colors": colors},
            customdata=hover,
            hovertemplate="<b>%{label}</b><br>%{value:,} papers<br>%{customdata}<extra></extra>",
            textinfo="label+value",
        )
    )
    name = land.name if hasattr(land, "name") else "landscape"
    fig.update_layout(
        title={"text": _esc(title or f"{name}: topics clustered into groups"), "x": 0.01},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def map_points(fig) -> int:
    """How many papers a map figure draws (the figure's own record, checked against its traces)."""
    meta = (fig.layout.meta or {}).get(MAP_META_KEY)
    if not meta:
        raise LandscapeError("not a landscape map figure (no layout.meta['landscape_map'])")
    return sum(len(fig.data[i].x) for i in meta["paper_traces"])


def map_html(fig, *, include_plotlyjs: bool = False, div_id: str | None = None) -> str:
    """The map figure as an HTML fragment with its search box and time filter.

    ``include_plotlyjs=False`` expects plotly.js on the page already (a report page or a notebook
    after :func:`landscape.present.notebook.setup`); ``True`` inlines it here. Nothing is loaded from the
    network either way.
    """
    div_id = div_id or f"landscape-map-{uuid.uuid4().hex[:12]}"
    figure = fig.to_html(
        full_html=False,
        include_plotlyjs=bool(include_plotlyjs),
        div_id=div_id,
        config=PLOT_CONFIG,
        default_height=f"{fig.layout.height or 720}px",
        # runs once the plot exists: wire up the controls rendered by the template
        post_script="window.landscapeMapInit && window.landscapeMapInit('{plot_id}');",
    )
    return _template("map.html.j2").render(map_id=div_id, figure_html=figure)


def save_map(land_or_fig, path, *, title: str | None = None, **kwargs) -> Path:
    """A standalone HTML page with the map (plotly.js inlined): works offline and from ``file://``."""
    fig = (
        land_or_fig if hasattr(land_or_fig, "to_html") else landscape_map(land_or_fig, title=title, **kwargs)
    )
    page_title = title or (getattr(land_or_fig, "name", None) or "landscape map")
    body = map_html(fig, include_plotlyjs=True)
    text = _template("map_page.html.j2").render(title=page_title, body=body)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _template(name: str):
    from landscape.present.report import template_environment

    return template_environment().get_template(name)
