"""One function per input format: a file -> a DataFrame of raw rows, each with the line it came from.

Readers do not clean or validate the text; they only turn a file into rows and fail fast, with the
file, line and field, when the file is not what its extension says. Tabular formats (CSV, JSON Lines,
JSON, Parquet) keep their own column names, which ``landscape.corpus.ingest`` maps to the corpus schema;
formats with a fixed structure (Hugging Face page, arXiv snapshot, BibTeX, RIS) produce the schema
columns directly (plus ``arxiv_id`` and ``doi`` where known).

Every frame has a ``_line`` column: the 1-based physical line of the row's first line in text files,
the 1-based row number in Parquet files (``frame.attrs["line_word"]`` says which).
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from landscape.errors import CorpusError

# Decompressed input larger than this is refused (a small .gz can expand to gigabytes: a "gzip
# bomb"). 4 GiB holds several million abstracts; split larger corpora into several files.
MAX_INPUT_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class Format:
    """One input format: its name (``format=``), what messages call it, its extensions, its reader.

    ``read(path, text)`` gets the decoded text, except for binary formats (``text=False``), whose
    reader opens the file itself.
    """

    name: str
    label: str
    extensions: tuple[str, ...]
    read: Callable
    text: bool = True
    forced: bool = True  # may be named with ``format=``


# Signatures of files that are certainly not text.
_MAGIC = {
    b"PAR1": "a Parquet file",
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook?)",
    b"\x1f\x8b": "a gzip-compressed file",
    b"%PDF": "a PDF document",
    b"SQLite format 3": "an SQLite database",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office document",
}


def supported_formats() -> str:
    """A one-line description of the supported file types, for error messages."""
    listed = [
        f"{f.label} ({', '.join(f.extensions)})"
        for f in FORMAT_REGISTRY.values()
        if f.extensions and f.forced
    ]
    return ", ".join(listed) + (
        ", a Hugging Face papers page (.txt), an arXiv metadata snapshot (.json/.jsonl); "
        "add .gz to compress a text format"
    )


def detect_format(path) -> str:
    """The format an extension names (``.gz`` looked through); ``"text"`` for .txt (sniffed later)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    by_extension = {ext: f.name for f in FORMAT_REGISTRY.values() for ext in f.extensions}
    fmt = by_extension.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise CorpusError(
            f"unknown file type {''.join(Path(path).suffixes) or '(no extension)'!r}; "
            f"supported: {supported_formats()}",
            file=path,
        )
    return fmt


def read_file(path, format: str | None = None):
    """Read one corpus file with the reader its extension (or ``format``) names."""
    if format is not None and format not in FORMATS:
        raise CorpusError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}", file=path)
    spec = FORMAT_REGISTRY[format or detect_format(path)]
    text = decode_text(read_bytes(path), path, spec.label) if spec.text else None
    frame = spec.read(path, text)
    frame.attrs.setdefault("format", spec.name)
    frame.attrs.setdefault("line_word", "line")
    return frame


def _read_sniffed(path, text: str):
    return FORMAT_REGISTRY[sniff_text_format(text)].read(path, text)


# ---- bytes and text --------------------------------------------------------------------------------


def read_bytes(path) -> bytes:
    """The bytes of a file (decompressed when it ends in .gz), with clear errors."""
    p = Path(path)
    if not p.exists():
        raise CorpusError("file not found", file=path)
    if p.is_dir():
        raise CorpusError("is a directory; pass the corpus files it contains", file=path)
    if p.suffix.lower() != ".gz":
        if p.stat().st_size > MAX_INPUT_BYTES:
            raise CorpusError(_too_large(), file=path)
        return p.read_bytes()
    chunks, size = [], 0
    try:
        with gzip.open(p, "rb") as handle:
            while chunk := handle.read(1 << 20):
                size += len(chunk)
                if size > MAX_INPUT_BYTES:
                    raise CorpusError(_too_large(" decompressed"), file=path)
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise CorpusError(f"not a valid gzip file ({exc})", file=path) from None
    return b"".join(chunks)


