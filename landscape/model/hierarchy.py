"""The two-level hierarchy: topics grouped into broader parents.

Parents come from agglomerative clustering of the (L2-normalised) topic centroids with Ward linkage,
which is deterministic: the same centroids always give the same parents. On normalised vectors
Euclidean distance is a monotone function of cosine distance; Ward is used rather than average
linkage because average linkage chains most topics of a large map into one parent (on a 50,000-paper
dev sample: 28 of 51 topics in one parent and three single-topic parents, against 3–16 topics per
parent with Ward). By default a
landscape with ``k`` topics gets ``round(sqrt(k))`` parents (at least 2 when there are 2 or more
topics). Parent ids are ordered by the number of papers they hold (0 = largest). Parent labels are
made by :class:`landscape.model.naming.TopicNamer` from the merged papers of each parent.
"""

from __future__ import annotations

import math

from landscape.errors import LandscapeError


def default_n_parents(n_topics: int) -> int:
    """``round(sqrt(n_topics))``, at least 2 (when there are 2+ topics), at most ``n_topics``."""
    if n_topics <= 1:
        return n_topics
    return min(n_topics, max(2, round(math.sqrt(n_topics))))


def group_topics(centroids, sizes, n_parents: int | None = None):
    """Parent id of each topic (array aligned with ``centroids`` rows).

    ``centroids``: (n_topics, d) normalised topic centroids; ``sizes``: papers per topic, used to
    order parents by size (ties: the parent holding the lowest topic id first).
    """
    import numpy as np

    centroids = np.asarray(centroids, dtype=np.float64)
    sizes = np.asarray(sizes)
    k = len(centroids)
    if len(sizes) != k:
        raise LandscapeError(f"{k} topic centroids but {len(sizes)} topic sizes")
    if n_parents is None:
        n_parents = default_n_parents(k)
    if k and not 1 <= n_parents <= k:
        raise LandscapeError(f"n_parents must be between 1 and the number of topics ({k}), got {n_parents}")
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if n_parents == k:
        raw = np.arange(k)
    elif n_parents == 1:
        raw = np.zeros(k, dtype=np.int64)
    else:
        from sklearn.cluster import AgglomerativeClustering

        from landscape.model.geometry import unit_rows

        raw = AgglomerativeClustering(n_clusters=n_parents, linkage="ward").fit_predict(unit_rows(centroids))
    totals = {p: (-int(sizes[raw == p].sum()), int(np.flatnonzero(raw == p)[0])) for p in np.unique(raw)}
    order = sorted(totals, key=totals.get)
    renumber = {p: i for i, p in enumerate(order)}
    return np.array([renumber[p] for p in raw], dtype=np.int64)
