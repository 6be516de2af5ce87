"""The saved landscape: a self-describing directory, and the `Landscape` object that holds it.

Everything is parquet, JSON or numpy (loaded with ``allow_pickle=False``): a landscape directory
from someone else can be opened safely. The whole contract (columns and kinds from
``landscape.schema``, row counts, ids, vector widths, finite vectors) is checked on save and on
load, and a failure names the file that does not agree.

A save is atomic for the directory as a whole: the new landscape is written into a hidden sibling
folder and swapped in with two renames, so the directory is always the old landscape or the new
one. A crash between the two renames leaves the old one beside it under a hidden name; the next
load or save puts it back. Files that are not part of a landscape (e.g. a report's build stamp) are
carried over into the new directory.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.schema import (
    DOCUMENT_SCHEMA,
    REQUIRED_DOCUMENT_COLUMNS,
    REQUIRED_TOPIC_COLUMNS,
    TOPIC_SCHEMA,
    UNASSIGNED_TOPIC,
)

DOCUMENTS_FILE = "documents.parquet"
TOPICS_FILE = "topics.parquet"
META_FILE = "landscape.json"
EMBEDDINGS_FILE = "embeddings.npy"
CENTROIDS_FILE = "topic_centroids.npy"
REJECTS_FILE = "rejects.csv"
# Hand edits of the topics (landscape.pipeline.curation); kept with the landscape, not required.
CURATION_FILE = "curation.yaml"
LANDSCAPE_FILES = (DOCUMENTS_FILE, TOPICS_FILE, META_FILE, EMBEDDINGS_FILE, CENTROIDS_FILE, REJECTS_FILE)

# Hidden siblings of a landscape directory during a save: the new one being written, the old one
# between the two renames.
_NEW_MARK, _OLD_MARK = ".tmp-", ".old-"


@dataclass
class Landscape:
    """A topic landscape: papers with their topics and map positions, the topic table and metadata.

    ``documents`` has one row per paper (``topic`` -1 = unassigned), ``topics`` one row per topic,
    ``meta`` the build record (corpus hash, counts, parameters, random_state, versions, timings).
    ``embeddings`` and ``centroids`` are what is needed to place new papers later.
    """

    documents: object  # pandas.DataFrame
    topics: object  # pandas.DataFrame
    meta: dict = field(default_factory=dict)
    embeddings: object = None  # np.ndarray (n_documents, dim) or None
    centroids: object = None  # np.ndarray (n_topics, dim) or None
    rejects: object = None  # pandas.DataFrame or None
    path: Path | None = None
    # the text of curation.yaml; None: a save keeps the file the directory already has
    curation: str | None = None

    # ---- reading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path, *, embeddings: bool = True) -> Landscape:
        """Open a saved landscape directory (``embeddings=False`` skips the large vectors)."""
        import pandas as pd

        path = Path(path)
        _recover(path)
        if not path.is_dir():
            raise LandscapeError(f"{path}: not a landscape directory (run `landscape build` first)")
        missing = [n for n in (DOCUMENTS_FILE, TOPICS_FILE, META_FILE) if not (path / n).exists()]
        if missing:
            raise LandscapeError(f"{path}: not a complete landscape directory, missing {', '.join(missing)}")
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise LandscapeError(f"{path / META_FILE}: not valid JSON ({exc})") from exc
        documents = _read_parquet(path / DOCUMENTS_FILE)
        topics = _read_parquet(path / TOPICS_FILE)
        emb = cen = None
        emb_shape = _npy_shape(path / EMBEDDINGS_FILE) if (path / EMBEDDINGS_FILE).exists() else None
        if embeddings and emb_shape is not None:
            emb = _read_npy(path / EMBEDDINGS_FILE)
        if (path / CENTROIDS_FILE).exists():
            cen = _read_npy(path / CENTROIDS_FILE)
        rejects = None
        if (path / REJECTS_FILE).exists():
            try:
                rejects = pd.read_csv(path / REJECTS_FILE, dtype=str, keep_default_na=False)
            except (ValueError, UnicodeDecodeError) as exc:
                raise LandscapeError(f"{path / REJECTS_FILE}: not a readable CSV file ({exc})") from exc
        land = cls(documents, topics, meta, emb, cen, rejects, path)
        if (path / CURATION_FILE).exists():
            try:
                land.curation = (path / CURATION_FILE).read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise LandscapeError(f"{path / CURATION_FILE}: not UTF-8 text ({exc})") from exc
        land.validate(path, embeddings_shape=emb_shape)
        return land

    # ---- the contract --------------------------------------------------------------------------
    def validate(self, where=None, *, embeddings_shape=None) -> None:
        """Check the saved-landscape contract; the error names the file (under ``where``) at fault."""
        import numpy as np

        where = Path(where) if where is not None else Path(".")
        if not isinstance(self.meta, dict):
            raise LandscapeError(
                f"{where / META_FILE}: must be a JSON object, got {type(self.meta).__name__}"
            )
        docs, topics = self.documents, self.topics
        _check_columns(docs, DOCUMENT_SCHEMA, REQUIRED_DOCUMENT_COLUMNS, where / DOCUMENTS_FILE)
        _check_columns(topics, TOPIC_SCHEMA, REQUIRED_TOPIC_COLUMNS, where / TOPICS_FILE)
        _check_unique(docs, "id", where / DOCUMENTS_FILE)
        _check_unique(topics, "topic", where / TOPICS_FILE)
        unknown = sorted(set(docs["topic"].tolist()) - set(topics["topic"].tolist()) - {UNASSIGNED_TOPIC})
        if unknown:
            raise LandscapeError(
                f"{where / DOCUMENTS_FILE}: papers in topics {unknown[:5]} that {TOPICS_FILE} does not have"
            )
        counts = self.meta.get("counts")
        papers = counts.get("papers") if isinstance(counts, dict) else None
        if papers is not None and papers != len(docs):
            raise LandscapeError(
                f"{where / META_FILE}: says {papers} papers but {DOCUMENTS_FILE} has {len(docs)} rows"
            )
        shape = embeddings_shape if self.embeddings is None else np.shape(self.embeddings)
        if shape is not None:
            _check_vectors(self.embeddings, shape, len(docs), DOCUMENTS_FILE, where / EMBEDDINGS_FILE, np)
        if self.centroids is not None:
            cen = np.shape(self.centroids)
            _check_vectors(self.centroids, cen, len(topics), TOPICS_FILE, where / CENTROIDS_FILE, np)
            if shape is not None and len(docs) and len(topics) and cen[1] != shape[1]:
                raise LandscapeError(
                    f"{where / CENTROIDS_FILE}: vectors of width {cen[1]}, but the embeddings have {shape[1]}"
                )

    # ---- writing -------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the landscape directory as a whole: it is the old landscape or the new one, never a mix.

        A failed save (disk full, permission denied) raises ``LandscapeError`` in one line and leaves
        the old landscape as it was.
        """
        path = Path(path)
        self.validate(path)
        target = path.resolve() if path.is_symlink() else path
        _recover(target)
        check_save_path(target)
        new = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            new = Path(tempfile.mkdtemp(prefix=f".{target.name}{_NEW_MARK}{os.getpid()}-", dir=target.parent))
            self._write_files(new)
            if target.exists():
                _carry_over(target, new)
            _swap_in(new, target)
        except OSError as exc:
            raise LandscapeError(f"{path}: cannot save the landscape: {_os_reason(exc)}") from exc
        finally:
            if new is not None and new.exists():
                shutil.rmtree(new, ignore_errors=True)
        self.path = path
        return path

    def _write_files(self, folder: Path) -> None:
        import numpy as np

        self.documents.to_parquet(folder / DOCUMENTS_FILE, index=False)
        self.topics.to_parquet(folder / TOPICS_FILE, index=False)
        for name, array in ((EMBEDDINGS_FILE, self.embeddings), (CENTROIDS_FILE, self.centroids)):
            if array is not None:
                with open(folder / name, "wb") as fh:
                    np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        if self.rejects is not None:
            self.rejects.to_csv(folder / REJECTS_FILE, index=False)
        if self.curation is not None:
            (folder / CURATION_FILE).write_text(self.curation, encoding="utf-8")
        text = json.dumps(self.meta, indent=2, sort_keys=False, default=str)
        (folder / META_FILE).write_text(text + "\n", encoding="utf-8")
        for name in os.listdir(folder):  # on disk before the swap makes them the landscape
            with open(folder / name, "rb") as fh:
                os.fsync(fh.fileno())

    # ---- conveniences --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.meta.get("name") or (self.path.name if self.path else "landscape")

    @property
    def random_state(self):
        return self.meta.get("random_state")

    @property
    def outlier_share(self) -> float:
        n = len(self.documents)
        return float((self.documents["topic"] == UNASSIGNED_TOPIC).sum() / n) if n else 0.0

    def topic(self, topic_id: int):
        """The row of ``topics`` for one topic id."""
        rows = self.topics[self.topics["topic"] == topic_id]
        if rows.empty:
            raise LandscapeError(f"no topic {topic_id} in this landscape (topics 0..{len(self.topics) - 1})")
        return rows.iloc[0]

    def papers(self, topic_id: int):
        """The documents of one topic."""
        return self.documents[self.documents["topic"] == topic_id]

    def __repr__(self) -> str:
        return (
            f"Landscape({self.name!r}: {len(self.documents)} papers, {len(self.topics)} topics, "
            f"{self.outlier_share:.0%} unassigned)"
        )

    def to_bertopic(self, **kwargs):
        """A fitted BERTopic model with these topics (ids, sizes, labels); see
        :func:`landscape.model.bertopic_interop.to_bertopic`."""
        from landscape.model.bertopic_interop import to_bertopic

        return to_bertopic(self, **kwargs)


