"""Topic-quality metrics against values computed by hand on tiny inputs, and the `evaluate` command."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from landscape.analysis.evaluate import (
    evaluate,
    gini,
    keyword_document_matrix,
    label_agreement,
    npmi_coherence,
    outlier_share,
    partition_scores,
    quality_metrics,
    reference_labels,
    size_distribution,
    stability,
    topic_diversity,
    topic_npmi,
)
from landscape.cli import main
from landscape.errors import LandscapeError
from landscape.present.quality_text import format_quality, quality_table
from landscape.store import Landscape

# Four documents, document-level co-occurrence (N = 4):
#   d1 apple banana | d2 apple banana cherry | d3 cherry date | d4 date apple
DOCS = ["apple banana", "apple banana cherry", "cherry date", "date apple"]
# P(apple) = 3/4, P(banana) = 2/4, P(apple, banana) = 2/4
#   NPMI = log(0.5 / (0.75 * 0.5)) / -log(0.5) = log(4/3) / log(2) = 0.4150375
# P(cherry) = 2/4, P(date) = 2/4, P(cherry, date) = 1/4
#   NPMI = log(0.25 / 0.25) / -log(0.25) = 0
# banana and date never share a document: NPMI = -1
NPMI_APPLE_BANANA = math.log(4 / 3) / math.log(2)


# ---- NPMI ------------------------------------------------------------------------------------------
def test_npmi_matches_hand_computation():
    scores = topic_npmi(DOCS, [["apple", "banana"], ["cherry", "date"], ["banana", "date"]])
    np.testing.assert_allclose(scores, [NPMI_APPLE_BANANA, 0.0, -1.0])
    assert NPMI_APPLE_BANANA == pytest.approx(0.4150375)


def test_npmi_mean_over_pairs_then_topics():
    # topic of three words: pairs (apple, banana) 0.4150, (apple, cherry), (banana, cherry)
    # P(cherry) = 2/4; apple & cherry only in d2: P = 1/4 -> log(0.25 / (0.75 * 0.5)) / log(4) = -0.2925
    # banana & cherry only in d2: P = 1/4 -> log(0.25 / (0.5 * 0.5)) / log(4) = 0
    ac = math.log(0.25 / 0.375) / math.log(4)
    expected_topic = (NPMI_APPLE_BANANA + ac + 0.0) / 3
    scores = topic_npmi(DOCS, [["apple", "banana", "cherry"], ["cherry", "date"]])
    assert scores[0] == pytest.approx(expected_topic)
    assert npmi_coherence(DOCS, [["apple", "banana", "cherry"], ["cherry", "date"]]) == pytest.approx(
        (expected_topic + 0.0) / 2
    )


def test_npmi_uses_only_top_n_and_is_case_insensitive():
    # with top_n=2 the third keyword (date, never with banana) is ignored
    assert topic_npmi(DOCS, [["Apple", "BANANA", "date"]], top_n=2)[0] == pytest.approx(NPMI_APPLE_BANANA)


def test_npmi_edge_cases():
    # a word absent from the corpus never co-occurs (-1); one keyword is not a pair (NaN);
    # two words in every document co-occur perfectly (1)
    scores = topic_npmi(DOCS + ["x"], [["apple", "zebra"], ["apple"], []])
    assert scores[0] == -1.0
    assert np.isnan(scores[1]) and np.isnan(scores[2])
    assert topic_npmi(["a1 b1", "b1 a1 c1"], [["a1", "b1"]])[0] == 1.0
    # duplicates after normalisation are one keyword, not a perfect pair
    assert np.isnan(topic_npmi(DOCS, [["apple", "Apple"]])[0])
    assert math.isnan(npmi_coherence(DOCS, [["apple"]]))


def test_phrases_count_where_the_words_are_consecutive():
    docs = [
        "We reach state of the art results with graph neural networks.",
        "A self-supervised learner for graphs.",
        "Neural graph models, and state art.",
        "Self supervised graph neural network",
    ]
    x, cols = keyword_document_matrix(
        docs, ["state of the art", "state art", "graph neural networks", "Self-Supervised", "neural graph"]
    )
    assert cols == [
        "state of the art",
        "state art",
        "graph neural networks",
        "self supervised",
        "neural graph",
    ]
    got = {c: np.flatnonzero(x[:, i].toarray().ravel()).tolist() for i, c in enumerate(cols)}
    assert got["state of the art"] == [0]  # as written
    assert got["state art"] == [0, 2]  # also after dropping stop words ("state of the art" -> "state art")
    assert got["graph neural networks"] == [0]  # plural as written: d4 has "network"
    assert got["self supervised"] == [1, 3]  # hyphen = space, case ignored
    assert got["neural graph"] == [2]  # d0 has both words but not together in this order


def test_phrases_enter_npmi_as_single_keywords():
    docs = ["deep learning for vision", "deep learning of speech", "vision transformers", "deep sea"]
    # P(deep learning) = 2/4, P(vision) = 2/4, together in d1 only: log(0.25 / 0.25) / log 4 = 0
    assert topic_npmi(docs, [["deep learning", "vision"]])[0] == pytest.approx(0.0)


# ---- diversity --------------------------------------------------------------------------------------
def test_diversity_on_hand_examples():
    assert topic_diversity([["a1", "b1"], ["c1", "d1"]]) == 1.0
    assert topic_diversity([["a1", "b1"], ["b1", "c1"]]) == pytest.approx(3 / 4)
    assert topic_diversity([["a1", "b1"], ["a1", "b1"], ["a1", "b1"]]) == pytest.approx(2 / 6)
    # only the top_n keywords count
    assert topic_diversity([["a1", "b1", "x1"], ["c1", "d1", "x1"]], top_n=2) == 1.0


def test_diversity_splits_phrases_into_words():
    topics = [["neural network", "graph"], ["neural networks", "vision"]]
    # words {neural, network, graph} and {neural, networks, vision}: 5 unique of 6
    assert topic_diversity(topics) == pytest.approx(5 / 6)
    # whole phrases: 4 unique of 4
    assert topic_diversity(topics, split_phrases=False) == 1.0
    # stop words inside phrases do not count; a word counts once per topic
    assert topic_diversity([["theory of mind", "mind"], ["bag of words"]]) == 1.0
    # ... but a keyword that is itself a stop word is a topic word like any other
    assert topic_diversity([["the", "graph"], ["the", "vision"]]) == pytest.approx(3 / 4)
    assert math.isnan(topic_diversity([[], []]))


# ---- outliers and sizes -----------------------------------------------------------------------------
def test_outliers_and_size_distribution():
    labels = [0, 0, 0, 1, -1, 2, 2, -1]
    assert outlier_share(labels) == pytest.approx(2 / 8)
    sizes = size_distribution(labels)
    assert sizes == {
        "topics": 3,
        "min": 1,
        "median": 2.0,
        "max": 3,
        # sorted sizes 1, 2, 3: 2 * (1*1 + 2*2 + 3*3) / (3 * 6) - 4/3 = 28/18 - 24/18
        "gini": pytest.approx(4 / 18),
        "largest_share": pytest.approx(3 / 6),
    }
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([1, 3]) == pytest.approx(0.25)  # |1-3| * 2 / (2 * 2^2 * 2)
    assert size_distribution([-1, -1])["topics"] == 0


# ---- labels -----------------------------------------------------------------------------------------
def test_partition_scores_sanity():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 5, 5000)
    same = partition_scores(truth, truth)
    assert same["nmi"] == pytest.approx(1.0) and same["ari"] == pytest.approx(1.0)
    permuted = partition_scores((truth + 3) % 5 + 10, truth)  # renamed clusters
    assert permuted["nmi"] == pytest.approx(1.0) and permuted["ari"] == pytest.approx(1.0)
    independent = partition_scores(rng.integers(0, 5, 5000), truth)
    assert abs(independent["nmi"]) < 0.01 and abs(independent["ari"]) < 0.01


def test_label_agreement_all_and_assigned_by_hand():
    labels = [0, 0, 1, -1, 1]
    reference = ["cv", "cv", "cl", "cl", None]  # the last paper has no label and is left out
    got = label_agreement(labels, reference)
    assert got["n_labelled"] == 4 and got["n_reference_classes"] == 2
    # all: clusters {0: cv cv, 1: cl, -1: cl}; H(C) = ln 2, H(K) = 1.5 ln 2, H(C|K) = 0, H(K|C) = 0.5 ln 2
    # homogeneity 1, completeness 1 - 0.5/1.5 = 2/3, NMI = ln 2 / ((ln 2 + 1.5 ln 2) / 2) = 0.8
    # ARI: sum C(n_ij, 2) = 1, classes 2, clusters 1, pairs 6 -> (1 - 2/6) / (1.5 - 2/6) = 4/7
    assert got["all"]["ami"] is not None and got["all"]["ami"] <= got["all"]["nmi"]  # chance-corrected
    got["all"].pop("ami")
    got["assigned"].pop("ami", None)
    assert got["all"] == {
        "n": 4,
        "nmi": pytest.approx(0.8),
        "ari": pytest.approx(4 / 7),
        "homogeneity": pytest.approx(1.0),
        "completeness": pytest.approx(2 / 3),
    }
    # assigned only: {0: cv cv, 1: cl} is a perfect match
    assert got["assigned"]["n"] == 3
    assert got["assigned"]["nmi"] == pytest.approx(1.0) and got["assigned"]["ari"] == pytest.approx(1.0)


def test_label_agreement_rejects_length_mismatch():
    with pytest.raises(LandscapeError, match="3 reference labels for 2 papers"):
        label_agreement([0, 1], ["a", "b", "c"])


def test_reference_labels_from_columns():
    docs = pd.DataFrame(
        {
            "primary_category": ["cs.LG", "", None, "cs.RO"],
            "categories": ["cs.CV cs.LG", "cs.CL  cs.AI", "", "cs.RO"],
            "tags": [["b", "c"], [], ["d"], ["e"]],
        }
    )
    assert reference_labels(docs, "categories") == ["cs.CV", "cs.CL", None, "cs.RO"]
    assert reference_labels(docs, "primary_category,categories") == ["cs.LG", "cs.CL", None, "cs.RO"]
    assert reference_labels(docs, "tags") == ["b", None, "d", "e"]
    with pytest.raises(LandscapeError, match="no column 'venue'"):
        reference_labels(docs, "venue")


# ---- stability --------------------------------------------------------------------------------------
def test_stability_is_ari_between_runs():
    a = np.array([0, 0, 1, 1, 2, 2, -1])
    assert stability(a, a) == 1.0
    assert stability(a, np.array([5, 5, 3, 3, 4, 4, -1])) == pytest.approx(1.0)  # renamed topics
    b = np.array([0, 0, 1, 1, 2, -1, -1])
    assert stability(a, b) < 1.0
    assert stability(a, b, assigned_only=True) == pytest.approx(1.0)  # differs only on an outlier
    with pytest.raises(LandscapeError, match="differ in length"):
        stability(a, a[:3])


# ---- everything together ----------------------------------------------------------------------------
def test_quality_metrics_numbers_and_json():
    q = quality_metrics(
        DOCS, [0, 0, 1, -1], [["apple", "banana"], ["cherry", "date"]], reference=list("aabb")
    )
    assert q["papers"] == 4 and q["topics"] == 2
    assert q["outlier_share"] == pytest.approx(0.25)
    assert q["npmi_per_topic"] == pytest.approx([NPMI_APPLE_BANANA, 0.0])
    assert q["npmi"] == pytest.approx(NPMI_APPLE_BANANA / 2)
    assert q["diversity"] == 1.0
    assert q["keywords_not_in_corpus"] == 0
    assert q["labels"]["all"]["nmi"] == pytest.approx(0.8)
    json.dumps(q, allow_nan=False)  # strict JSON: no NaN, no numpy types


def test_quality_metrics_reports_missing_keywords_and_nan_as_null():
    q = quality_metrics(DOCS, [0, 0, 1, 1], [["apple", "zebra"], ["cherry"]])
    assert q["keywords_not_in_corpus"] == 1
    assert q["npmi_per_topic"] == [-1.0, None]
    json.dumps(q, allow_nan=False)


def test_quality_metrics_rejects_bad_input():
    with pytest.raises(LandscapeError, match="4 documents but 3 topic labels"):
        quality_metrics(DOCS, [0, 0, 1], [["apple"]])
    with pytest.raises(LandscapeError, match="top_n must be a positive integer"):
        quality_metrics(DOCS, [0, 0, 1, 1], [["apple"]], top_n=0)
    with pytest.raises(LandscapeError, match="list of strings"):
        quality_metrics(DOCS, [0, 0, 1, 1], ["apple banana"])
    with pytest.raises(LandscapeError, match="stop_words must be one of"):
        topic_diversity([["a1"]], stop_words="french")


def _tiny_landscape(tmp_path):
    # title + ". " + abstract gives exactly the four documents of DOCS
    docs = pd.DataFrame(
        {
            "id": ["p1", "p2", "p3", "p4"],
            "title": ["Apple", "Apple banana", "Cherry", "Date"],
            "abstract": ["banana", "cherry", "date", "apple"],
            "date": pd.to_datetime(["2020-01-01", "2020-02-01", "2021-01-01", "2021-02-01"]),
            "categories": ["cs.CV cs.LG", "cs.CV", "cs.CL", "cs.CL cs.AI"],
            "topic": [0, 0, 1, -1],
            "topic_hdbscan": [0, -1, 1, -1],
            "topic_label": ["Apple", "Apple", "Cherry", "unassigned"],
            "group": [0, 0, 1, -1],
            "group_label": ["Apple Pie", "Apple Pie", "Cherry Pie", "unassigned"],
            "area": ["fruit", "fruit", "fruit", "unassigned"],
            "x": np.zeros(4, dtype="float32"),
            "y": np.zeros(4, dtype="float32"),
        }
    )
    topics = pd.DataFrame(
        {
            "topic": [0, 1],
            "label": ["Apple", "Cherry"],
            "size": [2, 1],
            "keywords": [["apple", "banana"], ["cherry", "date"]],
            "area": ["fruit", "fruit"],
            "group": [0, 0],
        }
    )
    meta = {
        "name": "tiny",
        "random_state": 1,
        "parameters": {"topic_model": {"min_cluster_size": 3, "n_topics": 2, "random_state": 1}},
    }
    # embeddings whose first two dimensions say the stored topic (outlier: nearest to topic 1)
    emb = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 1]], dtype="float32")
    Landscape(docs, topics, meta, emb).save(tmp_path / "land")
    return tmp_path / "land"


def test_evaluate_saved_landscape(tmp_path):
    path = _tiny_landscape(tmp_path)
    q = evaluate(path, "categories")
    assert q["npmi"] == pytest.approx(NPMI_APPLE_BANANA / 2)
    assert q["outlier_share"] == pytest.approx(0.25)
    assert q["outlier_share_hdbscan"] == pytest.approx(0.5)
    # first categories: cs.CV cs.CV cs.CL cs.CL -> the hand-computed case above
    assert q["labels"]["column"] == "categories"
    assert q["labels"]["all"]["nmi"] == pytest.approx(0.8)
    assert q["labels"]["all"]["ari"] == pytest.approx(4 / 7)
    assert q["labels"]["assigned"]["nmi"] == pytest.approx(1.0)
    # the second level (each group holds one topic here): the same scores, NMI and AMI
    assert q["group_labels"]["groups"] == 2
    assert q["group_labels"]["all"]["nmi"] == pytest.approx(0.8)
    assert q["group_labels"]["all"]["ami"] == pytest.approx(q["labels"]["all"]["ami"])
    assert evaluate(Landscape.load(path))["npmi"] == q["npmi"]
    # a paper no topic takes is counted in its own group: p4 (cs.CL) in the cs.CL paper's group
    land = Landscape.load(path)
    land.documents.loc[3, ["group", "group_label"]] = [1, "Cherry Pie"]
    both = evaluate(land, "categories")
    assert both["labels"]["all"]["nmi"] == pytest.approx(0.8)  # unassigned at the topic level
    assert both["group_labels"]["groups"] == 2 and both["group_labels"]["all"]["nmi"] == pytest.approx(1.0)

    table = quality_table(q)
    assert list(table.columns) == ["metric", "value", "shown", "note"]
    shown = dict(zip(table["metric"], table["shown"], strict=True))
    assert shown["Unassigned papers"] == "25.0%"
    assert shown["NPMI coherence"] == "0.208"
    assert shown["NMI vs categories (all)"] == "0.800"
    assert shown["NMI vs categories (assigned)"] == "1.000"
    assert shown["Groups: NMI vs categories (all)"] == "0.800" and "AMI vs categories (all)" in shown
    assert "NPMI coherence" in format_quality(q, name="tiny")


def test_quality_table_uses_stored_quality(tmp_path):
    path = _tiny_landscape(tmp_path)
    land = Landscape.load(path)
    land.meta["quality"] = quality_metrics(["x1 y1"] * 4, [0, 0, 0, 0], [["x1", "y1"]])
    table = quality_table(land)
    assert dict(zip(table["metric"], table["value"], strict=True))["NPMI coherence"] == 1.0


def test_evaluate_refuses_topics_missing_from_table(tmp_path):
    path = _tiny_landscape(tmp_path)
    land = Landscape.load(path)
    land.documents.loc[0, "topic"] = 7
    with pytest.raises(LandscapeError, match=r"missing from the topic table: \[7\]"):
        evaluate(land)


class _FakeTopicModel:
    """Stands in for landscape.model.topics.TopicModel: clusters by the largest embedding dimension."""

    calls = []

    def __init__(self, *, min_cluster_size=None, random_state=42):
        self.min_cluster_size = min_cluster_size
        self.random_state = random_state

    def fit(self, docs, embeddings):
        _FakeTopicModel.calls.append(
            {"n_docs": len(docs), "mcs": self.min_cluster_size, "seed": self.random_state}
        )
        # topic ids depend on the seed, as they may in a real refit
        self.labels_ = (np.asarray(embeddings)[:, :2].argmax(axis=1) + self.random_state) % 2
        return self


def test_stability_refits_with_saved_parameters_and_another_seed(tmp_path, monkeypatch):
    import landscape.model.topics

    monkeypatch.setattr(landscape.model.topics, "TopicModel", _FakeTopicModel)
    _FakeTopicModel.calls.clear()
    q = evaluate(_tiny_landscape(tmp_path), stability_seed=5)
    # saved parameters reach the model (derived ones like n_topics are dropped), with the new seed
    assert _FakeTopicModel.calls == [{"n_docs": 4, "mcs": 3, "seed": 5}]
    assert q["stability"]["seeds"] == [1, 5]
    # refit: [0, 0, 1, 1] up to renaming vs stored [0, 0, 1, -1]: pairs {p3, p4} split in one run only
    # contingency (stored x refit): {0: (a, 2)}, {1: (b, 1)}, {-1: (b, 1)} -> ARI = 4/7 as above
    assert q["stability"]["ari"] == pytest.approx(4 / 7)
    assert q["stability"]["ari_assigned"] == pytest.approx(1.0)


def test_cli_evaluate_json_and_text(tmp_path, capsys):
    path = _tiny_landscape(tmp_path)
    assert main(["evaluate", str(path), "--labels", "categories", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["landscape"] == str(path)
    assert out["topics"] == 2
    assert out["npmi"] == pytest.approx(NPMI_APPLE_BANANA / 2)
    assert out["labels"]["all"]["completeness"] == pytest.approx(2 / 3)

    assert main(["evaluate", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Unassigned papers" in text and "25.0%" in text and "Topic diversity" in text


def test_cli_evaluate_errors(tmp_path, capsys):
    path = _tiny_landscape(tmp_path)
    assert main(["evaluate", str(path), "--labels", "venue"]) == 2
    assert "error: no column 'venue'" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nowhere")]) == 2
    assert "not a landscape directory" in capsys.readouterr().err
