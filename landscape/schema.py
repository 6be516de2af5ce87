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

# Abstracts shorter than this (characters) are rejected by ingest when the caller gives no minimum.
MIN_ABSTRACT_CHARS = 50

# Columns a build adds to the corpus in documents.parquet; a user's extra input column of one of
# these names (or of a corpus column) is kept as ``user_<name>`` (see corpus.columns.extra_names).
DOCUMENT_COLUMNS = (
    "topic",
    "topic_hdbscan",
    "topic_label",
    "area",
    "group",
    "group_label",
    "x",
    "y",
    "update",
)

# The second level of a landscape: every topic (topics.parquet) and paper (documents.parquet) carries
# its group id and the group's label; a paper no topic takes is still in a group (its own one,
# hierarchy.document_groups); -1 only in a landscape without topics (or saved before this rule).
GROUP_COLUMNS = ("group", "group_label")
# Why a topic is named as it is (topics.parquet): c-TF-IDF weight of each keyword, the share of its
# papers using the label's words, and that share against the rest of the corpus.
LABEL_EVIDENCE_COLUMNS = ("keyword_weights", "label_support", "label_lift")
# What curation (``landscape curate``, ``curation.yaml``) did to a topic (topics.parquet): its marks
# joined by ", " ("" when none). A name a person chose shows as curated in the reports.
CURATED_COLUMN = "curated"
CURATED_NAME, CURATED_MERGE, CURATED_PIN, CURATED_GROUP_NAME = "name", "merged", "pinned", "group name"

# ---- the saved landscape ------------------------------------------------------------------------
# Column -> kind in a saved landscape's tables (``landscape.store`` checks them on save and load).
# Kinds: "str" (text, may be missing), "int", "float", "datetime", "list" (a list of values).
# Required columns are what every consumer reads; the others are checked whenever present
# (``update`` is written by ``landscape update``: 0 for the build, then 1, 2, ...).
_KINDS = {"date": "datetime", "x": "float", "y": "float"}
_KINDS.update(dict.fromkeys(("topic", "topic_hdbscan", "group", "update"), "int"))
DOCUMENT_SCHEMA = {c: _KINDS.get(c, "str") for c in CORPUS_COLUMNS + DOCUMENT_COLUMNS}
REQUIRED_DOCUMENT_COLUMNS = ("id", "title", "date", "topic", "topic_label", "area", "x", "y")
TOPIC_SCHEMA = {
    "topic": "int",
    "label": "str",
    "size": "int",
    "keywords": "list",
    "group": "int",
    "group_label": "str",
    "area": "str",
    "area_score": "float",
    "representative_ids": "list",
    "keyword_weights": "list",
    "label_support": "float",
    "label_lift": "float",
    "curated": "str",
}
REQUIRED_TOPIC_COLUMNS = ("topic", "label", "size", "keywords", "area", "group")
