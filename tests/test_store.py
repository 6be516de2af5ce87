"""The saved landscape round-trips and refuses what is not one."""

import errno
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landscape.errors import LandscapeError
from landscape.store import Landscape, check_save_path


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
    with pytest.raises(LandscapeError, match="embeddings.npy: holds Python objects.*pickle"):
        Landscape.load(tmp_path)


def test_unknown_topic_is_a_clear_error():
    with pytest.raises(LandscapeError, match="no topic 5"):
        _tiny().topic(5)


def test_meta_is_plain_json(tmp_path):
    _tiny().save(tmp_path)
    assert json.loads((tmp_path / "landscape.json").read_text())["name"] == "tiny"


# ---- the whole contract is checked on load, and the error names the file ------------------------


def _saved(tmp_path):
    _tiny().save(tmp_path / "land")
    return tmp_path / "land"


def _damage_embeddings_rows(path):
    np.save(path / "embeddings.npy", np.eye(2, 4, dtype="float32"))


def _damage_nan(path):
    emb = np.eye(3, 4, dtype="float32")
    emb[1, 2] = np.nan
    np.save(path / "embeddings.npy", emb)


def _damage_truncate_centroids(path):
    data = (path / "topic_centroids.npy").read_bytes()
    (path / "topic_centroids.npy").write_bytes(data[:-5])


def _damage_centroid_rows(path):
    np.save(path / "topic_centroids.npy", np.eye(2, 4, dtype="float32"))


def _damage_centroid_width(path):
    np.save(path / "topic_centroids.npy", np.eye(1, 5, dtype="float32"))


def _damage_meta_list(path):
    (path / "landscape.json").write_text("[1, 2]")


def _damage_meta_count(path):
    meta = json.loads((path / "landscape.json").read_text())
    (path / "landscape.json").write_text(json.dumps({**meta, "counts": {"papers": 200}}))


def _rewrite_docs(change):
    def damage(path):
        docs = pd.read_parquet(path / "documents.parquet")
        change(docs).to_parquet(path / "documents.parquet", index=False)

    return damage


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_damage_embeddings_rows, r"embeddings.npy: 2 rows, but documents.parquet has 3"),
        (_damage_nan, r"embeddings.npy: NaN or infinite values in row 1"),
        (_damage_truncate_centroids, r"topic_centroids.npy: damaged .npy file"),
        (_damage_centroid_rows, r"topic_centroids.npy: 2 rows, but topics.parquet has 1"),
        (_damage_centroid_width, r"topic_centroids.npy: vectors of width 5, but the embeddings have 4"),
        (_damage_meta_list, r"landscape.json: must be a JSON object, got list"),
        (_damage_meta_count, r"landscape.json: says 200 papers but documents.parquet has 3 rows"),
        (_rewrite_docs(lambda d: d.assign(id=["a", "a", "c"])), r"documents.parquet: duplicate id 'a'"),
        (_rewrite_docs(lambda d: d.assign(topic=d["topic"].astype(str))), r"column 'topic' must hold int"),
        (_rewrite_docs(lambda d: d.assign(x=["1", "2", "3"])), r"column 'x' must hold float"),
        (_rewrite_docs(lambda d: d.drop(columns="area")), r"documents.parquet: missing columns area"),
        (_rewrite_docs(lambda d: d.assign(topic=[0, 7, -1])), r"documents.parquet: papers in topics \[7\]"),
    ],
)
def test_load_names_the_file_that_does_not_agree(tmp_path, damage, message):
    path = _saved(tmp_path)
    damage(path)
    with pytest.raises(LandscapeError, match=message):
        Landscape.load(path)


def test_truncated_embeddings_are_caught_even_when_not_loaded(tmp_path):
    path = _saved(tmp_path)
    data = (path / "embeddings.npy").read_bytes()
    (path / "embeddings.npy").write_bytes(data[:-8])
    with pytest.raises(LandscapeError, match="embeddings.npy: damaged .npy file"):
        Landscape.load(path, embeddings=False)


def test_save_refuses_a_landscape_that_breaks_the_contract(tmp_path):
    land = _tiny()
    land.embeddings = land.embeddings[:2]
    with pytest.raises(LandscapeError, match="embeddings.npy: 2 rows, but documents.parquet has 3"):
        land.save(tmp_path / "land")
    assert not (tmp_path / "land").exists()


