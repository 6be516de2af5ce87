"""The second level of a landscape: topics clustered into broader, named groups.

Groups are agglomerative clusters of the (L2-normalised) topic centroids with Ward linkage, which
is deterministic: the same centroids always give the same groups. On normalised vectors Euclidean
distance is a monotone function of cosine distance; Ward is used rather than average linkage
because average linkage chains most topics of a large map into one group (on a 50,000-paper dev
sample: 28 of 51 topics in one group and three single-topic groups, against 3–16 topics per group
with Ward). Group ids are ordered by the number of papers they hold (0 = largest). Group labels
are made by :class:`landscape.model.naming.TopicNamer` from the merged papers of each group, never
equal to one of its topics' labels.

Scale rule (:func:`default_n_groups`): ``round(1.5 · sqrt(k))`` groups for ``k`` topics, at most
``k / 2`` and ``MAX_GROUPS``, at least 2: 5 groups for 12 topics, 9 for 40, 12 for 64, 15 from 100
topics on.
"""

from __future__ import annotations

import math

from landscape.errors import LandscapeError

MAX_GROUPS = 15


def default_n_groups(n_topics: int) -> int:
    """``round(1.5 · sqrt(n_topics))``, at most half the topics and ``MAX_GROUPS``, at least 2."""
    if n_topics <= 2:
        return n_topics
    return max(2, min(MAX_GROUPS, n_topics // 2, round(1.5 * math.sqrt(n_topics))))


def group_topics(centroids, sizes, n_groups: int | None = None):
    """Group id of each topic (array aligned with ``centroids`` rows).

    ``centroids``: (n_topics, d) normalised topic centroids; ``sizes``: papers per topic, used to
    order groups by size (ties: the group holding the lowest topic id first).
    """
    import numpy as np

    centroids = np.asarray(centroids, dtype=np.float64)
    sizes = np.asarray(sizes)
    k = len(centroids)
    if len(sizes) != k:
        raise LandscapeError(f"{k} topic centroids but {len(sizes)} topic sizes")
    if n_groups is None:
        n_groups = default_n_groups(k)
    if k and not 1 <= n_groups <= k:
        raise LandscapeError(f"n_groups must be between 1 and the number of topics ({k}), got {n_groups}")
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if n_groups == k:
        raw = np.arange(k)
    elif n_groups == 1:
        raw = np.zeros(k, dtype=np.int64)
    else:
        from sklearn.cluster import AgglomerativeClustering

        from landscape.model.geometry import unit_rows

        raw = AgglomerativeClustering(n_clusters=n_groups, linkage="ward").fit_predict(unit_rows(centroids))
    totals = {g: (-int(sizes[raw == g].sum()), int(np.flatnonzero(raw == g)[0])) for g in np.unique(raw)}
    order = sorted(totals, key=totals.get)
    renumber = {g: i for i, g in enumerate(order)}
    return np.array([renumber[g] for g in raw], dtype=np.int64)
