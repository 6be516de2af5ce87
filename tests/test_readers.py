"""Every input format: rows, line numbers, and clear errors for files that are not what they say."""

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from landscape.corpus.ingest import read_corpus
from landscape.corpus.readers import detect_format, read_file
from landscape.errors import CorpusError

DATA = Path(__file__).parent / "data" / "ingest"
HF_PAGE = Path(__file__).resolve().parents[1].parent / "shared/data/hf_papers_page.txt"


def write(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ---- well-formed files -------------------------------------------------------------------------------
def test_csv_rows_and_physical_line_numbers():
    frame = read_file(DATA / "papers.csv")
    assert frame.attrs["format"] == "csv"
    assert list(frame.columns[:3]) == ["ID", "Title", "Summary"]
    # header is line 1; p2's abstract spans lines 3-5, so the row after it starts on line 6
    assert frame["_line"].tolist() == [2, 3, 6, 7, 8, 9, 10, 11]
    assert "second line\nand a third" in frame.loc[1, "Summary"]


def test_tsv_and_semicolon_csv(tmp_path):
    tsv = write(tmp_path / "p.tsv", "id\ttitle\tabstract\nt1\tA title\tAn abstract, with a comma\n")
    frame = read_file(tsv)
    assert frame.loc[0, "abstract"] == "An abstract, with a comma"
    semi = write(tmp_path / "p.csv", "id;title;abstract\ns1;A title;An abstract, with a comma\n")
    assert read_file(semi).loc[0, "abstract"] == "An abstract, with a comma"


def test_csv_with_bom_crlf_and_blank_lines(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xef\xbb\xbfid,title,abstract\r\n\r\nb1,T,A\r\n")
    frame = read_file(path)
    assert list(frame.columns) == ["id", "title", "abstract", "_line"]
    assert frame["_line"].tolist() == [3]


def test_jsonl_lines_skip_blank_lines():
    frame = read_file(DATA / "papers.jsonl")
    assert frame.attrs["format"] == "jsonl"
    assert frame["_line"].tolist() == [1, 3, 4]
    assert frame.loc[0, "authors"] == ["Noam Shazeer", "Barret Zoph"]


def test_json_object_with_one_list_gives_item_lines():
    frame = read_file(DATA / "papers.json")
    assert frame.attrs["format"] == "json"
    assert frame["title"].tolist() == [
        "Machine Unlearning for Language Models",
        "Speech Recognition in Noisy Rooms",
    ]
    assert frame["_line"].tolist() == [4, 11]


def test_json_array(tmp_path):
    path = write(
        tmp_path / "a.json", '[\n {"title": "A", "abstract": "B"},\n\n {"title": "C", "abstract": "D"}\n]\n'
    )
    frame = read_file(path)
    assert frame["title"].tolist() == ["A", "C"]
    assert frame["_line"].tolist() == [2, 4]


def test_json_single_paper_object(tmp_path):
    path = write(tmp_path / "one.json", '{"title": "T", "abstract": "A", "authors": [{"name": "Ada"}]}')
    frame = read_corpus(path)
    assert (frame.loc[0, "title"], frame.loc[0, "authors"]) == ("T", "Ada")


def test_parquet_rows_are_numbered(tmp_path):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"id": ["a", "b"], "title": ["T1", "T2"], "abstract": ["A1", "A2"]}).to_parquet(path)
    frame = read_file(path)
    assert frame.attrs["format"] == "parquet"
    assert frame.attrs["line_word"] == "row"
    assert frame["_line"].tolist() == [1, 2]


def test_gzipped_jsonl(tmp_path):
    path = tmp_path / "p.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"title": "T", "abstract": "A"}\n'))
    assert detect_format(path) == "jsonl"
    assert read_file(path)["title"].tolist() == ["T"]


