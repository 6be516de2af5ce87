"""Atomic writers: every output file is either the old one or the whole new one, never half.

Each writer puts the bytes in a temporary file in the target's folder, flushes them to disk
(``fsync``) and renames it over the target with ``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

FRAME_SUFFIXES = (".parquet", ".csv", ".jsonl")


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def frame_bytes(frame, suffix: str) -> bytes:
    """A DataFrame as the bytes of a .parquet, .csv or .jsonl file (no index)."""
    suffix = suffix.lower()
    buffer = io.BytesIO()
    if suffix == ".parquet":
        frame.to_parquet(buffer, index=False)
    elif suffix == ".csv":
        frame.to_csv(buffer, index=False)
    elif suffix == ".jsonl":
        frame.to_json(buffer, orient="records", lines=True, force_ascii=False, date_format="iso")
    else:
        raise ValueError(f"cannot write a table as {suffix!r}; use one of {', '.join(FRAME_SUFFIXES)}")
    return buffer.getvalue()


def atomic_write_frame(path, frame) -> Path:
    """Write a DataFrame atomically, as Parquet, CSV or JSON Lines by the suffix of ``path``."""
    path = Path(path)
    return atomic_write_bytes(path, frame_bytes(frame, path.suffix))
