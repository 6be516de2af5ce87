"""Each paper's nearest neighbours by cosine similarity of its embedding, for the map's side panel.

Exact search costs n² dot products: 92,705 papers of 384 dimensions are 6.6 TFLOP, minutes on two
cores. So the papers are first split into k-means cells of about ``cell_size`` papers; each cell's
papers are compared, in blocks of exact dot products, with the papers of the ``probe`` cells whose
centres lie closest to that cell's centre (itself included). Up to ``cell_size * probe`` papers that
is every paper, so the answer is exact; at 92,705 papers each paper is compared with about a sixth of
the corpus (see ``bench/map_browser.py`` for time and recall).
"""

from __future__ import annotations

import numpy as np

from landscape.errors import LandscapeError
from landscape.schema import DEFAULT_RANDOM_STATE

NEIGHBOURS = 10
CELL_SIZE = 2000
PROBE = 8
_BLOCK = 1024


def _unit(vectors) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise LandscapeError("embeddings must be a finite 2-D array (one row per paper)")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def _cells(x: np.ndarray, cell_size: int, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """k-means cell of each paper and the cells' centres (one cell when the corpus is small)."""
    n_cells = max(1, len(x) // cell_size)
    if n_cells == 1:
        return np.zeros(len(x), dtype=np.int64), x.mean(axis=0, keepdims=True)
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_cells, random_state=random_state, n_init=1, batch_size=4096, max_iter=50)
    return km.fit_predict(x), km.cluster_centers_.astype(np.float32)


def nearest_neighbours(
    vectors,
    k: int = NEIGHBOURS,
    *,
    cell_size: int = CELL_SIZE,
    probe: int = PROBE,
    random_state: int = DEFAULT_RANDOM_STATE,
) -> np.ndarray:
    """``(n, k)`` int32 row numbers of each row's ``k`` most similar other rows, most similar first.

    Rows are compared by cosine similarity; ties go to the lower row number. With fewer than ``k + 1``
    rows the missing places are -1.
    """
    x = _unit(vectors)
    n = len(x)
    out = np.full((n, k), -1, dtype=np.int32)
    if n < 2 or k < 1:
        return out
    cell, centres = _cells(x, cell_size, random_state)
    members = [np.flatnonzero(cell == c) for c in range(len(centres))]
    closeness = centres @ centres.T
    take = min(k, n - 1)
    for c, rows in enumerate(members):
        if not len(rows):
            continue
        near = np.argsort(-closeness[c], kind="stable")[:probe]
        pool = np.sort(np.concatenate([members[d] for d in near]))
        base = x[pool]
        for start in range(0, len(rows), _BLOCK):
            query = rows[start : start + _BLOCK]
            sims = x[query] @ base.T
            sims[pool[None, :] == query[:, None]] = -np.inf  # a paper is not its own neighbour
            width = min(take, len(pool) - 1)
            top = np.argpartition(-sims, width - 1, axis=1)[:, :width]
            top_sims = np.take_along_axis(sims, top, axis=1)
            order = np.lexsort((pool[top], -top_sims), axis=1)
            out[query, :width] = pool[np.take_along_axis(top, order, axis=1)]
    return out
