"""The saved landscape: a self-describing directory, and the `Landscape` object that holds it.

Everything is parquet, JSON or numpy (loaded with ``allow_pickle=False``): a landscape directory
from someone else can be opened safely.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from landscape.errors import LandscapeError

DOCUMENTS_FILE = "documents.parquet"
TOPICS_FILE = "topics.parquet"
META_FILE = "landscape.json"
EMBEDDINGS_FILE = "embeddings.npy"
CENTROIDS_FILE = "topic_centroids.npy"
REJECTS_FILE = "rejects.csv"

DOCUMENT_COLUMNS = ("id", "title", "date", "topic", "topic_label", "area", "x", "y")
TOPIC_COLUMNS = ("topic", "label", "size", "keywords", "area", "parent")


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

    # ---- reading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path, *, embeddings: bool = True) -> Landscape:
        """Open a saved landscape directory (``embeddings=False`` skips the large vectors)."""
        import numpy as np
        import pandas as pd

        path = Path(path)
        if not path.is_dir():
            raise LandscapeError(f"{path}: not a landscape directory (run `landscape build` first)")
        missing = [n for n in (DOCUMENTS_FILE, TOPICS_FILE, META_FILE) if not (path / n).exists()]
        if missing:
            raise LandscapeError(f"{path}: not a complete landscape directory, missing {', '.join(missing)}")
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise LandscapeError(f"{path / META_FILE}: not valid JSON ({exc})") from exc
        documents = _read_parquet(path / DOCUMENTS_FILE, DOCUMENT_COLUMNS)
        topics = _read_parquet(path / TOPICS_FILE, TOPIC_COLUMNS)
        emb = cen = None
        if embeddings and (path / EMBEDDINGS_FILE).exists():
            emb = np.load(path / EMBEDDINGS_FILE, allow_pickle=False)
        if (path / CENTROIDS_FILE).exists():
            cen = np.load(path / CENTROIDS_FILE, allow_pickle=False)
        rejects = None
        if (path / REJECTS_FILE).exists():
            rejects = pd.read_csv(path / REJECTS_FILE, dtype=str, keep_default_na=False)
        return cls(documents, topics, meta, emb, cen, rejects, path)

    # ---- writing -------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the landscape directory; files are replaced atomically, one by one."""
        import numpy as np

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        _atomic(path / DOCUMENTS_FILE, lambda p: self.documents.to_parquet(p, index=False))
        _atomic(path / TOPICS_FILE, lambda p: self.topics.to_parquet(p, index=False))
        if self.embeddings is not None:
            _atomic(path / EMBEDDINGS_FILE, lambda p: _save_npy(p, self.embeddings, np))
        if self.centroids is not None:
            _atomic(path / CENTROIDS_FILE, lambda p: _save_npy(p, self.centroids, np))
        if self.rejects is not None:
            _atomic(path / REJECTS_FILE, lambda p: self.rejects.to_csv(p, index=False))
        text = json.dumps(self.meta, indent=2, sort_keys=False, default=str)
        _atomic(path / META_FILE, lambda p: Path(p).write_text(text + "\n", encoding="utf-8"))
        self.path = path
        return path

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
        return float((self.documents["topic"] == -1).sum() / n) if n else 0.0

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


def _read_parquet(path: Path, required):
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise LandscapeError(f"{path}: not a readable parquet file ({exc})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LandscapeError(f"{path}: missing columns {', '.join(missing)}")
    return frame


def _save_npy(path, array, np):
    with open(path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)


def _atomic(target: Path, write) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