# ---- where a landscape may be saved -------------------------------------------------------------


def check_save_path(path) -> Path:
    """Fail early (before any work) when ``path`` cannot become a landscape directory.

    It must be a new or empty directory, or a landscape directory (which is then replaced), in a
    folder we may write to.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise LandscapeError(f"{path}: is a file; a landscape is saved as a directory")
    if path.is_dir() and any(path.iterdir()) and not (path / META_FILE).exists():
        raise LandscapeError(
            f"{path}: is a folder with other files, not a landscape; give a new or empty directory"
        )
    check_writable_location(path)
    return path


def check_writable_location(path) -> Path:
    """Fail early when ``path`` cannot be created: its nearest existing folder must be writable."""
    path = Path(path)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise LandscapeError(f"{path}: cannot be written: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise LandscapeError(f"{path}: cannot be written: permission denied in {parent}")
    return path


# ---- the swap and its recovery ------------------------------------------------------------------


def _swap_in(new: Path, target: Path) -> None:
    """Two renames: target -> hidden old, new -> target; then the old one is removed."""
    if not target.exists():
        os.rename(new, target)
        return
    old = target.with_name(f".{target.name}{_OLD_MARK}{os.getpid()}")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError:
        os.rename(old, target)  # put the old landscape back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _recover(target: Path) -> None:
    """Finish what a killed save left: put the old landscape back if the save stopped between its
    two renames, and remove the hidden folders of saves whose process is gone."""
    parent = target.parent
    if not parent.is_dir():
        return
    stale = {}
    for entry in parent.iterdir():
        for mark in (_OLD_MARK, _NEW_MARK):
            prefix = f".{target.name}{mark}"
            if entry.name.startswith(prefix):
                pid = entry.name[len(prefix) :].split("-")[0]
                if not _pid_running(pid):
                    stale[entry] = mark
    olds = [folder for folder, mark in stale.items() if mark == _OLD_MARK]
    if olds and not target.exists():
        try:
            os.rename(olds[0], target)
        except OSError:
            return  # cannot write here: leave everything as it is for a later try
        del stale[olds[0]]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)


def _pid_running(text: str) -> bool:
    """Whether the save that named a hidden folder (by its process id) may still be running."""
    if not text.isdigit() or int(text) == os.getpid():
        return False
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _carry_over(old: Path, new: Path) -> None:
    """Hard-link (or copy) files that are not part of the landscape into the new directory."""
    for entry in old.iterdir():
        if entry.name in LANDSCAPE_FILES or (new / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, new / entry.name)


def _link_or_copy(src, dst):
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)
    return dst


def _os_reason(exc: OSError) -> str:
    """What went wrong in a few words a user recognises."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        reason = "disk full"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    elif exc.errno == errno.EROFS:
        reason = "read-only file system"
    else:
        reason = exc.strerror or str(exc)
    return f"{reason} (the old landscape, if any, is unchanged)"


