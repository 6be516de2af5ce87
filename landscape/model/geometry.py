"""Vector geometry on embeddings, defined once: unit rows, topic centroids, nearest centroid,
representative papers and the k nearest rows.

Similarity is always the cosine: rows are scaled to unit length first (zero rows stay zero), so a
dot product is the cosine. A topic centroid is the unit-length mean of its papers' embeddings.
Comparisons run block by block (``BLOCK_ROWS`` rows at a time), so they need memory for one block
of similarities only and give the same answer in one process or on Ray workers.
"""

from __future__ import annotations

from landscape.errors import LandscapeError
from landscape.schema import UNASSIGNED_TOPIC

# Rows compared at once (block × reference rows similarities in memory).
BLOCK_ROWS = 1024

# Papers listed as a topic's representatives (closest to its centroid).
N_REPRESENTATIVES = 5

_TINY = 1e-12  # norms below this are treated as zero: the row stays zero


def unit_rows(X, *, what: str = "embeddings", finite: bool = False):
    """``X`` as float32 rows of unit length (zero rows stay zero).

    ``finite=True`` first refuses NaN or infinite values (naming ``what``).
    """
    import numpy as np

    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise LandscapeError(f"{what} must be a 2-D array (papers × dimensions), got shape {X.shape}")
    if finite and not np.isfinite(X).all():
        raise LandscapeError(f"{what} contain NaN or infinite values")
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), _TINY)


def unit_vector(v):
    """One vector scaled to unit length (a zero vector stays zero)."""
    import numpy as np

    return v / max(float(np.linalg.norm(v)), _TINY)


def centroids(X, labels, topic_ids):
    """(len(topic_ids), d) float32: the unit-length mean embedding of each topic's papers.

    ``X`` holds unit rows, ``labels`` the topic of each row; ``topic_ids`` is a list of ids or a
    number k (ids 0..k-1).
    """
    import numpy as np

    ids = range(topic_ids) if isinstance(topic_ids, (int, np.integer)) else topic_ids
    ids = list(ids)
    labels = np.asarray(labels)
    out = np.zeros((len(ids), X.shape[1]), dtype=np.float32)
    for row, t in enumerate(ids):
        out[row] = unit_vector(X[labels == t].mean(axis=0))
    return out


def best_match(X, centroids):
    """``(index, similarity)`` of the most similar centroid per row of ``X`` (both unit rows)."""
    import numpy as np

    best = np.zeros(len(X), dtype=np.int64)
    score = np.zeros(len(X), dtype=np.float32)
    for start in range(0, len(X), BLOCK_ROWS):
        sims = X[start : start + BLOCK_ROWS] @ centroids.T
        idx = sims.argmax(axis=1)
        best[start : start + len(idx)] = idx
        score[start : start + len(idx)] = sims[np.arange(len(idx)), idx]
    return best, score


def nearest_centroid(X, centroids, threshold: float):
    """``(topic, similarity)`` per row: the nearest centroid when its cosine similarity reaches
    ``threshold``, else -1 (the rule of ``TopicModel.transform``)."""
    import numpy as np

    X = unit_rows(X)
    centroids = unit_rows(centroids, what="topic centroids")
    if len(centroids) and X.shape[1] != centroids.shape[1]:
        raise LandscapeError(
            f"embeddings have {X.shape[1]} dimensions but the topic centroids have {centroids.shape[1]}"
        )
    if len(centroids) == 0:
        return np.full(len(X), UNASSIGNED_TOPIC, dtype=np.int64), np.zeros(len(X), dtype=np.float32)
    best, score = best_match(X, centroids)
    return np.where(score >= threshold, best, UNASSIGNED_TOPIC).astype(np.int64), score


def representatives(X, members, centroid, n: int = N_REPRESENTATIVES) -> list[int]:
    """The ``n`` rows among ``members`` most similar to ``centroid`` (ties: lower row first)."""
    import numpy as np

    members = np.asarray(members)
    sims = X[members] @ centroid
    return [int(i) for i in members[np.lexsort((members, -sims))][:n]]


def top_k(sims, k: int):
    """Column indices of the ``k`` largest values per row of ``sims`` (unordered)."""
    import numpy as np

    if k < sims.shape[1]:
        return np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return np.broadcast_to(np.arange(sims.shape[1]), sims.shape).copy()
