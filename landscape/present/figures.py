"""Plotly figures of a landscape, with one colour scheme shared by every figure.

Figures are functions of the tidy frames that :mod:`landscape.analysis.trends` returns; they never compute
statistics themselves. Labels come from paper text, which is untrusted: plotly renders a subset of
HTML in trace names, tick labels and hover text, so every label is passed through ``present.html.plotly_text``
before it reaches a figure.

Colours: :func:`topic_colors` gives each topic a fixed colour from one long qualitative palette (for a
landscape, neighbouring topics on the map get clearly different colours; for bare ids, topics walk the
palette in id order), unassigned papers (topic -1) are grey, and topics
grouped as "other" are light grey. :func:`area_colors` does the same for research areas. The same
topic table always gives the same colours, so the map and the trend charts agree.
"""

from __future__ import annotations

import colorsys

from landscape.present.html import plotly_text as _esc
from landscape.schema import UNASSIGNED, UNASSIGNED_TOPIC

UNASSIGNED_COLOR = "#9E9E9E"
OTHER_COLOR = "#D5D5D5"
OTHER_LABEL = "other"
_UNASSIGNED_KEYS = (UNASSIGNED_TOPIC, UNASSIGNED)


# ---- colours ---------------------------------------------------------------------------------------
_LIGHTEST, _CLOSEST_LAB = 86.0, 12.0


def _palette() -> list[str]:
    """A long qualitative palette: plotly's own palettes in a fixed order, greys, near-whites and
    near-repeats removed."""
    from plotly.colors import qualitative

    seen, colors = set(), []
    for name in ("Plotly", "D3", "Dark24", "Light24", "Alphabet"):
        for color in getattr(qualitative, name):
            c = color.upper()
            r, g, b = (int(c[i : i + 2], 16) for i in (1, 3, 5))
            if c in seen or max(r, g, b) - min(r, g, b) < 24:  # skip near-greys: grey means unassigned
                continue
            seen.add(c)
            colors.append(c)
    # too light to see on white, or hard to tell from an earlier colour: left out
    import numpy as np

    lab = _lab(colors)
    keep = []
    for i in range(len(colors)):
        if lab[i, 0] <= _LIGHTEST and all(np.linalg.norm(lab[i] - lab[j]) >= _CLOSEST_LAB for j in keep):
            keep.append(i)
    return [colors[i] for i in keep]


def _extra_color(i: int) -> str:
    """Colours past the palette: golden-angle hues, deterministic in ``i``."""
    hue = (i * 0.618033988749895) % 1.0
    light = (0.45, 0.6, 0.35)[i % 3]
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.65)
    return f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"


def key_colors(keys) -> dict:
    """Colours for sorted keys: unassigned (-1 / ``"unassigned"``) grey, the rest through the palette."""
    palette = _palette()
    colors, i = {}, 0
    for key in sorted(set(keys), key=lambda k: (isinstance(k, str), k)):
        if key in _UNASSIGNED_KEYS:
            colors[key] = UNASSIGNED_COLOR
            continue
        colors[key] = palette[i] if i < len(palette) else _extra_color(i - len(palette))
        i += 1
    return colors


def _lab(colors):
    """CIELAB coordinates of ``#RRGGBB`` colours (D65), where distance follows perceived difference."""
    import numpy as np

    rgb = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in colors])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = rgb @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


# Map neighbours of a topic: its nearest topic centres. Colours this far apart in CIELAB count as
# clearly different, so among those the least used colour is taken (spreading the palette).
_MAP_NEIGHBOURS = 8
_DISTINCT_LAB = 35.0


def _map_positions(topics) -> dict:
    """``{topic: (x, y)}``: the median map position of each topic's papers, when ``topics`` is a landscape."""
    docs = getattr(topics, "documents", None)
    if docs is None or not {"x", "y", "topic"} <= set(docs.columns):
        return {}
    medians = docs[docs["topic"] >= 0].groupby("topic")[["x", "y"]].median()
    return {int(t): (float(r.x), float(r.y)) for t, r in medians.iterrows()}


