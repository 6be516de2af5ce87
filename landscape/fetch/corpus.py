"""Fetched records → the corpus schema; corpora from several sources merged without duplicates.

Every fetcher hands plain dicts to :func:`records_to_frame`, so all sources give the same columns
(``schema.CORPUS_COLUMNS``) plus a few optional extras: ``arxiv_id``, ``doi`` and, for Hugging Face
papers, ``upvotes``. :func:`merge_corpora` merges papers that share an arXiv id or a normalised title.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from landscape.corpus.dates import PRECISION_RANK
from landscape.corpus.ids import normalise_arxiv_id as arxiv_id  # noqa: F401 (the fetchers import it here)
from landscape.errors import LandscapeError
from landscape.schema import CORPUS_COLUMNS

EXTRA_COLUMNS = ("arxiv_id", "doi", "upvotes")
OUTPUT_FORMATS = (".parquet", ".csv", ".jsonl")

# Which source's values win when papers are merged: the arXiv record is the primary one.
SOURCE_PRIORITY = ("arxiv", "hf-papers", "openalex")


def date_bound(text: str | None, *, end: bool, option: str) -> date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as the first (or, with ``end``, the last) day it covers."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text).strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 12, 31) if end else date(int(text), 1, 1)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            first = datetime.strptime(text, "%Y-%m").date()
            if not end:
                return first
            return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise LandscapeError(f"{option} expects YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}") from None


def _text_column(series):
    """Strings, ``""`` for missing values (whatever dtype an all-missing column got)."""
    return series.astype(object).where(series.notna(), "").astype(str)


def records_to_frame(records: list[dict]):
    """Records (dicts with the corpus columns; dates as ``YYYY-MM-DD`` strings) → a corpus DataFrame.

    Titles and abstracts are cleaned like the file readers clean them; ``date`` becomes
    ``datetime64[ns]``.
    """
    import pandas as pd

    from landscape.corpus.text import clean_series

    columns = list(CORPUS_COLUMNS) + [c for c in EXTRA_COLUMNS if any(c in r for r in records)]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in ("title", "abstract"):
        frame[column] = clean_series(frame[column])
    for column in ("id", "authors", "categories", "url", "source", "arxiv_id", "doi"):
        if column in frame:
            frame[column] = _text_column(frame[column])
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    frame["date_precision"] = frame["date_precision"].where(frame["date"].notna(), None).astype(object)
    if "upvotes" in frame:
        frame["upvotes"] = pd.to_numeric(frame["upvotes"], errors="coerce").astype("Int64")
    return frame


def _group_keys(frame) -> list[str]:
    """One key per row; rows that are the same paper (``corpus.dedup``'s rule) share it."""
    from landscape.corpus.dedup import duplicate_groups
    from landscape.corpus.text import title_keys

    # plain lists: iterating Arrow-backed string columns element by element is slow
    row_ids = frame["id"].tolist()
    given = frame["arxiv_id"].tolist() if "arxiv_id" in frame else [""] * len(frame)
    ids = [
        f"arXiv:{aid}" if (aid := arxiv_id(a) or arxiv_id(i)) else str(i)
        for a, i in zip(given, row_ids, strict=True)
    ]
    keys = [f"r:{p}" for p in range(len(frame))]
    for number, group in enumerate(duplicate_groups(ids, title_keys(frame["title"]), frame["abstract"])):
        for p in group:
            keys[p] = f"g:{number}"
    return keys


def _first(values) -> str:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _best_id(ids, arxiv: str) -> str:
    if arxiv:
        return "arXiv:" + arxiv
    for prefix in ("doi:", "openalex:"):
        for value in ids:
            if value.startswith(prefix):
                return value
    return _first(ids)


def _merge_group(rows: list[dict]) -> dict:
    """One paper from rows (dicts) that are the same paper, already in priority order."""
    import pandas as pd

    def first(column: str) -> str:
        return _first(r.get(column) for r in rows)

    arxiv = first("arxiv_id") or _first(arxiv_id(r["id"]) for r in rows)
    merged = {
        "id": _best_id([r["id"] for r in rows], arxiv),
        **{c: first(c) for c in ("title", "abstract", "authors", "url")},
    }
    # The most precise date wins; among equally precise dates the earliest (first submission).
    dated = [
        (-PRECISION_RANK.get(r["date_precision"], 0), r["date"], r["date_precision"])
        for r in rows
        if not pd.isna(r["date"])
    ]
    if dated:
        _, merged["date"], merged["date_precision"] = min(dated, key=lambda t: (t[0], t[1]))
    else:
        merged["date"], merged["date_precision"] = pd.NaT, None
    for column, sep in (("categories", " "), ("source", "+")):
        united: list[str] = []
        for r in rows:
            united += [v for v in str(r[column]).split(sep) if v.strip() and v not in united]
        merged[column] = sep.join(united)
    if "arxiv_id" in rows[0]:
        merged["arxiv_id"] = arxiv
    if "doi" in rows[0]:
        merged["doi"] = first("doi")
    if "upvotes" in rows[0]:
        votes = [r["upvotes"] for r in rows if not pd.isna(r["upvotes"])]
        merged["upvotes"] = max(votes) if votes else pd.NA
    return merged


def merge_corpora(frames) -> tuple:
    """Concatenate corpora and merge papers with the same arXiv id or normalised title.

    Within a merged paper, values come from the first source in ``SOURCE_PRIORITY`` order that has
    them (then input order); the date is the most precise, then the earliest; categories and sources
    are united (``"arxiv+hf-papers"``); upvotes keep the maximum.

    Returns ``(corpus, merged)`` where ``merged`` is the number of rows folded into another.
    """
    import pandas as pd

    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return records_to_frame([]), 0
    frame = pd.concat(frames, ignore_index=True)
    for column in ("authors", "categories", "url", "source"):
        frame[column] = _text_column(frame[column]) if column in frame else ""
    for column in ("date", "date_precision"):
        if column not in frame:
            frame[column] = None
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce").astype("datetime64[ns]")
    for column in ("id", "title", "abstract", "arxiv_id", "doi"):
        if column in frame:
            frame[column] = _text_column(frame[column])

    def rank(source: str) -> int:
        first = str(source).split("+")[0]
        return SOURCE_PRIORITY.index(first) if first in SOURCE_PRIORITY else len(SOURCE_PRIORITY)

    frame["_key"] = _group_keys(frame)
    frame["_rank"] = frame["source"].map(rank)
    frame["_order"] = range(len(frame))
    frame = frame.sort_values(["_rank", "_order"], kind="stable")
    columns = list(CORPUS_COLUMNS) + [c for c in EXTRA_COLUMNS if c in frame]
    repeated = frame["_key"].duplicated(keep=False)
    groups: dict[str, list[dict]] = {}
    for row in frame.loc[repeated, [*columns, "_key", "_order"]].to_dict("records"):
        groups.setdefault(row["_key"], []).append(row)
    merged = [{**_merge_group(rows), "_order": min(r["_order"] for r in rows)} for rows in groups.values()]
    parts = [frame.loc[~repeated, columns + ["_order"]]]
    if merged:
        parts.append(pd.DataFrame.from_records(merged, columns=columns + ["_order"]))
    # papers keep the order in which they were first seen
    result = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
    result = result.drop(columns="_order").reset_index(drop=True)
    result["date"] = pd.to_datetime(result["date"]).astype("datetime64[ns]")
    result["date_precision"] = result["date_precision"].where(result["date"].notna(), None).astype(object)
    if "upvotes" in result:
        result["upvotes"] = pd.to_numeric(result["upvotes"], errors="coerce").astype("Int64")
    return result, len(frame) - len(result)


def check_output_path(path) -> Path:
    """Fail before fetching when the output format is not one we can write."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_FORMATS:
        got = path.suffix or "no suffix"
        raise LandscapeError(f"{path}: output must end in one of {', '.join(OUTPUT_FORMATS)}, got {got!r}")
    return path


def write_corpus(frame, path) -> Path:
    """Write a corpus atomically (temporary file + ``os.replace``): a good old file is never half replaced."""
    from landscape.corpus.io import atomic_write_frame

    path = check_output_path(path)
    if path.suffix.lower() != ".parquet":
        frame = frame.copy()
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    return atomic_write_frame(path, frame)


def read_fetched(path):
    """Read a corpus written by :func:`write_corpus` (Parquet, CSV or JSON Lines) back, extras included."""
    import pandas as pd

    path = check_output_path(path)
    if not path.is_file():
        raise LandscapeError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_json(path, lines=True, dtype=False)
    except Exception as exc:  # pyarrow, parser and decoding errors all mean "not this format"
        raise LandscapeError(f"{path}: cannot read as {suffix[1:]}: {exc}") from None
    missing = [c for c in ("id", "title", "abstract") if c not in frame]
    if missing:
        raise LandscapeError(f"{path}: not a corpus, missing column(s) {', '.join(missing)}")
    for column in CORPUS_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["date"] = pd.to_datetime(frame["date"].replace("", None), errors="coerce").astype("datetime64[ns]")
    frame["date_precision"] = frame["date_precision"].replace("", None)
    for column in ("id", "title", "abstract", "authors", "categories", "url", "source", "arxiv_id", "doi"):
        if column in frame:
            frame[column] = _text_column(frame[column])
    if "upvotes" in frame:
        frame["upvotes"] = pd.to_numeric(frame["upvotes"].replace("", None), errors="coerce").astype("Int64")
    return frame
