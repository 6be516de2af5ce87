"""OpenAlex fetcher (pyalex query, cursor paging) against hand-built works pages served on 127.0.0.1."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_fetch_http import DATA, FakeServer, fake_client

from landscape.errors import LandscapeError
from landscape.fetch.openalex import fetch_openalex, parse_page, works_query
from landscape.schema import CORPUS_COLUMNS

JSON = {"Content-Type": "application/json"}
PAGE1 = (DATA / "openalex_page1.json").read_bytes()
PAGE2 = (DATA / "openalex_page2.json").read_bytes()
CURSOR2 = json.loads(PAGE1)["meta"]["next_cursor"]


def openalex_route(broken=None):
    """Cursor ``*`` → page 1, page 1's next_cursor → page 2, under /works."""
    calls: dict[str, int] = {}

    def route(path, query):
        assert path.endswith("/works")
        cursor = query["cursor"]
        calls[cursor] = calls.get(cursor, 0) + 1
        if broken is not None:
            answer = broken(cursor, calls[cursor])
            if answer is not None:
                return answer
        return 200, {"*": PAGE1, CURSOR2: PAGE2}[cursor], JSON

    return route


def client(**kwargs):
    return fake_client("OpenAlex", **{"min_interval": 0.2, "retries": 2, **kwargs})


def test_query_is_built_with_pyalex():
    query = works_query("machine unlearning", 2022, 2024)
    assert query.startswith("search=machine+unlearning&filter=from_publication_date:2022-01-01,")
    assert "to_publication_date:2024-12-31" in query
    assert "select=id,doi,title," in query and "abstract_inverted_index" in query


def test_cursor_paging_and_mapping():
    with FakeServer(openalex_route()) as server:
        c = client()
        corpus = fetch_openalex(
            "machine unlearning",
            from_year=2022,
            email="me@example.org",
            base_url=server.url + "/v1",
            client=c,
        )
    assert [path for path, _ in server.requests] == ["/v1/works", "/v1/works"]
    first, second = (q for _, q in server.requests)
    assert first["cursor"] == "*" and second["cursor"] == CURSOR2
    assert first["search"] == "machine unlearning"
    assert first["filter"] == "from_publication_date:2022-01-01"
    assert first["per-page"] == "200" and first["mailto"] == "me@example.org"
    assert all(
        gap >= 0.2 for gap in (b - a for a, b in zip(c.request_times, c.request_times[1:], strict=False))
    )

    assert list(corpus.columns) == [*CORPUS_COLUMNS, "arxiv_id", "doi"]
    assert corpus["id"].tolist() == [
        "arXiv:2310.00001",
        "doi:10.1000/journal.2024.55",
        "openalex:W1000000003",
    ]
    preprint, article, untitled_date = (corpus.iloc[i] for i in range(3))
    # abstract rebuilt from the inverted index, in word order
    assert preprint["abstract"] == "Machine unlearning removes the influence of chosen training examples."
    assert (
        article["abstract"]
        == "Users may ask a recommender to forget them; we audit whether it learns to forget."
    )
    assert preprint["arxiv_id"] == "2310.00001" and preprint["doi"] == "10.48550/arxiv.2310.00001"
    assert preprint["url"] == "https://arxiv.org/abs/2310.00001"
    assert preprint["authors"] == "Ada Example; Bo Tester"
    # topics (primary first), then confident concepts; one token per category
    assert preprint["categories"] == (
        "Privacy-Preserving_Machine_Learning Adversarial_Robustness_in_Machine_Learning Computer_science"
    )
    assert preprint["date"] == pd.Timestamp("2023-10-02") and preprint["date_precision"] == "day"
    assert article["url"] == "https://doi.org/10.1000/journal.2024.55"
    # no publication_date: the year, with year precision; no abstract: empty (build rejects it)
    assert untitled_date["date"] == pd.Timestamp("2023-01-01") and untitled_date["date_precision"] == "year"
    assert untitled_date["abstract"] == ""
    assert untitled_date["categories"] == "Data_deletion"


def test_the_email_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LANDSCAPE_EMAIL", "env@example.org")
    monkeypatch.setenv("LANDSCAPE_OPENALEX_API_KEY", "secret-key")
    with FakeServer(openalex_route()) as server:
        monkeypatch.setenv("LANDSCAPE_OPENALEX_URL", server.url)
        fetch_openalex("machine unlearning", client=client())
    assert server.requests[0][1]["mailto"] == "env@example.org"
    assert "api_key" not in server.requests[0][1]  # sent as a header, never in the URL
    assert server.raw_headers[0]["Authorization"] == "Bearer secret-key"


def test_max_stops_paging():
    with FakeServer(openalex_route()) as server:
        corpus = fetch_openalex("machine unlearning", max_results=2, base_url=server.url, client=client())
    assert len(corpus) == 2 and len(server.requests) == 1


