"""The interactive map of a landscape: every paper as a point, coloured by topic or research area.

One WebGL trace (``Scattergl``) per topic keeps the legend useful (click a topic to hide it, double
click to isolate it) and stays smooth at 100,000 points. Each point carries its coordinates (float32,
base64), escaped hover title and date; the topic label, area and colour are per trace. Papers are in
page order, trace after trace, so the page script finds a point's paper from its trace and index.
Labels are annotations (drawn above the WebGL points, with halos): parent topics when zoomed out,
topics when zoomed in. Buttons switch the colouring between topics and research areas.

:func:`map_html` wraps the figure with its controls (template ``templates/map.html.j2`` and its
script ``map_controls.js``): search over titles and abstracts, time filter, a side panel with a
clicked paper's details and nearest neighbours, the box/lasso selection list with CSV download, and
label placement after every zoom. The papers' details (:mod:`landscape.present.map_data`) travel in a
JSON block of their own. :func:`save_map` writes a standalone page (offline, works from ``file://``).

Paper text is untrusted: plotly renders a subset of HTML in hover labels, legend entries and
annotations, so every title and label is escaped (``present.html.plotly_text``, ``%`` included so it
cannot start a hover placeholder); the page script puts paper text into the page only as text.
"""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.present.curation_text import shown_label
from landscape.present.html import plotly_text as _esc
from landscape.present.map_data import TEXT_BLOCKS, clean_titles, neighbour_block, text_block
from landscape.present.neighbours import NEIGHBOURS
from landscape.schema import CURATED_COLUMN
from landscape.schema import UNASSIGNED as UNASSIGNED_LABEL
from landscape.schema import UNASSIGNED_TOPIC as UNASSIGNED

COLOR_BY = ("topic", "area")
MAP_META_KEY = "landscape_map"
# Plotly options for the map: wheel zoom on, the logo and the editing links off.
PLOT_CONFIG = {"scrollZoom": True, "displaylogo": False, "responsive": True}


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


def _colors(land):
    """Topic and area colours from ``figures``, so the map agrees with the trend charts."""
    from landscape.present.figures import area_colors, topic_colors

    return topic_colors(land), area_colors(getattr(land, "topics", land))