def test_hf_page_fixture():
    frame = read_corpus(DATA / "hf_page.txt")
    assert frame.attrs["format"] == "hf-page"
    # the page header ("new", "Subscribe", "Mar 11", ...) is not a paper
    assert frame["title"].tolist() == [
        "Retrieval Heads in Long-Context Language Models",
        "Diffusion Models Beat GANs on Small Images?",
        "A Title Whose Abstract Is Missing",
        "Robots Learn to Fold Laundry",
    ]
    assert frame["abstract"].str.len().tolist()[2] == 0  # kept as a row; ingest rejects it
    assert frame["_line"].tolist() == [11, 15, 19, 21]


@pytest.mark.skipif(not HF_PAGE.exists(), reason="shared HF page not available")
def test_real_hf_papers_page_has_100_papers():
    frame = read_corpus(HF_PAGE)
    assert len(frame) == 100
    assert (frame["title"].str.len() > 0).all()
    assert (frame["abstract"].str.len() > 200).all()
    assert frame.loc[0, "title"] == "DeViL: Decoding Vision features into Language"


def test_txt_with_a_csv_header_is_read_as_csv(tmp_path):
    path = write(tmp_path / "list.txt", "title,abstract\nA title,An abstract\n")
    frame = read_file(path)
    assert frame.attrs["format"] == "csv"
    assert frame.loc[0, "title"] == "A title"


def test_arxiv_snapshot_detected_in_a_json_file():
    frame = read_corpus(DATA / "arxiv_snapshot.json")
    assert frame.attrs["format"] == "arxiv-snapshot"
    assert frame["id"].tolist() == ["arXiv:2205.11916", "arXiv:cs/0501001", "arXiv:2301.00001"]
    assert frame.loc[0, "date"] == "Tue, 24 May 2022 17:59:40 GMT"  # versions[0].created, not update_date
    assert frame.loc[2, "date"] == ""  # no versions: ingest takes the month from the id
    assert frame.loc[0, "authors"] == "Takeshi Kojima; Shixiang Shane Gu; Yusuke Iwasawa"
    assert frame.loc[0, "url"] == "https://arxiv.org/abs/2205.11916"
    assert frame.loc[0, "categories"] == "cs.CL cs.AI cs.LG"


def test_bibtex_zotero_style():
    frame = read_corpus(DATA / "zotero.bib")
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["title"] == "Large Language Models are Zero-Shot Reasoners"  # protective braces gone
    assert "17.7% to 78.7%" in first["abstract"] and "$\\alpha = 0.5$" in first["abstract"]
    assert first["date"] == "2023-01"  # year + month macro
    assert first["arxiv_id"] == "2205.11916"
    assert first["authors"] == "Takeshi Kojima; Shixiang Shane Gu; Yusuke Iwasawa"
    assert first["categories"].split() == [
        "Computer_Science-Computation_and_Language",
        "Computer_Science-Artificial_Intelligence",
    ]
    assert first["_line"] == 2
    # LaTeX accents become readable text
    assert second["title"] == "Über die Robustheit von Sprachmodellen: eine Studie aus Zürich"
    assert second["abstract"].startswith("Wir untersuchen die Robustheit großer Sprachmodelle gegenüber")
    assert "kleine Änderungen genügen" in second["abstract"]
    assert second["authors"] == "Jörg Müller; María García"
    assert second["id"] == "doi:10.1000/robust.2021.7"
    assert second["_line"] == 16


def test_bibtex_google_scholar_style():
    frame = read_corpus(DATA / "scholar.bib")
    assert frame["title"].tolist() == [
        "Large language models are zero-shot reasoners",
        "Attention is all you need",
    ]
    assert frame["arxiv_id"].tolist() == ["2205.11916", ""]  # from journal={arXiv preprint arXiv:...}
    assert frame["date"].tolist() == ["2022", "2017"]
    assert frame["abstract"].tolist() == ["", ""]  # Google Scholar exports no abstracts
    assert frame.loc[1, "authors"] == "Ashish Vaswani; Noam Shazeer; Niki Parmar"


