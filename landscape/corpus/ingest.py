"""Read, clean, validate and deduplicate corpus files into one corpus.

``read_corpus(path)`` reads one file and maps its columns to the schema (raw values, with the file
and line of each row; see ``corpus.columns``). ``ingest(paths)`` reads several files and returns an
``IngestResult``: the clean corpus (``schema.CORPUS_COLUMNS`` then the input's extra columns), where
each row came from, and every row that could not be used, with the reason. Nothing is dropped
silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from landscape.corpus import readers
from landscape.corpus.columns import check_columns, extra_columns, map_columns, text_value
from landscape.corpus.dates import PRECISION_RANK, apply_precision, parse_dates
from landscape.corpus.dedup import duplicate_groups
from landscape.corpus.ids import arxiv_ids, arxiv_months, is_made_up_id
from landscape.corpus.io import atomic_write_frame
from landscape.corpus.text import clean_series, squash_whitespace, title_id, title_keys
from landscape.errors import CorpusError, LandscapeError
from landscape.schema import (
    CORPUS_COLUMNS,
    DATE_PRECISIONS,
    MIN_ABSTRACT_CHARS,
    REJECT_COLUMNS,
)

REASONS = (
    "wrong type",
    "no title",
    "no abstract",
    "unreadable date",
    "date out of range",
    "abstract too short",
    "duplicate",
)


def read_corpus(path, *, columns: dict | None = None, format: str | None = None) -> pd.DataFrame:
    """Read ONE corpus file and map it to the schema (raw values, no cleaning).

    Parameters
    ----------
    path : a .csv/.tsv, .jsonl/.ndjson, .json, .parquet, .txt (Hugging Face page), .bib or .ris file
        (text formats may be gzipped, ``.jsonl.gz``)
    columns : extra column mapping ``{"my_abstract": "abstract"}`` (names are case-insensitive)
    format : force a reader: one of ``landscape.corpus.readers.FORMATS``

    Returns a DataFrame with the columns ``id, title, abstract, date, date_precision, authors,
    categories, url, source, arxiv_id, doi`` plus ``_file`` and ``_line`` (1-based physical line for
    text files, row number for Parquet).
    """
    frame = readers.read_file(path, format=format)
    return map_columns(frame, columns, file=path)


# ---- cleaning, validation and duplicates ----------------------------------------------------------------
def _short(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _identify(raw: pd.DataFrame, title: pd.Series):
    """Ids, bare arXiv ids and URLs.

    The id is the input's id (arXiv-style ids normalised to ``arXiv:<id>`` without version), else
    ``arXiv:<arxiv_id>``, else ``doi:<doi>``, else one made from the title. A missing URL is the arXiv
    abstract page or the DOI link.
    """
    raw_id = squash_whitespace(raw["id"])
    url = squash_whitespace(raw["url"])
    doi = squash_whitespace(raw["doi"]).str.replace(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", regex=True)
    id_arxiv = arxiv_ids(raw_id)
    arxiv = arxiv_ids(raw["arxiv_id"])
    arxiv = arxiv.where(arxiv != "", id_arxiv)
    arxiv = arxiv.where(arxiv != "", arxiv_ids(url))
    ids = raw_id.where(id_arxiv == "", "arXiv:" + id_arxiv)
    ids = ids.where(ids != "", np.where(arxiv != "", "arXiv:" + arxiv, ""))
    ids = ids.where(ids != "", np.where(doi != "", "doi:" + doi, ""))
    no_id = (ids == "") & (title != "")
    if no_id.any():
        ids[no_id] = title[no_id].map(title_id)
    url = url.where(url != "", np.where(arxiv != "", "https://arxiv.org/abs/" + arxiv, ""))
    url = url.where(url != "", np.where(doi != "", "https://doi.org/" + doi, ""))
    return raw_id, ids, arxiv, url


def _dates(raw: pd.DataFrame, arxiv: pd.Series):
    """Parsed dates coarsened to a stated precision; the arXiv id's month where there is no date."""
    dates, precision, unreadable, out_of_range = parse_dates(raw["date"])
    dates, precision = apply_precision(dates, precision, raw["date_precision"])
    from_id = dates.isna() & ~unreadable & ~out_of_range & (arxiv != "")
    if from_id.any():
        months = arxiv_months(arxiv[from_id])
        dates[from_id] = months
        precision[from_id] = np.where(months.notna(), "month", None)
    return dates, precision, unreadable, out_of_range


