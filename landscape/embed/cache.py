"""Persistent on-disk embedding cache, keyed by model and by the sha256 of the exact text.

All vectors live in one SQLite file (``embeddings.sqlite``) in the cache directory, one row per
(model id, max_seq_length, text hash, precision): the vectors of one text in fp32 and in int8 are kept
side by side, and a request is served only by the precisions :data:`ACCEPTED` lets stand in for it
(:mod:`landscape.embed.precision`), so they never mix. The int8 vectors of the exported model are
kept under ``<model id>#<recipe>`` (:func:`landscape.embed.onnx_int8.vector_tag`): a changed
quantization recipe re-embeds instead of serving the old one's vectors.

SQLite because it gives, in one file and without pickle:

- atomic transactions: a batch is either fully written or not at all, so an interrupted run keeps
  every batch it finished and the next run encodes only the rest;
- fast look-ups of 100k+ keys without one file per vector;
- safe concurrent use by several processes (file locking).

Each vector is stored as raw little-endian float32 bytes with its CRC32. Rows are checked on every
read (length, checksum, finite values, unit norm); a damaged row is reported with a warning,
deleted and reported as a miss so that it is recomputed. A damaged database file (truncated, not a
database) is moved aside to ``embeddings.sqlite.corrupt`` with a warning and a new cache is started.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from landscape import locations
from landscape.embed.precision import ACCEPTED
from landscape.embed.precision import COMPUTE_PRECISIONS as PRECISIONS
from landscape.errors import LandscapeError

FILE_NAME = "embeddings.sqlite"
# 2: one row per precision of a text (1 kept one row per text); version 1 files are upgraded in place.
SCHEMA_VERSION = "2"
_MAX_PARAMS = 900  # stay far below SQLite's limit on bound parameters per statement
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


class EmbeddingCacheWarning(UserWarning):
    """A damaged cache entry or file was found; it is recomputed."""


def default_cache_dir() -> Path:
    """``embeddings/`` under the cache root (:func:`landscape.locations.cache_root`)."""
    return locations.cache_dir("embeddings")


# A model's spaces: its own and those of its variants, "<model id>#<variant>" (e.g. an int8 recipe).
_OF_MODEL = "(model = ? OR substr(model, 1, ?) = ?)"


def _of_model(model_id: str) -> tuple:
    return (model_id, len(model_id) + 1, model_id + "#")


def text_key(text: str) -> bytes:
    """The sha256 digest of the exact text (UTF-8) that is embedded."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    message = str(exc).lower()
    return "malformed" in message or "not a database" in message