def test_bibtex_mendeley_style():
    row = read_corpus(DATA / "mendeley.bib").iloc[0]
    assert row["title"] == "Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer"
    assert row["arxiv_id"] == "1701.06538"
    assert row["categories"] == "cs.LG mixture_of_experts conditional_computation"


def test_ris_export():
    frame = read_corpus(DATA / "zotero.ris")
    assert frame["title"].tolist() == ["Attention Is All You Need", "Learning to Rank Scientific Papers"]
    assert frame["date"].tolist() == ["2017-06-12", "2020"]
    assert frame.loc[0, "authors"] == "Ashish Vaswani; Noam Shazeer"
    assert frame.loc[0, "arxiv_id"] == "1706.03762"
    assert frame.loc[0, "url"] == "http://arxiv.org/abs/1706.03762"
    assert "appear at the top" in frame.loc[1, "abstract"]  # continuation line kept
    assert frame["_line"].tolist() == [1, 14]


# ---- files that are not what their extension says ----------------------------------------------------
def error_of(path, **kwargs) -> CorpusError:
    with pytest.raises(CorpusError) as info:
        read_corpus(path, **kwargs)
    return info.value


def test_unknown_extension_lists_supported_formats(tmp_path):
    err = error_of(write(tmp_path / "papers.xlsx", "x"))
    assert "unknown file type '.xlsx'" in str(err)
    assert "Parquet" in str(err) and "BibTeX" in str(err) and "RIS" in str(err)


def test_missing_file(tmp_path):
    err = error_of(tmp_path / "nope.csv")
    assert str(err) == f"{tmp_path / 'nope.csv'}: file not found"


def test_parquet_that_is_text(tmp_path):
    path = write(tmp_path / "corpus.parquet", "id,title,abstract\n1,a,b\n")
    err = error_of(path)
    assert err.file == str(path)
    assert "not a Parquet file" in str(err) and "id,title,abstract" in str(err)


def test_csv_that_is_parquet(tmp_path):
    path = tmp_path / "corpus.csv"
    pd.DataFrame({"title": ["a"], "abstract": ["b"]}).to_parquet(path)
    assert "this is a Parquet file, not CSV" in str(error_of(path))


def test_csv_that_is_json(tmp_path):
    err = error_of(write(tmp_path / "corpus.csv", '\n[{"title": "a"}]'))
    assert err.line == 2 and "looks like JSON" in str(err)


def test_json_that_is_not_json_names_line_and_column(tmp_path):
    path = write(tmp_path / "corpus.json", '[\n  {"title": "a", "abstract": "b"},\n  {"title": oops}\n]\n')
    err = error_of(path)
    assert (err.file, err.line) == (str(path), 3)
    assert "not valid JSON" in str(err) and "column 13" in str(err)
    assert str(err).startswith(f"{path}, line 3: ")


def test_json_of_the_wrong_shape(tmp_path):
    err = error_of(write(tmp_path / "a.json", '{"count": 3, "name": "x"}'))
    assert "expected a JSON array of paper objects" in str(err) and "'count'" in str(err)
    err = error_of(write(tmp_path / "b.json", '[{"title": "a", "abstract": "b"},\n 42]'))
    assert err.line == 2 and "item 2 of the array is a number" in str(err)


def test_malformed_json_line(tmp_path):
    path = write(
        tmp_path / "corpus.jsonl", '{"title": "a", "abstract": "b"}\n\n{"title": "c", "abstract": }\n'
    )
    err = error_of(path)
    assert (err.file, err.line) == (str(path), 3)
    assert "malformed JSON line" in str(err)
    err = error_of(write(tmp_path / "list.jsonl", '["not", "an", "object"]\n'))
    assert err.line == 1 and "expected one JSON object per line, found an array" in str(err)