def _merge_duplicates(ok, ids, raw_id, title, abstract, lengths, rank, merged_columns, reason, field_of):
    """Merge the rows that are one paper (``corpus.dedup``'s rule), in place.

    In each group the row with the finest date, then the longest abstract, then the first one is
    kept; a made-up ``title:`` id gives way to a real one, categories are united and empty authors or
    URL are filled from the others. The other rows get the reason ``duplicate of <kept id>``.
    """
    keys = title_keys(pd.Series(title[ok])).to_numpy(dtype=object)
    ok_ids = ids[ok]
    candidate = pd.Series(ok_ids).duplicated(keep=False).to_numpy() | (
        pd.Series(keys).duplicated(keep=False).to_numpy() & (keys != "")
    )
    rows = ok[candidate]
    categories, authors, url = merged_columns
    for positions in duplicate_groups(ids[rows], keys[candidate], abstract[rows]):
        group = [int(rows[p]) for p in positions]
        order = sorted(group, key=lambda i: (-rank[i], -lengths[i], i))
        keep = order[0]
        if is_made_up_id(ids[keep]):
            ids[keep] = next((ids[i] for i in order if not is_made_up_id(ids[i])), ids[keep])
        # the kept row's categories first (its primary category stays first), then the others in order
        united = (c for i in [keep, *sorted(order[1:])] for c in categories[i].split())
        categories[keep] = " ".join(dict.fromkeys(united))
        for column in (authors, url):
            if not column[keep]:
                column[keep] = next((column[i] for i in order if column[i]), "")
        for other in order[1:]:
            reason[other] = f"duplicate of {ids[keep]}"
            field_of[other] = "id" if ids[keep] in (ids[other], raw_id[other]) else "title"


def _prepare(raw: pd.DataFrame, min_abstract_chars: int):
    """Clean a mapped frame, reject unusable rows and merge duplicates.

    Returns ``(corpus, rejects, counts, provenance)``; ``provenance`` has the ``file`` and ``line``
    each corpus row was read from (row i of the corpus).
    """
    n = len(raw)
    files = raw["_file"].astype(str)
    title = clean_series(raw["title"])
    abstract = clean_series(raw["abstract"])
    source = squash_whitespace(raw["source"])
    names = {f: Path(f).name for f in files.unique()}
    source = source.where(source != "", files.map(names))
    raw_id, ids, arxiv, url = _identify(raw, title)
    dates, precision, unreadable, out_of_range = _dates(raw, arxiv)

    # one reason per unusable row, the first that applies
    lengths = abstract.str.len().to_numpy()
    type_field = raw["_type_field"].to_numpy(dtype=object)
    conditions = [
        type_field != "",
        (title == "").to_numpy(),
        (abstract == "").to_numpy(),
        unreadable.to_numpy(),
        out_of_range.to_numpy(),
        lengths < min_abstract_chars,
    ]
    reason = np.select(conditions, list(REASONS[:6]), default="").astype(object)
    fields = [type_field, "title", "abstract", "date", "date", "abstract"]
    field_of = np.select(conditions, fields, default="").astype(object)
    value = np.full(n, "", dtype=object)  # the offending value, shown in the rejects file
    value[conditions[0]] = raw["_type_value"].to_numpy(dtype=object)[conditions[0]]
    bad_date = np.isin(reason, ["unreadable date", "date out of range"])
    value[bad_date] = raw["date"][bad_date].map(text_value).to_numpy(dtype=object)
    too_short = (reason == "abstract too short").astype(bool)
    value[too_short] = abstract[too_short].map(_short).to_numpy(dtype=object)

    ids_arr = ids.to_numpy(dtype=object).copy()
    # columns the duplicate merge may fill in (object arrays, changed in place)
    merged = (
        squash_whitespace(raw["categories"]).to_numpy(dtype=object).copy(),
        squash_whitespace(raw["authors"]).to_numpy(dtype=object).copy(),
        url.to_numpy(dtype=object).copy(),
    )
    _merge_duplicates(
        np.flatnonzero(reason == ""),
        ids_arr,
        raw_id.to_numpy(dtype=object),
        title.to_numpy(dtype=object),
        abstract.to_numpy(dtype=object),
        lengths,
        precision.map(PRECISION_RANK).fillna(0).to_numpy(),
        merged,
        reason,
        field_of,
    )
    categories, authors, url_arr = merged
    kept = reason == ""

    def pick(values, mask):  # long text stays in its (Arrow) Series; no round trip through Python
        picked = values[mask] if isinstance(values, pd.Series) else pd.Series(values[mask], dtype=object)
        return picked.reset_index(drop=True)

    corpus = pd.DataFrame(
        {
            "id": pick(ids_arr, kept).astype(str),
            "title": pick(title, kept),
            "abstract": pick(abstract, kept),
            "date": pick(dates, kept).astype("datetime64[ns]"),
            "date_precision": pick(precision.to_numpy(dtype=object), kept),
            "authors": pick(authors, kept).astype(str),
            "categories": pick(categories, kept).astype(str),
            "url": pick(url_arr, kept).astype(str),
            "source": pick(source, kept),
        },
        columns=list(CORPUS_COLUMNS),
    )
    corpus["date_precision"] = corpus["date_precision"].where(corpus["date"].notna(), None)
    for name in extra_columns(raw):
        corpus[name] = pick(raw[name], kept)
    provenance = pd.DataFrame({"file": pick(files, kept), "line": pick(raw["_line"], kept).astype("int64")})

    rejected = ~kept
    rejects = pd.DataFrame(
        {
            "file": files.to_numpy()[rejected],
            "line": raw["_line"].to_numpy()[rejected],
            "field": field_of[rejected],
            "reason": reason[rejected],
            "id": ids_arr[rejected],
            "title": raw["title"].to_numpy()[rejected],
            "value": value[rejected],
        },
        columns=[*REJECT_COLUMNS, "id", "title", "value"],
    ).astype({"line": "Int64"})
    for column in ("file", "field", "reason", "id", "title", "value"):
        rejects[column] = rejects[column].astype(str)

    by_reason = Counter("duplicate" if r.startswith("duplicate of ") else r for r in rejects["reason"])
    counts = {
        "read": int(n),
        "kept": int(kept.sum()),
        "rejected": int(rejected.sum()),
        "by_reason": {r: int(by_reason[r]) for r in REASONS if by_reason[r]},
        "files": {str(f): int(c) for f, c in files.value_counts(sort=False).items()},
    }
    extras = extra_columns(raw)
    if extras:
        counts["extra_columns"] = extras
    renamed = raw.attrs.get("renamed_columns") or {}
    if renamed:
        counts["renamed_columns"] = dict(renamed)
    return corpus, rejects, counts, provenance


