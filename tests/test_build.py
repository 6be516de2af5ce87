"""End to end: the bundled sample becomes a saved, named, reproducible landscape."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landscape.cli import main
from landscape.pipeline.build import build
from landscape.store import Landscape

SAMPLE = Path(__file__).resolve().parents[1] / "landscape" / "data" / "hf_papers_sample.csv"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="module")
def sample(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("sample") / "land"
    return build(SAMPLE, out, random_state=42, cache_dir=cache_dir)


def test_saved_directory_is_complete_and_loads(sample):
    out = sample.path
    for name in (
        "documents.parquet",
        "topics.parquet",
        "landscape.json",
        "embeddings.npy",
        "topic_centroids.npy",
    ):
        assert (out / name).exists(), name
    back = Landscape.load(out)
    docs, topics = back.documents, back.topics
    assert len(docs) == 100
    for col in (
        "id",
        "title",
        "date",
        "date_precision",
        "topic",
        "topic_hdbscan",
        "topic_label",
        "area",
        "x",
        "y",
    ):
        assert col in docs.columns, col
    for col in (
        "topic",
        "label",
        "size",
        "keywords",
        "area",
        "group",
        "group_label",
        "label_support",
        "label_lift",
        "representative_ids",
    ):
        assert col in topics.columns, col
    assert docs["topic"].dtype == np.int64
    assert set(docs["topic"]) - {-1} == set(topics["topic"])
    # sizes agree with the documents, representatives are members of their topic
    counts = docs[docs["topic"] >= 0]["topic"].value_counts()
    assert dict(zip(topics["topic"], topics["size"], strict=True)) == counts.to_dict()
    topic_of = dict(zip(docs["id"], docs["topic"], strict=True))
    for row in topics.itertuples():
        assert len(row.representative_ids) and all(topic_of[i] == row.topic for i in row.representative_ids)
    assert back.embeddings.shape == (100, 384) and back.centroids.shape[0] == len(topics)
    assert np.isfinite(docs[["x", "y"]].to_numpy()).all()


def test_metadata_records_seed_versions_counts_and_timings(sample):
    meta = json.loads((sample.path / "landscape.json").read_text())
    assert meta["random_state"] == 42
    assert meta["versions"]["bertopic"] and meta["versions"]["python"]
    assert meta["counts"]["papers"] == 100 and meta["counts"]["rejected"] == 0
    assert meta["counts"]["topics"] == len(sample.topics)
    assert len(meta["corpus_hash"]) == 64
    assert {"ingest", "embed", "topics", "areas", "save"} <= set(meta["timings"])
    assert meta["date_range"] == ["2020-10-01", "2025-02-01"]
    assert meta["quality"]["outlier_share"] <= 0.10
    assert meta["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_sample_topics_carry_research_areas(sample):
    docs = sample.documents
    unlearning = docs[docs["title"].str.contains("unlearning", case=False)]
    # most of the 5 unlearning papers share a topic named for them; on some CPUs and precisions
    # (UMAP's float path differs) one or two land in a neighbouring topic
    counts = unlearning["topic"].value_counts()
    assert counts.index[0] >= 0 and counts.iloc[0] >= 0.6 * len(unlearning), unlearning["topic"]
    assert "unlearning" in sample.topic(int(counts.index[0]))["label"].lower()
    # a user filtering by area finds most of them under Machine Unlearning (the topic's own area
    # depends on which neighbours the topic took in: topics issue #14)
    assert (unlearning["area"] == "Machine Unlearning").mean() >= 0.6, unlearning["area"]
    assert (sample.topics["area"] != "unassigned").sum() >= len(sample.topics) // 2


def test_same_seed_same_topics(sample, cache_dir):
    again = build(SAMPLE, None, random_state=42, cache_dir=cache_dir)
    np.testing.assert_array_equal(again.documents["topic"], sample.documents["topic"])
    assert list(again.topics["label"]) == list(sample.topics["label"])
    np.testing.assert_allclose(again.documents[["x", "y"]], sample.documents[["x", "y"]])


def test_rejects_are_written_and_counted(tmp_path, cache_dir):
    corpus = pd.read_csv(SAMPLE)
    bad = pd.DataFrame(
        {
            "id": ["bad-1", "bad-2"],
            "title": ["No abstract here", corpus["title"].iloc[0]],
            "abstract": ["", corpus["abstract"].iloc[0]],
            "date": ["2024-01", "2024-01"],
        }
    )
    path = tmp_path / "with_bad.csv"
    pd.concat([corpus, bad]).to_csv(path, index=False)
    land = build(path, tmp_path / "land", cache_dir=cache_dir, taxonomy=False)
    rejects = pd.read_csv(tmp_path / "land" / "rejects.csv")
    assert len(land.documents) == 100
    assert land.meta["counts"]["rejected"] == 2
    assert set(rejects["reason"].str.split().str[0]) == {"no", "duplicate"}, rejects["reason"].tolist()


def test_cli_build_and_user_errors(tmp_path, capsys, cache_dir, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(cache_dir))
    assert main(["build", str(SAMPLE), "-o", str(tmp_path / "land"), "--random-state", "3"]) == 0
    out = capsys.readouterr().out
    assert "100 papers" in out and "landscape written to" in out
    assert Landscape.load(tmp_path / "land").meta["random_state"] == 3
    # an expected user error: one line, exit 2, no traceback
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "landscape.cli", "build", str(bad), "-o", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.csv" in proc.stderr and "title" in proc.stderr


def test_landscape_records_its_embedding_model_and_taxonomy(sample):
    meta = sample.meta
    assert meta["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert meta["embedding_dim"] == sample.embeddings.shape[1] == 384
    from landscape.embed.precision import COMPUTE_PRECISIONS

    assert meta["embedding_precision"] in COMPUTE_PRECISIONS  # what auto picked on this machine
    # the taxonomy is saved whole, so an update needs no YAML file
    saved = meta["taxonomy_areas"]
    assert saved["name"] == meta["taxonomy"]
    assert len(saved["areas"]) > 10 and {"id", "name", "description"} <= set(saved["areas"][0])


def test_precomputed_embeddings_of_another_width_fail_before_topics(tmp_path, cache_dir, monkeypatch):
    from landscape.errors import LandscapeError
    from landscape.model.topics import TopicModel

    def no_fit(*args, **kwargs):
        raise AssertionError("the topic model must not be fitted")

    monkeypatch.setattr(TopicModel, "fit", no_fit)
    vectors = np.random.default_rng(0).normal(size=(100, 16)).astype(np.float32)
    with pytest.raises(LandscapeError, match=r"precomputed embeddings have 16 dimensions.*384"):
        build(SAMPLE, tmp_path / "land", embeddings=vectors, cache_dir=cache_dir)
    assert not (tmp_path / "land").exists()


def test_progress_lines_on_stderr_and_logging_quiet_silences_them(tmp_path, cache_dir, capsys, caplog):
    import logging

    vectors = np.random.default_rng(0).normal(size=(100, 16)).astype(np.float32)
    with caplog.at_level(logging.INFO, logger="landscape"):
        land = build(SAMPLE, tmp_path / "a", embeddings=vectors, taxonomy=False, cache_dir=cache_dir)
    err = capsys.readouterr().err
    for stage in ("ingest", "embed", "topics", "areas", "evaluate", "save"):
        assert f"\n{stage}: " in f"\n{err}", stage
    assert "topics.umap" in err  # the topic model's own stages
    assert any(r.getMessage().startswith("save: ") for r in caplog.records)
    # vectors nobody vouched for (no taxonomy needed a model) are recorded as such
    assert land.meta["embedding_model"] == "precomputed" and land.meta["embedding_dim"] == 16

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="landscape"):
        build(SAMPLE, tmp_path / "b", embeddings=vectors, taxonomy=False, cache_dir=cache_dir, quiet=True)
    assert capsys.readouterr().err == ""
    assert any(r.getMessage().startswith("save: ") for r in caplog.records)  # logging still gets them
