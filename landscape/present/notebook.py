"""What the notebooks need beyond a figure call, kept here so the notebooks stay thin and tested.

- :func:`setup`: plotly figures as inline HTML with plotly.js sent once, so figures survive
  Papermill and nbconvert (plotly's default Jupyter output is a JSON mimetype that nbconvert drops)
  and reports never load anything from the network.
- :func:`open_landscape` (from :mod:`landscape.present.opening`): the landscape named by a
  notebook's parameters, opened from a directory or built (once, then reused) from corpus files.
- :func:`choose_topic`, :func:`topic_choice`, :func:`neighbour_topics`, :func:`topic_papers`: the
  deep dive's choices, and why.
- :func:`heading`, :func:`topic_table`, :func:`papers_table`, :func:`frame_table`,
  :func:`summary`: escaped HTML (templates in ``landscape/present/templates/``); paper text never becomes
  markup and only http(s) links are made.
"""

from __future__ import annotations

from landscape.analysis.topic_search import as_list
from landscape.errors import LandscapeError
from landscape.model.geometry import unit_rows
from landscape.present.curation_text import curation_line, shown_group, shown_label
from landscape.present.html import safe_url
from landscape.present.opening import open_landscape  # noqa: F401  (the notebooks' entry point)
from landscape.schema import CURATED_COLUMN

RENDERER = "landscape_inline"
FIGURE_HEIGHT = 500  # pixels, for figures that set no height of their own
_state = {"plotly_js_sent": False}


# ---- plotly in notebooks -----------------------------------------------------------------------
def plotly_js_html() -> str:
    """plotly.js as one inline script (about 4.8 MB): nothing is fetched when the page opens."""
    from plotly.offline import get_plotlyjs

    return (
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>\n'
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
    )


def _take_plotly_js() -> bool:
    """True the first time in this kernel: the caller must put plotly.js on the page."""
    first = not _state["plotly_js_sent"]
    _state["plotly_js_sent"] = True
    return first


def figure_html(fig) -> str:
    """A plotly figure as an HTML fragment; plotly.js inlined only the first time in this kernel."""
    import plotly.io as pio

    from landscape.present.maps import PLOT_CONFIG

    height = (fig.get("layout") or {}).get("height") if isinstance(fig, dict) else fig.layout.height
    return pio.to_html(
        fig,
        include_plotlyjs=_take_plotly_js(),
        full_html=False,
        config={k: v for k, v in PLOT_CONFIG.items() if k != "scrollZoom"},
        # plotly's default div height is 100%: inside JupyterLab's auto-height output area that is
        # 0 px and the figure collapses; a height in pixels holds in JupyterLab and exported HTML
        default_height=f"{height or FIGURE_HEIGHT}px",
    )


def _display_figure(fig) -> bool:
    from IPython.display import display

    display({"text/html": figure_html(fig), "text/plain": "<plotly figure>"}, raw=True)
    return True


def _renderer_class():
    import plotly.io as pio

    class InlineHtmlRenderer(pio.base_renderers.MimetypeRenderer):
        """Figures as ``text/html`` that nbconvert keeps; plotly.js inlined only in the first one."""

        def to_mimebundle(self, fig_dict):
            return {"text/html": figure_html(fig_dict)}

    return InlineHtmlRenderer


