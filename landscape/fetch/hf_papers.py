"""Fetch the Hugging Face daily papers (one request per day), or read a saved papers page.

The API (``/api/daily_papers?date=YYYY-MM-DD``) answers a JSON list; each item's ``paper`` holds the
arXiv id, title, abstract (``summary``), arXiv publication date, authors and upvotes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from landscape.errors import LandscapeError, NoResults
from landscape.fetch.corpus import arxiv_id, records_to_frame
from landscape.fetch.http import PoliteClient, progress_log, resolve_base_url
from landscape.fetch.pages import PageStore

SOURCE = "Hugging Face papers"
HF_URL = "https://huggingface.co/api/daily_papers"
ENV_URL = "LANDSCAPE_HF_URL"
MIN_INTERVAL = 1.0
PAGE_LIMIT = 100  # the API's largest page; a day rarely has more papers
MAX_DAYS = 3660


def parse_day(content: bytes, where: str) -> list[dict]:
    """One day's JSON answer → records. Raises ``LandscapeError`` naming the day when malformed."""
    try:
        items = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        snippet = " ".join(content[:120].decode("utf-8", "replace").split())
        raise LandscapeError(f"{SOURCE}, {where}: response is not JSON: {exc} (starts {snippet!r})") from None
    if not isinstance(items, list):
        detail = f": {items.get('error')}" if isinstance(items, dict) and items.get("error") else ""
        raise LandscapeError(
            f"{SOURCE}, {where}: expected a JSON list of papers, got {type(items).__name__}{detail}"
        )
    records = []
    for number, item in enumerate(items, start=1):
        paper = item.get("paper") if isinstance(item, dict) else None
        if not isinstance(paper, dict) or not isinstance(paper.get("id"), str) or not paper["id"].strip():
            raise LandscapeError(f"{SOURCE}, {where}, item {number}: no 'paper' object with an 'id'")
        paper_id = paper["id"].strip()
        aid = arxiv_id(paper_id)
        published = str(paper.get("publishedAt") or "")[:10]
        authors = [
            " ".join(str(a.get("name") or "").split())
            for a in paper.get("authors") or []
            if isinstance(a, dict)
        ]
        upvotes = paper.get("upvotes")
        records.append(
            {
                "id": f"arXiv:{aid}" if aid else f"hf-papers:{paper_id}",
                "title": paper.get("title") or item.get("title") or "",
                "abstract": paper.get("summary") or item.get("summary") or "",
                "date": published or None,
                "date_precision": "day" if published else None,
                "authors": "; ".join(a for a in authors if a),
                "categories": "",
                "url": f"https://arxiv.org/abs/{aid}" if aid else f"https://huggingface.co/papers/{paper_id}",
                "source": "hf-papers",
                "arxiv_id": aid,
                "upvotes": upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
            }
        )
    return records


def _fetch_days(client, store, url, date_from, days, log) -> list[dict]:
    records: list[dict] = []
    for offset in range(days):
        day = (date_from + timedelta(days=offset)).isoformat()
        seen: set[str] = set()
        for page in range(MAX_DAYS):  # a day with more than PAGE_LIMIT papers takes a second page
            where = f"day {day}" + (f" page {page + 1}" if page else "")
            name = f"{day}-p{page}.json"
            content = store.load(name)
            if content is None:
                params = {"date": day, "limit": PAGE_LIMIT, **({"p": page} if page else {})}
                content = client.get(url, params, where=where).content
                got = parse_day(content, where)
                if got:  # an empty day is asked again on a rerun (it may have been a glitch)
                    store.save(name, content)
                log(f"{SOURCE}, {where}: {len(got)} papers ({offset + 1} of {days} days)")
            else:
                got = parse_day(content, where + ", kept on disk")
            new = [r for r in got if r["id"] not in seen]
            seen.update(r["id"] for r in new)
            records += new
            if len(got) < PAGE_LIMIT or not new:
                break
    return records


def fetch_hf_papers(
    date_from: date,
    date_to: date,
    *,
    base_url: str | None = None,
    pages_dir=None,
    client: PoliteClient | None = None,
    log=None,
    quiet: bool = False,
):
    """Fetch the daily papers of every day from ``date_from`` to ``date_to`` (inclusive).

    Days without papers (weekends) are fine; a range without any paper raises ``LandscapeError``.
    ``base_url`` defaults to ``$LANDSCAPE_HF_URL`` or the public API; ``pages_dir`` keeps each day's
    answer on disk so a rerun resumes.
    """
    log = progress_log(log, quiet)
    if date_from is None or date_to is None:
        raise LandscapeError("Hugging Face papers: give both --from and --to (YYYY-MM-DD)")
    if date_from > date_to:
        raise LandscapeError(f"Hugging Face papers: --from {date_from} is after --to {date_to}")
    days = (date_to - date_from).days + 1
    if days > MAX_DAYS:
        raise LandscapeError(f"Hugging Face papers: {days} days is more than {MAX_DAYS}; split the range")
    url = resolve_base_url(base_url, ENV_URL, HF_URL)
    client = client or PoliteClient(SOURCE, min_interval=MIN_INTERVAL, log=log)
    store = PageStore(pages_dir, "hf-papers", {"url": url, "limit": PAGE_LIMIT})
    try:
        records = _fetch_days(client, store, url, date_from, days, log)
    except LandscapeError as exc:
        raise store.explain(exc) from None
    if not records:
        raise NoResults(f"{SOURCE}: no papers between {date_from} and {date_to}")
    return records_to_frame(records)


def read_hf_papers_page(path):
    """A Hugging Face papers page saved as text → corpus DataFrame (the project's page reader parses it).

    The page has no arXiv ids or years, so ids are made from the titles; merged with fetched papers
    (:func:`~landscape.fetch.corpus.merge_corpora`) a page row takes the arXiv id of the same title.
    Rows without a title or an abstract are kept; ``landscape build`` rejects them with the reason.
    """
    from landscape.corpus.readers import read_hf_page
    from landscape.corpus.text import clean_text, title_id

    raw = read_hf_page(path)
    records = [
        {
            "id": title_id(clean_text(title)) if clean_text(title) else f"hf-page:{Path(path).name}:{line}",
            "title": title,
            "abstract": abstract,
            "date": None,
            "date_precision": None,
            "authors": "",
            "categories": "",
            "url": "",
            "source": "hf-papers",
        }
        for title, abstract, line in zip(raw["title"], raw["abstract"], raw["_line"], strict=True)
    ]
    return records_to_frame(records)
