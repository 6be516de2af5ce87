"""Research-area taxonomy: the bundled YAML, validation errors, and matching by embedding similarity."""

import numpy as np
import pandas as pd
import pytest

from landscape.model.taxonomy import (
    BUNDLED,
    UNASSIGNED,
    Area,
    Taxonomy,
    TaxonomyError,
    assign_areas,
    load_taxonomy,
    match,
)

REQUIRED = [
    "machine-unlearning",
    "retrieval-augmented-generation",
    "vision-language-models",
    "mixture-of-experts",
    "llm-evaluation",
    "code-generation",
    "speech",
    "recommender-systems",
    "robotics",
    "diffusion-models",
    "reinforcement-learning",
    "gans",
    "llm-alignment",
    "efficient-inference",
    "graph-neural-networks",
    "federated-learning",
    "adversarial-robustness",
    "privacy",
    "explainability",
    "object-detection",
    "segmentation",
    "3d-vision",
    "video-understanding",
    "machine-translation",
    "information-extraction",
    "question-answering",
    "reasoning",
    "llm-agents",
    "knowledge-distillation",
    "self-supervised-learning",
    "continual-learning",
    "time-series",
    "autonomous-driving",
    "medical-imaging",
    "optimization-theory",
    "bayesian-probabilistic",
    "causal-inference",
    "fairness",
    "ai-safety",
]


def test_bundled_taxonomy_covers_ai_ml_broadly():
    tax = load_taxonomy()
    ids = [a.id for a in tax.areas]
    assert len(tax) >= 30 and len(set(ids)) == len(ids)
    assert not set(REQUIRED) - set(ids)
    for area in tax.areas:
        assert area.name and len(area.description.split()) >= 8, area.id
        # research topics, not paper types
        assert not {"survey", "benchmark", "dataset"} & set(area.name.lower().split()), area.name
    assert tax.areas[ids.index("machine-unlearning")].text.startswith("Machine Unlearning: ")


def _write(tmp_path, text, name="tax.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
name: tiny
areas:
  - id: a
    name: Area A
    description: About A.
  - id: b
    name: Area B
    description: About B.
    keywords: [b1, b2]
"""


def test_user_taxonomy_loads(tmp_path):
    tax = load_taxonomy(_write(tmp_path, GOOD))
    assert tax.name == "tiny" and tax.names == ["Area A", "Area B"]
    assert tax.areas[1].keywords == ("b1", "b2")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("areas:\n  - id: a\n    name: A\n  description: x\n", ["tax.yaml", "line 4", "not valid YAML"]),
        ("just a string\n", ["tax.yaml", "'areas' list"]),
        ("areas: []\n", ["tax.yaml", "non-empty"]),
        (
            GOOD.replace("    description: About B.\n", ""),
            ["tax.yaml", "line 6", "area #2 ('b')", "'description'"],
        ),
        (GOOD.replace("  - id: b\n", "  - name: x\n    id: ''\n"), ["tax.yaml", "area #2", "'id'"]),
        (
            GOOD.replace("id: b", "id: a"),
            ["tax.yaml", "line 6", "area #2 ('a')", "duplicate id 'a'", "line 3"],
        ),
        (GOOD.replace("Area B", "Area A"), ["tax.yaml", "area #2", "duplicate area name"]),
        (GOOD.replace("keywords:", "keyword:"), ["tax.yaml", "area #2 ('b')", "unknown field(s) keyword"]),
        (GOOD.replace("[b1, b2]", "b1"), ["tax.yaml", "area #2 ('b')", "'keywords' must be a list"]),
        (GOOD.replace("id: b", "id: unassigned"), ["tax.yaml", "reserved"]),
        ("areas:\n  - just text\n", ["tax.yaml", "line 2", "area #1", "mapping"]),
    ],
)
def test_bad_taxonomy_files_fail_with_file_line_and_entry(tmp_path, text, expected):
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(_write(tmp_path, text))
    for part in expected:
        assert part in str(err.value)


def test_missing_taxonomy_file(tmp_path):
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_match_thresholds_and_unassigned():
    tax = Taxonomy("t", (Area("a", "A", "about a"), Area("b", "B", "about b")))
    sims = np.array([[0.9, 0.1], [0.2, 0.25], [0.1, 0.6]])
    assert match(sims, tax, 0.3) == [("A", 0.9), (UNASSIGNED, 0.25), ("B", 0.6)]


def _axis_embed(tax):
    """A fake embedder: area i ↦ basis vector i; other texts ↦ whatever the test sets."""
    table = {a.text: np.eye(8)[i] for i, a in enumerate(tax.areas)}
    table.update({"Forgetting: unlearning": np.eye(8)[0], "Poetry: verse": np.eye(8)[7]})
    return lambda texts: np.array([table[t] for t in texts], dtype=np.float32)


def test_assign_areas_with_any_embed_callable():
    tax = Taxonomy("t", (Area("u", "Unlearning", "forgetting data"), Area("s", "Speech", "audio")))
    topics = pd.DataFrame({"label": ["Forgetting", "Poetry"], "keywords": [["unlearning"], ["verse"]]})
    centroids = np.array([[1, 0.1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1]], dtype=np.float32)
    papers = np.array([[0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0, 0]], dtype=np.float32)
    topic_areas, paper_areas = assign_areas(
        tax, _axis_embed(tax), topic_centroids=centroids, topics=topics, paper_embeddings=papers
    )
    assert topic_areas[0][0] == "Unlearning" and topic_areas[0][1] > 0.9
    assert topic_areas[1] == (UNASSIGNED, 0.0)
    assert paper_areas == [("Speech", 1.0), (UNASSIGNED, 0.0)]


@pytest.fixture(scope="module")
def embed():
    from landscape.embed.embedder import Embedder

    return Embedder(cache_dir=False).encode


@pytest.mark.slow
def test_real_embeddings_match_unlearning_and_leave_poetry_unassigned(embed):
    tax = load_taxonomy(BUNDLED)
    texts = [
        "Forgetting training data on request: we remove the influence of deleted user records from a "
        "trained neural network without retraining it from scratch.",
        "Courtly love and chivalric imagery in medieval troubadour poetry of southern France.",
        "A slow-cooked lamb shoulder recipe with rosemary, garlic and white beans.",
        "We train a sparse transformer in which a gating network routes each token to two of 64 experts.",
    ]
    _, papers = assign_areas(tax, embed, paper_embeddings=embed(texts))
    assert papers[0][0] == "Machine Unlearning"
    assert papers[1][0] == UNASSIGNED and papers[2][0] == UNASSIGNED
    assert papers[3][0] == "Mixture of Experts"
    # topics: an unlearning topic matches by centroid + label/keywords
    topics = pd.DataFrame(
        {"label": ["Machine Unlearning"], "keywords": [["unlearning", "forget", "forgetting"]]}
    )
    topic_areas, _ = assign_areas(tax, embed, topic_centroids=embed(texts[:1]), topics=topics)
    assert topic_areas[0][0] == "Machine Unlearning"