# ---- reading and checking files -----------------------------------------------------------------


def _read_parquet(path: Path):
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise LandscapeError(f"{path}: not a readable parquet file ({exc})") from exc


def _npy_shape(path: Path) -> tuple:
    """The shape in a .npy header, checked against the file size (a truncated file fails here)."""
    import numpy as np

    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read(fh)
            data_start = fh.tell()
    except (ValueError, OSError, EOFError) as exc:
        raise LandscapeError(f"{path}: not a readable .npy file ({exc})") from exc
    if dtype.hasobject:
        raise LandscapeError(f"{path}: holds Python objects (refused: loading it would need pickle)")
    expected = data_start + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    size = path.stat().st_size
    if size != expected:
        raise LandscapeError(f"{path}: damaged .npy file ({size} bytes, its header says {expected})")
    return shape


def _read_npy(path: Path):
    import numpy as np

    _npy_shape(path)
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise LandscapeError(f"{path}: not a readable .npy file ({exc})") from exc


def _check_vectors(array, shape, rows: int, rows_file: str, path: Path, np) -> None:
    if len(shape) != 2:
        raise LandscapeError(f"{path}: expected a 2-D array of vectors, got shape {tuple(shape)}")
    if shape[0] != rows:
        raise LandscapeError(f"{path}: {shape[0]} rows, but {rows_file} has {rows}")
    if array is not None:
        if not np.issubdtype(np.asarray(array).dtype, np.floating):
            raise LandscapeError(f"{path}: vectors must be floats, got {np.asarray(array).dtype}")
        bad = ~np.isfinite(array).all(axis=1)
        if bad.any():
            raise LandscapeError(f"{path}: NaN or infinite values in row {int(np.flatnonzero(bad)[0])}")


