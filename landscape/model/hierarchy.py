"""The second level of a landscape: groups of topics, clustered from the papers themselves.

Groups come first, from the big structure of the papers: spectral clustering of the papers' fuzzy
k-NN graph (:func:`paper_groups`, the graph the consensus step uses, without any UMAP run, so it is
the same for every random state). The consensus topics are then clustered on that graph with the
edges between groups removed (:func:`within_groups`), and the k-NN refinement counts only the votes
of a paper's own group (``topics.refine_labels(within=...)``), so topics stay inside groups (a
topic's group: the one holding most of its papers, :func:`topic_groups`). Each group is a union of
whole topics. Without consensus runs (above 10,000 papers) or with fewer than
``NEST_TOPICS_PER_GROUP`` topics per group (under about 400 papers), topics are grouped afterwards
by Ward clustering of their normalised centroids (:func:`group_topics`, deterministic).
Group ids are ordered by the papers they hold (0 = largest). Every paper has a group
(:func:`document_groups`, the rule of ``documents.parquet``'s ``group`` column): its topic's, and
for a paper no topic takes its own one, the paper-level group it was found in (:func:`own_groups`),
else the group of its nearest topic (:func:`nearest_groups`: a single run, new papers of an update,
papers outside a fit sample). Group labels are made by
:class:`landscape.model.naming.TopicNamer` from the merged papers of each group, never equal to
one of its topics' labels nor restating one, acronyms expanded ("Generative Adversarial Networks"
over "GANs" restates it).

Scale rule (:func:`default_n_groups`): ``round(sqrt(k))`` groups for ``k`` topics, at least
``MIN_GROUPS``, at most ``k / 2`` and ``MAX_GROUPS``: 4 groups for 9 topics, 6 for 12-42, 7 for 45
(3,000 papers), 8 for 65 (10,000), 11 for 129 (100,000), 15 from 225 topics (about 630,000 papers)
on.

Measured (``bench/quality.py --sets listing5 primary20 rarest20 --seeds 0 1 2 --methods ours``,
default bf16 embeddings; ARI: mean between the seeds' assignments), groups first with unassigned
papers as one more group (``bench/results/quality-20261207T183228Z.json``) → each in its own group
(``…183733Z.json``) → the k-NN refinement inside the groups (``…190830Z.json``):

=========  ======  =====================  =====================  =====================  =============
set        groups  group NMI              group ARI              topic NMI              topic ARI
=========  ======  =====================  =====================  =====================  =============
listing5   7       0.445 → 0.470 → 0.486  0.979 → 0.997 → 1.000  0.347 → 0.347 → 0.352  0.902 → 0.903
primary20  6       0.404 → 0.417 → 0.419  0.981 → 1.000 → 1.000  0.537 → 0.537 → 0.535  0.914 → 0.906
rarest20   6       0.308 → 0.318 → 0.332  0.980 → 0.995 → 0.999  0.385 → 0.385 → 0.390  0.960 → 0.968
=========  ======  =====================  =====================  =====================  =============

The first step leaves the topics as they were (topic ARI: before → after both). Topic counts (45,
41, 42) and unassigned shares (4.1-4.4%) are unchanged. Before, Ward groups of
the topics against groups first (``quality-20261207T162603Z.json``, 5 consensus runs): group NMI
0.425 → 0.442, 0.410 → 0.404, 0.287 → 0.308; group ARI 0.65-0.80 → 0.96-0.97.

Finding the groups costs one spectral clustering of the paper graph: about 8 s of CPU for 6,900
papers and 6-8 groups (single thread).

The 0.50 target on ``listing5`` (5 arXiv listings) is not reached: its groups are now exactly the
7-cluster spectral partition of the papers (0.486). Giving each of the 45 consensus topics its most
frequent listing scores 0.45-0.46, so no grouping of fixed topics reaches it. Partitions of the
papers reach it with 5 clusters: spectral clustering of the fuzzy graph 0.499 with 5 clusters,
0.488 with 6, 0.485 with 7 (30 neighbours: 0.516, 0.490; 60: 0.528, 0.484), k-means of the
embeddings 0.507, 0.471, 0.449; the count rule is not tuned to a 5-class set. Tried for the group
graph and not kept (seed 0, the partition's NMI at the default 7 / 6 / 6 groups, ``listing5`` /
``primary20`` / ``rarest20``, against 0.486 / 0.419 / 0.331): 30 neighbours 0.481 / 0.423 / 0.326;
the embedding joined with a 100-dimensional LSA of TF-IDF (1-2-grams, weight 0.5) and 30
neighbours 0.493 / 0.429 / 0.316 (with 6 groups ``listing5`` 0.510; 15 neighbours 0.490 at 7, 0.505
at 6); the runs' votes on the graph (the consensus step's graph) 0.457 on ``listing5``; a spectral
embedding of 7, 14 or 20 dimensions cut by k-means or Ward instead of ``cluster_qr`` 0.34-0.48 on
``listing5``. The eigengap of the graph's Laplacian does not name a count: on ``listing5`` the gaps
after 6 and 12 eigenvalues are 0.0085 and 0.0082. Also not kept (``listing5``, 6-7 groups):
size-weighted Ward (0.39-0.41), spectral or average-linkage clustering of the topic graph (k-NN
edge weights summed between topics: 0.37-0.42), each topic given the paper group holding most of
its papers without nesting the topics (0.41-0.42, group ARI 0.88), topics clustered separately
inside each group with a share of the topics by group size (group NMI 0.44-0.45, topic ARI
0.75-0.84).
"""

