"""Choosing a topic by meaning on the real bundled sample (built once with the bundled MiniLM), and
the BERTopic-style views of topics: keyword weights, topic similarity, the merge tree."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
from report_fixtures import synthetic_landscape  # noqa: E402

from landscape.analysis import topic_relations, topic_search, topic_terms  # noqa: E402
from landscape.present import figures, opening  # noqa: E402


@pytest.fixture(scope="module")
def sample():
    """The bundled sample's landscape, where the notebooks' defaults build it (reused in a session)."""
    return opening.open_landscape(None, None, log=None)


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_landscape()


# ---- by meaning, on the real sample -----------------------------------------------------------------
def test_retrieval_finds_the_retrieval_topic(sample):
    match = topic_search.find_topic(sample, "retrieval")
    row = sample.topic(match.topic)
    words = (str(row["label"]) + " " + " ".join(topic_search.as_list(row["keywords"]))).lower()
    assert "retriev" in words, row["label"]
    assert match.how == "meaning" and not match.weak
    candidates = match.candidates
    assert len(candidates) == topic_search.CANDIDATES
    assert candidates["score"].is_monotonic_decreasing
    assert candidates.iloc[0]["similarity"] > candidates.iloc[1]["similarity"] + 0.05, candidates


def test_words_about_a_topic_find_it_by_meaning(sample):
    """Words that are not in the label still find the topic: a paraphrase of machine unlearning."""
    topics = sample.topics
    unlearning = topics.loc[topics["label"].str.contains("nlearn"), "topic"].tolist()
    if not unlearning:
        pytest.skip("this build of the sample has no unlearning topic")
    match = topic_search.find_topic(sample, "making a trained model forget some of its training data")
    assert match.topic == unlearning[0] and not match.weak


@pytest.mark.parametrize("query", ["qwertyuiop zxcv", "the of and"])
def test_nonsense_is_flagged_as_weak(sample, query):
    match = topic_search.find_topic(sample, query)
    assert match.weak, match.candidates
    assert match.candidates.iloc[0]["similarity"] < topic_search.WEAK_SIMILARITY
    assert "weak match" in match.message


def test_label_and_id_need_no_model(sample):
    label = str(sample.topics.iloc[0]["label"])
    assert topic_search.find_topic(sample, label.upper()).how == "label"
    assert topic_search.find_topic(sample, str(sample.topics.iloc[-1]["topic"])).how == "id"


def test_deep_dive_page_explains_a_weak_match(sample, tmp_path):
    import nbformat

    from landscape.present.report import notebook_dir, run_notebook

    params = {"landscape_dir": str(sample.path), "topic": "qwertyuiop zxcv", "top_n": 3}
    run_notebook(notebook_dir() / "topic_deep_dive.ipynb", tmp_path / "weak.ipynb", params, timeout=300)
    book = nbformat.read(tmp_path / "weak.ipynb", as_version=4)
    html = "\n".join(
        o["data"]["text/html"]
        for c in book.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    )
    assert "Weak match" in html and "qwertyuiop zxcv" in html
    assert "Candidates for" in html and "similarity" in html


# ---- BERTopic-style views ----------------------------------------------------------------------------
def test_term_weights_rank_distinctive_keywords(sample):
    topic = int(topic_search.find_topic(sample, "retrieval").topic)
    weights = topic_terms.term_weights(sample, [topic], n=10)
    assert list(weights.columns) == ["topic", "label", "term", "weight", "papers"]
    assert len(weights) == len(topic_search.as_list(sample.topic(topic)["keywords"])[:10])
    assert weights["weight"].is_monotonic_decreasing and (weights["weight"] > 0).all()
    assert weights["papers"].max() <= len(sample.papers(topic))
    # the topic's own keyword is more distinctive of it than of any other topic
    term = weights.iloc[0]["term"]
    others = [t for t in sample.topics["topic"] if t != topic]
    elsewhere = topic_terms.term_weights(sample, others, n=30)
    assert (elsewhere.loc[elsewhere["term"] == term, "weight"] < weights.iloc[0]["weight"]).all()


def test_similarity_matrix_and_heatmap(synthetic):
    sim = topic_relations.similarity_matrix(synthetic)
    assert sim.shape == (len(synthetic.topics),) * 2
    assert np.allclose(np.diag(sim.to_numpy()), 1.0) and np.allclose(sim.to_numpy(), sim.to_numpy().T)
    assert set(sim.index) == set(synthetic.topics["topic"])
    top = topic_relations.similarity_matrix(synthetic, top=3)
    largest = synthetic.topics.sort_values("size", ascending=False)["topic"].head(3)
    assert set(top.index) == set(largest)
    fig = figures.similarity_heatmap(sim)
    assert fig.data[0].z.shape == sim.shape and fig.layout.height >= 450
    assert all("<img" not in str(name) for name in fig.data[0].x), "labels escaped"


def test_merge_tree_and_dendrogram(synthetic):
    tree = topic_relations.merge_tree(synthetic)
    n = len(synthetic.topics)
    assert len(tree) == n - 1 and tree["distance"].is_monotonic_increasing
    assert tree.iloc[-1]["size"] == n
    cut = tree.attrs["parent_cut"]
    parents = synthetic.topics["group"].nunique()
    if parents > 1:
        assert (tree["distance"] > cut).sum() == parents - 1, "the cut leaves one subtree per parent"
    fig = figures.hierarchy_dendrogram(tree)
    assert len([t for t in fig.data if t.mode == "lines"]) == n - 1
    assert len(fig.layout.yaxis.ticktext) == n


def test_term_weight_bars_one_panel_per_topic(synthetic):
    weights = topic_terms.term_weights(synthetic, [0, 2, 4], n=5)
    fig = figures.term_weight_bars(weights)
    assert len(fig.data) == 3 and all(len(bar.y) == 5 for bar in fig.data)
    assert fig.layout.height > 300