def _too_large(how: str = "") -> str:
    return (
        f"more than {MAX_INPUT_BYTES:,} bytes{how} (readers.MAX_INPUT_BYTES); split the corpus into "
        "several files"
    )


def _position(data, index: int, newline) -> tuple[int, int]:
    """1-based (line, column) of ``index`` in ``data`` (bytes or str)."""
    line = data.count(newline, 0, index) + 1
    column = index - (data.rfind(newline, 0, index) + 1) + 1
    return line, column


def decode_text(data: bytes, path, expected: str) -> str:
    """Decode a text file as UTF-8 (a UTF-8 or UTF-16 byte-order mark is honoured).

    Binary files are named for what they are, and invalid UTF-8 is reported with the line (and, for
    CSV, the column name) of the first bad byte.
    """
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise CorpusError(f"this is {what}, not {expected}; check the file or its extension", file=path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"invalid UTF-16 text ({exc.reason})", file=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start, b"\n")
        field = (
            _csv_field_at(data, line, "\t" if expected == "TSV" else None)
            if expected in ("CSV", "TSV")
            else None
        )
        raise CorpusError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); "
            "save the file as UTF-8 (it may be Latin-1 or Windows-1252)",
            file=path,
            line=line,
            field=field,
        ) from None


def _csv_field_at(data: bytes, line: int, delimiter: str | None) -> str | None:
    """The CSV column holding a bad byte (best effort, for the error message)."""
    try:
        text = data.decode("utf-8-sig", errors="surrogateescape")
        lines = text.split("\n")
        delimiter = delimiter or _sniff_delimiter(lines[0])
        header = next(csv.reader([lines[0]], delimiter=delimiter))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        next(reader)
        for record in reader:
            if reader.line_num >= line:
                for name, value in zip(header, record, strict=False):
                    if any("\udc80" <= ch <= "\udcff" for ch in value):
                        return name.strip()
                return None
    except (csv.Error, StopIteration):
        return None
    return None


def sniff_text_format(text: str) -> str:
    """What a .txt file holds: a CSV/TSV table with a header, JSON, or a Hugging Face papers page."""
    first = next((line for line in text.split("\n") if line.strip()), "").strip()
    if first.startswith("{") or first.startswith("["):
        return "jsonl" if first.startswith("{") and first.endswith("}") else "json"
    names = {n.strip().strip('"').lower() for n in re.split(r"[,\t;]", first)}
    if len(names) > 1 and "title" in names:
        return "tsv" if "\t" in first else "csv"
    return "hf-page"


# ---- CSV ----------------------------------------------------------------------------------------------
def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_csv(path, *, text: str | None = None, delimiter: str | None = None):
    """Read a CSV (or TSV) file with a header line; ``_line`` is the physical line a record starts on.

    Quoted fields may span lines. A record with a different number of fields than the header is an
    error naming its line (it usually means an unquoted delimiter or line break).
    """
    import pandas as pd

    if text is None:
        text = decode_text(read_bytes(path), path, "TSV" if delimiter == "\t" else "CSV")
    if not text.strip():
        raise CorpusError("empty file: expected a header line with the column names", file=path, line=1)
    if text.lstrip()[:1] in ("{", "["):
        raise CorpusError(
            "this looks like JSON, not CSV; name the file .json or .jsonl", file=path, line=_first_line(text)
        )
    delimiter = delimiter or _sniff_delimiter(text.split("\n", 1)[0])
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # abstracts can exceed the 128 KiB default
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
        _check_header(header, path)
        rows, lines = [], []
        previous = reader.line_num
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip() and len(header) > 1):
                continue  # blank line
            if len(record) != len(header):
                if len(record) > len(header) and not any(v.strip() for v in record[len(header) :]):
                    record = record[: len(header)]  # trailing delimiters
                else:
                    field = header[len(record)] if len(record) < len(header) else None
                    raise CorpusError(
                        f"this row has {len(record)} fields but the header has {len(header)} "
                        "(an unquoted delimiter or line break?)",
                        file=path,
                        line=start,
                        field=field,
                    )
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        raise CorpusError(f"malformed CSV: {exc}", file=path, line=reader.line_num) from None
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in header]
    frame = pd.DataFrame({name: pd.Series(col, dtype=str) for name, col in zip(header, columns, strict=True)})
    frame["_line"] = pd.Series(lines, dtype="int64")
    frame.attrs["format"] = "tsv" if delimiter == "\t" else "csv"
    frame.attrs["columns_line"] = 1
    return frame