# ---- public API ------------------------------------------------------------------------------------------
OUTPUT_FORMATS = (".parquet", ".csv")


def check_output_path(path, inputs=()) -> Path:
    """The corpus output path, checked to end in .parquet or .csv and not to be one of ``inputs``.

    Paths are compared after resolving ``..`` and symbolic links, so a link to an input is refused too
    (writing the corpus over its own input would lose the columns ingest does not keep).
    """
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise LandscapeError(f"corpus output {str(path)!r} must end in {' or '.join(OUTPUT_FORMATS)}")
    target = path.resolve()
    for source in inputs:
        if Path(source).resolve() == target:
            raise LandscapeError(
                f"corpus output {str(path)!r} is also an input ({source}); write the corpus to another file"
            )
    return path


def rejects_path(corpus_path) -> Path:
    """Where the rejects file of a corpus goes: ``<stem>.rejects.csv`` beside it."""
    corpus_path = Path(corpus_path)
    return corpus_path.with_name(f"{corpus_path.stem}.rejects.csv")


@dataclass
class IngestResult:
    """The clean corpus, the rejected rows (with file, line, field and reason) and the counts.

    ``corpus`` has ``schema.CORPUS_COLUMNS`` then the extra input columns (``counts["extra_columns"]``);
    ``provenance`` has the ``file`` and 1-based ``line`` (row number for Parquet and DataFrames)
    that corpus row i was read from.
    """

    corpus: pd.DataFrame
    rejects: pd.DataFrame
    counts: dict = field(default_factory=dict)
    provenance: pd.DataFrame | None = None

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        columns: dict | None = None,
        min_abstract_chars: int = MIN_ABSTRACT_CHARS,
        name: str = "<DataFrame>",
    ) -> IngestResult:
        """Ingest an in-memory DataFrame like a file (``line`` in rejects = 1-based row number)."""
        _check_min_chars(min_abstract_chars)
        frame = frame.reset_index(drop=True).copy()
        if "_line" not in frame:
            frame["_line"] = np.arange(1, len(frame) + 1)
        mapped = map_columns(frame, columns, file=name)
        return _finish(mapped, min_abstract_chars, [name])

    def write(self, corpus_path) -> tuple[Path, Path]:
        """Write the corpus (Parquet or CSV by extension) and ``<stem>.rejects.csv`` beside it.

        Both are written atomically; an output that is one of the input files is refused.
        """
        corpus_path = check_output_path(corpus_path, inputs=self.counts.get("files", {}))
        out = self.corpus
        if corpus_path.suffix.lower() != ".parquet":
            out = out.copy()
            out["date"] = out["date"].dt.strftime("%Y-%m-%d").fillna("")
            out["date_precision"] = out["date_precision"].fillna("")
        atomic_write_frame(corpus_path, out)
        path = rejects_path(corpus_path)
        atomic_write_frame(path, self.rejects)
        return corpus_path, path

    def summary(self) -> str:
        """What was read, kept and rejected, as a few human-readable lines."""
        c = self.counts
        files = c.get("files", {})
        lines = [
            f"read {c['read']} rows from {len(files)} file{'s' if len(files) != 1 else ''}: "
            f"kept {c['kept']}, rejected {c['rejected']}"
        ]
        if len(files) > 1:
            lines += [f"  {name}: {rows} row{'s' if rows != 1 else ''}" for name, rows in files.items()]
        for reason, count in c.get("by_reason", {}).items():
            lines.append(f"  rejected, {reason}: {count}")
        if c.get("extra_columns"):
            renamed = c.get("renamed_columns", {})
            note = "; renamed: " + ", ".join(f"{a!r} -> {b}" for a, b in renamed.items()) if renamed else ""
            lines.append(f"  extra columns kept: {', '.join(c['extra_columns'])}{note}")
        if len(self.corpus):
            known = self.corpus["date"].notna()
            if known.any():
                precisions = self.corpus["date_precision"].value_counts()
                lines.append(
                    f"  dates {self.corpus['date'].min():%Y-%m-%d} .. {self.corpus['date'].max():%Y-%m-%d}"
                    f" ({', '.join(f'{p}: {precisions.get(p, 0)}' for p in DATE_PRECISIONS)};"
                    f" no date: {int((~known).sum())})"
                )
            else:
                lines.append("  no dates")
        return "\n".join(lines)


