"""A living landscape: fetch what is new since the last run, then update the landscape (or rebuild
it when due) — the data half of ``landscape refresh CONFIG.yaml`` (the reports and the "what
changed" page are :mod:`landscape.present.living`).

The config (YAML; paths relative to the config file)::

    name: Machine unlearning and RAG      # the landscape's name (optional)
    since: 2025-01-01                     # the first run fetches from this date
    landscape: landscape                  # the saved landscape (built on the first run)
    reports: reports                      # where the HTML reports go
    data: data                            # fetched batches, pages kept for resuming, refresh.json
    inputs: [seed.csv]                    # optional: corpus files the landscape starts from
    notebooks: [landscape_map, topic_trends]   # optional: which reports (default: all)
    overlap_days: 7                       # re-ask this many days before the last run's end
    random_state: 42                      # optional, for builds and rebuilds
    sources:
      - source: arxiv                     # arxiv, openalex or hf-papers (landscape.fetch)
        query: 'abs:"machine unlearning"'
        max_results: 2000                 # optional
      - source: openalex
        query: machine unlearning

One run (:func:`refresh_landscape`):

1. **fetch** each source for the window from the last run's end (less ``overlap_days``: arXiv
   back-fills its listings) to today, politely and resumably (``landscape.fetch``: pages are kept
   in ``data/incoming.parquet.pages/`` until the batch is written, so a failed run resumes);
2. **new papers**: those the landscape does not hold (same id or normalised title). None: nothing
   is written, the fetched batch is dropped, and the run says so;
3. **update** the landscape with the batch (kept as ``data/batches/<date>.parquet``), or **build**
   it on the first run; when the update says a rebuild is due
   (:data:`landscape.pipeline.update.REBUILD_ADDED_SHARE`), **rebuild** from ``inputs`` and every
   batch, keeping topic ids and names (``build --like``);
4. **what changed**: :func:`landscape.analysis.compare.compare_landscapes` of the landscape before
   and after, and the new papers per topic, saved as ``data/changes/<date>.json``;
5. ``data/refresh.json`` records the run (window per source, papers fetched and added, action).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.schema import DEFAULT_RANDOM_STATE, UNASSIGNED_TOPIC

STATE_FILE = "refresh.json"
INCOMING = "incoming.parquet"
BATCHES = "batches"
CHANGES = "changes"
DEFAULT_OVERLAP_DAYS = 7
# Topics listed as "grew most" on the what-changed page.
TOP_GROWN = 10
# New papers listed per topic on the what-changed page (the rest are counted).
PAPERS_PER_TOPIC = 20

CONFIG_KEYS = {
    "name",
    "since",
    "landscape",
    "reports",
    "data",
    "inputs",
    "notebooks",
    "overlap_days",
    "random_state",
    "taxonomy",
    "sources",
}
SOURCE_KEYS = {"source", "query", "max_results", "base_url"}


@dataclass
class RefreshConfig:
    """A parsed refresh config (module doc); paths are absolute."""

    path: Path
    since: date
    landscape: Path
    reports: Path
    data: Path
    sources: list[dict]
    name: str | None = None
    inputs: list[Path] = field(default_factory=list)
    notebooks: list[str] | None = None
    overlap_days: int = DEFAULT_OVERLAP_DAYS
    random_state: int = DEFAULT_RANDOM_STATE
    taxonomy: Path | None = None


@dataclass
class RefreshResult:
    """What one run did. ``action``: ``built``, ``updated``, ``rebuilt`` or ``nothing new``."""

    action: str
    fetched: int
    added: int
    windows: dict
    message: str
    changes: dict | None = None
    record: dict | None = None
    batch: Path | None = None

    @property
    def changed(self) -> bool:
        return self.action != "nothing new"


# ---- config --------------------------------------------------------------------------------------
def load_config(path) -> RefreshConfig:
    """Read and check a refresh config; a bad one fails with one line naming the file and field."""
    import yaml

    from landscape.fetch import SOURCES

    path = Path(path).resolve()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LandscapeError(f"{path}: cannot read the refresh config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise LandscapeError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise LandscapeError(f"{path}: a refresh config is a mapping (see landscape.pipeline.refresh)")

    def bad(key, why):
        return LandscapeError(f"{path}, field '{key}': {why}")

    unknown = sorted(set(raw) - CONFIG_KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown key; known: {', '.join(sorted(CONFIG_KEYS))}")
    for key in ("since", "landscape", "reports", "data", "sources"):
        if raw.get(key) in (None, ""):
            raise bad(key, "missing")
    try:
        since = raw["since"] if isinstance(raw["since"], date) else date.fromisoformat(str(raw["since"]))
    except ValueError:
        raise bad("since", f"not a date (YYYY-MM-DD): {raw['since']!r}") from None
    if not isinstance(raw["sources"], list) or not raw["sources"]:
        raise bad("sources", "a list of {source, query} entries")
    sources = []
    for i, entry in enumerate(raw["sources"], 1):
        where = f"sources[{i}]"
        if not isinstance(entry, dict):
            raise bad(where, "a mapping with 'source' and 'query'")
        extra = sorted(set(entry) - SOURCE_KEYS)
        if extra:
            raise bad(f"{where}.{extra[0]}", f"unknown key; known: {', '.join(sorted(SOURCE_KEYS))}")
        if entry.get("source") not in SOURCES:
            raise bad(f"{where}.source", f"one of {', '.join(SOURCES)}, got {entry.get('source')!r}")
        if entry["source"] != "hf-papers" and not str(entry.get("query") or "").strip():
            raise bad(f"{where}.query", "missing")
        n = entry.get("max_results")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise bad(f"{where}.max_results", f"a whole number >= 1, got {n!r}")
        sources.append(dict(entry))
    overlap = raw.get("overlap_days", DEFAULT_OVERLAP_DAYS)
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 0:
        raise bad("overlap_days", f"a whole number of days >= 0, got {overlap!r}")
    seed = raw.get("random_state", DEFAULT_RANDOM_STATE)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise bad("random_state", f"an integer, got {seed!r}")
    inputs = raw.get("inputs") or []
    if not isinstance(inputs, list):
        raise bad("inputs", "a list of corpus files")
    notebooks = raw.get("notebooks")
    if notebooks is not None and (not isinstance(notebooks, list) or not notebooks):
        raise bad("notebooks", "a list of report notebook names")

    def here(value):
        return (path.parent / str(value)).resolve()

    return RefreshConfig(
        path=path,
        since=since,
        landscape=here(raw["landscape"]),
        reports=here(raw["reports"]),
        data=here(raw["data"]),
        sources=sources,
        name=raw.get("name"),
        inputs=[here(p) for p in inputs],
        notebooks=notebooks,
        overlap_days=overlap,
        random_state=seed,
        taxonomy=here(raw["taxonomy"]) if raw.get("taxonomy") else None,
    )


# ---- state ---------------------------------------------------------------------------------------
def read_state(config: RefreshConfig) -> dict:
    """``data/refresh.json``: ``sources`` (key -> last day fetched), ``runs`` (one entry per run)."""
    path = config.data / STATE_FILE
    if not path.exists():
        return {"sources": {}, "runs": []}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise LandscapeError(
            f"{path}: not valid JSON ({exc}); delete it to start the windows again"
        ) from None


def _write_json(path: Path, value) -> None:
    from landscape.corpus.io import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(value, indent=1, default=str) + "\n")


def source_key(entry: dict) -> str:
    """One source of the config, as a key of the state (the same query asked again resumes)."""
    return f"{entry['source']}:{entry.get('query', '')}"


# ---- fetch ---------------------------------------------------------------------------------------
def window(config: RefreshConfig, state: dict, entry: dict, today: date) -> tuple[date, date]:
    """Days to fetch for one source: from its last fetched day (less the overlap) to today."""
    last = state.get("sources", {}).get(source_key(entry))
    start = config.since if last is None else date.fromisoformat(last) - timedelta(days=config.overlap_days)
    return max(start, config.since), today


def fetch_source(entry: dict, date_from: date, date_to: date, pages_dir, log, quiet: bool):
    """One source's papers of the window (a corpus DataFrame), or None when it has none."""
    from landscape.errors import NoResults
    from landscape.fetch import fetch_arxiv, fetch_hf_papers, fetch_openalex

    common = {"base_url": entry.get("base_url"), "pages_dir": pages_dir, "log": log, "quiet": quiet}
    try:
        if entry["source"] == "arxiv":
            return fetch_arxiv(
                entry["query"],
                date_from=date_from,
                date_to=date_to,
                max_results=entry.get("max_results"),
                **common,
            )
        if entry["source"] == "openalex":
            return fetch_openalex(
                entry["query"],
                from_year=date_from.year,
                to_year=date_to.year,
                max_results=entry.get("max_results"),
                **common,
            )
        return fetch_hf_papers(date_from, date_to, **common)
    except NoResults:
        return None