from __future__ import annotations

import math

from landscape.errors import LandscapeError
from landscape.schema import UNASSIGNED_TOPIC

MAX_GROUPS = 15
MIN_GROUPS = 6
# Topics are clustered inside groups only when a group holds this many topics on average: with
# fewer (the 100-paper sample: 12 topics, 6 groups) groups are as fine as topics, and cutting the
# graph along them made the k-NN refinement move 12% of the sample's HDBSCAN members.
NEST_TOPICS_PER_GROUP = 3


def default_n_groups(n_topics: int) -> int:
    """``round(sqrt(n_topics))``, at least ``MIN_GROUPS``, at most half the topics and
    ``MAX_GROUPS``, at least 2."""
    if n_topics <= 2:
        return n_topics
    wanted = max(MIN_GROUPS, round(math.sqrt(n_topics)))
    return max(2, min(MAX_GROUPS, n_topics // 2, wanted))


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
    return _by_size(raw, sizes)


def nested_groups(graph, n_topics: int, n_groups: int | None, random_state: int):
    """``(group per paper, graph to cluster topics on)`` for ``n_topics`` consensus topics:
    :func:`paper_groups` and the graph :func:`within_groups` of them; ``(None, graph)`` when there
    is nothing to nest (fewer than 2 groups, or under ``NEST_TOPICS_PER_GROUP`` topics per group:
    then the topics are grouped afterwards by :func:`group_topics`)."""
    n_groups = default_n_groups(n_topics) if n_groups is None else min(n_groups, n_topics)
    if n_groups < 2 or n_topics < NEST_TOPICS_PER_GROUP * n_groups:
        return None, graph
    coarse = paper_groups(graph, n_groups, random_state)
    return coarse, within_groups(graph, coarse)


def paper_groups(graph, n_groups: int, random_state: int):
    """Group per paper: spectral clustering of the papers' fuzzy k-NN ``graph`` (COO, as
    :func:`landscape.model.consensus.fuzzy_graph` gives it) into ``n_groups`` clusters. It depends
    on the k-NN graph only (no UMAP run), so every random state gives the same groups."""
    from landscape.model.consensus import consensus_labels

    return consensus_labels(graph, [], n_groups, random_state)  # no runs: the graph alone


def within_groups(graph, coarse):
    """``graph`` (COO) without the edges between papers of different ``coarse`` groups, so that
    topics clustered on it nest in the groups."""
    import numpy as np
    import scipy.sparse as sp

    keep = np.asarray(coarse)[graph.row] == np.asarray(coarse)[graph.col]
    return sp.coo_matrix((graph.data[keep], (graph.row[keep], graph.col[keep])), shape=graph.shape)


def topic_groups(labels, coarse, n_topics: int):
    """Group id of each topic (0..n_topics-1 in ``labels``, -1 = unassigned): the ``coarse`` group
    holding most of its papers (ties: the lowest id), renumbered by size like :func:`group_topics`."""
    import numpy as np

    labels, coarse = np.asarray(labels), np.asarray(coarse)
    raw = np.array(
        [np.bincount(coarse[labels == t], minlength=1).argmax() for t in range(n_topics)], dtype=np.int64
    )
    sizes = np.bincount(labels[labels >= 0], minlength=n_topics)
    return _by_size(raw, sizes) if n_topics else raw


def document_groups(labels, topic_ids, topic_group, own):
    """Group of each paper, the rule of ``documents.parquet``'s ``group`` column: the group of its
    topic (``topic_group[i]`` is the group of topic ``topic_ids[i]``); a paper no topic takes
    (``UNASSIGNED_TOPIC``) still belongs to a group, its own one in ``own`` (aligned with
    ``labels``: the paper-level group of the build, else :func:`nearest_groups`)."""
    import numpy as np

    labels = np.asarray(labels, dtype=np.int64)
    group_of = dict(zip(np.asarray(topic_ids).tolist(), np.asarray(topic_group).tolist(), strict=True))
    by_topic = np.array([group_of.get(int(t), UNASSIGNED_TOPIC) for t in labels], dtype=np.int64)
    return np.where(labels == UNASSIGNED_TOPIC, np.asarray(own, dtype=np.int64), by_topic)


def nearest_groups(X, topic_centroids, topic_group):
    """Group of the topic whose centroid is nearest each row of ``X`` (all -1 without topics): the
    own group of a paper no topic takes when no paper-level group is known (a single run, new
    papers of an update, papers outside a fit sample)."""
    import numpy as np

    from landscape.model.geometry import best_match, unit_rows

    if len(topic_centroids) == 0 or len(X) == 0:
        return np.full(len(X), UNASSIGNED_TOPIC, dtype=np.int64)
    best, _ = best_match(unit_rows(np.asarray(X, dtype=np.float32)), np.asarray(topic_centroids, np.float32))
    return np.asarray(topic_group, dtype=np.int64)[best]


def own_groups(coarse, labels, groups, nearest):
    """Each paper's own group in the topics' group ids: its ``coarse`` (paper-level) group,
    renumbered as :func:`topic_groups` did; ``nearest`` (aligned with ``labels``) where that group
    holds no topic's majority and so dropped out."""
    import numpy as np

    coarse, labels = np.asarray(coarse), np.asarray(labels)
    renumber = {}
    for t, g in enumerate(np.asarray(groups).tolist()):
        renumber[int(np.bincount(coarse[labels == t], minlength=1).argmax())] = g
    return np.array(
        [renumber.get(int(c), int(n)) for c, n in zip(coarse, nearest, strict=True)], dtype=np.int64
    )


def _by_size(raw, sizes):
    """Group ids 0..g-1 ordered by the papers they hold (0 = largest; ties: the group holding the
    lowest topic id first)."""
    import numpy as np

    totals = {g: (-int(sizes[raw == g].sum()), int(np.flatnonzero(raw == g)[0])) for g in np.unique(raw)}
    order = sorted(totals, key=totals.get)
    renumber = {g: i for i, g in enumerate(order)}
    return np.array([renumber[g] for g in raw], dtype=np.int64)
