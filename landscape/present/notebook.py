"""What the notebooks need beyond a figure call, kept here so the notebooks stay thin and tested.

- :func:`setup`: plotly figures as inline HTML with plotly.js sent once, so figures survive
  Papermill and nbconvert (plotly's default Jupyter output is a JSON mimetype that nbconvert drops)
  and reports never load anything from the network.
- :func:`open_landscape`: the landscape named by a notebook's parameters, opened from a directory
  or built (once, then reused) from corpus files.
- :func:`pick_topic`, :func:`neighbour_topics`, :func:`topic_papers`: the deep dive's choices.
- :func:`heading`, :func:`topic_table`, :func:`papers_table`, :func:`frame_table`,
  :func:`summary`: escaped HTML (templates in ``landscape/present/templates/``); paper text never becomes
  markup and only http(s) links are made.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.model.geometry import unit_rows
from landscape.schema import DEFAULT_RANDOM_STATE

RENDERER = "landscape_inline"
BUILD_STAMP = ".built-from.json"
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

    return pio.to_html(
        fig,
        include_plotlyjs=_take_plotly_js(),
        full_html=False,
        config={k: v for k, v in PLOT_CONFIG.items() if k != "scrollZoom"},
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


# ---- opening or building the landscape -----------------------------------------------------------
def resolve_paths(paths, what: str = "corpus file") -> list[Path]:
    """Paths as given (relative to the working directory) made absolute, or a clear error."""
    if paths is None:
        return []
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found = []
    for item in items:
        path = Path(item).expanduser()
        if not path.exists():
            raise LandscapeError(f"{item}: no such {what}")
        found.append(path.resolve())
    return found


def inputs_key(paths, *, random_state, taxonomy=None) -> str:
    """A hash of what a build depends on: the corpus files' bytes, the seed and the taxonomy file."""
    from landscape import __version__

    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes())
        h.update(b"\x1e")
    h.update(f"{random_state}|{__version__}".encode())
    if taxonomy:
        h.update(Path(taxonomy).read_bytes())
    return h.hexdigest()


def default_work_dir() -> Path:
    """Where notebooks keep the landscapes they build: ``$LANDSCAPE_BUILD_DIR``, else
    ``~/.cache/landscape/landscapes`` (beside the embedding cache)."""
    env = os.environ.get("LANDSCAPE_BUILD_DIR")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "landscape" / "landscapes"


def build_or_load(
    inputs,
    landscape_dir,
    *,
    random_state: int = DEFAULT_RANDOM_STATE,
    taxonomy=None,
    rebuild: bool = False,
    log=None,
):
    """The landscape of ``inputs`` saved in ``landscape_dir``: reused when it was built from the same
    files, seed and taxonomy (a stamp file records them), built otherwise."""
    from landscape.store import Landscape

    paths = resolve_paths(inputs)
    if not paths:
        raise LandscapeError("no corpus file given: set `corpus` or `landscape_dir`")
    taxonomy_path = str(resolve_paths(taxonomy, "taxonomy file")[0]) if taxonomy else None
    key = inputs_key(paths, random_state=random_state, taxonomy=taxonomy_path)
    landscape_dir = Path(landscape_dir)
    stamp = landscape_dir / BUILD_STAMP
    if not rebuild and stamp.exists():
        try:
            same = json.loads(stamp.read_text(encoding="utf-8")).get("key") == key
        except ValueError:
            same = False
        if same:
            return Landscape.load(landscape_dir)
    from landscape.pipeline.build import build

    land = build(
        [str(p) for p in paths], landscape_dir, random_state=random_state, taxonomy=taxonomy_path, log=log
    )
    record = {
        "key": key,
        "inputs": [str(p) for p in paths],
        "random_state": random_state,
        "taxonomy": taxonomy_path,
    }
    stamp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return land


def open_landscape(
    landscape_dir=None,
    corpus=None,
    *,
    random_state: int = DEFAULT_RANDOM_STATE,
    taxonomy=None,
    work_dir=None,
    log=None,
):
    """The landscape a notebook's parameters name.

    With ``landscape_dir`` the saved landscape is opened (``corpus`` is then ignored). Otherwise the
    corpus file(s) are built into ``work_dir`` (default :func:`default_work_dir`), in a folder named
    after the inputs' hash, so running the notebook again reuses the build.
    """
    from landscape.store import Landscape

    if landscape_dir:
        return Landscape.load(Path(landscape_dir).expanduser())
    paths = resolve_paths(corpus)
    if not paths:
        raise LandscapeError("set `landscape_dir` (a saved landscape) or `corpus` (corpus files to build)")
    taxonomy_path = str(resolve_paths(taxonomy, "taxonomy file")[0]) if taxonomy else None
    key = inputs_key(paths, random_state=random_state, taxonomy=taxonomy_path)
    target = Path(work_dir or default_work_dir()).expanduser() / f"{paths[0].stem}-{key[:12]}"
    return build_or_load(paths, target, random_state=random_state, taxonomy=taxonomy_path, log=log or print)


