"""Fetch works from OpenAlex: pyalex builds the query, a polite client pages through it by cursor.

pyalex gives the query grammar (``search``, ``filter``, ``select``) and rebuilds abstracts from
``abstract_inverted_index``. The requests themselves go through :class:`PoliteClient`, because pyalex
0.21 always targets ``https://api.openalex.org`` for lists (``config.openalex_url`` is not used there),
retries only over https and sets no timeout; we need ``--base-url``, timeouts and resumable pages.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit

from landscape.errors import LandscapeError, NoResults, require
from landscape.fetch.corpus import arxiv_id, records_to_frame
from landscape.fetch.http import PoliteClient, progress_log, resolve_base_url
from landscape.fetch.pages import PageStore

SOURCE = "OpenAlex"
OPENALEX_URL = "https://api.openalex.org"
ENV_URL = "LANDSCAPE_OPENALEX_URL"
ENV_EMAIL = "LANDSCAPE_EMAIL"
ENV_API_KEY = "LANDSCAPE_OPENALEX_API_KEY"
MIN_INTERVAL = 0.2  # OpenAlex allows 10 requests/s; stay well under
PER_PAGE = 200  # the API's largest page
CONCEPT_MIN_SCORE = 0.3  # concepts below this are weak guesses; topics are kept whatever their score
FIELDS = (
    "id",
    "doi",
    "title",
    "display_name",
    "publication_date",
    "publication_year",
    "abstract_inverted_index",
    "authorships",
    "primary_topic",
    "topics",
    "concepts",
    "primary_location",
    "locations",
    "ids",
)

_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^?#\s]+?)(?:\.pdf)?/?$", re.IGNORECASE)


def works_query(search: str, from_year: int | None = None, to_year: int | None = None) -> str:
    """The query string of the works list, built with pyalex (``search=…&filter=…&select=…``)."""
    if not (search or "").strip():
        raise LandscapeError("OpenAlex: --search is empty; e.g. 'machine unlearning'")
    if from_year is not None and to_year is not None and from_year > to_year:
        raise LandscapeError(f"OpenAlex: --from-year {from_year} is after --to-year {to_year}")
    pyalex = require("pyalex", package="pyalex")
    works = pyalex.Works().search(search.strip())
    if from_year is not None:
        works = works.filter(from_publication_date=f"{int(from_year):04d}-01-01")
    if to_year is not None:
        works = works.filter(to_publication_date=f"{int(to_year):04d}-12-31")
    return urlsplit(works.select(list(FIELDS)).url).query


def _doi(value) -> str:
    text = str(value or "").strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


def _work_arxiv_id(work: dict, doi: str) -> str:
    match = _ARXIV_DOI.match(doi)
    if match and arxiv_id(match.group(1)):
        return arxiv_id(match.group(1))
    locations = [work.get("primary_location")] + list(work.get("locations") or [])
    for location in locations:
        if not isinstance(location, dict):
            continue
        for key in ("landing_page_url", "pdf_url"):
            found = _ARXIV_URL.search(str(location.get(key) or ""))
            if found and arxiv_id(found.group(1)):
                return arxiv_id(found.group(1))
    return ""


def _label(name) -> str:
    """A topic or concept name as one category token (``Machine Learning`` → ``Machine_Learning``)."""
    return "_".join(str(name or "").split())


def _categories(work: dict) -> str:
    names = []
    primary = work.get("primary_topic")
    if isinstance(primary, dict):
        names.append(primary.get("display_name"))
    names += [t.get("display_name") for t in work.get("topics") or [] if isinstance(t, dict)]
    names += [
        c.get("display_name")
        for c in work.get("concepts") or []
        if isinstance(c, dict) and (c.get("score") or 0) >= CONCEPT_MIN_SCORE
    ]
    labels: list[str] = []
    for name in names:
        label = _label(name)
        if label and label not in labels:
            labels.append(label)
    return " ".join(labels)


def _check_shape(work: dict) -> None:
    """Raise ``TypeError`` naming the first field whose JSON type is not what OpenAlex documents."""
    expected = {
        "title": str,
        "display_name": str,
        "doi": str,
        "publication_date": str,
        "ids": dict,
        "primary_location": dict,
        "primary_topic": dict,
        "abstract_inverted_index": dict,
        "authorships": list,
        "topics": list,
        "concepts": list,
        "locations": list,
    }
    for name, kind in expected.items():
        value = work.get(name)
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"'{name}' is {type(value).__name__}, expected {kind.__name__}")
    for name in ("authorships", "topics", "concepts", "locations"):
        for item in work.get(name) or []:
            if not isinstance(item, dict):
                raise TypeError(f"'{name}' holds {type(item).__name__}, expected objects")
    for concept in work.get("concepts") or []:
        score = concept.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise TypeError(f"'concepts' score {score!r} is not a number")


def work_record(work: dict, where: str) -> dict:
    """One OpenAlex work → a corpus record; a record of the wrong shape is an error naming it."""
    openalex = str(work.get("id") or "").rsplit("/", 1)[-1]
    if not openalex:
        raise LandscapeError(f"{SOURCE}, {where}: a work without an 'id'")
    try:
        _check_shape(work)
        return _work_record(work, openalex)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise LandscapeError(f"{SOURCE}, {where} ({openalex}): malformed record: {exc}") from None


def _work_record(work: dict, openalex: str) -> dict:
    from pyalex import invert_abstract

    doi = _doi(work.get("doi") or (work.get("ids") or {}).get("doi"))
    aid = _work_arxiv_id(work, doi)
    index = work.get("abstract_inverted_index")
    published = str(work.get("publication_date") or "")[:10]
    year = work.get("publication_year")
    if published:
        day, precision = published, "day"
    elif isinstance(year, int):
        day, precision = f"{year:04d}-01-01", "year"
    else:
        day, precision = None, None
    authors = []
    for authorship in work.get("authorships") or []:
        author = authorship.get("author") if isinstance(authorship, dict) else None
        name = " ".join(str((author or {}).get("display_name") or "").split())
        if name:
            authors.append(name)
    primary = work.get("primary_location") if isinstance(work.get("primary_location"), dict) else {}
    if aid:
        url = f"https://arxiv.org/abs/{aid}"
    elif doi:
        url = f"https://doi.org/{doi}"
    else:
        url = primary.get("landing_page_url") or f"https://openalex.org/{openalex}"
    return {
        "id": f"arXiv:{aid}" if aid else (f"doi:{doi}" if doi else f"openalex:{openalex}"),
        "title": work.get("title") or work.get("display_name") or "",
        "abstract": invert_abstract(index) if index else "",
        "date": day,
        "date_precision": precision,
        "authors": "; ".join(authors),
        "categories": _categories(work),
        "url": url,
        "source": "openalex",
        "arxiv_id": aid,
        "doi": doi,
    }


def parse_page(content: bytes, where: str) -> tuple[list[dict], str | None, int | None]:
    """One page of works → (records, next cursor, total count)."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        snippet = " ".join(content[:120].decode("utf-8", "replace").split())
        raise LandscapeError(f"{SOURCE}, {where}: response is not JSON: {exc} (starts {snippet!r})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        if isinstance(data, dict) and data.get("error"):
            raise LandscapeError(f"{SOURCE}, {where}: {data.get('error')}: {data.get('message', '')}")
        raise LandscapeError(f"{SOURCE}, {where}: response is not a list of works (no 'results' list)")
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    records = []
    for number, work in enumerate(data["results"], start=1):
        if not isinstance(work, dict):
            raise LandscapeError(f"{SOURCE}, {where}, work {number}: not a JSON object")
        records.append(work_record(work, f"{where}, work {number}"))
    count = meta.get("count") if isinstance(meta.get("count"), int) else None
    return records, meta.get("next_cursor") or None, count


def _fetch_pages(client, store, url, email, headers, max_results, log) -> list[dict]:
    """Follow the cursor until the last page or ``max_results``; a cursor seen before stops it."""
    records: list[dict] = []
    cursor, number, seen = "*", 1, set()
    while cursor and (max_results is None or len(records) < max_results):
        where = f"page {number}"
        if cursor in seen:
            raise LandscapeError(
                f"{SOURCE}, {where}: the service sent cursor {cursor!r} again; stopped instead of "
                f"looping ({len(records)} works so far)"
            )
        seen.add(cursor)
        name = f"page-{number:05d}.json"
        content = store.load(name)
        if content is not None:
            page, cursor, count = parse_page(content, where + ", kept on disk")
        else:
            params = {"per-page": PER_PAGE, "cursor": cursor}
            if email:
                params["mailto"] = email
            content = client.get(url, params, where=where, headers=headers).content
            page, cursor, count = parse_page(content, where)
            if page:
                store.save(name, content)
            log(f"{SOURCE}, {where}: {len(page)} works ({len(records) + len(page)} of {count})")
        if not page:
            break
        records += page
        number += 1
    return records


def fetch_openalex(
    search: str,
    *,
    from_year: int | None = None,
    to_year: int | None = None,
    max_results: int | None = None,
    email: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    pages_dir=None,
    client: PoliteClient | None = None,
    log=None,
    quiet: bool = False,
):
    """Fetch the works matching a full-text search into a corpus DataFrame.

    Parameters
    ----------
    search : str
        OpenAlex ``search`` text (titles, abstracts, full text), e.g. ``'machine unlearning'``.
    from_year, to_year : int or None
        Publication-year range (inclusive).
    max_results : int or None
        Stop after this many works.
    email : str or None
        Sent as ``mailto`` for OpenAlex's polite pool (default: ``$LANDSCAPE_EMAIL``).
    api_key : str or None
        OpenAlex API key (default: ``$LANDSCAPE_OPENALEX_API_KEY``).
    base_url : str or None
        Endpoint (default: ``$LANDSCAPE_OPENALEX_URL`` or the public API); ``/works`` is appended.
    pages_dir : path or None
        Where received pages are kept so a rerun resumes by cursor (None: keep nothing).
    client : PoliteClient or None
        HTTP client (default: 0.2 s between requests, 4 retries with back-off).
    log : callable or None
        Receives one-line progress messages (default: printed to stderr).
    quiet : bool
        Print no progress when no ``log`` is given.
    """
    log = progress_log(log, quiet)
    if max_results is not None and max_results < 1:
        raise LandscapeError(f"OpenAlex: --max must be at least 1, got {max_results}")
    query = works_query(search, from_year, to_year)
    url = resolve_base_url(base_url, ENV_URL, OPENALEX_URL).rstrip("/") + "/works?" + query
    email = email or os.environ.get(ENV_EMAIL) or None
    api_key = api_key or os.environ.get(ENV_API_KEY) or None
    if client is None:
        client = PoliteClient(SOURCE, min_interval=MIN_INTERVAL, log=log)
        if email:
            client.user_agent += f" mailto:{email}"
    # the key goes in a header (as pyalex sends it), so it never shows up in a URL in an error message
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    store = PageStore(pages_dir, "openalex", {"url": url, "per_page": PER_PAGE})
    try:
        records = _fetch_pages(client, store, url, email, headers, max_results, log)
    except LandscapeError as exc:
        raise store.explain(exc) from None
    if not records:
        raise NoResults(f"{SOURCE}: no works match search {search!r}")
    return records_to_frame(records[:max_results] if max_results else records)