def _first_line(text: str) -> int:
    """1-based number of the first non-blank line."""
    return next((i for i, line in enumerate(text.split("\n"), 1) if line.strip()), 1)


def _check_header(header: list[str], path) -> None:
    seen = {}
    for i, name in enumerate(header):
        if not name:
            header[i] = f"_unnamed_{i + 1}"
            continue
        if name in seen:
            raise CorpusError(
                f"column {name!r} appears twice in the header (columns {seen[name] + 1} and {i + 1})",
                file=path,
                line=1,
                field=name,
            )
        seen[name] = i


# ---- JSON Lines, JSON ---------------------------------------------------------------------------------
def read_jsonl(path, *, text: str | None = None, require_snapshot: bool = False):
    """Read JSON Lines: one object per line (blank lines skipped). arXiv snapshots are recognised."""
    if text is None:
        text = decode_text(read_bytes(path), path, "JSON Lines")
    records, lines = [], []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        try:
            record = _json_loads(line, path, number)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"malformed JSON line: {exc.msg} (column {exc.colno})", file=path, line=number
            ) from None
        if not isinstance(record, dict):
            raise CorpusError(
                f"expected one JSON object per line, found {_json_type(record)}", file=path, line=number
            )
        records.append(record)
        lines.append(number)
    if require_snapshot and records and not is_arxiv_snapshot(records[0]):
        raise CorpusError(
            "not an arXiv metadata snapshot record (expected 'id', 'abstract' and 'versions')",
            file=path,
            line=lines[0],
        )
    return _records_frame(records, lines, "jsonl")