# ---- choosing topics ------------------------------------------------------------------------------
def _words(text) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower())


def _keywords(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        return []


def pick_topic(land, topic=None, query: str | None = None) -> int:
    """A topic id: ``topic`` itself (checked), else the best match for ``query``, else the largest topic.

    A query matches words of topic labels (weight 3), keywords (2) and the share of the topic's
    paper titles that contain them; ties go to the larger topic.
    """
    topics = land.topics
    if topics.empty:
        raise LandscapeError("this landscape has no topics")
    if topic is not None:
        try:
            number = int(topic)
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(topic, bool) or str(number) != str(topic).strip():
            raise LandscapeError(f"topic must be a topic number; got {topic!r}")
        return int(land.topic(number)["topic"])
    if not query or not str(query).strip():
        return int(topics.sort_values(["size", "topic"], ascending=[False, True]).iloc[0]["topic"])
    terms = set(_words(query))
    if not terms:
        raise LandscapeError(f"query {query!r} has no words to match")
    docs = land.documents
    title_words = docs["title"].fillna("").map(lambda t: set(_words(t)))
    best = None
    for row in topics.itertuples(index=False):
        label_words = set(_words(row.label))
        keyword_words = {w for k in _keywords(row.keywords) for w in _words(k)}
        members = title_words[docs["topic"] == row.topic]
        title_share = (
            sum(len(terms & words) for words in members) / (len(members) * len(terms))
            if len(members)
            else 0.0
        )
        score = 3 * len(terms & label_words) + 2 * len(terms & keyword_words) + title_share
        candidate = (score, int(row.size), -int(row.topic))
        if best is None or candidate > best:
            best = candidate
    if best[0] <= 0:
        sample = ", ".join(
            f"{t} ({lab})" for t, lab in zip(topics["topic"][:5], topics["label"][:5], strict=True)
        )
        raise LandscapeError(f"no topic matches the query {query!r}; topics include {sample}")
    return -best[2]


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
    ids = _keywords(land.topic(int(topic)).get("representative_ids"))
    by_id = papers.set_index("id", drop=False)
    chosen = [i for i in ids if i in by_id.index]
    return by_id.loc[chosen].reset_index(drop=True).head(n) if chosen else papers.head(n)


# ---- escaped HTML -------------------------------------------------------------------------------
def safe_url(url) -> str | None:
    """``url`` if it is an http(s) link, else None: a paper's url field is untrusted."""
    text = str(url or "").strip()
    return text if re.match(r"^https?://[^\s\"'<>]+$", text, flags=re.IGNORECASE) else None


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
        reps = [paper[i] for i in _keywords(row.get("representative_ids"))[:representatives] if i in paper]
        rows.append(
            [
                str(row["topic"]),
                str(row.get("label", "")),
                f"{int(row.get('size', 0)):,}",
                str(row.get("area", "")),
                str(row.get("group_label", row.get("group", ""))),
                ", ".join(_keywords(row.get("keywords"))[:keywords]),
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
    )


def quality_panel(land):
    """The quality panel: the numbers recorded when the landscape was built (computed when an older
    landscape lacks them), as an escaped table (:func:`landscape.present.quality_text.quality_table`)."""
    from landscape.present.quality_text import quality_table

    table = quality_table(land)[["metric", "shown", "note"]].rename(columns={"shown": "value"})
    return frame_table(table, caption="Topic quality, measured when the landscape was built")


def topic_card(land, topic: int):
    """One topic at a glance: label, papers (and share of the corpus), area, group, keywords."""
    row = land.topic(int(topic))
    n = len(land.documents)
    size = int(row.get("size", len(land.papers(int(topic)))))
    parent = row.get("group_label", row.get("group", ""))
    return _render(
        "topic_card.html.j2",
        topic=int(topic),
        label=str(row.get("label", "")),
        size=size,
        share=size / n if n else 0.0,
        area=str(row.get("area", "")),
        parent=str(parent) if parent is not None else "",
        keywords=_keywords(row.get("keywords")),
    )
