"""`landscape fetch ...` end to end through `landscape.cli.main`, against servers on 127.0.0.1."""

from __future__ import annotations

import pandas as pd
import pytest
from test_fetch_arxiv import arxiv_route
from test_fetch_hf import hf_route
from test_fetch_http import DATA, FakeClock, FakeServer
from test_fetch_openalex import openalex_route

from landscape.cli import main
from landscape.fetch.corpus import read_fetched


@pytest.fixture(autouse=True)
def fake_time(monkeypatch):
    """Every client the CLI makes uses a fake clock: rate limits and back-offs are computed, not slept."""
    clock = FakeClock()
    monkeypatch.setattr("landscape.fetch.http.DEFAULT_CLOCK", clock)
    monkeypatch.setattr("landscape.fetch.http.DEFAULT_SLEEP", clock.sleep)
    for name in ("LANDSCAPE_ARXIV_URL", "LANDSCAPE_HF_URL", "LANDSCAPE_OPENALEX_URL", "LANDSCAPE_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    return clock


def test_fetch_arxiv_writes_a_corpus(tmp_path, capsys, fake_time):
    out = tmp_path / "corpus.parquet"
    with FakeServer(arxiv_route()) as server:
        code = main(
            ["fetch", "arxiv", "--query", "abs:unlearning", "--from", "2005", "--to", "2024-03",
             "--page-size", "2", "--base-url", server.url + "/api/query", "-o", str(out)]
        )  # fmt: skip
    assert code == 0
    assert "5 papers written to" in capsys.readouterr().out
    assert server.requests[0][1]["search_query"] == (
        "(abs:unlearning) AND submittedDate:[200501010000 TO 202403312359]"
    )
    assert fake_time.sleeps == [3.0, 3.0]  # one request every 3 s
    corpus = pd.read_parquet(out)
    assert len(corpus) == 5 and corpus["date"].dtype == "datetime64[ns]"
    assert not (tmp_path / "corpus.parquet.pages").exists()  # pages dropped once the output is written


def test_interrupted_fetch_resumes_and_never_replaces_a_good_file(tmp_path, capsys):
    out = tmp_path / "corpus.parquet"
    out.write_bytes(b"a good corpus from yesterday")
    args = ["fetch", "arxiv", "-q", "abs:unlearning", "--page-size", "2", "--retries", "1", "-o", str(out)]

    state = {"down": True}  # one server (kept pages are keyed by the endpoint), down at first

    def down(start, n):
        return (503, "Service Unavailable", {}) if start == 4 and state["down"] else None

    with FakeServer(arxiv_route(broken=down)) as server:
        code = main([*args, "--base-url", server.url + "/api/query"])
        assert code == 2
        err = capsys.readouterr().err
        assert "error: arXiv, page 3 (start=4): gave up after 2 tries: HTTP 503" in err
        assert "corpus.parquet.pages" in err and "rerun" in err
        assert out.read_bytes() == b"a good corpus from yesterday"
        kept = sorted(p.name for p in (tmp_path / "corpus.parquet.pages").rglob("start-*.xml"))
        assert kept == ["start-0000000.xml", "start-0000002.xml"]

        state["down"] = False
        asked = len(server.requests)
        code = main([*args, "--base-url", server.url + "/api/query"])
        assert code == 0
        assert [q["start"] for _, q in server.requests[asked:]] == ["4"]  # only the missing page
    assert len(pd.read_parquet(out)) == 5
    assert not (tmp_path / "corpus.parquet.pages").exists()


def test_fetch_hf_papers_with_a_saved_page(tmp_path, monkeypatch, capsys):
    out = tmp_path / "hf.csv"
    with FakeServer(hf_route()) as server:
        monkeypatch.setenv("LANDSCAPE_HF_URL", server.url + "/api/daily_papers")
        code = main(
            ["fetch", "hf-papers", "--from", "2024-03-11", "--to", "2024-03-12",
             "--page", str(DATA / "hf_page.txt"), "-o", str(out)]
        )  # fmt: skip
    assert code == 0
    assert "4 papers written" in capsys.readouterr().out
    corpus = read_fetched(out)
    assert sorted(corpus["id"])[:3] == ["arXiv:2311.04567", "arXiv:2403.05555", "arXiv:2403.06666"]
    assert corpus.set_index("id").loc["arXiv:2403.06666", "upvotes"] == 41
    assert corpus["id"].str.startswith("title:").sum() == 1  # the page paper HF did not list


def test_fetch_openalex(tmp_path, capsys):
    out = tmp_path / "oa.jsonl"
    with FakeServer(openalex_route()) as server:
        code = main(
            ["fetch", "openalex", "--search", "machine unlearning", "--from-year", "2022",
             "--email", "me@example.org", "--base-url", server.url, "-o", str(out)]
        )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "2 papers written" in printed and "(1 duplicates merged)" in printed  # journal + preprint
    corpus = pd.read_json(out, lines=True)
    assert corpus["id"].tolist() == ["arXiv:2310.00001", "doi:10.1000/journal.2024.55"]
    assert server.requests[0][1]["mailto"] == "me@example.org"
    assert server.requests[0][1]["filter"] == "from_publication_date:2022-01-01"


def test_fetch_merge_combines_sources(tmp_path, capsys):
    arxiv_out, oa_out, merged = tmp_path / "a.parquet", tmp_path / "o.parquet", tmp_path / "all.parquet"
    with FakeServer(arxiv_route()) as server:
        assert main(["fetch", "arxiv", "-q", "abs:unlearning", "--page-size", "2",
                     "--base-url", server.url + "/api/query", "-o", str(arxiv_out)]) == 0  # fmt: skip
    with FakeServer(openalex_route()) as server:
        assert (
            main(["fetch", "openalex", "-s", "unlearning", "--base-url", server.url, "-o", str(oa_out)]) == 0
        )
    capsys.readouterr()
    assert main(["fetch", "merge", str(arxiv_out), str(oa_out), "-o", str(merged)]) == 0
    assert "6 papers written" in capsys.readouterr().out  # 5 arXiv + 2 OpenAlex, one in both
    corpus = pd.read_parquet(merged).set_index("id")
    assert corpus.loc["arXiv:2310.00001", "source"] == "arxiv+openalex"


def test_empty_result_exits_2_without_an_output_file(tmp_path, capsys):
    out = tmp_path / "corpus.parquet"
    empty = (DATA / "arxiv_empty.xml").read_bytes()
    with FakeServer(lambda path, query: (200, empty, {})) as server:
        code = main(["fetch", "arxiv", "-q", "abs:zzzqqq", "--base-url", server.url, "-o", str(out)])
    assert code == 2
    assert "error: arXiv: no papers match" in capsys.readouterr().err
    assert not out.exists()


def test_bad_output_suffix_fails_before_any_request(tmp_path, capsys):
    with FakeServer(arxiv_route()) as server:
        code = main(
            ["fetch", "arxiv", "-q", "abs:x", "--base-url", server.url, "-o", str(tmp_path / "c.xlsx")]
        )
    assert code == 2 and server.requests == []
    assert "output must end in one of .parquet, .csv, .jsonl" in capsys.readouterr().err


def test_hf_papers_needs_dates_or_a_page(tmp_path, capsys):
    assert main(["fetch", "hf-papers", "-o", str(tmp_path / "x.parquet")]) == 2
    assert "needs --from and --to, or --page FILE" in capsys.readouterr().err


def test_bad_date_option(tmp_path, capsys):
    assert main(["fetch", "arxiv", "-q", "abs:x", "--from", "March", "-o", str(tmp_path / "x.parquet")]) == 2
    assert "--from expects YYYY, YYYY-MM or YYYY-MM-DD, got 'March'" in capsys.readouterr().err


def test_fetch_help_lists_the_sources(capsys):
    assert main(["fetch", "--help"]) == 0
    text = capsys.readouterr().out
    for command in ("arxiv", "hf-papers", "openalex", "merge"):
        assert command in text