def _neighbour_colors(ids, positions) -> dict[int, str]:
    """Greedy graph colouring: each topic (id order) takes the palette colour most unlike the colours of
    its nearest topics on the map (least used colour among the clearly different ones)."""
    import numpy as np

    palette = _palette()
    lab = _lab(palette)
    placed = [t for t in ids if t in positions]
    xy = np.array([positions[t] for t in placed], dtype=float).reshape(-1, 2)
    near = {t: set() for t in ids}
    if len(placed) > 1:
        dist = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
        np.fill_diagonal(dist, np.inf)
        for i, t in enumerate(placed):
            for j in np.argsort(dist[i], kind="stable")[:_MAP_NEIGHBOURS]:
                near[t].add(placed[j])
                near[placed[j]].add(t)
    chosen, used = {}, np.zeros(len(palette))
    for t in ids:
        taken = [palette.index(chosen[u]) for u in near[t] if u in chosen]
        if taken:
            gap = np.linalg.norm(lab[:, None, :] - lab[taken][None, :, :], axis=2).min(axis=1)
        else:
            gap = np.full(len(palette), np.inf)
        score = np.minimum(gap, _DISTINCT_LAB)
        best = np.lexsort((np.arange(len(palette)), used, -score))[0]
        chosen[t] = palette[best]
        used[best] += 1
    return chosen


def topic_colors(topics, positions: dict | None = None) -> dict[int, str]:
    """``{topic id: "#RRGGBB"}`` for a landscape, topic table or iterable of ids; -1 is grey.

    Given a landscape (or ``positions``, ``{topic: (x, y)}`` on the map), topics that lie close on the
    map never share a colour and get clearly different ones (graph colouring over the long palette),
    so maps of 30+ topics stay readable. Otherwise topics walk through the palette in id order. Pass
    the landscape's colours (``colors=topic_colors(land)``) to a trend chart so it agrees with the map.
    Topic -1 always gets a colour, even when the table has no such row, so documents can be coloured
    directly.
    """
    positions = _map_positions(topics) if positions is None else positions
    frame = getattr(topics, "topics", topics)
    ids = frame["topic"] if hasattr(frame, "columns") else frame
    if positions:
        keys = sorted({int(t) for t in ids} - {UNASSIGNED_TOPIC})
        colors = _neighbour_colors(keys, positions)
        return {UNASSIGNED_TOPIC: UNASSIGNED_COLOR, **colors}
    colors = key_colors({int(t) for t in ids} | {UNASSIGNED_TOPIC})
    return {int(k): v for k, v in colors.items()}


def area_colors(areas) -> dict[str, str]:
    """``{area: "#RRGGBB"}`` for area names (or a table with an ``area`` column); unassigned is grey."""
    frame = getattr(areas, "topics", areas)
    names = frame["area"].dropna() if hasattr(frame, "columns") else areas
    return key_colors({str(a) for a in names} | {UNASSIGNED})


def _colors_for(frame, colors):
    if colors is not None:
        return colors
    # every key of the landscape when the frame knows them (a list of bursts holds only a few), so
    # a topic has the same colour in every figure
    keys = list(frame.attrs.get("keys") or (frame["key"].unique().tolist() if len(frame) else []))
    if frame.attrs.get("by") == "area" or any(isinstance(k, str) for k in keys):
        return area_colors(keys)
    return topic_colors(keys)


# ---- helpers ---------------------------------------------------------------------------------------
def _name(key, label, width: int = 60) -> str:
    """A unique display name: ``"3: label"`` for topics, the name itself for areas; long ones cut."""
    text = str(label) if isinstance(key, str) or str(key) == str(label) else f"{key}: {label}"
    return _esc(text if len(text) <= width else text[: width - 1] + "…")


def _freq_word(frame) -> str:
    return {"year": "yearly", "quarter": "quarterly", "month": "monthly"}.get(frame.attrs.get("freq"), "")


def _subtitle(frame) -> str:
    a = frame.attrs
    parts = []
    if a.get("n_papers") is not None and a.get("n_bins") is not None:
        parts.append(f"{a['n_papers']:,} papers in {a['n_bins']} {_freq_word(frame)} bins")
    if a.get("excluded_precision"):
        parts.append(
            f"{a['excluded_precision']:,} papers dated less precisely than a {a.get('freq')} left out"
        )
    if a.get("undated"):
        parts.append(f"{a['undated']:,} undated papers left out")
    return "; ".join(parts)


def _layout(fig, title: str, subtitle: str, **kwargs) -> None:
    fig.update_layout(
        title={"text": _esc(title), "subtitle": {"text": _esc(subtitle)}},
        template="plotly_white",
        legend={"traceorder": "normal"},
        margin={"t": 90},
        **kwargs,
    )


