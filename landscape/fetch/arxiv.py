"""Fetch papers from the arXiv API (Atom feed), politely: one request every 3 s, paged, resumable.

The arXiv API terms ask for no more than one request every three seconds and a single connection at a
time; results are paged with ``start``/``max_results`` and sorted by submission date (oldest first) so
that papers submitted during a long fetch land on the last page instead of shifting the earlier ones.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from landscape.errors import LandscapeError, NoResults
from landscape.fetch.corpus import arxiv_id, records_to_frame
from landscape.fetch.http import PoliteClient, progress_log, resolve_base_url
from landscape.fetch.pages import PageStore

SOURCE = "arXiv"
ARXIV_URL = "http://export.arxiv.org/api/query"
ENV_URL = "LANDSCAPE_ARXIV_URL"
MIN_INTERVAL = 3.0  # seconds between requests, as the arXiv API terms ask
MAX_PAGE_SIZE = 2000  # the API's largest max_results per request
SERVED_LIMIT = 30000  # the API does not page beyond this many results of one query

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
_ATOM = "{http://www.w3.org/2005/Atom}"


def search_query(query: str, date_from: date | None = None, date_to: date | None = None) -> str:
    """The ``search_query`` sent to arXiv: the user's query AND a ``submittedDate`` range when dated."""
    query = (query or "").strip()
    if not query:
        raise LandscapeError("arXiv: --query is empty; e.g. 'abs:unlearning AND cat:cs.LG'")
    if date_from is None and date_to is None:
        return query
    if date_from and date_to and date_from > date_to:
        raise LandscapeError(f"arXiv: --from {date_from} is after --to {date_to}")
    low = (date_from or date(1991, 1, 1)).strftime("%Y%m%d") + "0000"
    high = (date_to or datetime.now(UTC).date()).strftime("%Y%m%d") + "2359"
    return f"({query}) AND submittedDate:[{low} TO {high}]"


def _text(element, path: str) -> str:
    found = element.find(path, _NS)
    return "" if found is None or found.text is None else found.text


def _snippet(content: bytes) -> str:
    return repr(" ".join(content[:120].decode("utf-8", "replace").split()))


def _error_in(root) -> str | None:
    # The API reports a bad query as a feed with one entry whose id points at its error page.
    for entry in root.findall("atom:entry", _NS):
        if "/api/errors" in _text(entry, "atom:id"):
            return " ".join(_text(entry, "atom:summary").split()) or "unknown error"
    return None


def _api_error(content: bytes) -> str | None:
    """The message of an arXiv API error feed, or None when ``content`` is not one."""
    try:
        return _error_in(ET.fromstring(content))
    except ET.ParseError:
        return None


def parse_feed(content: bytes, where: str) -> tuple[int, list[dict]]:
    """One Atom page → (total results the query has, records). Raises ``LandscapeError`` when malformed."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise LandscapeError(
            f"{SOURCE}, {where}: response is not Atom XML: {exc} (starts {_snippet(content)})"
        ) from None
    if root.tag != _ATOM + "feed":
        raise LandscapeError(f"{SOURCE}, {where}: response is not an Atom feed (root element <{root.tag}>)")
    error = _error_in(root)
    if error:
        raise LandscapeError(f"{SOURCE}, {where}: the service rejected the query: {error}")
    entries = root.findall("atom:entry", _NS)
    total_text = _text(root, "opensearch:totalResults").strip()
    try:
        total = int(total_text)
    except ValueError:
        raise LandscapeError(
            f"{SOURCE}, {where}: feed has no valid opensearch:totalResults (got {total_text!r})"
        ) from None
    records = []
    for number, entry in enumerate(entries, start=1):
        entry_url = _text(entry, "atom:id").strip()
        aid = arxiv_id(entry_url.rsplit("/abs/", 1)[-1]) if "/abs/" in entry_url else ""
        if not aid:
            raise LandscapeError(f"{SOURCE}, {where}, entry {number}: no arXiv id in <id> {entry_url!r}")
        published = _text(entry, "atom:published").strip()[:10]
        try:
            datetime.strptime(published, "%Y-%m-%d")
            precision = "day"
        except ValueError:
            published, precision = None, None
        primary = entry.find("arxiv:primary_category", _NS)
        categories = [primary.get("term")] if primary is not None and primary.get("term") else []
        for category in entry.findall("atom:category", _NS):
            term = category.get("term") or ""
            if term and term not in categories:
                categories.append(term)
        authors = [" ".join(_text(a, "atom:name").split()) for a in entry.findall("atom:author", _NS)]
        records.append(
            {
                "id": f"arXiv:{aid}",
                "title": _text(entry, "atom:title"),
                "abstract": _text(entry, "atom:summary"),
                "date": published,
                "date_precision": precision,
                "authors": "; ".join(a for a in authors if a),
                "categories": " ".join(categories),
                "url": f"https://arxiv.org/abs/{aid}",
                "source": "arxiv",
                "arxiv_id": aid,
                "doi": _text(entry, "arxiv:doi").strip().lower(),
            }
        )
    return total, records


def page_store(pages_dir, url: str, search: str, page_size: int) -> PageStore:
    """Where the pages of one query to one endpoint are kept."""
    return PageStore(pages_dir, "arxiv", {"url": url, "search_query": search, "page_size": page_size})


def _fetch_pages(client, store, url, search, max_results, page_size, empty_page_retries, log) -> list[dict]:
    """Page through the feed by the entries received (the API may answer fewer than asked) until the
    query's total, the served limit or ``max_results``."""
    records: list[dict] = []
    start, total, number = 0, None, 1
    wanted = max_results if max_results is not None else SERVED_LIMIT
    while total is None or start < min(total, SERVED_LIMIT, wanted):
        where = f"page {number} (start={start})"
        name = f"start-{start:07d}.xml"
        content = store.load(name)
        if content is not None:
            total, page = parse_feed(content, where + ", kept on disk")
        else:
            total, page, content = _ask(client, url, search, start, page_size, where, empty_page_retries, log)
            if page:
                store.save(name, content)
            log(f"{SOURCE}, {where}: {len(page)} papers ({min(start + len(page), total)} of {total})")
        if start == 0 and total > SERVED_LIMIT:
            log(
                f"{SOURCE}: the query has {total} results but the API serves at most {SERVED_LIMIT}; "
                "narrow it with --from/--to"
            )
        if not page:
            break
        records += page
        start += len(page)
        number += 1
    return records


