"""Placing papers into a fitted landscape without refitting: nearest topic centroid and map position.

Both rules work block by block on unit-norm embeddings, so they need memory for one block of
similarities only, and give the same answer whether run in one process or on Ray workers
(:mod:`landscape.pipeline.engine`).
"""

from __future__ import annotations

from landscape.errors import LandscapeError

# Rows of papers compared at once (block × reference papers similarities in memory).
BLOCK_ROWS = 1024

# Softmax temperature of the k-NN map placement: a near-copy of a paper lands on it, a paper between
# two groups lands between them.
PLACEMENT_TEMPERATURE = 0.05


def unit_rows(X):
    """``X`` as float32 rows of unit length (zero rows stay zero)."""
    import numpy as np

    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise LandscapeError(f"embeddings must be a 2-D array (papers × dimensions), got shape {X.shape}")
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def nearest_centroid(X, centroids, threshold: float):
    """``(topic, similarity)`` per row: the nearest centroid when its cosine similarity reaches
    ``threshold``, else -1 (the rule of ``TopicModel.transform``)."""
    import numpy as np

    X = unit_rows(X)
    centroids = unit_rows(centroids)
    if len(centroids) and X.shape[1] != centroids.shape[1]:
        raise LandscapeError(
            f"embeddings have {X.shape[1]} dimensions but the topic centroids have {centroids.shape[1]}"
        )
    topic = np.full(len(X), -1, dtype=np.int64)
    best_sim = np.zeros(len(X), dtype=np.float32)
    if len(centroids) == 0:
        return topic, best_sim
    for start in range(0, len(X), BLOCK_ROWS):
        sims = X[start : start + BLOCK_ROWS] @ centroids.T
        best = sims.argmax(axis=1)
        score = sims[np.arange(len(best)), best]
        best_sim[start : start + len(best)] = score
        topic[start : start + len(best)] = np.where(score >= threshold, best, -1)
    return topic, best_sim


def knn_place(X, reference, reference_xy, *, k: int = 10, temperature: float = PLACEMENT_TEMPERATURE):
    """Map positions for new papers: the softmax(similarity / temperature)-weighted mean position of
    their ``k`` most similar reference papers. Returns float32 (n, 2)."""
    import numpy as np

    X = unit_rows(X)
    reference = unit_rows(reference)
    reference_xy = np.asarray(reference_xy, dtype=np.float64)
    if len(reference) == 0:
        raise LandscapeError("no reference papers to place new papers by")
    if reference_xy.shape != (len(reference), 2):
        raise LandscapeError(f"reference_xy must have shape ({len(reference)}, 2), got {reference_xy.shape}")
    k = int(min(k, len(reference)))
    out = np.empty((len(X), 2), dtype=np.float32)
    for start in range(0, len(X), BLOCK_ROWS):
        sims = X[start : start + BLOCK_ROWS] @ reference.T
        if k < len(reference):
            idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            idx = np.broadcast_to(np.arange(k), sims.shape).copy()
        top = np.take_along_axis(sims, idx, axis=1).astype(np.float64)
        weights = np.exp((top - top.max(axis=1, keepdims=True)) / temperature)
        weights /= weights.sum(axis=1, keepdims=True)
        out[start : start + len(idx)] = np.einsum("nk,nkd->nd", weights, reference_xy[idx])
    return out
