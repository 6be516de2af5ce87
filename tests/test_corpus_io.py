"""The atomic writers every output goes through."""

import os

import pandas as pd
import pytest

from landscape.corpus.io import atomic_write_bytes, atomic_write_frame, atomic_write_text


def test_writes_and_replaces(tmp_path):
    path = tmp_path / "sub" / "a.txt"
    atomic_write_text(path, "one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    assert os.listdir(path.parent) == ["a.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    atomic_write_text(path, "old")

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_frames_by_suffix(tmp_path, suffix):
    frame = pd.DataFrame({"id": ["a", "b"], "n": [1, 2]})
    path = atomic_write_frame(tmp_path / f"t{suffix}", frame)
    read = {".parquet": pd.read_parquet, ".csv": pd.read_csv}.get(
        suffix, lambda p: pd.read_json(p, lines=True)
    )
    pd.testing.assert_frame_equal(read(path), frame)


def test_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="cannot write a table"):
        atomic_write_frame(tmp_path / "t.xlsx", pd.DataFrame({"a": [1]}))
