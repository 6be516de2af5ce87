"""The corpus schema every reader and fetcher produces, and the constants every layer shares.

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

# A paper no topic claimed: its topic id, and the label/area shown for it.
UNASSIGNED_TOPIC = -1
UNASSIGNED = "unassigned"

# Seed of every stochastic step when the caller gives none.
DEFAULT_RANDOM_STATE = 42

# ---- the saved landscape ------------------------------------------------------------------------
# Column -> kind of a saved landscape's tables (``landscape.store`` checks them on save and load).
# Kinds: "str" (text, may be missing), "int", "float", "datetime", "list" (a list of values).
# Required columns are what every consumer reads; the others are written by ``build`` and checked
# whenever present.
DOCUMENT_SCHEMA = {
    "id": "str",
    "title": "str",
    "abstract": "str",
    "date": "datetime",
    "date_precision": "str",
    "authors": "str",
    "categories": "str",
    "url": "str",
    "source": "str",
    "topic": "int",
    "topic_hdbscan": "int",
    "topic_label": "str",
    "area": "str",
    "parent": "int",
    "x": "float",
    "y": "float",
    "update": "int",  # written by `landscape update`: 0 for the build, then 1, 2, ...
}
DOCUMENT_COLUMNS = ("id", "title", "date", "topic", "topic_label", "area", "x", "y")  # required
TOPIC_SCHEMA = {
    "topic": "int",
    "label": "str",
    "size": "int",
    "keywords": "list",
    "parent": "int",
    "parent_label": "str",
    "area": "str",
    "area_score": "float",
    "representative_ids": "list",
}
TOPIC_COLUMNS = ("topic", "label", "size", "keywords", "area", "parent")  # required
