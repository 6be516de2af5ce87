"""The two-level hierarchy: topics clustered into groups."""

import numpy as np
import pytest

from landscape.errors import LandscapeError
from landscape.model.hierarchy import (
    default_n_groups,
    group_topics,
    nested_groups,
    topic_groups,
    within_groups,
)


def _centroids():
    rng = np.random.default_rng(0)
    axes = np.eye(16)[:3]
    # 9 topics around 3 directions: groups should follow the directions
    c = np.vstack([axes[i] + 0.15 * rng.standard_normal(16) for i in (0, 0, 0, 1, 1, 1, 2, 2, 2)])
    return c / np.linalg.norm(c, axis=1, keepdims=True)


@pytest.mark.parametrize(
    "k, expected",
    [(0, 0), (1, 1), (2, 2), (3, 2), (9, 4), (12, 6), (30, 6), (40, 6), (45, 7), (65, 8), (129, 11)]
    + [(400, 15)],
)
def test_default_number_of_groups(k, expected):
    assert default_n_groups(k) == expected


def test_groups_group_similar_topics_cover_all_and_are_ordered_by_size():
    sizes = np.array([5, 5, 5, 50, 50, 50, 1, 1, 1])
    groups = group_topics(_centroids(), sizes, n_groups=3)
    assert groups.shape == (9,) and set(groups) == {0, 1, 2}
    assert len(set(groups[:3])) == len(set(groups[3:6])) == len(set(groups[6:])) == 1
    assert groups[3] == 0 and groups[0] == 1 and groups[6] == 2  # 150 > 15 > 3 papers
    assert np.array_equal(groups, group_topics(_centroids(), sizes, n_groups=3))  # deterministic


def test_edge_cases_and_errors():
    assert group_topics(np.zeros((0, 4)), []).shape == (0,)
    assert group_topics(_centroids()[:1], [3]).tolist() == [0]
    assert group_topics(_centroids()[:2], [3, 4]).tolist() == [1, 0]
    assert set(group_topics(_centroids(), np.ones(9), n_groups=1)) == {0}
    with pytest.raises(LandscapeError, match="n_groups"):
        group_topics(_centroids(), np.ones(9), n_groups=10)
    with pytest.raises(LandscapeError, match="sizes"):
        group_topics(_centroids(), np.ones(3))


def test_topic_groups_follow_the_papers_groups_and_are_ordered_by_size():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, -1])
    coarse = np.array([5, 5, 3, 3, 3, 5, 5, 5, 5, 3])
    # topic 0: 2 of 3 papers in 5; topic 1 in 3; topic 2 in 5 -> group of 7 papers first
    assert topic_groups(labels, coarse, 3).tolist() == [0, 1, 0]
    assert topic_groups(np.array([-1, -1]), np.array([0, 1]), 0).shape == (0,)


def test_within_groups_cuts_only_the_edges_between_groups():
    import scipy.sparse as sp

    graph = sp.coo_matrix(np.ones((4, 4)) - np.eye(4))
    cut = within_groups(graph, np.array([0, 0, 1, 1])).toarray()
    assert cut.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]


def test_nesting_needs_enough_topics_per_group():
    import scipy.sparse as sp

    graph = sp.coo_matrix(np.ones((30, 30)))
    assert nested_groups(graph, 12, None, 0) == (None, graph)  # 6 groups of 2 topics: grouped later
    assert nested_groups(graph, 40, 1, 0) == (None, graph)


def _fields(n_fields=6, n_sub=3, per_sub=20, dim=48, seed=0):
    """Papers of ``n_fields`` clearly separated fields, each with ``n_sub`` subtopics of its own."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, dim)))[0]
    X, docs, field = [], [], []
    for f in range(n_fields):
        for s in range(n_sub):
            center = basis[f] + 0.45 * basis[n_fields + f * n_sub + s]
            X.extend(center + 0.08 * rng.standard_normal((per_sub, dim)))
            docs += [
                f"Paper {i} on field{f} with subject{f}x{s} and more subject{f}x{s}." for i in range(per_sub)
            ]
            field += [f] * per_sub
    X = np.asarray(X, dtype=np.float32)
    return docs, X / np.linalg.norm(X, axis=1, keepdims=True), np.array(field)


@pytest.mark.slow
def test_clearly_separated_fields_get_one_group_each_and_topics_nest_in_them():
    from landscape.model.topics import TopicModel

    docs, X, field = _fields()
    m = TopicModel(random_state=0, nr_topics=18, consensus_runs=2).fit(docs, X)
    assert len(m.topics_) >= 18 and len(m.groups_) == 6  # nested: 3+ topics per group
    assigned = m.labels_ >= 0
    doc_group = np.where(assigned, m.topics_["group"].to_numpy()[np.maximum(m.labels_, 0)], -1)
    for f in range(6):
        assert len(set(doc_group[(field == f) & assigned])) == 1, (f, np.bincount(doc_group[field == f] + 1))
    assert len(set(doc_group[assigned])) == 6
    # every paper has a group; one no topic takes is in its field's group (its paper-level one)
    assert np.array_equal(m.group_labels_[assigned], doc_group[assigned])
    assert (m.group_labels_ >= 0).all()
    for f in range(6):
        assert len(set(m.group_labels_[field == f])) == 1
    # every group is a union of whole topics
    for g, topics in zip(m.groups_["group"], m.groups_["topics"], strict=True):
        assert set(np.flatnonzero(doc_group == g)) == set(np.flatnonzero(np.isin(m.labels_, topics)))


def test_a_paper_no_topic_takes_keeps_its_own_group():
    from landscape.model.hierarchy import document_groups, nearest_groups, own_groups

    # topic ids need not be 0..k-1 (merged, --like): the topic table says each one's group
    labels = np.array([7, 7, 3, -1, -1])
    assert document_groups(labels, [3, 7], [1, 0], own=[9, 9, 9, 1, 0]).tolist() == [0, 0, 1, 1, 0]
    # the nearest topic's group when no paper-level group is known
    cents = np.eye(3, 4)
    X = np.array([[0.1, 0.9, 0, 0], [0, 0.2, 0.7, 0.1]])
    assert nearest_groups(X, cents, [5, 6, 7]).tolist() == [6, 7]
    assert nearest_groups(X, np.zeros((0, 4)), []).tolist() == [-1, -1]
    # paper-level groups renumbered as the topics' groups; a group holding no topic's majority
    # dropped out, and its papers take the nearest topic's group
    labels = np.array([0, 0, 1, 1, -1, -1, -1])
    coarse = np.array([4, 4, 2, 2, 2, 4, 8])
    groups = topic_groups(labels, coarse, 2)
    own = own_groups(coarse, labels, groups, nearest=np.array([9, 9, 9, 9, 9, 9, 1]))
    assert own.tolist() == [groups[0]] * 2 + [groups[1]] * 3 + [groups[0], 1]
