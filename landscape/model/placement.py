"""Placing papers on a fitted map without refitting: the weighted mean position of their nearest
papers. (Their topic comes from :func:`landscape.model.geometry.nearest_centroid`.)

Works block by block on unit-norm embeddings (:mod:`landscape.model.geometry`), so it needs memory
for one block of similarities only and gives the same answer in one process or on Ray workers.
"""

from __future__ import annotations

from landscape.errors import LandscapeError
from landscape.model.geometry import BLOCK_ROWS, top_k, unit_rows

# Softmax temperature of the k-NN map placement: a near-copy of a paper lands on it, a paper between
# two groups lands between them.
PLACEMENT_TEMPERATURE = 0.05

# Existing papers that place a new paper on the map.
PLACEMENT_NEIGHBOURS = 10


def knn_place(
    X, reference, reference_xy, *, k: int = PLACEMENT_NEIGHBOURS, temperature: float = PLACEMENT_TEMPERATURE
):
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
        idx = top_k(sims, k)
        top = np.take_along_axis(sims, idx, axis=1).astype(np.float64)
        weights = np.exp((top - top.max(axis=1, keepdims=True)) / temperature)
        weights /= weights.sum(axis=1, keepdims=True)
        out[start : start + len(idx)] = np.einsum("nk,nkd->nd", weights, reference_xy[idx])
    return out