def _check_options(color_by, label_topics, neighbours) -> None:
    if color_by not in COLOR_BY:
        raise LandscapeError(f"color_by must be one of {', '.join(COLOR_BY)}; got {color_by!r}")
    for name, value in (("label_topics", label_topics), ("neighbours", neighbours)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise LandscapeError(f"{name} must be a whole number >= 0 or None; got {value!r}")


def landscape_map(
    land,
    *,
    color_by: str = "topic",
    label_topics: int | None = 50,
    title: str | None = None,
    height: int = 720,
    details: bool = True,
    neighbours: int = NEIGHBOURS,
):
    """The interactive map of a landscape as a plotly figure.

    Parameters
    ----------
    land : a :class:`~landscape.store.Landscape` (``documents`` with ``x, y, topic``; ``topics``)
    color_by : ``"topic"`` or ``"area"``: the colouring shown first (buttons switch it)
    label_topics : at most this many topic labels, largest topics first (None: no limit); the page
        shows parent-topic labels when zoomed out and topic labels when zoomed in, leaving out any
        label that would overlap a larger one
    title : figure title (default: the landscape's name and paper count)
    height : figure height in pixels
    details : carry each paper's text (title, authors, abstract, link) and its ``neighbours``
        nearest papers for the page's side panel, search and CSV download
    neighbours : how many nearest papers the side panel lists (by embedding similarity when the
        landscape has embeddings, else by map distance)

    ``layout.meta["landscape_map"]`` tells the page script which traces hold papers (rows in page
    order: trace ``paper_traces[i]`` holds rows ``starts[i]`` onwards), which draw search matches,
    the selected paper, its neighbours and the labels, and carries the label candidates and the
    paper details (:mod:`landscape.present.map_data`).
    """
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go

    _check_options(color_by, label_topics, neighbours)
    docs, topics = land.documents, land.topics
    missing = [c for c in ("x", "y", "topic", "title") if c not in docs.columns]
    if missing:
        raise LandscapeError(f"the landscape's documents lack {', '.join(missing)}: cannot draw a map")

    ids = pd.to_numeric(docs["topic"], errors="coerce").fillna(UNASSIGNED).astype(int).to_numpy()
    present = sorted(set(ids.tolist()), key=lambda t: (t != UNASSIGNED, t))  # unassigned drawn first
    rank = pd.Series(ids).map({t: i for i, t in enumerate(present)}).to_numpy(dtype=np.int64)
    order = np.argsort(rank, kind="stable")  # page row -> landscape row: one run of rows per trace
    page = docs.iloc[order]
    topic_ids = ids[order]
    xs = page["x"].to_numpy(dtype="float32")
    ys = page["y"].to_numpy(dtype="float32")
    titles = clean_titles(page["title"].tolist())
    hover_titles = np.array([_hover_title(t) for t in titles], dtype=object)
    dates = np.array(_date_strings(page), dtype=object)

    info = {int(r.topic): r for r in topics.itertuples(index=False)}
    topic_color, area_color = _colors(land)
    size = _marker_size(len(docs))
    opacity = 0.85 if len(docs) < 5000 else 0.6

    fig = go.Figure()
    paper_traces, starts, trace_topics, topic_mode, area_mode = [], [], [], [], []
    for topic in present:
        idx = np.flatnonzero(topic_ids == topic)
        row = info.get(topic)
        if topic == UNASSIGNED:
            plain, area = UNASSIGNED_LABEL, UNASSIGNED_LABEL
        else:
            label = getattr(row, "label", None) if row is not None else None
            if label is not None:  # a name chosen by hand shows as curated
                label = shown_label(label, getattr(row, CURATED_COLUMN, ""))
            plain = f"{topic}: {label if label is not None else f'topic {topic}'}"
            area = str(getattr(row, "area", UNASSIGNED_LABEL) if row is not None else UNASSIGNED_LABEL)
        name = _esc(_short(plain, 48))
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
        starts.append(int(idx[0]))
        trace_topics.append([int(topic), plain, area])
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

    # Drawn on top by the page script: search matches, the paper in the panel and its neighbours.
    overlays = {}
    for key, ring, width, color in (
        ("search_trace", size + 5, 1.5, "#111111"),
        ("neighbour_trace", size + 7, 2.0, "#E65100"),
        ("focus_trace", size + 13, 3.0, "#111111"),
    ):
        fig.add_trace(
            go.Scattergl(
                x=[],
                y=[],
                text=[],
                customdata=[],
                mode="markers",
                name=key.removesuffix("_trace"),
                showlegend=False,
                marker={"size": ring, "color": "rgba(0,0,0,0)", "line": {"width": width, "color": color}},
                hovertemplate="<b>%{text}</b><br>%{customdata}<extra></extra>",
            )
        )
        overlays[key] = len(fig.data) - 1
        topic_mode.append(("rgba(0,0,0,0)", key, False))
        area_mode.append(("rgba(0,0,0,0)", key, False))

    x_view, y_view = _core_range(xs), _core_range(ys)
    labels = _label_candidates(land, topic_ids, xs, ys, label_topics)
    level = "groups" if labels["groups"] else "topics"
    shown = _place_labels(labels[level], xs, ys, (x_view, y_view), height)
    fig.update_layout(annotations=[_annotation(x, y, text, LABEL_FONTS[level]) for x, y, text in shown])

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

    meta = {
        "paper_traces": paper_traces,
        "starts": starts,
        "trace_topics": trace_topics,
        **overlays,
        "search_trace": overlays["search_trace"],
        "n_papers": int(len(docs)),
        "labels": labels,
        "label_fonts": LABEL_FONTS,
        "zoom_switch": ZOOM_SWITCH,
    }
    if details:
        k = NEIGHBOURS if neighbours is None else neighbours
        block, basis = neighbour_block(land, order, k)
        meta["papers"] = {
            "blocks": [{"columns": list(c), "text": text_block(page, titles, c)} for c in TEXT_BLOCKS],
            "neighbours": block,
            "k": k,
            "near_by": basis,
        }
    name = land.name if hasattr(land, "name") else "landscape"
    fig.update_layout(
        title={"text": _esc(title or f"{name}: {len(docs):,} papers, {len(topics)} topics"), "x": 0.01},
        template="plotly_white",
        height=height,
        hovermode="closest",
        dragmode="pan",
        clickmode="event",
        xaxis={"visible": False, **x_view},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1, **y_view},
        legend={
            "title": {"text": "Topic" if color_by == "topic" else "Research area"},
            "itemsizing": "constant",
            "groupclick": "togglegroup",
        },
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        meta={MAP_META_KEY: meta},
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


def _label_candidates(land, topic_ids, xs, ys, label_topics) -> dict:
    """Label candidates at both zoom levels, largest first, at the median position of the papers of
    each parent topic (``groups``) and each topic (``topics``): ``[x, y, escaped text, papers, length]``."""
    import numpy as np
    import pandas as pd

    topics = land.topics
    if label_topics == 0 or topics.empty:
        return {"groups": [], "topics": []}
    order = topics.sort_values(["size", "topic"], ascending=[False, True], kind="stable")
    found = {"groups": [], "topics": []}
    for row in order.itertuples(index=False):
        if label_topics is not None and len(found["topics"]) >= int(label_topics):
            break
        members = topic_ids == int(row.topic)
        if members.any():
            x, y = float(np.median(xs[members])), float(np.median(ys[members]))
            text = _short(row.label, 28)
            found["topics"].append([x, y, _esc(text), int(members.sum()), len(text)])
    if "group" in topics.columns:
        known = topics[topics["group"].notna()]
        parent_of = dict(zip(known["topic"].astype(int), known["group"].astype(int), strict=True))
        names = {}
        if "group_label" in known.columns:
            names = dict(zip(known["group"].astype(int), known["group_label"], strict=True))
        group_ids = pd.Series(topic_ids).map(parent_of).fillna(-1).to_numpy(dtype=np.int64)
        groups = [g for g in set(group_ids.tolist()) if g >= 0]
        for g in sorted(groups, key=lambda g: (-int((group_ids == g).sum()), g)):
            members = group_ids == g
            text = names.get(g)
            text = _short(text if text is not None and str(text).strip() else f"group {g}", 32)
            x, y = float(np.median(xs[members])), float(np.median(ys[members]))
            found["groups"].append([x, y, _esc(text), int(members.sum()), len(text)])
    return found


# For placing labels without overlap at the initial view: an assumed plot area (the figure is
# responsive; a legend takes the right side) and the size of an 11 px label. The page script
# places them again from real pixel positions after every zoom.
_PLOT_PX = (900, 620)
_CHAR_PX, _LABEL_PX = 6.3, 17
ZOOM_SWITCH = 0.5  # topic labels once the view is narrower than this share of the first view
_HALO = "1px 1px 2px #fff, -1px -1px 2px #fff, 1px -1px 2px #fff, -1px 1px 2px #fff, 0 0 4px #fff"
LABEL_FONTS = {
    "groups": {"size": 14, "color": "#111111", "weight": "bold", "shadow": _HALO},
    "topics": {"size": 11, "color": "#222222", "shadow": _HALO},
}


def _annotation(x, y, text, font) -> dict:
    # annotations, not a text trace: they are drawn above the WebGL points, so the halo shows
    return {"x": x, "y": y, "text": text, "showarrow": False, "font": font}


def _place_labels(candidates, xs, ys, views, height: int = 720) -> list:
    """The candidates (largest first) that fit at the initial view without overlapping a larger one."""
    import numpy as np

    if not candidates:
        return []
    span = []
    for values, view in zip((xs, ys), views, strict=True):
        bounds = view.get("range") or [float(np.nanmin(values)), float(np.nanmax(values))]
        span.append(max(bounds[1] - bounds[0], 1e-9))
    plot_h = max(200, height - 100)
    per_px = max(span[0] / _PLOT_PX[0], span[1] / min(_PLOT_PX[1], plot_h))
    placed, shown = [], []
    for x, y, text, _, chars in candidates:
        half_w = (chars * _CHAR_PX + 6) * per_px / 2
        half_h = _LABEL_PX * per_px / 2
        if any(abs(x - px) < half_w + pw and abs(y - py) < half_h + ph for px, py, pw, ph in placed):
            continue
        placed.append((x, y, half_w, half_h))
        shown.append([x, y, text])
    return shown


def hierarchy_figure(land, *, title: str | None = None, height: int = 620):
    """The two-level hierarchy as a treemap: groups holding their topics, area = papers.

    Click a group to zoom into it. Topics without a group sit directly under the root.
    """
    import plotly.graph_objects as go

    topics = land.topics
    topic_color, _ = _colors(land)
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
    import plotly.io as pio

    div_id = div_id or f"landscape-map-{uuid.uuid4().hex[:12]}"
    # The papers' details leave the figure for a JSON block of their own: the browser's HTML parser
    # skips over it far faster than its JavaScript parser reads it inside the figure.
    spec = fig.to_plotly_json()
    layout = dict(spec["layout"])
    meta = dict(layout.get("meta") or {})
    own = dict(meta.get(MAP_META_KEY) or {})
    papers = own.pop("papers", None)
    if MAP_META_KEY in meta:
        meta[MAP_META_KEY] = own
        layout["meta"] = meta
    figure = pio.to_html(
        {"data": spec["data"], "layout": layout},
        validate=False,
        full_html=False,
        include_plotlyjs=bool(include_plotlyjs),
        div_id=div_id,
        config=PLOT_CONFIG,
        default_height=f"{fig.layout.height or 720}px",
        # runs once the plot exists: wire up the controls rendered by the template
        post_script="window.landscapeMapInit && window.landscapeMapInit('{plot_id}');",
    )
    papers_json = None
    if papers is not None:  # base64 and plain values; < > & escaped all the same, so no tag can close
        papers_json = json.dumps(papers, separators=(",", ":"))
        papers_json = papers_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _template("map.html.j2").render(map_id=div_id, figure_html=figure, papers_json=papers_json)


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
    from landscape.present.html import template_environment

    return template_environment().get_template(name)
