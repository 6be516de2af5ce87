"""A landscape as a fitted BERTopic model: the same topic ids and sizes, its labels, BERTopic's
views and queries working on it."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
from report_fixtures import synthetic_landscape  # noqa: E402

from landscape.errors import LandscapeError  # noqa: E402
from landscape.present import opening  # noqa: E402

pytest.importorskip("bertopic")


@pytest.fixture(scope="module")
def sample():
    """The bundled sample's landscape, where the notebooks' defaults build it (reused in a session)."""
    return opening.open_landscape(None, None, log=None)


@pytest.fixture(scope="module")
def fitted(sample):
    return sample.to_bertopic()


def test_same_topic_ids_sizes_and_labels(sample, fitted):
    info = fitted.get_topic_info().set_index("Topic")
    want = sample.documents["topic"].value_counts()
    assert sorted(info.index) == sorted(want.index)
    assert info["Count"].to_dict() == {int(k): int(v) for k, v in want.items()}
    np.testing.assert_array_equal(np.asarray(fitted.topics_), sample.documents["topic"].to_numpy())
    labels = dict(zip(sample.topics["topic"], sample.topics["label"], strict=True))
    assert all(info.loc[t, "CustomName"] == label for t, label in labels.items())


def test_bertopic_views_and_queries_work(sample, fitted):
    words = fitted.get_topic(0)
    assert len(words) >= 5 and all(weight > 0 for _, weight in words)
    for figure in (
        fitted.visualize_barchart(custom_labels=True),
        fitted.visualize_heatmap(),
        fitted.visualize_hierarchy(),
    ):
        assert len(figure.data) >= 1
    found, scores = fitted.find_topics("retrieval", top_n=1)  # needs the landscape's own model
    label = str(sample.topic(found[0])["label"]).lower()
    assert "retriev" in label or "retrieval" in " ".join(w for w, _ in fitted.get_topic(found[0]))


def test_representation_models_run_on_it(sample):
    from bertopic.representation import KeyBERTInspired

    fitted = sample.to_bertopic(representation_model=KeyBERTInspired(top_n_words=5))
    assert len(fitted.get_topic(0)) == 5
    assert set(fitted.get_topic_info()["Topic"]) == set(sample.documents["topic"])


def test_needs_embeddings_and_contiguous_ids():
    land = synthetic_landscape()
    land.embeddings = None
    with pytest.raises(LandscapeError, match="embeddings=True"):
        land.to_bertopic()
    land = synthetic_landscape()
    land.embeddings = np.random.default_rng(0).normal(size=(len(land.documents), 8)).astype("float32")
    land.topics = land.topics[land.topics["topic"] != 2]
    with pytest.raises(LandscapeError, match="ids 0..n-1"):
        land.to_bertopic()