def _json_loads(text: str, path, line: int | None):
    """``json.loads``, with nesting too deep for Python's parser reported as a ``CorpusError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise CorpusError(
            "JSON nested too deeply to read (a paper record is a flat object)", file=path, line=line
        ) from None


def _json_type(value) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _records_frame(records: list[dict], lines: list[int], fmt: str):
    import pandas as pd

    if records and is_arxiv_snapshot(records[0]):
        frame = from_arxiv_snapshot(records, lines)
        frame.attrs["format"] = "arxiv-snapshot"
        return frame
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame["_line"] = pd.Series(lines, dtype="int64")
    frame.attrs["format"] = fmt
    if lines:
        frame.attrs["columns_line"] = lines[0]  # where a missing column is first missed
    return frame


# Keys under which JSON exports put their list of papers.
_LIST_KEYS = ("papers", "records", "items", "data", "results", "entries", "documents", "rows", "articles")


def read_json(path, *, text: str | None = None):
    """Read a JSON array of objects, or an object holding one list of objects (``{"papers": [...]}``).

    A ``.json`` file that is really JSON Lines (as the arXiv snapshot is) is read as JSON Lines.
    """
    if text is None:
        text = decode_text(read_bytes(path), path, "JSON")
    if not text.strip():
        raise CorpusError("empty file: expected a JSON array of papers", file=path, line=1)
    try:
        data = _json_loads(text, path, None)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and _first_line_is_object(text):
            return read_jsonl(path, text=text)
        raise CorpusError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno
        ) from None
    if isinstance(data, list):
        items = data
        lines = _json_item_lines(text, None, len(items))
    elif isinstance(data, dict):
        key = _paper_list_key(data, path)
        items = [data] if key is None else data[key]  # no list: the object is one paper
        lines = [_first_line(text)] if key is None else _json_item_lines(text, key, len(items))
    else:
        raise CorpusError(
            f"expected a JSON array of paper objects, found {_json_type(data)}", file=path, line=1
        )
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise CorpusError(
                f"item {i + 1} of the array is {_json_type(item)}, not an object",
                file=path,
                line=lines[i] if lines else None,
            )
    return _records_frame(items, lines or list(range(1, len(items) + 1)), "json")


def _paper_list_key(data: dict, path) -> str | None:
    """The key of the list of papers in a JSON object (None when the object is itself one paper)."""
    lists = [k for k, v in data.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    preferred = [k for k in lists if str(k).lower() in _LIST_KEYS]
    is_paper = any(str(k).lower() in ("title", "abstract") for k in data)
    if len(preferred) == 1:
        return preferred[0]
    if len(lists) == 1 and not is_paper:
        return lists[0]
    if is_paper and not preferred:
        return None
    if len(lists) > 1:
        raise CorpusError(
            f"the JSON object holds several lists of objects ({', '.join(map(repr, lists))}); "
            "expected exactly one list of papers",
            file=path,
            line=1,
        )
    empty = [k for k, v in data.items() if isinstance(v, list) and not v]
    if len(empty) == 1:
        return empty[0]  # {"papers": []}: an empty corpus, reported as such by ingest
    raise CorpusError(
        "expected a JSON array of paper objects, or an object holding one list of them; found an "
        f"object with keys {', '.join(map(repr, list(data)[:10]))}",
        file=path,
        line=1,
    )


def _first_line_is_object(text: str) -> bool:
    first = next((line for line in text.split("\n") if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


_JSON_WS = re.compile(r"[ \t\n\r]*")


def _json_item_lines(text: str, key: str | None, count: int) -> list[int] | None:
    """The line each item of the paper array starts on (None if the layout is unexpected)."""
    decoder = json.JSONDecoder()

    def skip(pos: int) -> int:
        return _JSON_WS.match(text, pos).end()

    try:
        pos = skip(0)
        if key is not None:  # walk the top-level object to the value of `key`
            pos = skip(pos + 1)
            while True:
                name, pos = decoder.raw_decode(text, pos)
                pos = skip(skip(pos) + 1)  # past ':'
                if name == key:
                    break
                _, pos = decoder.raw_decode(text, pos)
                pos = skip(skip(pos) + 1)  # past ','
        pos = skip(pos + 1)  # past '['
        offsets = []
        while text[pos] != "]":
            offsets.append(pos)
            _, pos = decoder.raw_decode(text, pos)
            pos = skip(pos)
            if text[pos] == ",":
                pos = skip(pos + 1)
    except (ValueError, IndexError, RecursionError):
        return None
    if len(offsets) != count:
        return None
    newlines = [m.start() for m in re.finditer("\n", text)]
    return [bisect.bisect_right(newlines, off) + 1 for off in offsets]


# ---- Parquet ------------------------------------------------------------------------------------------
def read_parquet(path):
    """Read a Parquet file; ``_line`` is the 1-based row number."""
    from landscape.errors import require

    p = Path(path)
    if not p.exists():
        raise CorpusError("file not found", file=path)
    if p.is_dir():
        raise CorpusError("is a directory; pass the corpus files it contains", file=path)
    with open(p, "rb") as handle:
        head = handle.read(64)
    if not head.startswith(b"PAR1"):
        preview = head.decode("utf-8", errors="replace").split("\n", 1)[0][:40]
        what = "it is empty" if not head else f"it starts with {preview!r}"
        raise CorpusError(
            f"not a Parquet file ({what}); check the file or its extension (.csv, .jsonl, ...)", file=path
        )
    pq = require("pyarrow.parquet", package="pyarrow")
    try:
        frame = pq.read_table(p).to_pandas()
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise CorpusError(f"unreadable Parquet file ({exc})", file=path) from None
    frame = frame.reset_index(drop=True)
    frame["_line"] = range(1, len(frame) + 1)
    frame.attrs["format"] = "parquet"
    frame.attrs["line_word"] = "row"
    return frame


# ---- Hugging Face papers page (saved as text) ---------------------------------------------------------
_HF_HEADER = re.compile(
    r"(new|subscribe|daily papers|papers|trending|get trending papers in your email inbox!?|"
    r"by\s*ak and the research community|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}"
    r"(, \d{4})?|previous|next|load more)",
    re.IGNORECASE,
)


def _paragraphs(text: str) -> list[tuple[str, int, int]]:
    """(text, first line, number of lines) of each blank-line-separated paragraph."""
    paragraphs, current, start = [], [], 0
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                start = number
            current.append(line.strip())
        elif current:
            paragraphs.append((" ".join(current), start, len(current)))
            current = []
    if current:
        paragraphs.append((" ".join(current), start, len(current)))
    return paragraphs


def _is_title(paragraph: tuple[str, int, int]) -> bool:
    text, _, nlines = paragraph
    return nlines == 1 and len(text) <= 300 and len(re.findall(r"[.!?]\s", text)) < 2


def _is_abstract_after(title: tuple[str, int, int], candidate: tuple[str, int, int]) -> bool:
    if not _is_title(candidate):
        return True
    # a short one-line abstract: clearly longer than its title
    return len(candidate[0]) >= max(80, 2 * len(title[0]))


def read_hf_page(path, *, text: str | None = None):
    """Read the Hugging Face daily-papers page saved as text.

    Layout: page header lines (``new``, ``Subscribe``, a date such as ``Mar 11``), then for each paper
    a one-line title paragraph and an abstract paragraph, separated by blank lines. Header lines
    before the first title/abstract pair are skipped. After that, a title without an abstract (or an
    abstract without a title) still becomes a row, which ingest rejects with the reason.
    """
    import pandas as pd

    if text is None:
        text = decode_text(read_bytes(path), path, "text")
    paragraphs = _paragraphs(text)
    start = next(
        (
            i
            for i in range(len(paragraphs) - 1)
            if _is_title(paragraphs[i])
            and not _HF_HEADER.fullmatch(paragraphs[i][0])
            and _is_abstract_after(paragraphs[i], paragraphs[i + 1])
        ),
        None,
    )
    if start is None:
        raise CorpusError(
            "not a Hugging Face papers page: expected one-line titles each followed by an abstract "
            "paragraph, separated by blank lines",
            file=path,
        )
    rows = []
    i = start
    while i < len(paragraphs):
        paragraph = paragraphs[i]
        if _is_title(paragraph):
            if i + 1 < len(paragraphs) and _is_abstract_after(paragraph, paragraphs[i + 1]):
                rows.append((paragraph[0], paragraphs[i + 1][0], paragraph[1]))
                i += 2
            else:
                rows.append((paragraph[0], "", paragraph[1]))
                i += 1
        else:
            rows.append(("", paragraph[0], paragraph[1]))
            i += 1
    frame = pd.DataFrame(rows, columns=["title", "abstract", "_line"])
    frame["_line"] = frame["_line"].astype("int64")
    frame.attrs["format"] = "hf-page"
    return frame


# ---- arXiv metadata snapshot --------------------------------------------------------------------------
def is_arxiv_snapshot(record: dict) -> bool:
    """Whether a JSON record is in the Kaggle arXiv metadata snapshot format."""
    return isinstance(record.get("versions"), list) and "id" in record and "abstract" in record


def _snapshot_authors(record: dict) -> str:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            if isinstance(parts, list) and parts:
                last, first, suffix = (list(parts) + ["", "", ""])[:3]
                names.append(" ".join(p for p in (first, last, suffix) if p))
        return "; ".join(names)
    authors = record.get("authors") or ""
    return "; ".join(n.strip() for n in re.split(r",\s*|\s+and\s+", str(authors)) if n.strip())


def from_arxiv_snapshot(records: list[dict], lines: list[int]):
    """Map arXiv snapshot records to the schema: ``arXiv:<id>``, first-version date, abs URL."""
    import pandas as pd

    from landscape.corpus.ids import normalise_arxiv_id

    rows = []
    for record in records:
        raw_id = str(record.get("id") or "").strip()
        arxiv_id = normalise_arxiv_id(raw_id) or raw_id
        versions = record.get("versions") or []
        first = versions[0] if versions and isinstance(versions[0], dict) else {}
        rows.append(
            {
                "id": f"arXiv:{arxiv_id}" if arxiv_id else "",
                "title": record.get("title") or "",
                "abstract": record.get("abstract") or "",
                "date": first.get("created") or "",
                "authors": _snapshot_authors(record),
                "categories": record.get("categories") or "",
                "url": f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else "",
                "arxiv_id": arxiv_id,
                "doi": record.get("doi") or "",
            }
        )
    frame = pd.DataFrame(rows)
    frame["_line"] = pd.Series(lines, dtype="int64")
    return frame


# ---- BibTeX and RIS -----------------------------------------------------------------------------------
def _person(name: str) -> str:
    """``Last, First`` -> ``First Last`` (``Last, Jr, First`` -> ``First Last Jr``)."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and parts[0] and parts[1]:
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and parts[0] and parts[2]:
        return " ".join(p for p in (parts[2], parts[0], parts[1]) if p)
    return name.strip()


