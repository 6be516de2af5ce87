"""Fetch papers from arXiv, the Hugging Face daily papers and OpenAlex into a corpus file.

Every fetcher returns a corpus DataFrame with the columns of ``landscape.schema.CORPUS_COLUMNS`` (plus
``arxiv_id``, ``doi`` and, for Hugging Face, ``upvotes``), so ``landscape build`` takes any of them.
Fetches are polite (rate limit, retries with back-off, timeouts), resumable (received pages are kept in
``<output>.pages/`` until the output is written) and never leave a half-written output file.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

SOURCES = ("arxiv", "hf-papers", "openalex")

# public name -> module that defines it (imported on first use, so the CLI starts fast)
_EXPORTS = {
    "fetch_arxiv": "landscape.fetch.arxiv",
    "fetch_hf_papers": "landscape.fetch.hf_papers",
    "read_hf_papers_page": "landscape.fetch.hf_papers",
    "fetch_openalex": "landscape.fetch.openalex",
    "merge_corpora": "landscape.fetch.corpus",
    "write_corpus": "landscape.fetch.corpus",
    "read_fetched": "landscape.fetch.corpus",
    "PoliteClient": "landscape.fetch.http",
}

__all__ = sorted([*_EXPORTS, "SOURCES", "SavedCorpus", "save_fetched"])


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'landscape.fetch' has no attribute {name!r}")


@dataclass
class SavedCorpus:
    """What :func:`save_fetched` wrote."""

    path: Path
    papers: int
    merged: int  # rows folded into another paper (same arXiv id or normalised title)
    sources: dict  # papers per source tag ("arxiv", "arxiv+hf-papers", ...)


def save_fetched(frames, out, *, keep_pages: bool = False) -> SavedCorpus:
    """Merge fetched corpora, write ``out`` atomically and drop the pages kept for resuming.

    The pages under ``<out>.pages/`` are removed only after the output is in place, so an error while
    writing still leaves everything needed to rerun without asking the services again.
    """
    from landscape.errors import LandscapeError
    from landscape.fetch.corpus import check_output_path, merge_corpora, write_corpus
    from landscape.fetch.pages import remove_pages

    out = check_output_path(out)
    corpus, merged = merge_corpora(frames)
    if corpus.empty:
        raise LandscapeError(f"{out}: nothing to write, no papers were fetched")
    write_corpus(corpus, out)
    if not keep_pages:
        remove_pages(out)
    return SavedCorpus(out, len(corpus), merged, corpus["source"].value_counts().to_dict())