def setup(*, plotly_js: bool = True) -> None:
    """Make plotly figures in this notebook render offline, under Papermill and in exported HTML.

    In IPython, figures get a display formatter that returns inline HTML: plotly's own renderers
    would give a JSON mimetype that nbconvert drops (and importing them costs seconds per kernel,
    through nbformat and jsonschema). Elsewhere an inline-HTML renderer becomes plotly's default.
    With ``plotly_js``, plotly.js is displayed once (an invisible output) for every later figure.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        from plotly.basedatatypes import BaseFigure

        # plotly figures display themselves through `_ipython_display_` and plotly's renderers;
        # a printer for that hook comes first and shows inline HTML instead
        shell.display_formatter.ipython_display_formatter.for_type(BaseFigure, _display_figure)
    else:
        import plotly.io as pio

        pio.renderers[RENDERER] = _renderer_class()()
        pio.renderers.default = RENDERER
    if plotly_js:
        from IPython.display import HTML, display

        _state["plotly_js_sent"] = True
        display(HTML(plotly_js_html()))


def show_map(land, **kwargs):
    """The interactive map with its search box and time filter, for display in a notebook."""
    from IPython.display import HTML

    from landscape.present.maps import landscape_map, map_html

    fig = landscape_map(land, **kwargs)
    return HTML(map_html(fig, include_plotlyjs=_take_plotly_js()))


# ---- choosing topics ------------------------------------------------------------------------------
def choose_topic(land, topic=None, *, k: int = 5):
    """The deep dive's topic: ``topic`` as an id, a label or free text matched by meaning
    (:func:`landscape.analysis.topic_search.find_topic`); None: the largest topic."""
    from landscape.analysis.topic_search import find_topic

    return find_topic(land, topic, k=k)


def topic_choice(match):
    """Why this topic is shown: how it was chosen, a warning when the match is weak, and the
    candidates with their scores (similarity by meaning, word matches, the score they add up to)."""
    from IPython.display import HTML

    from landscape.analysis.topic_search import WEAK_SIMILARITY, WORD_WEIGHT

    best = match.candidates.iloc[0] if match.candidates is not None else None
    best_similarity = best["similarity"] if best is not None else 0.0
    html = _render(
        "topic_choice.html.j2",
        message=match.message,
        weak=match.weak,
        query=match.query or "",
        best=0.0 if best_similarity != best_similarity else float(best_similarity),
        threshold=WEAK_SIMILARITY,
        notes=match.notes,
    ).data
    if match.candidates is not None:
        caption = (
            f"Candidates for {match.query!r}: score = similarity (meaning) + {WORD_WEIGHT} × words "
            "(query words in the label, keywords and papers)"
        )
        html += frame_table(match.candidates, caption=caption).data
    return HTML(html)


def neighbour_topics(land, topic: int, k: int = 5):
    """The ``k`` topics nearest to ``topic``: cosine similarity of topic centroids in embedding space,
    or closeness on the map when the landscape has no centroids. Columns: ``topic, label, area,
    size, similarity``."""
    import numpy as np

    topics = land.topics.reset_index(drop=True)
    matches = np.flatnonzero(topics["topic"].to_numpy() == int(topic))
    if not len(matches):
        raise LandscapeError(f"no topic {topic} in this landscape")
    i = int(matches[0])
    centroids = getattr(land, "centroids", None)
    if centroids is not None and len(centroids) == len(topics):
        c = unit_rows(centroids).astype("float64")
        similarity = c @ c[i]
        measure = "cosine similarity of topic centroids"
    else:
        docs = land.documents
        pos = docs.groupby("topic")[["x", "y"]].median().reindex(topics["topic"]).to_numpy(dtype="float64")
        distance = np.linalg.norm(pos - pos[i], axis=1)
        similarity = 1.0 / (1.0 + distance)
        measure = "closeness on the map, 1 / (1 + distance)"
    order = [j for j in np.argsort(-similarity, kind="stable") if j != i][: max(int(k), 0)]
    out = topics.iloc[order][["topic", "label", "area", "size"]].copy()
    out["similarity"] = np.round(similarity[order], 3)
    out.attrs["measure"] = measure
    return out.reset_index(drop=True)


def topic_papers(land, topic: int, *, kind: str = "representative", n: int = 10):
    """A topic's papers: ``"representative"`` (the topic model's choice, in its order) or ``"recent"``
    (newest first)."""
    import pandas as pd

    if kind not in ("representative", "recent"):
        raise LandscapeError(f"kind must be 'representative' or 'recent'; got {kind!r}")
    papers = land.papers(int(topic))
    if kind == "recent":
        dates = pd.to_datetime(papers["date"], errors="coerce") if "date" in papers.columns else None
        if dates is None:
            return papers.head(n)
        return (
            papers.assign(_d=dates)
            .sort_values("_d", ascending=False, na_position="last")
            .drop(columns="_d")
            .head(n)
        )
    ids = as_list(land.topic(int(topic)).get("representative_ids"))
    by_id = papers.set_index("id", drop=False)
    chosen = [i for i in ids if i in by_id.index]
    return by_id.loc[chosen].reset_index(drop=True).head(n) if chosen else papers.head(n)


# ---- escaped HTML -------------------------------------------------------------------------------
def _render(template: str, **context):
    from IPython.display import HTML

    from landscape.present.html import template_environment

    return HTML(template_environment().get_template(template).render(**context))


def heading(text, level: int = 2):
    """A heading whose text is shown as text, whatever characters it holds."""
    if level not in (1, 2, 3, 4):
        raise LandscapeError(f"level must be 1 to 4; got {level!r}")
    return _render("heading.html.j2", text=str(text), level=level)


def _date_text(value, precision=None) -> str:
    import pandas as pd

    date = pd.to_datetime(value, errors="coerce")
    if pd.isna(date):
        return ""
    fmt = {"year": "%Y", "month": "%Y-%m"}.get(precision if isinstance(precision, str) else "", "%Y-%m-%d")
    return date.strftime(fmt)


def _paper_cell(row) -> dict:
    return {"text": str(row.get("title", "")), "href": safe_url(row.get("url"))}


def papers_table(papers, *, caption: str | None = None):
    """Papers as a table: title (linked when the paper has an http(s) url), date, id."""
    rows = [
        [_paper_cell(r), _date_text(r.get("date"), r.get("date_precision")), str(r.get("id", ""))]
        for r in papers.to_dict("records")
    ]
    return _render("table.html.j2", caption=caption, columns=["title", "date", "id"], rows=rows)


def topic_table(land, top_n: int | None = None, *, representatives: int = 3, keywords: int = 8):
    """The topic table: topic, label, size, area, group, keywords and representative papers (linked)."""
    topics = land.topics.sort_values(["size", "topic"], ascending=[False, True], kind="stable")
    if top_n is not None:
        topics = topics.head(int(top_n))
    docs = land.documents.drop_duplicates("id")
    paper = {
        r["id"]: _paper_cell(r)
        for r in docs[[c for c in ("id", "title", "url") if c in docs]].to_dict("records")
    }
    rows = []
    for row in topics.to_dict("records"):
        reps = [paper[i] for i in as_list(row.get("representative_ids"))[:representatives] if i in paper]
        marks = row.get(CURATED_COLUMN)
        rows.append(
            [
                str(row["topic"]),
                shown_label(row.get("label", ""), marks),
                f"{int(row.get('size', 0)):,}",
                str(row.get("area", "")),
                shown_group(row.get("group_label", row.get("group", "")), marks),
                ", ".join(as_list(row.get("keywords"))[:keywords]),
                reps,
            ]
        )
    columns = ["topic", "label", "papers", "area", "group", "keywords", "representative papers"]
    caption = f"{len(rows)} of {len(land.topics)} topics, largest first"
    return _render("table.html.j2", caption=caption, columns=columns, rows=rows)


def frame_table(frame, *, caption: str | None = None, columns=None, floats: str = "{:.3g}"):
    """Any DataFrame as an escaped table (numbers formatted, text shown as text)."""
    import numbers

    columns = list(columns or frame.columns)

    def cell(value):
        if isinstance(value, float) and value != value:
            return ""
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return f"{value:,}"
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return floats.format(value)
        if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
            return ", ".join(map(str, value))
        return "" if value is None else str(value)

    rows = [[cell(v) for v in record] for record in frame[columns].itertuples(index=False, name=None)]
    return _render("table.html.j2", caption=caption, columns=columns, rows=rows)


def summary(land):
    """One line about the landscape: name, papers, topics, unassigned share, dates, seed."""
    meta = land.meta or {}
    dates = meta.get("date_range") or [None, None]
    return _render(
        "summary.html.j2",
        name=land.name,
        papers=len(land.documents),
        topics=len(land.topics),
        outliers=land.outlier_share,
        first=dates[0],
        last=dates[1],
        seed=meta.get("random_state"),
        created=meta.get("created"),
        curation=curation_line(meta),
    )


def quality_panel(land):
    """The quality panel: the numbers recorded when the landscape was built (computed when an older
    landscape lacks them), as an escaped table (:func:`landscape.present.quality_text.quality_table`)."""
    from landscape.present.quality_text import quality_table

    table = quality_table(land)[["metric", "shown", "note"]].rename(columns={"shown": "value"})
    updates = len((getattr(land, "meta", None) or {}).get("updates") or [])
    when = f"after the last of {updates} update(s)" if updates else "when the landscape was built"
    return frame_table(table, caption=f"Topic quality, measured {when}")


def topic_card(land, topic: int):
    """One topic at a glance: label, papers (and share of the corpus), area, group, keywords."""
    row = land.topic(int(topic))
    n = len(land.documents)
    size = int(row.get("size", len(land.papers(int(topic)))))
    parent = row.get("group_label", row.get("group", ""))
    return _render(
        "topic_card.html.j2",
        topic=int(topic),
        label=shown_label(row.get("label", ""), row.get(CURATED_COLUMN)),
        size=size,
        share=size / n if n else 0.0,
        area=str(row.get("area", "")),
        parent=str(parent) if parent is not None else "",
        keywords=as_list(row.get("keywords")),
    )
