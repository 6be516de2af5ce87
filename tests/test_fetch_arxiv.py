"""arXiv fetcher against hand-built Atom pages served on 127.0.0.1."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from test_fetch_http import DATA, FakeClock, FakeServer, fake_client

from landscape.errors import LandscapeError
from landscape.fetch.arxiv import fetch_arxiv, page_store, parse_feed, search_query
from landscape.schema import CORPUS_COLUMNS

PAGES = {start: (DATA / f"arxiv_page{n}.xml").read_bytes() for n, start in ((1, 0), (2, 2), (3, 4))}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


def arxiv_route(pages=PAGES, broken=None):
    """Serve ``pages`` by start offset under /api/query; ``broken(start, n)`` may answer instead."""
    calls: dict[int, int] = {}

    def route(path, query):
        assert path == "/api/query"
        start = int(query["start"])
        calls[start] = calls.get(start, 0) + 1
        if broken is not None:
            answer = broken(start, calls[start])
            if answer is not None:
                return answer
        return 200, pages[start], ATOM

    return route


def client():
    return fake_client("arXiv", min_interval=3.0, retries=2, clock=FakeClock())


def test_pages_through_the_feed_and_maps_to_the_corpus_schema():
    with FakeServer(arxiv_route()) as server:
        c = client()
        corpus = fetch_arxiv("abs:unlearning", page_size=2, base_url=server.url + "/api/query", client=c)
    assert [q["start"] for _, q in server.requests] == ["0", "2", "4"]
    first = server.requests[0][1]
    assert first["search_query"] == "abs:unlearning"
    assert (first["max_results"], first["sortBy"], first["sortOrder"]) == ("2", "submittedDate", "ascending")

    assert list(corpus.columns[: len(CORPUS_COLUMNS)]) == list(CORPUS_COLUMNS)
    assert corpus["id"].tolist() == [
        "arXiv:2310.00001",
        "arXiv:2311.04567",
        "arXiv:2401.01234",
        "arXiv:2402.07777",
        "arXiv:cs/0501001",
    ]
    paper = corpus.iloc[0]
    assert paper["title"] == "Forgetting on Demand: Certified Machine Unlearning for Deep Networks"
    assert paper["abstract"].startswith("Machine unlearning removes the influence")
    assert "deep networks & measure" in paper["abstract"]  # entity unescaped, newlines collapsed
    assert paper["authors"] == "Ada Example; Bo Tester"
    assert paper["categories"] == "cs.LG cs.CR"  # primary first
    assert paper["url"] == "https://arxiv.org/abs/2310.00001"
    assert paper["doi"] == "10.1000/forget.2023.1"
    assert paper["source"] == "arxiv"
    assert corpus["date"].dtype == "datetime64[ns]"
    assert paper["date"] == pd.Timestamp("2023-10-02") and paper["date_precision"] == "day"
    assert corpus.iloc[4]["date"] == pd.Timestamp("2005-01-03")


def test_at_most_one_request_every_three_seconds_without_sleeping():
    with FakeServer(arxiv_route()) as server:
        c = client()
        fetch_arxiv("abs:unlearning", page_size=2, base_url=server.url + "/api/query", client=c)
    gaps = [b - a for a, b in zip(c.request_times, c.request_times[1:], strict=False)]
    assert len(gaps) == 2 and all(gap >= 3.0 for gap in gaps)
    assert sum(c.clock.sleeps) >= 6.0


def test_the_default_client_keeps_three_seconds(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("landscape.fetch.http.DEFAULT_CLOCK", clock)
    monkeypatch.setattr("landscape.fetch.http.DEFAULT_SLEEP", clock.sleep)
    with FakeServer(arxiv_route()) as server:
        fetch_arxiv("abs:unlearning", page_size=2, base_url=server.url + "/api/query")
    assert clock.sleeps == [3.0, 3.0]


def test_date_range_goes_into_the_query():
    assert search_query("abs:unlearning AND cat:cs.LG", date(2022, 1, 1), date(2023, 12, 31)) == (
        "(abs:unlearning AND cat:cs.LG) AND submittedDate:[202201010000 TO 202312312359]"
    )
    with FakeServer(arxiv_route()) as server:
        fetch_arxiv(
            "abs:unlearning",
            date_from=date(2023, 10, 1),
            max_results=1,
            page_size=2,
            base_url=server.url + "/api/query",
            client=client(),
        )
    assert server.requests[0][1]["search_query"].startswith(
        "(abs:unlearning) AND submittedDate:[202310010000 TO "
    )
    with pytest.raises(LandscapeError, match="--from 2024-01-01 is after --to 2023-01-01"):
        search_query("abs:x", date(2024, 1, 1), date(2023, 1, 1))


def test_max_stops_paging():
    with FakeServer(arxiv_route()) as server:
        corpus = fetch_arxiv(
            "abs:unlearning", max_results=3, page_size=2, base_url=server.url + "/api/query", client=client()
        )
    assert len(corpus) == 3
    assert len(server.requests) == 2


def test_retry_after_503_on_a_middle_page():
    def broken(start, n):
        return (503, "Service Unavailable", {"Retry-After": "5"}) if start == 2 and n == 1 else None

    with FakeServer(arxiv_route(broken=broken)) as server:
        c = client()
        corpus = fetch_arxiv("abs:unlearning", page_size=2, base_url=server.url + "/api/query", client=c)
    assert len(corpus) == 5
    assert [q["start"] for _, q in server.requests] == ["0", "2", "2", "4"]
    assert ("retry", 5.0) in c.waits


def test_retry_after_a_timeout():
    def broken(start, n):
        return (200, PAGES[start], {**ATOM, "delay": 3.0}) if start == 4 and n == 1 else None

    with FakeServer(arxiv_route(broken=broken)) as server:
        c = fake_client("arXiv", min_interval=3.0, timeout=1.0, retries=2)
        corpus = fetch_arxiv("abs:unlearning", page_size=2, base_url=server.url + "/api/query", client=c)
    assert len(corpus) == 5
    assert [q["start"] for _, q in server.requests] == ["0", "2", "4", "4"]


def test_resume_fetches_only_the_missing_pages(tmp_path):
    pages_dir = tmp_path / "corpus.parquet.pages"
    state = {"down": True}

    def down(start, n):
        return (500, "Internal Server Error", {}) if start == 4 and state["down"] else None

    with FakeServer(arxiv_route(broken=down)) as server:
        url = server.url + "/api/query"
        with pytest.raises(
            LandscapeError, match=r"arXiv, page 3 \(start=4\): gave up after 3 tries: HTTP 500"
        ):
            fetch_arxiv("abs:unlearning", page_size=2, base_url=url, pages_dir=pages_dir, client=client())
        store = page_store(pages_dir, url, "abs:unlearning", 2)
        assert store.names() == ["start-0000000.xml", "start-0000002.xml"]

        state["down"] = False
        asked = len(server.requests)
        corpus = fetch_arxiv(
            "abs:unlearning", page_size=2, base_url=url, pages_dir=pages_dir, client=client()
        )
        assert [q["start"] for _, q in server.requests[asked:]] == ["4"]
    assert len(corpus) == 5 and corpus["id"].is_unique


def test_another_query_does_not_reuse_kept_pages(tmp_path):
    with FakeServer(arxiv_route()) as server:
        url = server.url + "/api/query"
        fetch_arxiv("abs:unlearning", page_size=2, base_url=url, pages_dir=tmp_path, client=client())
        fetch_arxiv("abs:forgetting", page_size=2, base_url=url, pages_dir=tmp_path, client=client())
    assert len(server.requests) == 6
    assert len(list(tmp_path.iterdir())) == 2


def test_malformed_page_names_source_and_page():
    def html(start, n):
        return (
            (200, "<html><body>Rate exceeded.</body", {"Content-Type": "text/html"}) if start == 2 else None
        )

    with FakeServer(arxiv_route(broken=html)) as server:
        with pytest.raises(LandscapeError, match=r"arXiv, page 2 \(start=2\): response is not Atom XML"):
            fetch_arxiv("abs:unlearning", page_size=2, base_url=server.url + "/api/query", client=client())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<rss><channel/></rss>", "not an Atom feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "no valid opensearch:totalResults"),
        (
            PAGES[0].replace(b"http://arxiv.org/abs/2311.04567v1</id>", b"urn:nothing</id>"),
            "entry 2: no arXiv id",
        ),
    ],
)
def test_malformed_feeds(content, message):
    with pytest.raises(LandscapeError, match=message):
        parse_feed(content, "page 1 (start=0)")


def test_query_error_from_the_api_is_shown():
    error = (DATA / "arxiv_error.xml").read_bytes()
    with FakeServer(lambda path, query: (400, error, ATOM)) as server:
        with pytest.raises(
            LandscapeError,
            match=r"arXiv, page 1 \(start=0\): the service rejected the query: incorrect id format for ab",
        ):
            fetch_arxiv("abs:(unlearning", base_url=server.url, client=client())
    assert len(server.requests) == 1  # a bad query is not retried
    with FakeServer(lambda path, query: (400, "Bad Request", {})) as server:
        with pytest.raises(
            LandscapeError, match=r"arXiv, page 1 \(start=0\): .*rejected the query: HTTP 400 'Bad"
        ):
            fetch_arxiv("abs:(unlearning", base_url=server.url, client=client())


def test_empty_result_is_an_error():
    empty = (DATA / "arxiv_empty.xml").read_bytes()
    with FakeServer(lambda path, query: (200, empty, ATOM)) as server:
        with pytest.raises(LandscapeError, match="arXiv: no papers match search_query='abs:zzzqqq'"):
            fetch_arxiv("abs:zzzqqq", page_size=2, base_url=server.url, client=client())
    assert len(server.requests) == 1


def test_a_spurious_empty_page_is_asked_again():
    empty_but_total = PAGES[2].split(b"<entry>")[0] + b"</feed>"

    def flaky(start, n):
        return (200, empty_but_total, ATOM) if start == 2 and n == 1 else None

    with FakeServer(arxiv_route(broken=flaky)) as server:
        corpus = fetch_arxiv(
            "abs:unlearning", page_size=2, base_url=server.url + "/api/query", client=client()
        )
    assert len(corpus) == 5
    assert [q["start"] for _, q in server.requests] == ["0", "2", "2", "4"]


def test_endpoint_from_the_environment(monkeypatch):
    with FakeServer(arxiv_route()) as server:
        monkeypatch.setenv("LANDSCAPE_ARXIV_URL", server.url + "/api/query")
        corpus = fetch_arxiv("abs:unlearning", page_size=2, client=client())
    assert len(corpus) == 5


def test_bad_options():
    with pytest.raises(LandscapeError, match="--query is empty"):
        fetch_arxiv("  ", client=client())
    with pytest.raises(LandscapeError, match="page size must be between 1 and 2000"):
        fetch_arxiv("abs:x", page_size=5000, client=client())
    with pytest.raises(LandscapeError, match="--max must be at least 1"):
        fetch_arxiv("abs:x", max_results=0, client=client())


# ---- paging by what was received (issue 12) -----------------------------------------------------------
def atom_page(start: int, count: int, total: int) -> bytes:
    """A feed of ``count`` entries from ``start`` (ids 2301.1xxxx) for a query with ``total`` results."""
    entries = "".join(
        f"""<entry><id>http://arxiv.org/abs/2301.{10000 + i}v1</id>
        <published>2023-01-{1 + i % 28:02d}T00:00:00Z</published><title>Paper {i}</title>
        <summary>Abstract number {i} of the short-page server, long enough to read.</summary>
        <author><name>A. Author</name></author></entry>"""
        for i in range(start, start + count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}'
        f"</opensearch:totalResults>{entries}</feed>"
    ).encode()


def short_pages(total: int, served: int = 3):
    """A server that answers at most ``served`` entries a page, whatever max_results asks."""

    def route(path, query):
        start, asked = int(query["start"]), int(query["max_results"])
        return 200, atom_page(start, max(0, min(served, asked, total - start)), total), ATOM

    return route


def test_short_pages_advance_by_the_entries_received():
    with FakeServer(short_pages(total=10)) as server:
        corpus = fetch_arxiv("all:x", max_results=7, page_size=5, base_url=server.url, client=client())
    assert len(corpus) == 7
    assert corpus["id"].tolist() == [f"arXiv:2301.{10000 + i}" for i in range(7)]
    assert [q["start"] for _, q in server.requests] == ["0", "3", "6"]
    with FakeServer(short_pages(total=10)) as server:
        assert len(fetch_arxiv("all:x", page_size=5, base_url=server.url, client=client())) == 10


def test_an_empty_answer_is_never_kept_on_disk(tmp_path):
    empty = atom_page(0, 0, 0)
    with FakeServer(lambda path, query: (200, empty, ATOM)) as server:
        with pytest.raises(LandscapeError, match="no papers match"):
            fetch_arxiv("all:x", page_size=5, base_url=server.url, pages_dir=tmp_path, client=client())
    assert not any(p.suffix == ".xml" for p in tmp_path.rglob("*"))
    with FakeServer(short_pages(total=4)) as server:  # the service has papers now: it is asked again
        assert (
            len(fetch_arxiv("all:x", page_size=5, base_url=server.url, pages_dir=tmp_path, client=client()))
            == 4
        )


def test_kept_pages_are_keyed_by_the_endpoint_too(tmp_path):
    with FakeServer(short_pages(total=4)) as first, FakeServer(short_pages(total=2)) as second:
        a = fetch_arxiv("all:x", page_size=5, base_url=first.url, pages_dir=tmp_path, client=client())
        b = fetch_arxiv("all:x", page_size=5, base_url=second.url, pages_dir=tmp_path, client=client())
    assert (len(a), len(b)) == (4, 2)
    assert len(second.requests) == 1  # not answered from the first server's pages


def test_an_error_names_the_kept_pages_folder(tmp_path):
    def route(path, query):
        if query["start"] == "3":
            return 429, "slow down", {"Retry-After": "1"}
        return short_pages(total=10)(path, query)

    pages = tmp_path / "corpus.parquet.pages"
    with FakeServer(route) as server:
        with pytest.raises(LandscapeError) as info:
            fetch_arxiv("all:x", page_size=5, base_url=server.url, pages_dir=pages, client=client())
    message = str(info.value)
    assert "HTTP 429" in message and str(pages) in message and "rerun" in message
    assert [q["start"] for _, q in server.requests] == ["0", "3", "3", "3"]  # Retry-After honoured, retried


def test_progress_is_a_line_per_page_on_stderr_unless_quiet(capsys):
    with FakeServer(short_pages(total=7)) as server:
        fetch_arxiv("all:x", page_size=5, base_url=server.url, client=client())
        lines = capsys.readouterr().err.strip().splitlines()
        assert lines == [
            "arXiv, page 1 (start=0): 3 papers (3 of 7)",
            "arXiv, page 2 (start=3): 3 papers (6 of 7)",
            "arXiv, page 3 (start=6): 1 papers (7 of 7)",
        ]
        fetch_arxiv("all:x", page_size=5, base_url=server.url, client=client(), quiet=True)
        assert capsys.readouterr().err == ""
