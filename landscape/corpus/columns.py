"""Input columns -> the corpus schema: names and aliases, a user mapping, cell types, extra columns.

``map_columns(frame)`` turns a reader's raw frame (its own column names) into the ingest targets
(``schema.CORPUS_COLUMNS`` plus ``arxiv_id`` and ``doi``), marks cells of the wrong JSON type, and
keeps every other column as an extra, named by :func:`extra_names`.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from landscape.errors import CorpusError, LandscapeError
from landscape.schema import CORPUS_COLUMNS, DOCUMENT_COLUMNS, REQUIRED_COLUMNS

# What a column can be mapped to: the schema columns plus two helpers (an arXiv id gives the id, the
# month and the URL when those are missing; a DOI gives the id and URL).
TARGETS = (*CORPUS_COLUMNS, "arxiv_id", "doi")

# Accepted column names per target, in order of preference (compared after lower-casing and turning
# spaces and punctuation into "_").
ALIASES = {
    "id": ("id", "paper_id", "paperid", "doc_id", "document_id", "identifier", "uid"),
    "title": ("title", "paper_title", "primary_title", "article_title"),
    "abstract": ("abstract", "summary", "abstract_text", "abstracttext", "abstract_note", "description"),
    "date": (
        "date",
        "published",
        "publication_date",
        "published_date",
        "date_published",
        "pub_date",
        "publish_date",
        "submitted",
        "created",
        "year",
        "publication_year",
        "pub_year",
    ),
    "date_precision": ("date_precision",),
    "authors": ("authors", "author", "author_names", "authors_list", "creators"),
    "categories": ("categories", "category", "keywords", "tags", "subjects", "primary_category"),
    "url": ("url", "link", "abs_url", "paper_url", "pdf_url", "href"),
    "source": ("source",),
    "arxiv_id": ("arxiv_id", "arxivid", "arxiv", "arxiv_identifier", "eprint"),
    "doi": ("doi",),
}
# Formats whose readers already produce the schema columns (a user mapping does not apply to them).
_NATIVE_FORMATS = ("hf-page", "arxiv-snapshot", "bibtex", "ris")
_JOINERS = {"authors": "; ", "categories": " "}
# Targets whose cells must be text (a number is read as its digits); JSON objects, lists and
# booleans there are rejected ("wrong type") rather than stored as junk text.
_TEXT_ONLY = ("title", "abstract")
_SCALAR_ONLY = ("id", "url", "source", "arxiv_id", "doi", "date_precision")
# Extra (unmapped) input columns are kept in the corpus; these names are taken.
RESERVED_NAMES = frozenset((*TARGETS, *DOCUMENT_COLUMNS))
EXTRA_PREFIX = "user_"
_SAFE_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _name_key(name) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def check_columns(columns: dict | None) -> dict:
    """Validate a user column mapping ``{source column: target}``; targets are case-insensitive."""
    if columns is None:
        return {}
    if not isinstance(columns, dict):
        raise LandscapeError(
            f"columns must be a dict {{source column: target}}, got {type(columns).__name__}"
        )
    checked = {}
    for source, target in columns.items():
        key = _name_key(target)
        if key not in TARGETS:
            raise LandscapeError(
                f"cannot map column {source!r} to {target!r}: the target must be one of {', '.join(TARGETS)}"
            )
        checked[str(source)] = key
    return checked


def text_value(value, sep: str = " ") -> str:
    """One cell as text: lists joined, numbers without a spurious ``.0``, missing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return "" if value != value else (str(int(value)) if value.is_integer() else repr(value))
    if isinstance(value, dict):  # e.g. {"name": "Ada Lovelace"} in author lists from APIs
        for key in ("name", "full_name", "value", "term"):
            if key in value:
                return text_value(value[key], sep)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple, np.ndarray)):
        return sep.join(t for t in (text_value(v, sep) for v in value) if t)
    if value is pd.NA or value is pd.NaT:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return text_value(value.item(), sep)
    return str(value)


def _as_text(series: pd.Series, target: str) -> pd.Series:
    if isinstance(series.dtype, pd.StringDtype):
        return series.fillna("").astype(str)
    sep = _JOINERS.get(target, " ")
    return series.map(lambda v: text_value(v, sep)).astype(str)


def _as_date_values(series: pd.Series) -> pd.Series:
    """Date cells as parseable scalars (lists or dicts from JSON become their text)."""
    if series.dtype != object:
        return series
    return series.map(lambda v: text_value(v, " ") if isinstance(v, (list, tuple, dict, np.ndarray)) else v)


def _type_problem(value) -> str:
    """What is wrong with one cell's type for ``target`` (``""`` when nothing is)."""
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, (bool, np.bool_)):
        return "a boolean"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "a list"
    return ""


def _type_problems(frame: pd.DataFrame, chosen: dict) -> tuple[pd.Series, pd.Series]:
    """Per row: the first field whose cell has the wrong type, and what the cell is."""
    field_of = pd.Series("", index=frame.index, dtype=object)
    what = pd.Series("", index=frame.index, dtype=object)
    for target in (*_TEXT_ONLY, *_SCALAR_ONLY):
        name = chosen.get(target)
        if name is None or frame[name].dtype != object:
            continue
        problems = frame[name].map(_type_problem)
        new = (problems != "") & (field_of == "")
        field_of[new] = target
        what[new] = problems[new]
    return field_of, what