def _split_bibtex_names(value: str) -> list[str]:
    """Split a BibTeX author list on ``and`` outside braces (``{Barnes and Noble}`` stays whole)."""
    names, depth, start = [], 0, 0
    for match in re.finditer(r"[{}]|\s+and\s+", value, flags=re.IGNORECASE):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            names.append(value[start : match.start()])
            start = match.end()
    names.append(value[start:])
    return [n.strip() for n in names if n.strip() and n.strip().lower() != "others"]


def _keywords(value) -> list[str]:
    """Keywords as category tokens (inner spaces become ``_`` so the list stays space-separated)."""
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value or ""))
    # Zotero's "Computer Science - Machine Learning" -> "Computer_Science-Machine_Learning"
    return [re.sub(r"\s+", "_", re.sub(r"\s+-\s+", "-", k.strip())) for k in items if k and k.strip()]


def _arxiv_from(*candidates) -> str:
    from landscape.corpus.ids import ARXIV_IN_TEXT, normalise_arxiv_id

    for value in candidates:
        if not value:
            continue
        value = str(value)
        arxiv_id = normalise_arxiv_id(value)
        if arxiv_id:
            return arxiv_id
        for match in ARXIV_IN_TEXT.finditer(value):
            arxiv_id = normalise_arxiv_id(match["id"])
            if arxiv_id:
                return arxiv_id
    return ""