def _top_keys(shares, top: int) -> list:
    totals = shares[~shares["key"].isin(_UNASSIGNED_KEYS)].groupby("key", sort=False)["count"].sum()
    totals = totals[totals > 0].sort_values(ascending=False, kind="stable")
    return totals.index[:top].tolist()


def _empty_figure(title: str, message: str):
    """A small figure that says why there is nothing to draw (no empty axes)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    _layout(fig, title, message, height=200, xaxis={"visible": False}, yaxis={"visible": False})
    fig.add_annotation(text=_esc(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def _custom(*columns) -> list[list]:
    """Per-point hover data; a list of rows keeps numbers numeric next to text."""
    return [list(row) for row in zip(*columns, strict=True)]


def _hex_rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


_SHARE_HOVER = (
    "%{customdata[0]}<br>%{customdata[1]}: %{y:.1%} [%{customdata[4]:.1%}, %{customdata[5]:.1%}] "
    "(%{customdata[2]:,} of %{customdata[3]:,} papers)%{customdata[6]}<extra></extra>"
)


def _bin_notes(frame) -> list[str]:
    """Hover suffix per bin: partial and thin bins say so."""
    notes = []
    for partial, thin in zip(_flags(frame, "partial"), _flags(frame, "thin"), strict=True):
        text = ["partial bin: the corpus covers only part of it"] * partial + ["thin bin: few papers"] * thin
        notes.append("".join(f"<br>{t}" for t in text))
    return notes


def _flags(frame, column) -> list[bool]:
    return [bool(v) for v in frame[column]] if column in frame.columns else [False] * len(frame)


def _bin_markers(frame, color: str) -> dict:
    """Filled markers for full bins, open circles for partial bins, open diamonds for thin ones."""
    symbols = [
        "circle-open" if p else "diamond-open" if t else "circle"
        for p, t in zip(_flags(frame, "partial"), _flags(frame, "thin"), strict=True)
    ]
    return {"symbol": symbols, "size": [9 if s != "circle" else 6 for s in symbols], "color": color}


# ---- trend figures -------------------------------------------------------------------------------
def shares_area_figure(shares, top: int = 10, colors=None, title: str | None = None):
    """Stacked area of the ``top`` largest topics' shares per bin; the rest stacked as "other".

    ``shares`` is a frame from :func:`landscape.analysis.trends.topic_shares`. Unassigned papers keep their
    own grey band, so the stack reaches 100% in every bin with papers.
    """
    import numpy as np
    import plotly.graph_objects as go

    what = "research area" if shares.attrs.get("by") == "area" else "topic"
    title = title or f"Share of papers per {what}, {_freq_word(shares)}"
    if shares.empty:
        return _empty_figure(title, "no dated papers to show")
    colors = _colors_for(shares, colors)
    keys = _top_keys(shares, top)
    unassigned = [k for k in shares["key"].unique() if k in _UNASSIGNED_KEYS]
    fig = go.Figure()
    hover = (
        "%{customdata[0]}<br>%{customdata[1]}: %{y:.1%} (%{customdata[2]:,} of %{customdata[3]:,})"
        "<extra></extra>"
    )

    def add(frame, name, color):
        custom = _custom([name] * len(frame), frame["bin"], frame["count"], frame["total"])
        fig.add_trace(
            go.Scatter(
                x=frame["bin_start"],
                y=frame["share"],
                name=name,
                mode="lines",
                stackgroup="shares",
                line={"width": 0.5, "color": color},
                fillcolor=color,
                customdata=custom,
                hovertemplate=hover,
            )
        )

    for key in keys:
        frame = shares[shares["key"] == key]
        add(frame, _name(key, frame["label"].iloc[0]), colors.get(key, OTHER_COLOR))
    rest = shares[~shares["key"].isin(keys + unassigned)]
    if not rest.empty:
        grouped = rest.groupby(["bin", "bin_start"], sort=False, as_index=False).agg(
            count=("count", "sum"), total=("total", "first")
        )
        grouped["share"] = np.where(
            grouped["total"] > 0, grouped["count"] / grouped["total"].clip(lower=1), np.nan
        )
        add(grouped, OTHER_LABEL, OTHER_COLOR)
    for key in unassigned:
        add(shares[shares["key"] == key], UNASSIGNED, UNASSIGNED_COLOR)
    _layout(
        fig,
        title,
        _subtitle(shares),
        xaxis_title="time",
        yaxis={"title": "share of papers", "tickformat": ".0%"},
        hovermode="x unified",
    )
    return fig


def shares_line_figure(shares, keys=None, top: int = 5, colors=None, title: str | None = None):
    """One line per topic (the ``top`` largest, or ``keys``) with its Wilson uncertainty band."""
    import plotly.graph_objects as go

    what = "research area" if shares.attrs.get("by") == "area" else "topic"
    level = shares.attrs.get("level", 0.95)
    title = title or f"Share of papers per {what} with {level:.0%} intervals, {_freq_word(shares)}"
    if shares.empty:
        return _empty_figure(title, "no dated papers to show")
    colors = _colors_for(shares, colors)
    keys = _top_keys(shares, top) if keys is None else list(keys)
    fig = go.Figure()
    for key in keys:
        frame = shares[shares["key"] == key]
        if frame.empty:
            continue
        name = _name(key, frame["label"].iloc[0])
        color = colors.get(key, OTHER_COLOR)
        custom = _custom(
            [name] * len(frame),
            frame["bin"],
            frame["count"],
            frame["total"],
            frame["share_low"],
            frame["share_high"],
            _bin_notes(frame),
        )
        # band: upper edge first (invisible), then the lower edge filled up to it
        fig.add_trace(
            go.Scatter(
                x=frame["bin_start"],
                y=frame["share_high"],
                mode="lines",
                line={"width": 0},
                legendgroup=name,
                showlegend=False,
                hoverinfo="skip",
                name=f"{name} upper",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=frame["bin_start"],
                y=frame["share_low"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_hex_rgba(color, 0.2),
                legendgroup=name,
                showlegend=False,
                hoverinfo="skip",
                name=f"{name} lower",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=frame["bin_start"],
                y=frame["share"],
                mode="lines+markers",
                name=name,
                legendgroup=name,
                line={"color": color},
                marker=_bin_markers(frame, color),
                customdata=custom,
                hovertemplate=_SHARE_HOVER,
            )
        )
    _layout(
        fig,
        title,
        _subtitle(shares),
        xaxis_title="time",
        yaxis={"title": "share of papers", "tickformat": ".1%", "rangemode": "tozero"},
    )
    return fig


def share_panels(
    shares,
    keys=None,
    top: int = 10,
    colors=None,
    title: str | None = None,
    columns: int = 3,
    window=None,
    empty: str | None = None,
):
    """Small multiples: one panel per topic (``keys`` in that order, or the ``top`` largest), each
    the topic's share per bin with its Wilson band; counts, interval and partial/thin bins on hover.

    Panels have their own y axis (a 2% topic and a 20% topic both stay readable). Partial bins are
    open circles, thin bins open diamonds; ``window`` (first, last bin label) shades the growth
    window. Points sit at the middle of their bin. ``layout.meta["items"]`` lists the keys shown,
    in order; ``empty`` is the message when there are none.
    """
    import math

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    what = "research area" if shares.attrs.get("by") == "area" else "topic"
    level = shares.attrs.get("level", 0.95)
    keys = (_top_keys(shares, top) if keys is None else list(keys)) if not shares.empty else []
    keys = [k for k in keys if (shares["key"] == k).any()]
    one = "this " + what if len(keys) == 1 else f"each {what}"
    title = title or f"Share of papers in {one} with {level:.0%} intervals, {_freq_word(shares)}"
    if not keys:
        fig = _empty_figure(
            title, "no dated papers to show" if shares.empty else empty or f"no {what}s to show"
        )
        fig.update_layout(meta={"items": []})
        return fig
    colors = _colors_for(shares, colors)
    cols = max(1, min(columns, len(keys)))
    rows = math.ceil(len(keys) / cols)
    labels = [shares.loc[shares["key"] == k, "label"].iloc[0] for k in keys]
    names = [_name(k, label) for k, label in zip(keys, labels, strict=True)]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[_name(k, label, width=45) for k, label in zip(keys, labels, strict=True)],
        shared_xaxes=True,
        horizontal_spacing=0.06,
        vertical_spacing=min(0.3, 80 / (210 * rows)),  # room for each row's ticks and the next titles
    )
    for i, (key, name) in enumerate(zip(keys, names, strict=True)):
        frame = shares[shares["key"] == key]
        middle = frame["bin_start"] + (frame["bin_end"] - frame["bin_start"]) / 2
        color = colors.get(key, OTHER_COLOR)
        cell = {"row": i // cols + 1, "col": i % cols + 1}
        custom = _custom(
            [name] * len(frame),
            frame["bin"],
            frame["count"],
            frame["total"],
            frame["share_low"],
            frame["share_high"],
            _bin_notes(frame),
        )
        fig.add_trace(
            go.Scatter(
                x=middle,
                y=frame["share_high"],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
                name=f"{name} upper",
            ),
            **cell,
        )
        fig.add_trace(
            go.Scatter(
                x=middle,
                y=frame["share_low"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_hex_rgba(color, 0.25),
                showlegend=False,
                hoverinfo="skip",
                name=f"{name} band",
            ),
            **cell,
        )
        fig.add_trace(
            go.Scatter(
                x=middle,
                y=frame["share"],
                mode="lines+markers",
                name=name,
                showlegend=False,
                line={"color": color},
                marker=_bin_markers(frame, color),
                customdata=custom,
                hovertemplate=_SHARE_HOVER,
            ),
            **cell,
        )
        if window is not None:
            starts = frame.set_index("bin")
            if window[0] in starts.index and window[1] in starts.index:
                fig.add_vrect(
                    x0=starts.loc[window[0], "bin_start"],
                    x1=starts.loc[window[1], "bin_end"],
                    fillcolor="#EEEEEE",
                    opacity=0.5,
                    line_width=0,
                    layer="below",
                    **cell,
                )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(showticklabels=True)
    notes = ["open circles: partial bins", "open diamonds: thin bins"]
    if window is not None:
        notes.append(f"grey: growth window {window[0]}–{window[1]}")
    _layout(fig, title, _subtitle(shares) + ("; " if _subtitle(shares) else "") + ", ".join(notes))
    fig.update_layout(
        height=120 + 210 * rows, meta={"items": [str(k) for k in keys]}, showlegend=False, margin={"t": 120}
    )
    fig.update_annotations(font_size=12)
    return fig


def shares_heatmap(shares, top: int = 30, title: str | None = None):
    """Topic x time heatmap of shares for the ``top`` largest topics (largest on top)."""
    import numpy as np
    import plotly.graph_objects as go

    what = "research area" if shares.attrs.get("by") == "area" else "topic"
    title = title or f"Share of papers per {what} and {shares.attrs.get('freq', 'bin')}"
    if shares.empty:
        return _empty_figure(title, "no dated papers to show")
    keys = _top_keys(shares, top)
    bins = shares["bin"].drop_duplicates().tolist()
    z, counts, names = [], [], []
    for key in reversed(keys):  # plotly draws the first row at the bottom
        frame = shares[shares["key"] == key].set_index("bin").reindex(bins)
        z.append(frame["share"].to_numpy(dtype=float))
        counts.append(np.column_stack([frame["count"], frame["total"]]))
        names.append(_name(key, frame["label"].iloc[0]))
    fig = go.Figure(
        go.Heatmap(
            z=np.array(z) if z else np.empty((0, len(bins))),
            x=bins,
            y=names,
            customdata=np.array(counts) if counts else None,
            colorscale="Blues",
            colorbar={"title": "share", "tickformat": ".0%"},
            hovertemplate="%{y}<br>%{x}: %{z:.1%} (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
        )
    )
    _layout(fig, title, _subtitle(shares), xaxis={"title": "time", "type": "category"}, yaxis_title=what)
    return fig


def burst_timeline(bursts, top: int | None = 30, colors=None, title: str | None = None):
    """Gantt-like timeline: one bar per burst from its first bin's start to its last bin's end.

    ``bursts`` is a frame from :func:`landscape.analysis.trends.bursts` (``level`` runs are left
    out); with ``top``, only the strongest are drawn, strongest on top, in the order of the burst
    table. ``layout.meta["items"]`` lists the keys drawn, in order.
    """
    import plotly.graph_objects as go

    what = "research area" if bursts.attrs.get("by") == "area" else "topic"
    s, gamma = bursts.attrs.get("s", 2.0), bursts.attrs.get("gamma", 1.0)
    title = title or f"Bursts per {what} (Kleinberg, s={s:g}, gamma={gamma:g})"
    if "kind" in bursts.columns:
        bursts = bursts[bursts["kind"] == "burst"]
    bursts = bursts[~bursts["key"].isin(_UNASSIGNED_KEYS)] if len(bursts) else bursts
    if bursts.empty:
        fig = _empty_figure(title, "no bursts found")
        fig.update_layout(meta={"items": []})
        return fig
    colors = _colors_for(bursts, colors)
    ordered = bursts.sort_values("strength", ascending=False, kind="stable")
    shown = ordered.head(top) if top else ordered
    names = [
        f"{_name(k, lab)} ({a}–{b})" if a != b else f"{_name(k, lab)} ({a})"
        for k, lab, a, b in zip(shown["key"], shown["label"], shown["start"], shown["end"], strict=True)
    ]
    duration_ms = (shown["bin_end"] - shown["bin_start"]).dt.total_seconds().to_numpy() * 1000
    ratio = shown["ratio"] if "ratio" in shown.columns else [float("nan")] * len(shown)
    custom = _custom(names, shown["start"], shown["end"], shown["strength"], shown["papers"], ratio)
    fig = go.Figure(
        go.Bar(
            orientation="h",
            base=shown["bin_start"],
            x=duration_ms,
            y=names,
            marker={"color": [colors.get(k, OTHER_COLOR) for k in shown["key"]]},
            customdata=custom,
            hovertemplate="%{customdata[0]}<br>burst %{customdata[1]} to %{customdata[2]}: "
            "%{customdata[5]:.1f}× its usual share<br>"
            "strength %{customdata[3]:.1f}, %{customdata[4]:,} papers<extra></extra>",
            showlegend=False,
        )
    )
    n = len(bursts)
    _layout(
        fig,
        title,
        f"{n} burst{'s' * (n != 1)}"
        + (f", strongest {len(shown)} shown" if len(shown) < n else "")
        + "; a run above the usual share over most of the range is a level, not a burst",
        xaxis={"title": "time", "type": "date"},
        yaxis={"title": what, "autorange": "reversed", "type": "category"},
        meta={"items": [str(k) for k in shown["key"]]},
        height=max(320, 140 + 28 * len(shown)),
    )
    return fig


def emerging_figure(emerging, top: int = 15, title: str | None = None):
    """Bar chart of a ranked list (the emerging or fading list of
    :mod:`landscape.analysis.trends`): the three components of the ranking score stacked, the score
    marked, first item on top. ``layout.meta["items"]`` lists the keys drawn, in order."""
    import plotly.graph_objects as go

    what = "research areas" if emerging.attrs.get("by") == "area" else "topics"
    verdict = emerging.attrs.get("verdict", "emerging")
    title = title or f"{verdict.capitalize()} {what}: ranking score"
    if emerging.empty:
        fig = _empty_figure(title, f"no {verdict} {what}")
        fig.update_layout(meta={"items": []})
        return fig
    shown = emerging.head(top)
    names = [_name(k, lab) for k, lab in zip(shown["key"], shown["label"], strict=True)]
    custom = _custom(
        names,
        shown["slope"],
        shown["slope_low"],
        shown["slope_high"],
        [_esc(v) for v in shown["verdict"]],
        shown["burst_strength"],
        shown["novelty"],
        shown["recent_papers"],
        shown["papers"],
        shown["share_first"],
        shown["share_last"],
    )
    hover = (
        "%{customdata[0]}<br>score %{x:.2f} (%{customdata[4]})<br>share %{customdata[9]:.1%} → "
        "%{customdata[10]:.1%}<br>fitted change %{customdata[1]:+.2f} [%{customdata[2]:.2f}, "
        "%{customdata[3]:.2f}] log-odds per bin<br>recent burst strength %{customdata[5]:.1f}<br>"
        "novelty %{customdata[6]:.2f} (%{customdata[7]:,} recent papers)<extra></extra>"
    )
    fig = go.Figure()
    for column, name, color in (
        ("growth_score", "growth", "#1F77B4"),
        ("burst_score", "recent burst", "#D62728"),
        ("novelty_score", "novelty", "#2CA02C"),
    ):
        fig.add_trace(
            go.Bar(
                orientation="h",
                x=shown[column],
                y=names,
                name=name,
                marker={"color": color},
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=shown["score"],
            y=names,
            mode="markers",
            name="score",
            marker={"symbol": "diamond", "size": 10, "color": "black"},
            customdata=custom,
            hovertemplate=hover,
        )
    )
    recent = emerging.attrs.get("recent_start")
    _layout(
        fig,
        title,
        "score = growth + recent burst + novelty, each scaled by its spread across topics (0 = nothing)"
        + (f"; recent = from {recent}" if recent else ""),
        barmode="relative",
        xaxis_title="score",
        yaxis={"title": "", "type": "category", "autorange": "reversed"},
        meta={"items": [str(k) for k in shown["key"]]},
        height=max(320, 160 + 30 * len(shown)),
    )
    return fig


# ---- topic views (BERTopic-style) ----------------------------------------------------------------
def term_weight_bars(weights, title: str | None = None, columns: int = 3):
    """Horizontal bars of each topic's keyword weights (c-TF-IDF), one panel per topic, from
    :func:`landscape.analysis.topic_terms.term_weights`."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    title = title or "Keyword weights per topic (c-TF-IDF)"
    if weights.empty:
        return _empty_figure(title, "no keywords")
    topic_ids = list(dict.fromkeys(weights["topic"]))
    cols = max(1, min(int(columns), len(topic_ids)))
    rows = -(-len(topic_ids) // cols)
    labels = weights.drop_duplicates("topic").set_index("topic")["label"]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[_name(t, labels[t], 40) for t in topic_ids],
        horizontal_spacing=0.25 / cols + 0.08,
        vertical_spacing=0.3 / rows,
    )
    colors = topic_colors(topic_ids)
    for i, t in enumerate(topic_ids):
        part = weights[weights["topic"] == t].iloc[::-1]  # heaviest on top
        fig.add_trace(
            go.Bar(
                x=part["weight"],
                y=[_esc(term) for term in part["term"]],
                orientation="h",
                marker_color=colors[int(t)],
                customdata=_custom(part["papers"]),
                hovertemplate="%{y}: weight %{x:.3f}, in %{customdata[0]} papers<extra></extra>",
                showlegend=False,
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    _layout(fig, title, "longer bar = more distinctive of the topic", height=110 + 300 * rows)
    return fig


def similarity_heatmap(similarity, title: str | None = None):
    """Topic-by-topic cosine similarity of centroids, from
    :func:`landscape.analysis.topic_relations.similarity_matrix` (its order kept)."""
    import plotly.graph_objects as go

    title = title or "Topic similarity (cosine of topic centroids)"
    labels = similarity.attrs.get("labels", {})
    names = [_name(t, labels.get(t, t), 40) for t in similarity.index]
    n = len(names)
    fig = go.Figure(
        go.Heatmap(
            z=similarity.to_numpy(),
            x=names,
            y=names,
            colorscale="Blues",
            zmax=1.0,
            hovertemplate="%{y}<br>%{x}<br>similarity %{z:.2f}<extra></extra>",
            colorbar={"title": {"text": "cosine"}},
        )
    )
    _layout(
        fig,
        title,
        f"{n} topics, similar ones next to each other; darker = closer in meaning",
        height=max(450, 200 + 22 * n),
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -45},
    )
    return fig


def hierarchy_dendrogram(tree, title: str | None = None):
    """The topics' merge tree with the distance of each merge, from
    :func:`landscape.analysis.topic_relations.merge_tree`; a dashed line marks where the tree is
    cut into the landscape's parent topics."""
    import plotly.graph_objects as go
    from scipy.cluster.hierarchy import dendrogram

    title = title or "Topic hierarchy: which topics merge, and at what distance"
    ids, labels = tree.attrs["topics"], tree.attrs["labels"]
    d = dendrogram(
        tree.attrs["linkage"],
        no_plot=True,
        labels=[_name(t, lab, 50) for t, lab in zip(ids, labels, strict=True)],
    )
    fig = go.Figure()
    for xs, ys in zip(d["dcoord"], d["icoord"], strict=True):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "#4C78A8", "width": 1.5},
                hovertemplate=f"merge at distance {xs[1]:.3f}<extra></extra>",
                showlegend=False,
            )
        )
    cut = tree.attrs.get("parent_cut")
    if cut is not None:
        fig.add_vline(
            x=cut,
            line_dash="dash",
            line_color="#E45756",
            annotation_text="parents",
            annotation_position="top",
        )
    n = len(d["ivl"])
    _layout(
        fig,
        title,
        "Ward linkage of topic centroids; merges further right join less similar topics",
        height=max(400, 160 + 24 * n),
        xaxis={"title": {"text": "merge distance"}, "zeroline": False},
        yaxis={
            "tickvals": [5 + 10 * i for i in range(n)],
            "ticktext": d["ivl"],
            "range": [0, 10 * n],
            "zeroline": False,
            "showgrid": False,
        },
    )
    return fig
