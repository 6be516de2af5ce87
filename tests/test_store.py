"""The saved landscape round-trips and refuses what is not one."""

import json

import numpy as np
import pandas as pd
import pytest

from landscape.errors import LandscapeError
from landscape.store import Landscape


def _tiny():
    docs = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "title": ["A", "B", "C"],
            "date": pd.to_datetime(["2020-01-01", "2021-05-01", None]),
            "topic": [0, 0, -1],
            "topic_label": ["Unlearning", "Unlearning", "unassigned"],
            "area": ["machine unlearning", "machine unlearning", "unassigned"],
            "x": np.array([0.1, 0.2, 0.3], dtype="float32"),
            "y": np.array([1.0, 2.0, 3.0], dtype="float32"),
        }
    )
    topics = pd.DataFrame(
        {
            "topic": [0],
            "label": ["Unlearning"],
            "size": [2],
            "keywords": [["unlearning", "forgetting"]],
            "area": ["machine unlearning"],
            "group": [0],
            "representative_ids": [["a", "b"]],
        }
    )
    emb = np.eye(3, 4, dtype="float32")
    return Landscape(docs, topics, {"random_state": 7, "name": "tiny"}, emb, emb[:1])


def test_round_trip(tmp_path):
    land = _tiny()
    land.save(tmp_path / "land")
    back = Landscape.load(tmp_path / "land")
    pd.testing.assert_frame_equal(back.documents, land.documents)
    assert back.topics["keywords"].iloc[0].tolist() == ["unlearning", "forgetting"]
    assert back.meta["random_state"] == 7
    np.testing.assert_array_equal(back.embeddings, land.embeddings)
    assert back.outlier_share == pytest.approx(1 / 3)
    assert back.topic(0)["label"] == "Unlearning"
    assert list(back.papers(0)["id"]) == ["a", "b"]
    assert not list((tmp_path / "land").glob(".*tmp*")), "temporary files left behind"


def test_load_refuses_incomplete_directory(tmp_path):
    (tmp_path / "landscape.json").write_text("{}")
    with pytest.raises(LandscapeError, match="missing documents.parquet"):
        Landscape.load(tmp_path)
    with pytest.raises(LandscapeError, match="not a landscape directory"):
        Landscape.load(tmp_path / "nope")


def test_load_never_unpickles(tmp_path):
    land = _tiny()
    land.save(tmp_path)
    # an object array can only be stored with pickle: loading it must fail, not execute anything
    with open(tmp_path / "embeddings.npy", "wb") as fh:
        np.save(fh, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        Landscape.load(tmp_path)


def test_unknown_topic_is_a_clear_error():
    with pytest.raises(LandscapeError, match="no topic 5"):
        _tiny().topic(5)


def test_meta_is_plain_json(tmp_path):
    _tiny().save(tmp_path)
    assert json.loads((tmp_path / "landscape.json").read_text())["name"] == "tiny"