def _ask(client, url, search, start, page_size, where, empty_page_retries, log):
    """One page from the service: (total, records, raw answer); an empty page is asked again."""
    params = {
        "search_query": search,
        "start": start,
        "max_results": page_size,
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
    }
    for attempt in range(empty_page_retries + 1):
        resp = client.get(url, params, where=where, accept=(400,))
        content = resp.content
        if resp.status == 400:  # a bad query; arXiv explains it in an Atom error entry
            reason = _api_error(content) or "HTTP 400 " + _snippet(content)
            raise LandscapeError(f"{SOURCE}, {where}: the service rejected the query: {reason}")
        total, page = parse_feed(content, where)
        if page or start >= total:
            return total, page, content
        if attempt == empty_page_retries:
            raise LandscapeError(
                f"{SOURCE}, {where}: no entries although the query has {total} results "
                f"({attempt + 1} tries); rerun later to resume"
            )
        log(f"{SOURCE}, {where}: empty page although {total} results; asking again")
    raise AssertionError("unreachable")


def fetch_arxiv(
    query: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    max_results: int | None = None,
    page_size: int = 200,
    base_url: str | None = None,
    pages_dir=None,
    client: PoliteClient | None = None,
    empty_page_retries: int = 3,
    log=None,
    quiet: bool = False,
):
    """Fetch every paper that matches an arXiv API query into a corpus DataFrame.

    Parameters
    ----------
    query : str
        arXiv search query, e.g. ``'abs:unlearning AND cat:cs.LG'``.
    date_from, date_to : date or None
        Submission-date range (inclusive), sent as ``submittedDate:[... TO ...]``.
    max_results : int or None
        Stop after this many papers (default: all the API serves).
    page_size : int
        Papers per request (1–2000).
    base_url : str or None
        Endpoint (default: ``$LANDSCAPE_ARXIV_URL`` or the public API).
    pages_dir : path or None
        Where received pages are kept so a rerun resumes (None: keep nothing).
    client : PoliteClient or None
        HTTP client (default: 3 s between requests, 4 retries with back-off).
    empty_page_retries : int
        The API now and then answers a page with no entries although more results exist; ask again
        this many times before giving up.
    log : callable or None
        Receives one-line progress messages (default: printed to stderr).
    quiet : bool
        Print no progress when no ``log`` is given.
    """
    log = progress_log(log, quiet)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise LandscapeError(f"arXiv: page size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    if max_results is not None and max_results < 1:
        raise LandscapeError(f"arXiv: --max must be at least 1, got {max_results}")
    url = resolve_base_url(base_url, ENV_URL, ARXIV_URL)
    search = search_query(query, date_from, date_to)
    client = client or PoliteClient(SOURCE, min_interval=MIN_INTERVAL, log=log)
    store = page_store(pages_dir, url, search, page_size)
    try:
        records = _fetch_pages(client, store, url, search, max_results, page_size, empty_page_retries, log)
    except LandscapeError as exc:
        raise store.explain(exc) from None
    if not records:
        raise NoResults(f"{SOURCE}: no papers match search_query={search!r}")
    return records_to_frame(records[:max_results] if max_results else records)