def _check_columns(frame, schema: dict, required, path: Path) -> None:
    import pandas as pd

    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LandscapeError(f"{path}: missing columns {', '.join(missing)}")
    for column, kind in schema.items():
        if column not in frame.columns:
            continue
        values = frame[column]
        if kind == "str":
            ok = pd.api.types.is_string_dtype(values) or values.isna().all()
        elif kind == "int":
            ok = pd.api.types.is_integer_dtype(values)
        elif kind == "float":
            ok = pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values)
        elif kind == "datetime":
            ok = pd.api.types.is_datetime64_any_dtype(values) or values.isna().all()
        else:  # "list"
            # a list per row; missing (None/NaN) where an older step wrote no value
            ok = values.map(
                lambda v: _is_missing(v) or (hasattr(v, "__len__") and not isinstance(v, str))
            ).all()
        if not ok:
            raise LandscapeError(f"{path}: column '{column}' must hold {kind} values, got {values.dtype}")


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _check_unique(frame, column: str, path: Path) -> None:
    dup = frame[column].duplicated()
    if dup.any():
        raise LandscapeError(f"{path}: duplicate {column} {frame[column][dup].iloc[0]!r}")
    if frame[column].isna().any():
        raise LandscapeError(f"{path}: missing {column} in row {int(frame[column].isna().argmax())}")