def _fetched_until(frame, entry: dict, date_to: date) -> date:
    """Where the next window starts: today, unless ``max_results`` cut the window short (then the
    newest paper received, so the rest comes next time)."""
    cap = entry.get("max_results")
    if frame is not None and cap and len(frame) >= cap and frame["date"].notna().any():
        return min(frame["date"].max().date(), date_to)
    return date_to


# ---- the run -------------------------------------------------------------------------------------
def refresh_landscape(config, *, today: date | None = None, log=None, quiet: bool = False) -> RefreshResult:
    """One refresh run (module doc). ``config``: a :class:`RefreshConfig` or the YAML path;
    ``today``: the window's end (default: today, UTC)."""
    from landscape.corpus.ingest import ingest_inputs
    from landscape.fetch import save_fetched
    from landscape.fetch.pages import pages_dir_for
    from landscape.pipeline.build import build
    from landscape.pipeline.update import already_present, update
    from landscape.progress import StageTimer
    from landscape.store import Landscape

    config = config if isinstance(config, RefreshConfig) else load_config(config)
    today = today or datetime.now(UTC).date()
    timer = StageTimer(quiet=quiet, log=log)
    state = read_state(config)
    config.data.mkdir(parents=True, exist_ok=True)
    incoming = config.data / INCOMING
    pages = pages_dir_for(incoming)

    frames, windows, until = [], {}, {}
    with timer.stage("fetch"):
        for entry in config.sources:
            key = source_key(entry)
            start, end = window(config, state, entry, today)
            frame = fetch_source(entry, start, end, pages, log, quiet)
            windows[key] = [str(start), str(end), 0 if frame is None else len(frame)]
            until[key] = str(_fetched_until(frame, entry, end))
            if frame is not None:
                frames.append(frame)
    fetched = sum(len(f) for f in frames)

    exists = (config.landscape / "landscape.json").exists()
    new_count = 0
    if frames:
        save_fetched(frames, incoming)
        corpus = ingest_inputs(str(incoming))[0].corpus
        if exists:
            held = Landscape.load(config.landscape, embeddings=False).documents
            new_count = int((~already_present(held, corpus)).sum())
        else:
            new_count = len(corpus)
    if not new_count and not exists:
        raise LandscapeError(
            f"{config.path}: the sources gave no papers since {config.since} to build the landscape from"
        )
    if not new_count:
        incoming.unlink(missing_ok=True)
        _remove(pages)
        found = f"{fetched} papers fetched, all already in the landscape" if fetched else "no papers fetched"
        message = f"nothing new: {found}; landscape, reports and {STATE_FILE} left unchanged"
        timer.say(message)
        return RefreshResult("nothing new", fetched, 0, windows, message)

    stamp = today.isoformat()
    batch = _free_name(config.data / BATCHES, stamp)
    batch.parent.mkdir(parents=True, exist_ok=True)
    incoming.replace(batch)
    batches = sorted((config.data / BATCHES).glob("*.parquet"))
    inputs = [str(p) for p in [*config.inputs, *batches]]
    taxonomy = str(config.taxonomy) if config.taxonomy else None
    record = None
    before = None
    if not exists:
        with timer.stage("build"):
            after = build(
                inputs, config.landscape, random_state=config.random_state, taxonomy=taxonomy,
                name=config.name, log=log, quiet=quiet,
            )  # fmt: skip
        action = "built"
    else:
        before = Landscape.load(config.landscape, embeddings=False)
        with timer.stage("update"):
            after, record = update(config.landscape, [str(batch)], log=log, quiet=quiet)
        action = "updated"
        if record.get("rebuild_due"):
            timer.say("a rebuild is due: " + "; ".join(record["rebuild_reasons"]))
            with timer.stage("rebuild"):
                after = build(
                    inputs, config.landscape, random_state=config.random_state, taxonomy=taxonomy,
                    name=config.name or before.meta.get("name"), like=after, log=log, quiet=quiet,
                )  # fmt: skip
            action = "rebuilt"
    new_ids = set(after.documents["id"].astype(str)) - (
        set(before.documents["id"].astype(str)) if before else set()
    )
    changes = what_changed(before, after, new_ids, action=action, windows=windows, fetched=fetched)
    _write_json(config.data / CHANGES / f"{batch.stem}.json", changes)
    state.setdefault("sources", {}).update(until)
    state.setdefault("runs", []).append(
        {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "action": action,
            "fetched": fetched,
            "added": changes["added"],
            "batch": batch.name,
            "windows": windows,
            "new_topics": [t["label"] for t in changes["new_topics"]],
            "reports_pending": True,
        }
    )
    _write_json(config.data / STATE_FILE, state)
    message = (
        f"{action}: {fetched} papers fetched, {changes['added']} new, "
        f"{len(changes['new_topics'])} new topic(s); "
        f"{len(after.documents)} papers in {len(after.topics)} topics"
    )
    timer.say(message)
    return RefreshResult(action, fetched, changes["added"], windows, message, changes, record, batch)