def _check_min_chars(min_abstract_chars) -> None:
    if (
        isinstance(min_abstract_chars, bool)
        or not isinstance(min_abstract_chars, (int, np.integer))
        or (min_abstract_chars < 0)
    ):
        raise LandscapeError(f"min_abstract_chars must be a non-negative integer, got {min_abstract_chars!r}")


def _finish(mapped: pd.DataFrame, min_abstract_chars: int, names: list[str]) -> IngestResult:
    if len(mapped) == 0:
        raise CorpusError("no papers found", file=names[0] if len(names) == 1 else None)
    corpus, rejects, counts, provenance = _prepare(mapped, min_abstract_chars)
    if len(corpus) == 0:
        why = ", ".join(f"{count} {reason}" for reason, count in counts["by_reason"].items())
        raise CorpusError(
            f"no usable papers: all {counts['rejected']} rows were rejected ({why})",
            file=names[0] if len(names) == 1 else None,
        )
    return IngestResult(corpus, rejects, counts, provenance)


def ingest_inputs(inputs, *, columns: dict | None = None, min_abstract_chars: int = 50):
    """Ingest what ``build`` and ``update`` accept: a DataFrame, one path or several paths.

    Returns ``(IngestResult, source names)``.
    """
    if isinstance(inputs, pd.DataFrame):
        result = IngestResult.from_frame(inputs, columns=columns, min_abstract_chars=min_abstract_chars)
        return result, ["<DataFrame>"]
    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    return ingest(paths, columns=columns, min_abstract_chars=min_abstract_chars), [str(p) for p in paths]


def ingest(paths, *, columns: dict | None = None, min_abstract_chars: int = 50) -> IngestResult:
    """Read, clean, validate and merge corpus files into one corpus.

    Parameters
    ----------
    paths : one path or a list of paths (any format ``read_corpus`` reads; files are merged and
        duplicates removed across them)
    columns : extra column mapping ``{"my_abstract": "abstract"}``
    min_abstract_chars : abstracts shorter than this (after cleaning) are rejected

    Returns an ``IngestResult`` with ``corpus`` (``schema.CORPUS_COLUMNS``; ``date`` is
    ``datetime64[ns]``, missing optional text is ``""``), ``rejects`` (file, line, field, reason, id,
    title, value) and ``counts`` (read, kept, rejected, by_reason, files).
    """
    _check_min_chars(min_abstract_chars)
    check_columns(columns)
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not paths:
        raise LandscapeError("no input files given")
    frames = []
    for path in paths:
        frame = read_corpus(path, columns=columns)
        if len(frame) == 0:
            raise CorpusError("no papers in this file", file=path)
        frames.append(frame)
    renamed = {k: v for frame in frames for k, v in frame.attrs.get("renamed_columns", {}).items()}
    mapped = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    mapped.attrs["renamed_columns"] = renamed
    return _finish(mapped, min_abstract_chars, [str(p) for p in paths])
