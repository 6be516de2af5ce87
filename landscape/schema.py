"""The corpus schema every reader and fetcher produces, and the errors they raise.

A corpus is a pandas DataFrame with one row per paper:

=================  ==========================================================
column             meaning
=================  ==========================================================
id                 unique string id (``arXiv:2205.11916``, a DOI, or made from
                   the title when the input has none)
title, abstract    cleaned text (whitespace and HTML entities normalised)
date               ``datetime64[ns]`` or NaT; the first day of the month/year
                   when only that is known
date_precision     ``"day"``, ``"month"``, ``"year"`` or ``None`` (no date)
authors            authors joined by ``"; "`` (empty string when unknown)
categories         space-separated categories, primary first (arXiv style)
url                link to the paper (empty string when unknown)
source             where the record came from (file name or service)
=================  ==========================================================
"""

from __future__ import annotations

REQUIRED_COLUMNS = ("id", "title", "abstract")
OPTIONAL_COLUMNS = ("date", "authors", "categories", "url", "source")
CORPUS_COLUMNS = (
    "id",
    "title",
    "abstract",
    "date",
    "date_precision",
    "authors",
    "categories",
    "url",
    "source",
)
DATE_PRECISIONS = ("day", "month", "year")

# Rejects files have the corpus columns that could be read plus these.
REJECT_COLUMNS = ("file", "line", "field", "reason")


class LandscapeError(Exception):
    """Base class of the errors a user can fix (shown without a traceback on the CLI)."""


class CorpusError(LandscapeError):
    """Bad input: names the file, the row (1-based line number) and the field when known."""

    def __init__(self, message: str, *, file=None, line: int | None = None, field: str | None = None):
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if self.file is not None:
            where.append(self.file)
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class MissingDependencyError(LandscapeError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""


def require(module: str, extra: str | None = None, package: str | None = None):
    """Import an optional dependency or fail with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        hint = f"pip install 'landscape[{extra}]'" if extra else f"pip install {package or module}"
        raise MissingDependencyError(f"this feature needs the '{package or module}' package: {hint}") from exc