def test_resume_follows_the_kept_cursor(tmp_path):
    state = {"down": True}

    def down(cursor, n):
        return (503, "Service Unavailable", {}) if cursor == CURSOR2 and state["down"] else None

    with FakeServer(openalex_route(broken=down)) as server:
        with pytest.raises(
            LandscapeError, match="OpenAlex, page 2: gave up after 3 tries: HTTP 503.*kept in"
        ):
            fetch_openalex("machine unlearning", base_url=server.url, pages_dir=tmp_path, client=client())
        state["down"] = False
        asked = len(server.requests)
        corpus = fetch_openalex(
            "machine unlearning", base_url=server.url, pages_dir=tmp_path, client=client()
        )
        assert [q["cursor"] for _, q in server.requests[asked:]] == [CURSOR2]
    assert len(corpus) == 3


def test_retry_after_a_timeout():
    def slow(cursor, n):
        return (200, PAGE1, {**JSON, "delay": 3.0}) if cursor == "*" and n == 1 else None

    # a deadline far below the slow answer but roomy for the others on a loaded machine
    with FakeServer(openalex_route(broken=slow)) as server:
        corpus = fetch_openalex("machine unlearning", base_url=server.url, client=client(timeout=1.0))
    assert [q["cursor"] for _, q in server.requests] == ["*", "*", CURSOR2]
    assert len(corpus) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>gateway</html>", "OpenAlex, page 2: response is not JSON"),
        (b'{"meta": {}}', r"OpenAlex, page 2: response is not a list of works \(no 'results' list\)"),
        (b'{"results": [{"title": "no id"}]}', "OpenAlex, page 2, work 1: a work without an 'id'"),
        (
            b'{"results": [{"id": "https://openalex.org/W9", "abstract_inverted_index": [1, 2]}]}',
            r"OpenAlex, page 2, work 1 \(W9\): malformed record: 'abstract_inverted_index' is list",
        ),
    ],
)
def test_malformed_pages_name_source_and_page(body, message):
    def broken(cursor, n):
        return (200, body, JSON) if cursor == CURSOR2 else None

    with FakeServer(openalex_route(broken=broken)) as server:
        with pytest.raises(LandscapeError, match=message):
            fetch_openalex("machine unlearning", base_url=server.url, client=client())


def test_api_error_message_is_shown():
    body = b'{"error": "Invalid query parameters error.", "message": "filter is not a valid field"}'
    with pytest.raises(
        LandscapeError, match="OpenAlex, page 1: Invalid query parameters error.: filter is not"
    ):
        parse_page(body, "page 1")
    with FakeServer(lambda path, query: (400, body, JSON)) as server:
        with pytest.raises(LandscapeError, match="OpenAlex, page 1: HTTP 400 .*filter is not a valid field"):
            fetch_openalex("machine unlearning", base_url=server.url, client=client())


def test_no_works_is_an_error():
    empty = b'{"meta": {"count": 0, "next_cursor": null}, "results": []}'
    with FakeServer(lambda path, query: (200, empty, JSON)) as server:
        with pytest.raises(LandscapeError, match="OpenAlex: no works match search 'zzzqqq'"):
            fetch_openalex("zzzqqq", base_url=server.url, client=client())


def test_bad_options():
    with pytest.raises(LandscapeError, match="--search is empty"):
        fetch_openalex(" ", client=client())
    with pytest.raises(LandscapeError, match="--from-year 2024 is after --to-year 2020"):
        fetch_openalex("x", from_year=2024, to_year=2020, client=client())


# ---- hostile answers (issue 12) ------------------------------------------------------------------------
def test_a_cursor_that_never_changes_stops_with_a_clear_message():
    page = json.loads(PAGE1)
    page["meta"]["next_cursor"] = "same"
    stuck = json.dumps(page).encode()
    with FakeServer(lambda path, query: (200, stuck, JSON)) as server:
        with pytest.raises(LandscapeError, match=r"OpenAlex, page 3: the service sent cursor 'same' again"):
            fetch_openalex("x", base_url=server.url, client=client())
    assert [q["cursor"] for _, q in server.requests] == ["*", "same"]  # never asked for "same" twice


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"authorships": ["Ada"]}, "authorships"),
        ({"ids": ["doi"]}, "ids"),
        ({"title": {"text": "T"}}, "title"),
        ({"concepts": [{"display_name": "ML", "score": "high"}]}, "concepts"),
    ],
)
def test_a_malformed_record_is_one_clear_error_naming_page_and_work(change, named):
    page = json.loads(PAGE1)
    page["results"][1].update(change)
    with pytest.raises(LandscapeError) as info:
        parse_page(json.dumps(page).encode(), "page 1")
    message = str(info.value)
    assert message.startswith("OpenAlex, page 1, work 2 (W1000000002): malformed record")
    assert named in message


def test_deeply_nested_answers_are_one_clear_error():
    from landscape.fetch.hf_papers import parse_day

    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(LandscapeError, match=r"OpenAlex, page 4: response is not JSON: maximum recursion"):
        parse_page(deep, "page 4")
    with pytest.raises(LandscapeError, match=r"Hugging Face papers, day 2024-03-11: response is not JSON"):
        parse_day(deep, "day 2024-03-11")
