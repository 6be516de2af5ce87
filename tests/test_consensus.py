"""Consensus topics: runs agreed on the k-NN graph (landscape.model.consensus)."""

import numpy as np
import pytest

from landscape.model.consensus import (
    CONSENSUS_RUNS,
    agreed_graph,
    consensus_labels,
    default_consensus_runs,
    fuzzy_graph,
    run_seeds,
)
from landscape.model.topics import TopicModel, nearest_neighbours


def _blobs(n_per=30, k=3, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:k] * 3
    X = np.concatenate([c + rng.normal(scale=0.4, size=(n_per, dim)) for c in centres]).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True), np.repeat(np.arange(k), n_per)


def test_the_scale_rule_falls_with_the_corpus():
    assert default_consensus_runs(100) == default_consensus_runs(5_000) == CONSENSUS_RUNS
    assert default_consensus_runs(10_000) == 3
    assert default_consensus_runs(10_001) == 1
    assert default_consensus_runs(92_705) == default_consensus_runs(1_000_000) == 1


def test_random_states_share_no_run():
    a, b = run_seeds(0, 5), run_seeds(1, 5)
    assert a[0] == 0 and b[0] == 1 and len(set(a)) == 5
    assert not set(a) & set(b)  # stability between random states is measured, not built in
    assert run_seeds(0, 5) == a and run_seeds(7, 1) == [7]


def test_runs_that_agree_give_their_topics_and_a_disagreeing_run_is_outvoted():
    X, truth = _blobs()
    graph = fuzzy_graph(X, nearest_neighbours(X, 10, exact=True, random_state=0))
    wrong = truth.copy()
    wrong[truth == 2] = 1  # one run merges two blobs
    labels = consensus_labels(graph, [truth, truth, wrong], 3, random_state=0)
    # the same partition up to renaming
    assert len(set(zip(labels.tolist(), truth.tolist(), strict=True))) == 3
    assert set(labels.tolist()) == {0, 1, 2}


def test_papers_most_runs_leave_out_stay_unassigned():
    X, truth = _blobs()
    graph = fuzzy_graph(X, nearest_neighbours(X, 10, exact=True, random_state=0))
    out = truth.copy()
    out[:3] = -1
    labels = consensus_labels(graph, [out, out, truth], 3, random_state=0)
    assert (labels[:3] == -1).all() and (labels[3:] >= 0).all()


def test_edges_are_weighted_by_the_runs_agreement():
    X, truth = _blobs(n_per=10)
    graph = fuzzy_graph(X, nearest_neighbours(X, 5, exact=True, random_state=0))
    apart = np.arange(len(truth))  # a run that joins nobody
    alone = agreed_graph(graph, [apart], anchor=1.0).toarray()
    joined = agreed_graph(graph, [np.zeros_like(truth)], anchor=1.0).toarray()
    dense = graph.toarray()
    assert np.allclose(alone, np.maximum(dense, dense.T)) and np.allclose(joined, 2 * alone)


def test_one_run_is_the_single_run_model():
    X, truth = _blobs()
    docs = [f"topic{t} word{t} paper" for t in truth]
    one = TopicModel(consensus_runs=1, random_state=3).fit(docs, X)
    assert one.params_["consensus_runs"] == 1 and "consensus" not in one.timings_
    many = TopicModel(random_state=3).fit(docs, X)
    assert many.params_["consensus_runs"] == CONSENSUS_RUNS and "consensus" in many.timings_
    for m in (one, many):  # either way every topic lies in one blob, and every blob has topics
        kept = m.labels_ >= 0
        pairs = set(zip(m.labels_[kept].tolist(), truth[kept].tolist(), strict=True))
        assert len(pairs) == len(set(m.labels_[kept].tolist())) and {b for _, b in pairs} == {0, 1, 2}


def test_consensus_runs_is_checked():
    X, truth = _blobs()
    with pytest.raises(Exception, match="consensus_runs"):
        TopicModel(consensus_runs=0).fit(["a b"] * len(X), X)