def read_bibtex(path, *, text: str | None = None):
    """Read a BibTeX export (Zotero, Mendeley, Google Scholar) with bibtexparser 2.

    Titles, abstracts and names lose their protective braces and LaTeX accents (``Caf\\'{e}`` ->
    ``Café``); ``$...$`` math is kept. The date comes from ``date`` or ``year`` + ``month``;
    ``keywords`` and ``primaryClass`` become categories; arXiv ids are found in ``eprint``,
    ``arxivId``, ``journal`` ("arXiv preprint arXiv:..."), ``note``, ``url`` or an arXiv DOI.
    """
    import logging

    import pandas as pd

    from landscape.corpus.dates import month_number
    from landscape.corpus.text import latex_to_text
    from landscape.errors import require

    bibtexparser = require("bibtexparser", package="bibtexparser")
    if text is None:
        text = decode_text(read_bytes(path), path, "BibTeX")
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.ERROR)  # failed blocks are reported below as a CorpusError instead
    try:
        library = bibtexparser.parse_string(text)
    finally:
        logger.setLevel(level)
    entries = list(library.entries)
    for block in library.failed_blocks:
        duplicate = getattr(block, "ignore_error_block", None)
        if duplicate is not None and hasattr(duplicate, "fields"):
            entries.append(duplicate)  # a repeated citation key: keep it; ingest merges duplicates
            continue
        reason = getattr(getattr(block, "error", None), "abort_reason", "") or str(
            getattr(block, "error", "")
        )
        first = block.raw.strip().split("\n", 1)[0][:60]
        raise CorpusError(
            f"malformed BibTeX entry {first!r}: {' '.join(reason.split()) or 'cannot be parsed'}",
            file=path,
            line=block.start_line + 1,
        )
    if not entries:
        raise CorpusError("no BibTeX entries found (expected @article{...} or similar)", file=path)

    def readable(value) -> str:
        value = str(value or "").strip()
        if len(value) >= 2 and value[0] == "{" and value[-1] == "}":
            value = value[1:-1]
        return latex_to_text(value, strip_braces=True)

    rows = []
    for entry in sorted(entries, key=lambda e: e.start_line):
        fields = {f.key.lower(): f.value for f in entry.fields}
        year, month = readable(fields.get("year")), fields.get("month")
        date = readable(fields.get("date"))
        if not date and year:
            number = month_number(readable(month)) if month else None
            date = f"{year}-{number:02d}" if number and re.fullmatch(r"\d{4}", year) else year
        doi = readable(fields.get("doi"))
        arxiv_id = ""
        if str(fields.get("archiveprefix", fields.get("eprinttype", ""))).lower().strip("{}") == "arxiv" or (
            "eprint" in fields
        ):
            arxiv_id = _arxiv_from(readable(fields.get("eprint")))
        arxiv_id = arxiv_id or _arxiv_from(
            readable(fields.get("arxivid")),
            readable(fields.get("journal")),
            readable(fields.get("note")),
            readable(fields.get("url")),
            doi.replace("10.48550/arXiv.", "arXiv:") if doi.lower().startswith("10.48550/arxiv.") else "",
        )
        categories = [readable(fields.get("primaryclass"))] + _keywords(readable(fields.get("keywords")))
        rows.append(
            {
                "id": f"doi:{doi}" if doi and not arxiv_id else "",
                "title": readable(fields.get("title")),
                "abstract": readable(fields.get("abstract")),
                "date": date,
                "authors": "; ".join(
                    _person(readable(n)) for n in _split_bibtex_names(str(fields.get("author", "")))
                ),
                "categories": " ".join(dict.fromkeys(c for c in categories if c)),
                "url": readable(fields.get("url")),
                "arxiv_id": arxiv_id,
                "doi": doi,
                "_line": entry.start_line + 1,
            }
        )
    frame = pd.DataFrame(rows)
    frame["_line"] = frame["_line"].astype("int64")
    frame.attrs["format"] = "bibtex"
    return frame