def test_cli_reports_a_damaged_landscape_in_one_line(tmp_path, capsys):
    from landscape.cli import main

    path = _saved(tmp_path)
    _damage_meta_list(path)
    assert main(["trends", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "landscape.json: must be a JSON object" in err[0]


# ---- a save replaces the directory as a whole ---------------------------------------------------


def _bigger():
    land = _tiny()
    docs = pd.concat([land.documents, land.documents.assign(id=["d", "e", "f"])], ignore_index=True)
    return Landscape(docs, land.topics, {"name": "bigger"}, np.eye(6, 4, dtype="float32"), land.centroids)


def _no_hidden_folders(tmp_path):
    return [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_disk_full_mid_save_keeps_the_old_landscape(tmp_path, monkeypatch):
    path = _saved(tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)  # documents and topics are written, the vectors fail
    with pytest.raises(LandscapeError, match=r"land: cannot save the landscape: disk full") as info:
        _bigger().save(path)
    assert "\n" not in str(info.value)
    monkeypatch.undo()
    back = Landscape.load(path)
    assert len(back.documents) == 3 and len(back.embeddings) == 3 and back.meta["name"] == "tiny"
    assert _no_hidden_folders(tmp_path)


def test_permission_denied_is_one_line(tmp_path, monkeypatch):
    import tempfile

    path = _saved(tmp_path)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    with pytest.raises(LandscapeError, match="cannot save the landscape: permission denied"):
        _bigger().save(path)
    monkeypatch.undo()
    assert len(Landscape.load(path).documents) == 3


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused_before_any_work(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(LandscapeError, match="permission denied"):
            check_save_path(folder / "land")
    finally:
        folder.chmod(0o755)


def test_a_save_killed_between_the_renames_is_recovered(tmp_path):
    path = _saved(tmp_path)
    dead = 2**22 + 12345  # beyond pid_max on most systems: no such process
    # the state a kill between `land -> .land.old-PID` and `.land.tmp-PID-x -> land` leaves
    os.rename(path, tmp_path / f".land.old-{dead}")
    _bigger().save(tmp_path / "elsewhere")
    os.rename(tmp_path / "elsewhere", tmp_path / f".land.tmp-{dead}-abc")
    back = Landscape.load(path)  # the old landscape, put back
    assert back.meta["name"] == "tiny" and len(back.documents) == 3
    assert _no_hidden_folders(tmp_path)


def test_a_save_killed_while_writing_leaves_the_old_landscape_and_is_cleaned(tmp_path):
    path = _saved(tmp_path)
    dead = 2**22 + 12345
    half = tmp_path / f".land.tmp-{dead}-xyz"
    half.mkdir()
    (half / "documents.parquet").write_bytes(b"half a file")
    assert len(Landscape.load(path).documents) == 3
    _bigger().save(path)
    assert len(Landscape.load(path).documents) == 6 and _no_hidden_folders(tmp_path)


def test_save_replaces_the_landscape_and_keeps_other_files(tmp_path):
    path = _saved(tmp_path)
    (path / ".build-stamp.json").write_text("{}")
    (path / "extra").mkdir()
    (path / "extra" / "note.txt").write_text("mine")
    small = _tiny()
    small.centroids = None
    _bigger().save(path)
    small.embeddings = None
    small.save(path)  # files the new landscape does not have are gone, not left from the old one
    assert not (path / "embeddings.npy").exists() and not (path / "topic_centroids.npy").exists()
    assert (path / ".build-stamp.json").read_text() == "{}"
    assert (path / "extra" / "note.txt").read_text() == "mine"
    assert _no_hidden_folders(tmp_path)


def test_save_refuses_a_file_or_a_folder_that_is_not_a_landscape(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(LandscapeError, match="is a file"):
        _tiny().save(tmp_path / "file")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(LandscapeError, match="is a folder with other files, not a landscape"):
        _tiny().save(tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "x"


def test_cli_save_on_a_full_disk_is_one_line_exit_2_and_keeps_the_old(tmp_path, capsys, monkeypatch):
    import landscape.pipeline.build
    from landscape.cli import main

    path = _saved(tmp_path)

    def build_on_a_full_disk(inputs, out, **kwargs):
        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(np, "save", full)
        return _bigger().save(out)

    monkeypatch.setattr(landscape.pipeline.build, "build", build_on_a_full_disk)
    assert main(["build", "corpus.csv", "-o", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "disk full" in err[0], err
    monkeypatch.undo()
    assert Landscape.load(path).meta["name"] == "tiny" and _no_hidden_folders(tmp_path)


def test_a_folder_we_may_not_write_is_refused_before_the_build(tmp_path, capsys, monkeypatch):
    import landscape.pipeline.build
    from landscape.cli import main

    monkeypatch.setattr(landscape.pipeline.build, "build", lambda *a, **k: pytest.fail("build started"))
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)  # as if read-only
    assert main(["build", "corpus.csv", "-o", str(tmp_path / "land")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tmp_path / 'land'}: cannot be written: permission denied in {tmp_path}"
