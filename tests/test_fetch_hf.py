"""Hugging Face daily papers fetcher against hand-built API answers served on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from test_fetch_http import DATA, FakeServer, fake_client

from landscape.errors import LandscapeError
from landscape.fetch.corpus import merge_corpora
from landscape.fetch.hf_papers import fetch_hf_papers, parse_day, read_hf_papers_page
from landscape.schema import CORPUS_COLUMNS

JSON = {"Content-Type": "application/json"}


def hf_route(broken=None):
    """Serve tests/data/fetch/hf_<date>.json under /api/daily_papers (``[]`` for other days)."""
    calls: dict[str, int] = {}

    def route(path, query):
        assert path == "/api/daily_papers"
        day = query["date"]
        calls[day] = calls.get(day, 0) + 1
        if broken is not None:
            answer = broken(day, calls[day])
            if answer is not None:
                return answer
        file = DATA / f"hf_{day}.json"
        return 200, file.read_bytes() if file.exists() else b"[]", JSON

    return route


def client(**kwargs):
    return fake_client("Hugging Face papers", **{"min_interval": 1.0, "retries": 2, **kwargs})


def test_one_request_per_day_mapped_to_the_corpus_schema():
    with FakeServer(hf_route()) as server:
        c = client()
        corpus = fetch_hf_papers(
            date(2024, 3, 10), date(2024, 3, 13), base_url=server.url + "/api/daily_papers", client=c
        )
    assert [q["date"] for _, q in server.requests] == ["2024-03-10", "2024-03-11", "2024-03-12", "2024-03-13"]
    assert all(q["limit"] == "100" for _, q in server.requests)
    assert all(
        gap >= 1.0 for gap in (b - a for a, b in zip(c.request_times, c.request_times[1:], strict=False))
    )

    assert list(corpus.columns) == [*CORPUS_COLUMNS, "arxiv_id", "upvotes"]
    assert corpus["id"].tolist() == ["arXiv:2311.04567", "arXiv:2403.05555", "arXiv:2403.06666"]
    assert corpus["upvotes"].tolist() == [25, 7, 41]
    moe = corpus.iloc[1]
    assert moe["title"] == "Sparse Mixture-of-Experts for Long-Context Retrieval"
    assert moe["authors"] == "Hana Fixture; Ivo Stub"
    assert moe["date"] == pd.Timestamp("2024-03-08") and moe["date_precision"] == "day"
    assert moe["url"] == "https://arxiv.org/abs/2403.05555"
    assert moe["source"] == "hf-papers"
    assert moe["abstract"].startswith("We route long documents")


def test_resume_skips_days_already_fetched(tmp_path):
    state = {"down": True}

    def down(day, n):
        return (502, "Bad Gateway", {}) if day == "2024-03-12" and state["down"] else None

    with FakeServer(hf_route(broken=down)) as server:
        url = server.url + "/api/daily_papers"
        with pytest.raises(
            LandscapeError, match=r"Hugging Face papers, day 2024-03-12: gave up after 3 tries.*kept in"
        ):
            fetch_hf_papers(
                date(2024, 3, 11), date(2024, 3, 13), base_url=url, pages_dir=tmp_path, client=client()
            )
        state["down"] = False
        asked = len(server.requests)
        corpus = fetch_hf_papers(
            date(2024, 3, 11), date(2024, 3, 13), base_url=url, pages_dir=tmp_path, client=client()
        )
        assert [q["date"] for _, q in server.requests[asked:]] == ["2024-03-12", "2024-03-13"]
    assert len(corpus) == 3


def test_retry_after_429_and_after_a_timeout():
    def flaky(day, n):
        if day == "2024-03-11" and n == 1:
            return 429, "Too Many Requests", {"Retry-After": "30"}
        if day == "2024-03-12" and n == 1:
            return 200, b"[]", {"delay": 3.0}
        return None

    with FakeServer(hf_route(broken=flaky)) as server:
        c = client(timeout=1.0)
        corpus = fetch_hf_papers(
            date(2024, 3, 11), date(2024, 3, 12), base_url=server.url + "/api/daily_papers", client=c
        )
    assert len(corpus) == 3
    assert [q["date"] for _, q in server.requests] == ["2024-03-11", "2024-03-11", "2024-03-12", "2024-03-12"]
    assert ("retry", 30.0) in c.waits


def test_a_full_day_takes_a_second_page():
    base = json.loads((DATA / "hf_2024-03-12.json").read_text())[0]
    full = []
    for n in range(100):
        item = json.loads(json.dumps(base))
        item["paper"]["id"] = f"2403.{10000 + n}"
        item["paper"]["title"] = f"Paper number {n}"
        full.append(item)
    extra = json.loads(json.dumps(base))

    def route(path, query):
        return 200, json.dumps(full if query.get("p", "0") == "0" else [extra]), JSON

    with FakeServer(route) as server:
        corpus = fetch_hf_papers(
            date(2024, 3, 12), date(2024, 3, 12), base_url=server.url + "/api/daily_papers", client=client()
        )
    assert [q.get("p") for _, q in server.requests] == [None, "1"]
    assert len(corpus) == 101


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html>Sign in</html>", r"day 2024-03-12: response is not JSON"),
        (
            b'{"error": "Invalid date"}',
            r"day 2024-03-12: expected a JSON list of papers, got dict: Invalid date",
        ),
        (b'[{"title": "no paper object"}]', r"day 2024-03-12, item 1: no 'paper' object with an 'id'"),
    ],
)
def test_malformed_day_names_source_and_day(body, message):
    def broken(day, n):
        return (200, body, JSON) if day == "2024-03-12" else None

    with FakeServer(hf_route(broken=broken)) as server:
        with pytest.raises(LandscapeError, match="Hugging Face papers, " + message):
            fetch_hf_papers(
                date(2024, 3, 11),
                date(2024, 3, 12),
                base_url=server.url + "/api/daily_papers",
                client=client(),
            )


def test_no_papers_in_the_range_is_an_error():
    with FakeServer(hf_route()) as server:
        with pytest.raises(LandscapeError, match="no papers between 2024-03-13 and 2024-03-14"):
            fetch_hf_papers(
                date(2024, 3, 13),
                date(2024, 3, 14),
                base_url=server.url + "/api/daily_papers",
                client=client(),
            )


def test_bad_ranges():
    with pytest.raises(LandscapeError, match="--from 2024-03-12 is after --to 2024-03-11"):
        fetch_hf_papers(date(2024, 3, 12), date(2024, 3, 11), client=client())
    with pytest.raises(LandscapeError, match="give both --from and --to"):
        fetch_hf_papers(date(2024, 3, 12), None, client=client())


def test_non_arxiv_ids_keep_the_hugging_face_id():
    item = {"paper": {"id": "hf-native-42", "title": "T", "summary": "S", "upvotes": 3}}
    record = parse_day(json.dumps([item]).encode(), "day 2024-03-12")[0]
    assert record["id"] == "hf-papers:hf-native-42"
    assert record["url"] == "https://huggingface.co/papers/hf-native-42"
    assert record["date"] is None


def test_saved_page_is_read_and_merged_with_fetched_papers():
    page = read_hf_papers_page(DATA / "hf_page.txt")
    assert page["title"].tolist() == [
        "Diffusion Models Know When to Stop",
        "Pruning Attention Heads Without Retraining",
    ]
    assert page["id"].str.startswith("title:").all()
    with FakeServer(hf_route()) as server:
        fetched = fetch_hf_papers(
            date(2024, 3, 12), date(2024, 3, 12), base_url=server.url + "/api/daily_papers", client=client()
        )
    corpus, merged = merge_corpora([page, fetched])
    assert merged == 1
    diffusion = corpus.set_index("title").loc["Diffusion Models Know When to Stop"]
    assert diffusion["id"] == "arXiv:2403.06666"  # the page row takes the arXiv id of the same title
    assert diffusion["upvotes"] == 41
    assert len(corpus) == 2