_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _ris_date(value) -> str:
    """RIS ``2017/06/12/`` or ``2017///`` -> ``2017-06-12`` / ``2017``; other forms are returned as is."""
    value = str(value or "").strip()
    parts = value.split("/")
    if len(parts) > 1 and re.fullmatch(r"\d{4}", parts[0]):
        kept = [parts[0]]
        for part in parts[1:3]:
            if not re.fullmatch(r"\d{1,2}", part.strip()):
                break
            kept.append(part.strip().zfill(2))
        return "-".join(kept)
    return value


def read_ris(path, *, text: str | None = None):
    """Read a RIS export (Zotero, Mendeley, EndNote) with rispy; ``_line`` is the record's ``TY`` line.

    A record must start with ``TY  -`` and end with ``ER  -``; an unterminated record is an error
    naming its first line.
    """
    import pandas as pd

    from landscape.errors import require

    rispy = require("rispy", package="rispy")
    if text is None:
        text = decode_text(read_bytes(path), path, "RIS")
    records, current, start = [], None, 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        match = _RIS_TAG.match(line)
        tag = match.group(1) if match else None
        if tag == "TY":
            if current is not None:
                raise CorpusError("RIS record has no 'ER  -' end line", file=path, line=start)
            current, start = [line], number
        elif current is not None:
            current.append(line)
            if tag == "ER":
                records.append((start, "\n".join(current)))
                current = None
        elif line.strip():
            raise CorpusError(
                "not a RIS file: expected records starting with a 'TY  - ' line", file=path, line=number
            )
    if current is not None:
        raise CorpusError("RIS record has no 'ER  -' end line", file=path, line=start)
    if not records:
        raise CorpusError("no RIS records found (expected lines such as 'TY  - JOUR')", file=path)
    rows = []
    for start, record_text in records:
        try:
            parsed = rispy.loads(record_text)
        except Exception as exc:  # rispy raises plain exceptions for malformed records
            raise CorpusError(f"malformed RIS record ({exc})", file=path, line=start) from None
        entry = parsed[0] if parsed else {}
        authors = [*entry.get("first_authors", []), *entry.get("authors", [])]
        doi = str(entry.get("doi") or "").strip()
        urls = entry.get("urls") or []
        arxiv_id = _arxiv_from(doi.replace("10.48550/arXiv.", "arXiv:"), *urls, entry.get("notes"))
        rows.append(
            {
                "id": f"doi:{doi}" if doi and not arxiv_id else "",
                "title": entry.get("title") or entry.get("primary_title") or "",
                "abstract": entry.get("abstract") or entry.get("notes_abstract") or "",
                "date": _ris_date(entry.get("date") or entry.get("year") or entry.get("publication_year")),
                "authors": "; ".join(_person(a) for a in authors if a.strip()),
                "categories": " ".join(dict.fromkeys(_keywords(entry.get("keywords") or []))),
                "url": urls[0] if urls else "",
                "arxiv_id": arxiv_id,
                "doi": doi,
                "_line": start,
            }
        )
    frame = pd.DataFrame(rows)
    frame["_line"] = frame["_line"].astype("int64")
    frame.attrs["format"] = "ris"
    return frame