def test_invalid_utf8_names_line_and_csv_field(tmp_path):
    path = tmp_path / "corpus.csv"
    path.write_bytes(b"id,title,abstract\n1,Fine,Fine abstract\n2,Caf\xe9,Abstract\n")
    err = error_of(path)
    assert (err.file, err.line, err.field) == (str(path), 3, "title")
    assert "invalid UTF-8 (byte 0xe9 at column 6)" in str(err)
    assert str(err).startswith(f"{path}, line 3, field 'title': invalid UTF-8")


def test_invalid_utf8_in_jsonl(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b'{"title": "a", "abstract": "b"}\n{"title": "\xff"}\n')
    err = error_of(path)
    assert err.line == 2 and "invalid UTF-8" in str(err)


def test_utf16_with_bom_is_decoded(tmp_path):
    path = write(tmp_path / "excel.csv", "title,abstract\nZürich,Ä text\n", encoding="utf-16")  # adds a BOM
    assert read_file(path).loc[0, "title"] == "Zürich"


def test_csv_row_with_too_few_fields_names_line_and_field(tmp_path):
    path = write(tmp_path / "c.csv", "id,title,abstract,date\n1,T,A,2020\n2,T2\n")
    err = error_of(path)
    assert (err.line, err.field) == (3, "abstract")
    assert "2 fields but the header has 4" in str(err)


def test_csv_unclosed_quote(tmp_path):
    err = error_of(write(tmp_path / "c.csv", 'id,title,abstract\n1,"T,A\n2,T,A\n'))
    assert "malformed CSV" in str(err) and err.line is not None


def test_empty_files(tmp_path):
    assert "empty file" in str(error_of(write(tmp_path / "e.csv", "")))
    assert "empty file" in str(error_of(write(tmp_path / "e.json", "  \n")))
    assert "no BibTeX entries" in str(error_of(write(tmp_path / "e.bib", "just some text\n")))
    assert "no RIS records" in str(error_of(write(tmp_path / "e.ris", "\n")))
    assert "not a Parquet file (it is empty)" in str(error_of(write(tmp_path / "e.parquet", "")))


def test_malformed_bibtex_entry_names_its_line(tmp_path):
    text = "@article{good, title={Fine}, abstract={x}}\n\n@article{broken,\n  title={oops,\n  year=2020\n}\n"
    err = error_of(write(tmp_path / "b.bib", text + "\n@article{next, title={Next}}\n"))
    assert err.line == 3 and "malformed BibTeX entry '@article{broken,'" in str(err)


def test_unterminated_ris_record(tmp_path):
    err = error_of(write(tmp_path / "r.ris", "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n"))
    assert err.line == 5 and "no 'ER  -' end line" in str(err)
    err = error_of(write(tmp_path / "s.ris", "@article{x, title={not ris}}\n"))
    assert err.line == 1 and "not a RIS file" in str(err)


def test_txt_that_is_not_a_papers_page(tmp_path):
    err = error_of(write(tmp_path / "notes.txt", "short line\n\nanother short line\n"))
    assert "not a Hugging Face papers page" in str(err)


def test_forced_format(tmp_path):
    path = write(tmp_path / "data.txt", json.dumps({"title": "T", "abstract": "A"}) + "\n")
    assert read_corpus(path, format="jsonl")["title"].tolist() == ["T"]
    err = error_of(path, format="xml")
    assert "unknown format 'xml'" in str(err) and "bibtex" in str(err)


def test_deeply_nested_json_is_one_clear_error(tmp_path):
    for name, text in (
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep.jsonl", '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}\n"),
    ):
        error = error_of(write(tmp_path / name, text))
        assert error.file == str(tmp_path / name)
        assert "nested too deeply" in str(error)


def test_gzip_bomb_stops_at_the_size_cap(tmp_path, monkeypatch):
    from landscape.corpus import readers

    monkeypatch.setattr(readers, "MAX_INPUT_BYTES", 1_000_000)
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        for _ in range(50):
            handle.write(b" " * 100_000)
    assert path.stat().st_size < 100_000
    error = error_of(path)
    assert "more than 1,000,000 bytes" in str(error) and "MAX_INPUT_BYTES" in str(error)