def mark_published(config: RefreshConfig) -> None:
    """Record that the reports of the last run were written (a rerun regenerates them otherwise)."""
    state = read_state(config)
    if state.get("runs"):
        state["runs"][-1]["reports_pending"] = False
        _write_json(config.data / STATE_FILE, state)


def reports_pending(config: RefreshConfig) -> bool:
    """Whether the last run changed the landscape but its reports were not written (a failed report)."""
    runs = read_state(config).get("runs") or []
    return bool(runs and runs[-1].get("reports_pending"))


def what_changed(before, after, new_ids, *, action: str, windows: dict, fetched: int) -> dict:
    """The run's changes as JSON-ready data: topics that appeared and grew most
    (:func:`~landscape.analysis.compare.compare_landscapes`; all topics appeared on a first build),
    and the new papers per topic."""
    from landscape.analysis.compare import compare_landscapes

    docs = after.documents
    new_docs = docs[docs["id"].astype(str).isin(new_ids)]
    label = dict(zip(after.topics["topic"].astype(int), after.topics["label"].astype(str), strict=True))
    if before is not None:
        table = compare_landscapes(before, after)
        appeared = table[table["status"] == "appeared"]
        new_topics = [
            {"topic": int(r.key), "label": str(r.label), "papers": int(r.papers_after)}
            for r in appeared.itertuples()
        ]
        grown = table[table["status"] != "appeared"].assign(
            added=lambda t: t["papers_after"] - t["papers_before"]
        )
        grown = (
            grown[grown["added"] > 0].sort_values(["added", "key"], ascending=[False, True]).head(TOP_GROWN)
        )
        grew = [
            {
                "topic": int(r.key),
                "label": str(r.label),
                "before": int(r.papers_before),
                "after": int(r.papers_after),
                "status": str(r.status),
            }
            for r in grown.itertuples()
        ]
    else:
        sizes = after.topics.set_index("topic")["size"]
        new_topics = [{"topic": int(t), "label": label[int(t)], "papers": int(sizes[t])} for t in sizes.index]
        grew = []
    per_topic = []
    for t, group in new_docs.groupby("topic", sort=False):
        rows = group.sort_values("date", ascending=False) if "date" in group.columns else group
        per_topic.append(
            {
                "topic": int(t),
                "label": label.get(int(t), "unassigned") if int(t) != UNASSIGNED_TOPIC else "unassigned",
                "count": len(group),
                "papers": [
                    {"id": str(r.id), "title": str(r.title), "url": str(getattr(r, "url", "") or "")}
                    for r in rows.head(PAPERS_PER_TOPIC).itertuples()
                ],
            }
        )
    per_topic.sort(key=lambda p: (p["topic"] == UNASSIGNED_TOPIC, -p["count"], p["topic"]))
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": action,
        "fetched": fetched,
        "added": len(new_docs),
        "windows": windows,
        "papers": len(docs),
        "topics": len(after.topics),
        "new_topics": new_topics,
        "grew": grew,
        "new_papers": per_topic,
        "rebuild": after.meta.get("like") if action == "rebuilt" else None,
    }


def _free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.parquet``, or ``stem-2.parquet``… when a run of the same day already wrote one."""
    path, n = folder / f"{stem}.parquet", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.parquet", n + 1
    return path


def _remove(folder: Path) -> None:
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