# ---- the format registry (after the readers it names) --------------------------------------------
FORMAT_REGISTRY: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", "CSV", (".csv",), lambda path, text: read_csv(path, text=text)),
        Format("tsv", "TSV", (".tsv",), lambda path, text: read_csv(path, text=text, delimiter="\t")),
        Format("jsonl", "JSON Lines", (".jsonl", ".ndjson"), lambda path, text: read_jsonl(path, text=text)),
        Format("json", "JSON", (".json",), lambda path, text: read_json(path, text=text)),
        Format("parquet", "Parquet", (".parquet", ".pq"), lambda path, text: read_parquet(path), text=False),
        Format(
            "hf-page",
            "a Hugging Face papers page (text)",
            (),
            lambda path, text: read_hf_page(path, text=text),
        ),
        Format(
            "arxiv-snapshot",
            "an arXiv metadata snapshot (JSON Lines)",
            (),
            lambda path, text: read_jsonl(path, text=text, require_snapshot=True),
        ),
        Format("bibtex", "BibTeX", (".bib", ".bibtex"), lambda path, text: read_bibtex(path, text=text)),
        Format("ris", "RIS", (".ris",), lambda path, text: read_ris(path, text=text)),
        # .txt: CSV/TSV with a header, JSON, or a saved papers page, told apart by the content
        Format("text", "text", (".txt",), lambda path, text: _read_sniffed(path, text), forced=False),
    )
}
# the names ``format=`` accepts
FORMATS = tuple(name for name, f in FORMAT_REGISTRY.items() if f.forced)