def extra_names(names) -> dict:
    """``{input column: corpus column}`` for extra columns: snake_case, taken names get ``user_``.

    A name is lower-cased with runs of other characters turned into ``_`` (``"Primary Category"`` ->
    ``primary_category``); a name that is a corpus column, an ingest target or a column a build adds
    (``schema.DOCUMENT_COLUMNS``) becomes ``user_<name>``; a name left empty or starting with a digit
    becomes ``user_column_<n>``; repeats get ``_2``, ``_3``.
    """
    out: dict = {}
    taken = set(RESERVED_NAMES)
    for number, name in enumerate(names, 1):
        key = _name_key(name)
        if not _SAFE_NAME.fullmatch(key):
            key = f"{EXTRA_PREFIX}{key or f'column_{number}'}"
        elif key in RESERVED_NAMES:
            key = EXTRA_PREFIX + key
        unique, n = key, 2
        while unique in taken:
            unique, n = f"{key}_{n}", n + 1
        taken.add(unique)
        out[name] = unique
    return out


def _extra_values(series: pd.Series) -> pd.Series:
    """An extra column as stored: scalars as read; lists and objects as text (Parquet needs one type)."""
    if series.dtype != object:
        return series
    values = series.dropna()
    if values.map(lambda v: isinstance(v, str)).all():
        return series
    if values.map(lambda v: isinstance(v, (bool, int, float, np.number)) and not isinstance(v, bool)).all():
        return pd.to_numeric(series, errors="coerce")
    return series.map(
        lambda v: None if v is None or (isinstance(v, float) and v != v) else text_value(v, "; ")
    )


def map_columns(frame: pd.DataFrame, columns: dict | None = None, *, file="<DataFrame>") -> pd.DataFrame:
    """Map a raw frame's columns to the schema (case-insensitive, with aliases and a user mapping).

    Returns the columns of ``TARGETS`` (text columns as strings, ``""`` when absent; ``date`` raw),
    the extra input columns (named by :func:`extra_names`; listed in ``attrs["extra_columns"]``),
    ``_file``, ``_line`` and ``_type_field``/``_type_value`` (the first cell of the wrong type).
    Raises ``CorpusError`` naming the missing required column and the columns that were found.
    """
    columns = check_columns(columns)
    found = [c for c in frame.columns if c != "_line"]
    fmt = frame.attrs.get("format", "")
    by_key: dict[str, str] = {}
    for name in found:
        key = _name_key(name)
        if key not in by_key or str(name) == key:  # an exact lower-case name wins over "Title"
            by_key[key] = name
    chosen: dict[str, str] = {}
    if fmt not in _NATIVE_FORMATS:
        for source, target in columns.items():
            name = source if source in found else by_key.get(_name_key(source))
            if name is None:
                raise CorpusError(
                    f"column {source!r} (mapped to {target!r}) is not in the file; columns found: "
                    f"{', '.join(map(str, found)) or '(none)'}",
                    file=file,
                    line=frame.attrs.get("columns_line"),
                    field=source,
                )
            chosen[target] = name
    used = set(chosen.values())
    for target in TARGETS:
        if target in chosen:
            continue
        for alias in ALIASES[target]:
            name = by_key.get(alias)
            if name is not None and name not in used:
                chosen[target] = name
                used.add(name)
                break
    if found or len(frame):
        for required in REQUIRED_COLUMNS[1:]:  # an id can be made from the title
            if required not in chosen:
                raise CorpusError(
                    f"missing required column {required!r}; columns found: "
                    f"{', '.join(map(str, found)) or '(none)'} (map another column with "
                    f"columns={{'NAME': '{required}'}} or --column NAME={required})",
                    file=file,
                    line=frame.attrs.get("columns_line"),
                    field=required,
                )
    out = {}
    for target in TARGETS:
        if target not in chosen:
            out[target] = pd.Series(None if target == "date" else "", index=frame.index, dtype=object)
        elif target == "date":
            out[target] = _as_date_values(frame[chosen[target]])
        else:
            out[target] = _as_text(frame[chosen[target]], target)
    type_field, type_value = _type_problems(frame, chosen)
    mapped = pd.DataFrame(out, index=frame.index)
    for target in TARGETS:
        if target != "date":
            mapped[target] = mapped[target].astype(str)
    extras = {} if fmt in _NATIVE_FORMATS else extra_names([c for c in found if c not in used])
    for name, new in extras.items():
        mapped[new] = _extra_values(frame[name])
    mapped["_type_field"] = type_field
    mapped["_type_value"] = type_value
    mapped["_file"] = str(file)
    mapped["_line"] = frame["_line"].to_numpy() if "_line" in frame else np.arange(1, len(frame) + 1)
    mapped = mapped.reset_index(drop=True)
    mapped.attrs.update(frame.attrs)
    mapped.attrs["extra_columns"] = list(extras.values())
    mapped.attrs["renamed_columns"] = {str(k): v for k, v in extras.items() if str(k) != v}
    return mapped


# Columns map_columns adds for ingest's own use.
INTERNAL_COLUMNS = ("_file", "_line", "_type_field", "_type_value")


def extra_columns(mapped: pd.DataFrame) -> list[str]:
    """The extra columns of a mapped frame (all files together), in the order first seen."""
    internal = {*TARGETS, *INTERNAL_COLUMNS}
    return [c for c in mapped.columns if c not in internal]
