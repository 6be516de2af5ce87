"""ingest(): column mapping, cleaning, dates, duplicates, rejects, counts, writing, and the CLI."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from landscape.cli import main
from landscape.corpus.ingest import IngestResult, ingest, read_corpus, rejects_path
from landscape.corpus.text import title_id
from landscape.errors import CorpusError, LandscapeError
from landscape.schema import CORPUS_COLUMNS

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "ingest"
SAMPLE = REPO / "landscape" / "data" / "hf_papers_sample.csv"
SHARED = REPO.parent / "shared" / "data"
HF_PAGE = SHARED / "hf_papers_page.txt"
DEV = SHARED / "papers_dev.parquet"

LONG = "This abstract is long enough to pass the default minimum length of fifty characters."


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


# ---- column mapping ----------------------------------------------------------------------------------
def test_read_corpus_maps_aliases_case_insensitively():
    frame = read_corpus(DATA / "papers.csv")  # ID, Title, Summary, Published, Authors, Categories
    assert frame.loc[0, "id"] == "p1"
    assert frame.loc[0, "title"] == "Attention Is All You Need"
    assert frame.loc[0, "abstract"].startswith("The dominant sequence")
    assert frame.loc[0, "date"] == "2017-06-12"
    assert frame.loc[0, "authors"] == "Ashish Vaswani; Noam Shazeer"
    assert frame.loc[1, "title"] == "Fast &amp; Accurate Retrieval"  # raw: no cleaning yet
    assert frame["_file"].unique().tolist() == [str(DATA / "papers.csv")]
    assert frame["_line"].tolist() == [2, 3, 6, 7, 8, 9, 10, 11]


def test_read_corpus_lists_and_aliases_from_jsonl():
    frame = read_corpus(DATA / "papers.jsonl")  # paper_id, TITLE, year, authors list, tags list, arxiv_id
    assert frame["id"].tolist() == ["j1", "j2", ""]
    assert frame.loc[0, "authors"] == "Noam Shazeer; Barret Zoph"
    assert frame.loc[1, "authors"] == "Grace Hopper"  # [{"name": ...}]
    assert frame.loc[0, "categories"] == "cs.LG cs.CL"
    assert frame.loc[2, "arxiv_id"] == "2205.11916v2"


def test_user_column_mapping(tmp_path):
    path = write_csv(tmp_path / "c.csv", [{"Heading": "A Title", "My_Abstract": LONG, "When": "2021-03"}])
    frame = read_corpus(path, columns={"my_abstract": "abstract", "heading": "Title", "When": "date"})
    assert (frame.loc[0, "title"], frame.loc[0, "abstract"], frame.loc[0, "date"]) == (
        "A Title",
        LONG,
        "2021-03",
    )
    # a user mapping wins over an alias
    path = write_csv(tmp_path / "d.csv", [{"title": "T", "abstract": "short", "full_text": LONG}])
    assert read_corpus(path, columns={"full_text": "abstract"}).loc[0, "abstract"] == LONG


def test_missing_required_column_names_it_and_lists_columns(tmp_path):
    path = write_csv(tmp_path / "c.csv", [{"id": "1", "title": "T", "text": LONG}])
    with pytest.raises(CorpusError) as info:
        read_corpus(path)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 1, "abstract")
    assert "missing required column 'abstract'" in str(err)
    assert "columns found: id, title, text" in str(err)
    assert str(err).startswith(f"{path}, line 1, field 'abstract': ")


def test_missing_required_column_in_jsonl_names_first_record(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('\n{"name": "x", "abstract": "y"}\n')
    with pytest.raises(CorpusError) as info:
        read_corpus(path)
    assert (info.value.line, info.value.field) == (2, "title")


def test_bad_user_mappings(tmp_path):
    path = write_csv(tmp_path / "c.csv", [{"title": "T", "abstract": LONG}])
    with pytest.raises(CorpusError) as info:
        read_corpus(path, columns={"summary_text": "abstract"})
    assert info.value.field == "summary_text" and "columns found: title, abstract" in str(info.value)
    with pytest.raises(LandscapeError, match="target must be one of"):
        ingest(path, columns={"title": "headline"})


# ---- ids, cleaning, dates ------------------------------------------------------------------------------
def test_ingest_csv_fixture_counts_rejects_and_merges():
    result = ingest(DATA / "papers.csv")
    corpus, rejects, counts = result.corpus, result.rejects, result.counts
    assert counts["read"] == 8 and counts["kept"] == 3 and counts["rejected"] == 5
    assert counts["by_reason"] == {
        "no abstract": 1,
        "unreadable date": 1,
        "abstract too short": 1,
        "duplicate": 2,
    }
    assert rejects[["line", "field", "reason"]].values.tolist() == [
        [6, "abstract", "no abstract"],
        [7, "date", "unreadable date"],
        [8, "abstract", "abstract too short"],
        [9, "id", "duplicate of p1"],
        [10, "title", "duplicate of p1"],
    ]
    assert rejects["file"].unique().tolist() == [str(DATA / "papers.csv")]
    assert rejects["id"].tolist()[:4] == ["p3", "p4", "p5", "p1"]
    assert rejects.loc[1, "value"] == "sometime"
    assert rejects.loc[2, "value"] == "Too short."

    p1 = corpus.set_index("id").loc["p1"]
    assert p1["date"] == pd.Timestamp("2017-06-12") and p1["date_precision"] == "day"  # the finest date
    assert p1["categories"] == "cs.CL cs.LG stat.ML"  # union over the merged rows
    p2 = corpus.set_index("id").loc["p2"]
    assert p2["title"] == "Fast & Accurate Retrieval"
    assert p2["abstract"] == (
        "Retrieval-augmented generation combines a retriever with a generator. The abstract continues on "
        "a second line and a third one, with markup and a link https://example.org/rag."
    )  # whitespace and tags cleaned, the URL kept
    assert (p2["date"], p2["date_precision"]) == (pd.Timestamp("2023-05-01"), "month")
    made = corpus[corpus["title"] == "A Paper Without An Id"].iloc[0]
    assert made["id"] == title_id("A Paper Without An Id")
    assert (made["date"], made["date_precision"]) == (pd.Timestamp("2020-01-01"), "year")
    assert set(corpus["source"]) == {"papers.csv"}  # the file name when there is no source column


def test_corpus_has_exactly_the_schema():
    corpus = ingest([DATA / "papers.csv", DATA / "papers.json"]).corpus
    assert tuple(corpus.columns) == CORPUS_COLUMNS
    assert corpus["date"].dtype == "datetime64[ns]"
    for column in ("id", "title", "abstract", "authors", "categories", "url", "source"):
        assert corpus[column].map(type).eq(str).all(), column
    assert set(corpus["date_precision"].dropna()) <= {"day", "month", "year"}
    assert corpus["id"].is_unique


def test_arxiv_id_column_gives_id_month_and_url():
    corpus = ingest(DATA / "papers.jsonl").corpus.set_index("id")
    row = corpus.loc["arXiv:2205.11916"]
    assert (row["date"], row["date_precision"]) == (pd.Timestamp("2022-05-01"), "month")
    assert row["url"] == "https://arxiv.org/abs/2205.11916"
    assert corpus.loc["j1", "date_precision"] == "year"


def test_arxiv_ids_in_the_id_column_give_the_month(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [
            {"id": "2205.11916v2", "title": "New style", "abstract": LONG},
            {"id": "cs/0501001", "title": "Old style", "abstract": LONG},
            {"id": "x1", "title": "No date", "abstract": LONG},
        ],
    )
    corpus = ingest(path).corpus.set_index("title")
    assert corpus.loc["New style", "id"] == "arXiv:2205.11916"
    assert corpus.loc["New style", "date"] == pd.Timestamp("2022-05-01")
    assert corpus.loc["Old style", "date"] == pd.Timestamp("2005-01-01")
    assert corpus.loc["Old style", "date_precision"] == "month"
    assert pd.isna(corpus.loc["No date", "date"]) and corpus.loc["No date", "date_precision"] is None


def test_unreadable_date_is_rejected_not_guessed(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [
            {"id": "2205.11916", "title": "Bad date with an arXiv id", "abstract": LONG, "date": "Q3"},
            {"id": "b", "title": "Good", "abstract": LONG, "date": "May 2023"},
        ],
    )
    result = ingest(path)
    assert result.rejects[["line", "field", "reason", "value"]].values.tolist() == [
        [2, "date", "unreadable date", "Q3"]
    ]
    assert result.corpus["date_precision"].tolist() == ["month"]


def test_parquet_rejects_name_the_row(tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame(
        {
            "title": ["Good", "Bad date"],
            "abstract": [LONG, LONG],
            "year": pd.array([2020, None], dtype="Int64"),
            "published": ["", "not a date"],
        }
    ).to_parquet(path)
    result = ingest(path, columns={"published": "date"})
    assert result.rejects[["line", "field", "reason"]].values.tolist() == [[2, "date", "unreadable date"]]


def test_stated_date_precision_is_respected(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [{"title": "A", "abstract": LONG, "date": "2015-01-01", "date_precision": "year"}],
    )
    corpus = ingest(path).corpus
    assert corpus.loc[0, "date_precision"] == "year"


def test_min_abstract_chars_option(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [{"title": "Short", "abstract": "Only twenty chars ok"}, {"title": "Long", "abstract": LONG}],
    )
    assert ingest(path).counts["by_reason"] == {"abstract too short": 1}
    assert ingest(path, min_abstract_chars=10).counts["kept"] == 2
    result = ingest(path, min_abstract_chars=0)
    assert result.counts["rejected"] == 0
    with pytest.raises(LandscapeError, match="min_abstract_chars"):
        ingest(path, min_abstract_chars=-1)


# ---- duplicates --------------------------------------------------------------------------------------
def test_duplicates_across_files_keep_the_most_complete(tmp_path):
    first = write_csv(
        tmp_path / "a.csv",
        [
            {"title": "Sparse Mixture of Experts", "abstract": LONG, "date": "2021", "categories": "cs.LG"},
            {"title": "Graph Networks", "abstract": LONG, "date": "2020-02"},
        ],
    )
    second = tmp_path / "b.jsonl"
    records = [
        {
            "id": "arXiv:2101.03961",
            "title": "Sparse mixture-of-experts!",
            "abstract": LONG,
            "date": "2021-01-11",
        },
        {
            "id": "g2",
            "title": "graph networks",
            "abstract": LONG + " and a longer abstract",
            "date": "2020-02",
        },
    ]
    records[0]["categories"] = "cs.CL"
    second.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = ingest([first, second])
    corpus = result.corpus.set_index("title")
    assert len(corpus) == 2 and result.counts["by_reason"] == {"duplicate": 2}
    moe = corpus.loc["Sparse mixture-of-experts!"]  # day precision beats year precision
    assert moe["id"] == "arXiv:2101.03961" and moe["date_precision"] == "day"
    assert moe["categories"] == "cs.CL cs.LG"
    graph = corpus.loc["graph networks"]  # same precision: the longer abstract wins
    assert graph["id"] == "g2" and graph["source"] == "b.jsonl"
    rejects = result.rejects.set_index("file")
    assert rejects.loc[str(first), "reason"].tolist() == ["duplicate of arXiv:2101.03961", "duplicate of g2"]


def test_made_up_id_gives_way_to_a_real_one(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [
            {"id": "", "title": "Same Paper", "abstract": LONG + " The longer copy.", "date": "2022-03-04"},
            {"id": "doi:10.1/x", "title": "same paper", "abstract": LONG, "date": "2022"},
        ],
    )
    result = ingest(path)
    assert result.corpus["id"].tolist() == ["doi:10.1/x"]
    assert result.corpus["date_precision"].tolist() == ["day"]
    assert result.rejects["reason"].tolist() == ["duplicate of doi:10.1/x"]


def test_all_fixtures_together():
    files = sorted(DATA.iterdir())
    result = ingest(files)
    assert result.counts["read"] == 27
    assert result.counts["kept"] + result.counts["rejected"] == 27
    assert result.corpus["id"].is_unique
    zero_shot = result.corpus[result.corpus["id"] == "arXiv:2205.11916"].iloc[0]
    # the snapshot's first-version day beats the BibTeX month and the JSONL id month
    assert (zero_shot["date"], zero_shot["date_precision"]) == (pd.Timestamp("2022-05-24"), "day")
    assert "no abstract" in result.counts["by_reason"]


# ---- each structured format through ingest -----------------------------------------------------------
def test_ingest_arxiv_snapshot():
    corpus = ingest(DATA / "arxiv_snapshot.json").corpus.set_index("id")
    assert corpus.loc["arXiv:2205.11916", "title"] == "Large Language Models are Zero-Shot Reasoners"
    assert corpus.loc["arXiv:2205.11916", "abstract"].startswith(
        "Pretrained large language models are decent"
    )
    assert corpus.loc["arXiv:2205.11916", "date"] == pd.Timestamp("2022-05-24")
    assert corpus.loc["arXiv:cs/0501001", "date_precision"] == "day"
    assert corpus.loc["arXiv:2301.00001", "date"] == pd.Timestamp("2023-01-01")
    assert corpus.loc["arXiv:2301.00001", "date_precision"] == "month"


def test_ingest_bibtex_and_ris():
    corpus = ingest([DATA / "zotero.bib", DATA / "mendeley.bib", DATA / "zotero.ris"]).corpus.set_index("id")
    assert set(corpus.index) == {
        "arXiv:2205.11916",
        "doi:10.1000/robust.2021.7",
        "arXiv:1701.06538",
        "arXiv:1706.03762",
        title_id("Learning to Rank Scientific Papers"),
    }
    assert corpus.loc["doi:10.1000/robust.2021.7", "url"] == "https://doi.org/10.1000/robust.2021.7"
    assert corpus.loc["doi:10.1000/robust.2021.7", "date"] == pd.Timestamp("2021-05-01")
    assert corpus.loc["arXiv:1706.03762", "date_precision"] == "day"


def test_ingest_hf_page_fixture_rejects_the_title_without_abstract():
    result = ingest(DATA / "hf_page.txt")
    assert result.counts["kept"] == 3
    assert result.rejects[["line", "field", "reason", "title"]].values.tolist() == [
        [19, "abstract", "no abstract", "A Title Whose Abstract Is Missing"]
    ]
    assert result.corpus["date"].isna().all()


# ---- empty corpora -----------------------------------------------------------------------------------
def test_header_only_file_is_an_empty_corpus(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,title,abstract\n")
    with pytest.raises(CorpusError, match="no papers in this file") as info:
        ingest(path)
    assert info.value.file == str(path)


def test_every_row_rejected_says_how_many_and_why():
    with pytest.raises(CorpusError) as info:
        ingest(DATA / "scholar.bib")  # Google Scholar exports have no abstracts
    assert (
        str(info.value)
        == f"{DATA / 'scholar.bib'}: no usable papers: all 2 rows were rejected (2 no abstract)"
    )


def test_no_inputs():
    with pytest.raises(LandscapeError, match="no input files"):
        ingest([])


# ---- writing -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_write_and_read_back_is_stable(tmp_path, suffix):
    result = ingest([DATA / "papers.csv", DATA / "papers.json"])
    corpus_path, rejects_file = result.write(tmp_path / "out" / f"corpus{suffix}")
    assert rejects_file == tmp_path / "out" / "corpus.rejects.csv" == rejects_path(corpus_path)
    rejects = pd.read_csv(rejects_file, dtype=str, keep_default_na=False)
    assert list(rejects.columns[:4]) == ["file", "line", "field", "reason"]
    assert len(rejects) == result.counts["rejected"] == 5
    again = ingest(corpus_path)
    assert again.counts["rejected"] == 0
    pd.testing.assert_frame_equal(
        again.corpus.drop(columns="source"), result.corpus.drop(columns="source"), check_dtype=False
    )


def test_write_rejects_unknown_output_type(tmp_path):
    result = ingest(DATA / "papers.csv")
    with pytest.raises(LandscapeError, match=r"must end in \.parquet or \.csv"):
        result.write(tmp_path / "corpus.xlsx")


def test_from_frame_and_summary():
    frame = pd.DataFrame(
        {"Title": ["A paper", "B paper", "A PAPER"], "Abstract": [LONG, "", LONG], "Year": [2020, 2021, 2020]}
    )
    result = IngestResult.from_frame(frame)
    assert result.corpus["title"].tolist() == ["A paper"]
    assert result.rejects[["file", "line", "reason"]].values.tolist()[0] == ["<DataFrame>", 2, "no abstract"]
    summary = result.summary()
    assert "read 3 rows from 1 file: kept 1, rejected 2" in summary
    assert "rejected, no abstract: 1" in summary and "rejected, duplicate: 1" in summary


# ---- real data ---------------------------------------------------------------------------------------
def test_bundled_sample_ingests_cleanly():
    result = ingest(SAMPLE)
    assert result.counts == {
        "read": 100,
        "kept": 100,
        "rejected": 0,
        "by_reason": {},
        "files": {str(SAMPLE): 100},
    }
    corpus = result.corpus
    assert (corpus["date_precision"] == "month").all()
    assert (corpus["date"].dt.day == 1).all()
    assert corpus["id"].str.startswith("arXiv:").all()
    assert (corpus["source"] == "hf-papers").all()


@pytest.mark.skipif(not HF_PAGE.exists(), reason="shared HF page not available")
def test_real_hf_page_and_sample_merge_to_100_papers():
    assert ingest(HF_PAGE).counts["kept"] == 100
    result = ingest([SAMPLE, HF_PAGE])
    assert result.counts["kept"] == 100 and result.counts["by_reason"] == {"duplicate": 100}
    assert (result.corpus["date_precision"] == "month").all()  # the dated copy is the one kept


@pytest.mark.devdata
@pytest.mark.skipif(not DEV.exists(), reason="papers_dev.parquet not available")
def test_dev_corpus_ingests_in_seconds():
    start = time.process_time()
    result = ingest(DEV)
    cpu_seconds = time.process_time() - start
    assert result.counts["read"] == 92705
    assert result.counts["kept"] + result.counts["rejected"] == 92705
    assert result.counts["kept"] > 92000
    precision = result.corpus["date_precision"].value_counts()
    # the file's stated precisions survive (duplicates aside)
    assert abs(precision["day"] - 61147) < 500 and abs(precision["year"] - 23034) < 500
    assert result.corpus["date"].min() == pd.Timestamp("2015-01-01")
    assert cpu_seconds < 60, cpu_seconds


# ---- command line ------------------------------------------------------------------------------------
def test_cli_ingest_end_to_end(tmp_path, capsys):
    out = tmp_path / "corpus.parquet"
    code = main(
        [
            "ingest",
            str(DATA / "papers.csv"),
            str(DATA / "papers.jsonl"),
            "-o",
            str(out),
            "--min-abstract-chars",
            "5",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    corpus = pd.read_parquet(out)
    assert tuple(corpus.columns) == CORPUS_COLUMNS
    assert len(corpus) == 7  # 11 rows; p3 (no abstract), p4 (date), 2 duplicates rejected; p5 is long enough
    assert "read 11 rows from 2 files: kept 7, rejected 4" in printed
    assert "rejected, duplicate: 2" in printed
    assert f"rejects written to {tmp_path / 'corpus.rejects.csv'} (4 rows)" in printed
    assert (tmp_path / "corpus.rejects.csv").exists()


def test_cli_ingest_column_option(tmp_path, capsys):
    source = write_csv(tmp_path / "c.csv", [{"name": "A Title", "body": LONG}])
    out = tmp_path / "corpus.csv"
    assert (
        main(["ingest", str(source), "-o", str(out), "--column", "name=title", "--column", "body=abstract"])
        == 0
    )
    assert pd.read_csv(out)["title"].tolist() == ["A Title"]


def test_cli_ingest_user_error_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"title": "a",\n   "abstract": }\n]\n')
    code = main(["ingest", str(bad), "-o", str(tmp_path / "c.parquet")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"error: {bad}, line 3: not valid JSON: Expecting value (column 16)"
    assert main(["ingest", str(bad), "-o", str(tmp_path / "c.txt")]) == 2
    assert "must end in .parquet or .csv" in capsys.readouterr().err


def test_cli_ingest_subprocess_has_no_traceback(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,title,summary_text\n1,T,An abstract\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "landscape.cli", "ingest", str(path), "-o", str(tmp_path / "out.parquet")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {path}, line 1, field 'abstract': missing required column 'abstract'")
    assert not (tmp_path / "out.parquet").exists()


# ---- reliability (issue 12) ----------------------------------------------------------------------------
def test_dates_out_of_range_are_rejected_not_changed(tmp_path):
    rows = [
        {"id": "ok", "title": "A Fine Paper", "abstract": LONG, "date": "2021-03-04"},
        {"id": "far", "title": "From The Future", "abstract": LONG, "date": "2500-01-01"},
        {"id": "old", "title": "From Long Ago", "abstract": LONG, "date": "1200-05-05"},
        {"id": "early", "title": "Before 1900", "abstract": LONG, "date": "1899-12"},
    ]
    path = write_csv(tmp_path / "c.csv", rows)
    result = ingest(path)
    assert result.corpus["id"].tolist() == ["ok"]
    assert result.corpus["date"].max() == pd.Timestamp("2021-03-04")  # nothing moved the date range
    rejects = result.rejects
    assert rejects[["line", "field", "reason"]].values.tolist() == [
        [3, "date", "date out of range"],
        [4, "date", "date out of range"],
        [5, "date", "date out of range"],
    ]
    assert rejects["value"].tolist() == ["2500-01-01", "1200-05-05", "1899-12"]
    assert result.counts["by_reason"] == {"date out of range": 3}


def test_a_date_next_month_is_kept_but_two_years_ahead_is_not(tmp_path):
    soon = (pd.Timestamp.now() + pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    late = (pd.Timestamp.now() + pd.Timedelta(days=800)).strftime("%Y-%m-%d")
    rows = [
        {"id": "soon", "title": "Soon", "abstract": LONG, "date": soon},
        {"id": "late", "title": "Late", "abstract": LONG, "date": late},
    ]
    result = ingest(write_csv(tmp_path / "c.csv", rows))
    assert result.corpus["id"].tolist() == ["soon"]
    assert result.rejects["reason"].tolist() == ["date out of range"]


def test_out_of_range_datetime_column_in_parquet(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "title": ["Now", "Far"],
            "abstract": [LONG, LONG],
            "date": pa.array([dt.datetime(2020, 1, 2), dt.datetime(2500, 1, 1)], type=pa.timestamp("us")),
        }
    )
    pq.write_table(table, tmp_path / "c.parquet")
    result = ingest(tmp_path / "c.parquet")
    assert result.corpus["title"].tolist() == ["Now"]
    assert result.rejects[["line", "field", "reason"]].values.tolist() == [[2, "date", "date out of range"]]


def test_ingest_refuses_to_overwrite_its_input(tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", [{"title": "T", "abstract": LONG, "venue": "NeurIPS"}])
    before = path.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    for out in (path, link, tmp_path / "." / "c.csv"):
        assert main(["ingest", str(path), "-o", str(out)]) == 2
        assert "is also an input" in capsys.readouterr().err
        assert path.read_bytes() == before
    with pytest.raises(LandscapeError, match="is also an input"):
        ingest(path).write(link)


def test_ingest_output_is_written_atomically(tmp_path, monkeypatch):
    result = ingest(DATA / "papers.csv")
    out = tmp_path / "corpus.parquet"
    result.write(out)
    good = out.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        result.write(out)
    assert out.read_bytes() == good  # the old corpus is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.parquet", "corpus.rejects.csv"]  # no temp


def test_same_title_different_papers_are_not_merged(tmp_path):
    other = "A different study entirely: we measure protein folding rates in yeast under heat stress."
    rows = [
        {"id": "doi:10.1/a", "title": "Attention Is All You Need", "abstract": LONG},
        {"id": "doi:10.1/b", "title": "Attention is all you need", "abstract": other},
        {"id": "doi:10.1/c", "title": "attention is all you need!", "abstract": LONG + " "},  # same text
    ]
    result = ingest(write_csv(tmp_path / "c.csv", rows))
    assert sorted(result.corpus["id"]) == ["doi:10.1/a", "doi:10.1/b"]
    assert result.rejects[["id", "field", "reason"]].values.tolist() == [
        ["doi:10.1/c", "title", "duplicate of doi:10.1/a"]
    ]


@pytest.mark.parametrize(
    ("record", "field", "kind"),
    [
        ({"title": "T", "abstract": {"text": LONG}}, "abstract", "a JSON object"),
        ({"title": "T", "abstract": [LONG]}, "abstract", "a list"),
        ({"title": True, "abstract": LONG}, "title", "a boolean"),
        ({"title": "T", "abstract": LONG, "id": ["a", "b"]}, "id", "a list"),
    ],
)
def test_wrong_json_types_are_rejected_with_the_field_named(tmp_path, record, field, kind):
    good = {"title": "A Good Paper", "abstract": LONG}
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n")
    result = ingest(path)
    assert result.corpus["title"].tolist() == ["A Good Paper"]
    reject = result.rejects.iloc[0]
    assert (reject["line"], reject["field"], reject["reason"]) == (2, field, "wrong type")
    assert kind in reject["value"]


# ---- extra columns and provenance ----------------------------------------------------------------------
def test_extra_columns_are_kept_and_names_made_safe(tmp_path, capsys):
    rows = [
        {"id": "a", "title": "One", "abstract": LONG, "venue": "NeurIPS", "categories": "cs.LG stat.ML",
         "Primary Category": "cs.LG", "topic": "mine", "x": 1.5, "TITLE": "loud copy", "2nd": "z"},
        {"id": "b", "title": "Two", "abstract": LONG, "venue": "ICML", "categories": "cs.CL",
         "Primary Category": "cs.CL", "topic": "yours", "x": 2.5, "TITLE": "", "2nd": "y"},
    ]  # fmt: skip
    path = write_csv(tmp_path / "c.csv", rows)
    result = ingest(path)
    corpus = result.corpus
    extras = ["venue", "primary_category", "user_topic", "user_x", "user_title", "user_2nd"]
    assert list(corpus.columns) == [*CORPUS_COLUMNS, *extras]
    assert corpus["venue"].tolist() == ["NeurIPS", "ICML"]
    assert corpus["primary_category"].tolist() == ["cs.LG", "cs.CL"]
    assert corpus["user_topic"].tolist() == ["mine", "yours"]
    assert result.counts["renamed_columns"]["topic"] == "user_topic"
    assert "extra columns kept: venue, primary_category" in result.summary()
    # through the CLI and back: the written corpus keeps them
    assert main(["ingest", str(path), "-o", str(tmp_path / "out.parquet")]) == 0
    written = pd.read_parquet(tmp_path / "out.parquet")
    assert written["venue"].tolist() == ["NeurIPS", "ICML"]
    assert ingest(tmp_path / "out.parquet").corpus["venue"].tolist() == ["NeurIPS", "ICML"]


def test_extra_columns_from_json_parquet_and_several_files(tmp_path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(
        json.dumps({"title": "One", "abstract": LONG, "venue": "ACL", "labels": ["x", "y"], "n": 3}) + "\n"
    )
    parquet = tmp_path / "b.parquet"
    pd.DataFrame({"title": ["Two"], "abstract": [LONG + "!"], "venue": ["EMNLP"]}).to_parquet(parquet)
    corpus = ingest([jsonl, parquet]).corpus
    assert corpus["venue"].tolist() == ["ACL", "EMNLP"]
    assert corpus["labels"].tolist()[0] == "x; y"  # lists as text, so Parquet has one type per column
    assert corpus["n"].tolist()[0] == 3 and pd.isna(corpus["n"].tolist()[1])


def test_provenance_names_the_file_and_line_of_every_kept_row():
    result = ingest([DATA / "papers.csv", DATA / "papers.jsonl"])
    assert len(result.provenance) == len(result.corpus)
    places = zip(result.provenance["file"], result.provenance["line"], strict=True)
    where = dict(zip(result.corpus["id"], places, strict=True))
    assert where["p2"] == (str(DATA / "papers.csv"), 3)
    assert where["j1"][0] == str(DATA / "papers.jsonl")
