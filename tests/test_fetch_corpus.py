"""Mapping fetched records to the corpus schema, merging sources, and writing output files safely."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from test_fetch_http import DATA

from landscape.errors import LandscapeError
from landscape.fetch.arxiv import parse_feed
from landscape.fetch.corpus import (
    arxiv_id,
    date_bound,
    merge_corpora,
    read_fetched,
    records_to_frame,
    write_corpus,
)
from landscape.fetch.hf_papers import parse_day
from landscape.fetch.openalex import parse_page
from landscape.schema import CORPUS_COLUMNS


def arxiv_frame():
    pages = [parse_feed((DATA / f"arxiv_page{n}.xml").read_bytes(), "page")[1] for n in (1, 2, 3)]
    return records_to_frame([r for page in pages for r in page])


def hf_frame():
    days = [parse_day((DATA / f"hf_2024-03-{d}.json").read_bytes(), "day") for d in (11, 12, 13)]
    return records_to_frame([r for day in days for r in day])


def openalex_frame():
    pages = [parse_page((DATA / f"openalex_page{n}.json").read_bytes(), "page")[0] for n in (1, 2)]
    return records_to_frame([r for page in pages for r in page])


def test_three_sources_merge_on_arxiv_id_and_title():
    arxiv, hf, openalex = arxiv_frame(), hf_frame(), openalex_frame()
    assert (len(arxiv), len(hf), len(openalex)) == (5, 3, 3)
    corpus, merged = merge_corpora([openalex, hf, arxiv])
    # 2311.04567 is on arXiv and HF; 2310.00001 on arXiv and OpenAlex (arXiv DOI);
    # two OpenAlex works share a title (journal version and preprint)
    assert merged == 3 and len(corpus) == 8
    assert corpus["id"].is_unique
    assert list(corpus.columns) == [*CORPUS_COLUMNS, "arxiv_id", "doi", "upvotes"]
    rows = corpus.set_index("id")

    both = rows.loc["arXiv:2311.04567"]
    assert both["source"] == "arxiv+hf-papers"
    assert both["upvotes"] == 25
    assert both["categories"] == "cs.CL cs.LG"

    certified = rows.loc["arXiv:2310.00001"]
    assert certified["source"] == "arxiv+openalex"  # arXiv first: it is the primary record
    assert certified["doi"] == "10.1000/forget.2023.1"  # the arXiv record's journal DOI wins
    assert certified["categories"].split()[:3] == ["cs.LG", "cs.CR", "Privacy-Preserving_Machine_Learning"]
    assert certified["date"] == pd.Timestamp("2023-10-02") and certified["date_precision"] == "day"
    assert pd.isna(certified["upvotes"])

    journal = rows.loc["doi:10.1000/journal.2024.55"]
    assert journal["source"] == "openalex"
    assert journal["date_precision"] == "day"  # the day-precise date beats the preprint's bare year
    assert journal["abstract"].startswith("Users may ask")
    assert "Data_deletion" in journal["categories"]


def test_merge_prefers_the_most_precise_then_earliest_date():
    text = "We study when copies of one paper from several services can be merged into one record. "
    records = [
        {"id": "doi:10.1/a", "title": "Same Paper", "abstract": text + "x", "date": "2024-01-01",
         "date_precision": "year", "source": "openalex"},
        {"id": "doi:10.1/a2", "title": "Same paper!", "abstract": text + "y", "date": "2024-06-09",
         "date_precision": "day", "source": "openalex"},
        {"id": "doi:10.1/a3", "title": "same  PAPER", "abstract": text + "z", "date": "2024-03-02",
         "date_precision": "day", "source": "openalex"},
    ]  # fmt: skip
    corpus, merged = merge_corpora([records_to_frame(records)])
    assert merged == 2
    assert corpus.loc[0, "date"] == pd.Timestamp("2024-03-02")
    assert corpus.loc[0, "id"] == "doi:10.1/a" and corpus.loc[0, "abstract"] == text + "x"


def test_same_title_different_dois_and_abstracts_stay_apart():
    records = [
        {"id": "doi:10.1/a", "title": "Introduction", "abstract": "Proteins fold faster in heat.",
         "source": "openalex"},
        {"id": "doi:10.1/b", "title": "Introduction", "abstract": "Graph networks learn physics.",
         "source": "openalex"},
        {"id": "title:x", "title": "Introduction", "abstract": "Graph networks learn physics!",
         "source": "hf-papers"},
    ]  # fmt: skip
    corpus, merged = merge_corpora([records_to_frame(records)])
    assert corpus["id"].tolist() == ["doi:10.1/a", "doi:10.1/b"]
    assert merged == 1  # the page row has no id of its own: it joins the paper whose abstract it has


def test_same_title_on_two_arxiv_ids_stays_apart():
    records = [
        {"id": "arXiv:2101.00001", "title": "Introduction", "abstract": "a", "source": "arxiv"},
        {"id": "arXiv:2202.00002", "title": "Introduction", "abstract": "b", "source": "arxiv"},
        {"id": "openalex:W1", "title": "Introduction", "abstract": "c", "source": "openalex"},
        {
            "id": "arXiv:2101.00001v3",
            "title": "Introduction (revised)",
            "abstract": "d",
            "source": "hf-papers",
        },
    ]
    corpus, merged = merge_corpora([records_to_frame(records)])
    assert corpus["id"].tolist() == ["arXiv:2101.00001", "arXiv:2202.00002", "openalex:W1"]
    assert merged == 1  # only the versioned id, which is the same arXiv paper


def test_a_title_joins_the_arxiv_paper_it_matches():
    records = [
        {"id": "title:abc", "title": "Diffusion Models Know When to Stop", "abstract": "page",
         "source": "hf-papers"},
        {"id": "arXiv:2403.06666", "title": "Diffusion models know when to stop.", "abstract": "api",
         "source": "arxiv", "arxiv_id": "2403.06666"},
    ]  # fmt: skip
    corpus, merged = merge_corpora([records_to_frame(records)])
    assert merged == 1
    assert corpus.loc[0, "id"] == "arXiv:2403.06666"
    assert corpus.loc[0, "abstract"] == "api"  # arXiv is the primary source
    assert corpus.loc[0, "source"] == "arxiv+hf-papers"


def test_arxiv_ids():
    assert arxiv_id("2205.11916v3") == "2205.11916"
    assert arxiv_id("arXiv:2205.11916") == "2205.11916"
    assert arxiv_id("hep-th/9901001v1") == "hep-th/9901001"
    assert arxiv_id("math.GT/0309136") == "math.GT/0309136"
    assert arxiv_id("W12345") == ""
    assert arxiv_id(None) == ""


def test_date_bounds():
    assert date_bound("2024", end=False, option="--from") == date(2024, 1, 1)
    assert date_bound("2024", end=True, option="--to") == date(2024, 12, 31)
    assert date_bound("2024-02", end=True, option="--to") == date(2024, 2, 29)
    assert date_bound("2023-12", end=True, option="--to") == date(2023, 12, 31)
    assert date_bound("2024-03-11", end=True, option="--to") == date(2024, 3, 11)
    assert date_bound(None, end=True, option="--to") is None
    with pytest.raises(LandscapeError, match="--from expects YYYY, YYYY-MM or YYYY-MM-DD, got '11/03/2024'"):
        date_bound("11/03/2024", end=False, option="--from")
    with pytest.raises(LandscapeError, match="--to expects"):
        date_bound("2024-02-30", end=True, option="--to")


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_written_corpus_reads_back(tmp_path, suffix):
    corpus, _ = merge_corpora([arxiv_frame(), hf_frame()])
    path = write_corpus(corpus, tmp_path / f"corpus{suffix}")
    back = read_fetched(path)
    assert back["id"].tolist() == corpus["id"].tolist()
    assert back["title"].tolist() == corpus["title"].tolist()
    assert back["date"].tolist() == corpus["date"].tolist()
    assert back["source"].tolist() == corpus["source"].tolist()
    pd.testing.assert_series_equal(back["upvotes"], corpus["upvotes"])
    assert back["upvotes"].tolist()[:3] == [pd.NA, 25, pd.NA]
    assert [p.name for p in tmp_path.iterdir()] == [f"corpus{suffix}"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_alone(tmp_path, monkeypatch):
    path = tmp_path / "corpus.parquet"
    path.write_bytes(b"the good old corpus")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("landscape.corpus.io.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_corpus(arxiv_frame(), path)
    assert path.read_bytes() == b"the good old corpus"
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.parquet"]


def test_unknown_output_format_is_refused():
    with pytest.raises(
        LandscapeError, match=r"corpus.xlsx: output must end in one of .parquet, .csv, .jsonl"
    ):
        write_corpus(arxiv_frame(), "corpus.xlsx")


def test_fetched_corpus_goes_through_ingest_unchanged(tmp_path):
    """What `landscape build` reads: ids, dates, precisions and categories survive ingest."""
    ingest = pytest.importorskip("landscape.corpus.ingest")
    corpus, _ = merge_corpora([openalex_frame(), hf_frame(), arxiv_frame()])
    path = write_corpus(corpus, tmp_path / "corpus.parquet")
    result = ingest.ingest([path])
    assert len(result.rejects) == 0
    kept = result.corpus.set_index("id")
    for row in corpus.itertuples():
        assert kept.loc[row.id, "date"] == row.date
        assert kept.loc[row.id, "date_precision"] == row.date_precision
        assert kept.loc[row.id, "categories"] == row.categories
        assert kept.loc[row.id, "source"] == row.source