class EmbeddingCache:
    """Unit-norm float32 vectors by (model id, max_seq_length, text hash), in ``directory``.

    Use as a context manager (or call :meth:`close`). Vectors are returned exactly as stored.
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        self.path = self.directory / FILE_NAME
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None

    # -- connection ----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LandscapeError(
                f"cannot create the embedding cache directory {self.directory}: {exc.strerror or exc}; "
                "pass cache_dir=False to embed without a cache, or set LANDSCAPE_CACHE_DIR"
            ) from exc
        try:
            conn = self._open()
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise LandscapeError(f"cannot open the embedding cache {self.path}: {exc}") from exc
            self._quarantine(exc)
            conn = self._open()
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60)
        try:
            # Big pages hold ~10 vectors of 384 floats each; the 4 KiB default wastes a third of the file.
            conn.execute("PRAGMA page_size=16384")  # only takes effect on a new, empty file
            try:
                conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            except sqlite3.OperationalError:
                pass  # e.g. a network file system without shared memory: the default journal works
            conn.execute("PRAGMA synchronous=NORMAL")
            with conn:
                conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS spaces (id INTEGER PRIMARY KEY, model TEXT NOT NULL, "
                    "max_seq_length INTEGER NOT NULL, dim INTEGER, UNIQUE (model, max_seq_length))"
                )
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS vectors (id INTEGER PRIMARY KEY, space INTEGER NOT NULL, "
                    "key BLOB NOT NULL, precision TEXT NOT NULL, crc INTEGER NOT NULL, vec BLOB NOT NULL)"
                )
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
                if self._version(conn) == "1":  # same rows; only the unique index gains the precision
                    conn.execute("DROP INDEX IF EXISTS vectors_key")
                    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))
                # rows are large: a rowid table with a separate index keeps the index compact
                conn.execute(
                    "CREATE UNIQUE INDEX IF NOT EXISTS vectors_key_precision "
                    "ON vectors (space, key, precision)"
                )
            version = self._version(conn)
            # A structural check of the whole file would cost seconds on a large cache; reading the
            # schema above already fails on a garbled header, and row checks catch damaged vectors.
        except BaseException:
            conn.close()
            raise
        if version != SCHEMA_VERSION:
            conn.close()
            raise LandscapeError(
                f"embedding cache {self.path} has schema version {version}, this landscape version "
                f"uses {SCHEMA_VERSION}: use another cache directory or delete that file"
            )
        return conn

    @staticmethod
    def _version(conn) -> str:
        return conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]

    def _quarantine(self, exc: Exception) -> None:
        """Move a damaged database file aside (kept for inspection) and start an empty one."""
        self.close()
        aside = self.path.with_name(FILE_NAME + ".corrupt")
        warnings.warn(
            f"embedding cache {self.path} is damaged ({exc}); moved it to {aside} and started an "
            "empty cache: its embeddings will be recomputed",
            EmbeddingCacheWarning,
            stacklevel=4,
        )
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def _guarded(self, operation):
        """Run ``operation(conn)``; on a damaged file, quarantine it and run once more on a new one."""
        try:
            return operation(self._connect())
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise LandscapeError(f"embedding cache {self.path}: {exc}") from exc
            self._quarantine(exc)
            return operation(self._connect())

    def close(self) -> None:
        if self._conn is not None:
            if self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # -- spaces ----------------------------------------------------------------------------------
    @staticmethod
    def _space(conn, model_id: str, max_seq_length: int, create: bool) -> tuple[int | None, int | None]:
        row = conn.execute(
            "SELECT id, dim FROM spaces WHERE model = ? AND max_seq_length = ?", (model_id, max_seq_length)
        ).fetchone()
        if row is None and create:
            with conn:
                conn.execute(
                    "INSERT OR IGNORE INTO spaces (model, max_seq_length) VALUES (?, ?)",
                    (model_id, max_seq_length),
                )
            return EmbeddingCache._space(conn, model_id, max_seq_length, create=False)
        return (None, None) if row is None else (row[0], row[1])

    def dim(self, model_id: str, max_seq_length: int) -> int | None:
        """The vector length recorded for this model, or None when nothing is cached for it."""
        return self._guarded(lambda conn: self._space(conn, model_id, max_seq_length, create=False)[1])

    # -- read ------------------------------------------------------------------------------------
    def get(
        self,
        model_id: str,
        max_seq_length: int,
        keys: Sequence[bytes],
        *,
        precision: str = "fp32",
        dim: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Look up ``keys``: returns ``(vectors, found)``, vectors (n, dim) float32 (zeros where not found).

        ``precision`` is the precision asked for: it is served by the entries :data:`ACCEPTED` lists
        for it (fp32: fp32; bf16: fp32, else bf16; int8: int8), the most preferred one when a text
        has several.
        ``dim`` is the expected vector length (default: the one recorded for the model). Damaged
        entries are reported with an :class:`EmbeddingCacheWarning`, deleted and returned as misses.
        """
        if precision not in ACCEPTED:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        return self._guarded(lambda conn: self._get(conn, model_id, max_seq_length, keys, precision, dim))

    def _get(self, conn, model_id, max_seq_length, keys, precision, dim):
        n = len(keys)
        space, space_dim = self._space(conn, model_id, max_seq_length, create=False)
        dim = dim if dim is not None else space_dim
        if space is None or dim is None or n == 0:
            return np.zeros((n, dim or 0), dtype=np.float32), np.zeros(n, dtype=bool)
        slot: dict[bytes, int] = {}  # distinct key -> its row in `unique_vectors`
        inverse = np.fromiter((slot.setdefault(key, len(slot)) for key in keys), dtype=np.int64, count=n)
        unique = list(slot)
        unique_vectors = np.zeros((len(unique), dim), dtype=np.float32)
        unique_found = np.zeros(len(unique), dtype=bool)
        accepted = ACCEPTED[precision]
        rank = {p: i for i, p in enumerate(accepted)}
        damaged: dict[tuple[bytes, str], str] = {}
        # one statement per chunk of keys; rows are checked chunk by chunk to bound memory
        for start in range(0, len(unique), _MAX_PARAMS):
            part = unique[start : start + _MAX_PARAMS]
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                f"SELECT key, precision, crc, vec FROM vectors WHERE space = ? AND key IN ({marks}) "
                f"AND precision IN ({','.join('?' * len(accepted))})",
                (space, *part, *accepted),
            ).fetchall()
            best: dict[bytes, tuple] = {}  # the most preferred accepted row of each key
            for row in rows:
                if row[0] not in best or rank[row[1]] < rank[best[row[0]][1]]:
                    best[row[0]] = row
            good_keys, good_precisions, good_blobs = [], [], []
            for key, row_precision, crc, blob in best.values():
                if not isinstance(blob, bytes) or len(blob) != 4 * dim:
                    size = len(blob) if isinstance(blob, bytes) else 0
                    damaged[key, row_precision] = f"{size} bytes instead of {4 * dim}"
                elif zlib.crc32(blob) != crc:
                    damaged[key, row_precision] = "checksum mismatch"
                else:
                    good_keys.append(key)
                    good_precisions.append(row_precision)
                    good_blobs.append(blob)
            if not good_blobs:
                continue
            block = np.frombuffer(b"".join(good_blobs), dtype="<f4").reshape(len(good_blobs), dim)
            finite = np.isfinite(block).all(axis=1)
            norms = np.linalg.norm(np.where(finite[:, None], block, 0.0), axis=1)
            ok = finite & (np.abs(norms - 1.0) < 1e-3)
            rows_ok = np.array([slot[key] for key in good_keys], dtype=np.int64)[ok]
            unique_vectors[rows_ok] = block[ok]
            unique_found[rows_ok] = True
            for j in np.flatnonzero(~ok):
                damaged[good_keys[j], good_precisions[j]] = (
                    "non-finite values" if not finite[j] else f"norm {norms[j]:.4g} instead of 1"
                )
        vectors, found = unique_vectors[inverse], unique_found[inverse]
        if damaged:
            reasons = sorted(set(damaged.values()))
            warnings.warn(
                f"embedding cache {self.path}: {len(damaged)} damaged "
                f"entr{'y' if len(damaged) == 1 else 'ies'} for model {model_id} "
                f"({'; '.join(reasons[:3])}); they will be recomputed",
                EmbeddingCacheWarning,
                stacklevel=3,
            )
            with conn:
                conn.executemany(
                    "DELETE FROM vectors WHERE space = ? AND key = ? AND precision = ?",
                    [(space, key, row_precision) for key, row_precision in damaged],
                )
        return vectors, found

    # -- write -----------------------------------------------------------------------------------
    def put(
        self,
        model_id: str,
        max_seq_length: int,
        keys: Sequence[bytes],
        vectors: np.ndarray,
        *,
        precision: str = "fp32",
    ) -> None:
        """Store unit-norm ``vectors`` (one row per key), computed in ``precision``, in one transaction."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(f"expected {len(keys)} vectors, got an array of shape {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ValueError("refusing to cache non-finite embeddings")
        if len(keys) == 0:
            return
        self._guarded(lambda conn: self._put(conn, model_id, max_seq_length, keys, vectors, precision))

    def _put(self, conn, model_id, max_seq_length, keys, vectors, precision):
        dim = vectors.shape[1]
        space, space_dim = self._space(conn, model_id, max_seq_length, create=True)
        blobs = [row.tobytes() for row in vectors]
        with conn:
            if space_dim != dim:
                # First write for this model, or the model at this path changed: the old rows have the
                # wrong length and would be reported as damaged, so drop them now.
                if space_dim is not None:
                    conn.execute("DELETE FROM vectors WHERE space = ?", (space,))
                conn.execute("UPDATE spaces SET dim = ? WHERE id = ?", (dim, space))
            conn.executemany(
                "INSERT OR REPLACE INTO vectors (space, key, precision, crc, vec) VALUES (?, ?, ?, ?, ?)",
                [
                    (space, key, precision, zlib.crc32(blob), blob)
                    for key, blob in zip(keys, blobs, strict=True)
                ],
            )

    # -- housekeeping ----------------------------------------------------------------------------
    def count(self, model_id: str | None = None, max_seq_length: int | None = None) -> int:
        """Number of cached vectors (for one model, or all)."""

        def run(conn):
            if model_id is None:
                return conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
            query = "SELECT COUNT(*) FROM vectors JOIN spaces ON vectors.space = spaces.id WHERE " + _OF_MODEL
            params: tuple = _of_model(model_id)
            if max_seq_length is not None:
                query += " AND max_seq_length = ?"
                params += (max_seq_length,)
            return conn.execute(query, params).fetchone()[0]

        return self._guarded(run)

    def clear(self, model_id: str | None = None) -> int:
        """Delete the cached vectors of one model (or all); returns how many were deleted."""

        def run(conn):
            with conn:
                if model_id is None:
                    deleted = conn.execute("DELETE FROM vectors").rowcount
                    conn.execute("DELETE FROM spaces")
                else:
                    spaces = [
                        r[0]
                        for r in conn.execute(f"SELECT id FROM spaces WHERE {_OF_MODEL}", _of_model(model_id))
                    ]
                    deleted = 0
                    for space in spaces:
                        deleted += conn.execute("DELETE FROM vectors WHERE space = ?", (space,)).rowcount
                        conn.execute("DELETE FROM spaces WHERE id = ?", (space,))
            return deleted

        return self._guarded(run)
