"""The topic model: parameters, determinism, outlier reduction, transform, and quality on real papers."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landscape.errors import LandscapeError
from landscape.model.consensus import CONSENSUS_RUNS
from landscape.model.naming import BOILERPLATE, stop_words
from landscape.model.topics import (
    MIN_SIMILARITY,
    TopicModel,
    default_min_cluster_size,
    default_min_samples,
    default_nr_topics,
    effective_n_neighbors,
    reduce_outliers,
    refine_labels,
)
from landscape.model.words import GENERIC

SAMPLE = "landscape/data/hf_papers_sample.csv"

# ---- a synthetic corpus: four tight groups with their own phrases, plus scattered papers ----------
GROUPS = [
    ["machine unlearning", "forgetting requests", "retain sets", "influence removal", "certified deletion"],
    ["speech recognition", "acoustic models", "spoken audio", "speaker adaptation", "noisy speech"],
    ["graph neural networks", "message passing", "molecular graphs", "node classification", "graph pooling"],
    ["diffusion models", "denoising steps", "image synthesis", "score matching", "noise schedules"],
]


def _synthetic(n_per=40, n_noise=12, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.linalg.qr(rng.standard_normal((dim, dim)))[0][: len(GROUPS)]
    X, docs, truth = [], [], []
    for g, (center, phrases) in enumerate(zip(centers, GROUPS, strict=True)):
        for i in range(n_per):
            X.append(center + 0.12 * rng.standard_normal(dim))
            a, b, c = rng.choice(phrases[1:], 3, replace=False)
            docs.append(f"Paper {i} on {phrases[0]} with {a}. We analyse {b} and {c} for {phrases[0]}.")
            truth.append(g)
    for i in range(n_noise):
        X.append(rng.standard_normal(dim))
        docs.append(f"Miscellaneous note {i} about gardening, cooking and history.")
        truth.append(-1)
    X = np.asarray(X, dtype=np.float32)
    return docs, X / np.linalg.norm(X, axis=1, keepdims=True), np.array(truth)


@pytest.fixture(scope="module")
def synthetic():
    return _synthetic()


@pytest.fixture(scope="module")
def synthetic_model(synthetic):
    docs, X, _ = synthetic
    # nr_topics=4: where UMAP splits a group in two (it does on some machines), merging rejoins it
    return TopicModel(min_cluster_size=10, min_samples=5, nr_topics=4, random_state=7).fit(docs, X)


def test_init_stores_arguments_verbatim():
    m = TopicModel(min_cluster_size=7, ngram_range=[1, 2], stop_words=("foo",), nr_topics=5)
    assert (
        m.min_cluster_size == 7 and m.ngram_range == [1, 2] and m.stop_words == ("foo",) and m.nr_topics == 5
    )
    assert not hasattr(m, "labels_")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"clusterer": "kmeans"}, "clusterer must be one of hdbscan, fast_hdbscan"),
        ({"outlier_target": 1.5}, "outlier_target"),
        ({"min_cluster_size": 1}, "min_cluster_size"),
        ({"min_samples": 0}, "min_samples"),
        ({"ngram_range": (2, 1)}, "ngram_range"),
        ({"ngram_range": (1, 4)}, "ngram_range"),
        ({"nr_topics": 0}, "nr_topics"),
        ({"random_state": None}, "random_state"),
        ({"stop_words": "english"}, "stop_words"),
    ],
)
def test_bad_parameters_fail_in_fit_with_a_clear_message(synthetic, kwargs, message):
    docs, X, _ = synthetic
    with pytest.raises(LandscapeError, match=re.escape(message)):
        TopicModel(**kwargs).fit(docs, X)


def test_bad_inputs(synthetic):
    docs, X, _ = synthetic
    with pytest.raises(LandscapeError, match="documents but"):
        TopicModel().fit(docs[:-1], X)
    with pytest.raises(LandscapeError, match="at least 10"):
        TopicModel().fit(docs[:5], X[:5])
    with pytest.raises(LandscapeError, match="NaN"):
        TopicModel().fit(docs, np.where(np.arange(len(X))[:, None] == 3, np.nan, X))
    with pytest.raises(LandscapeError, match="not fitted"):
        TopicModel().transform(X)


def test_scaling_rules():
    sizes = (100, 1000, 5000, 10_000, 50_000, 10**6)
    assert [default_min_cluster_size(n) for n in sizes] == [4, 5, 16, 25, 48, 125]
    # readable maps at every scale: 25-50 topics for about 2,000 papers, never more than 60 there
    targets = [default_nr_topics(n) for n in (100, 1000, 2000, 10_000, 100_000, 10**6)]
    assert targets == [12, 28, 40, 65, 129, 258]
    assert all(25 <= default_nr_topics(n) <= 60 for n in range(1500, 2400, 100))
    assert default_min_samples(4) == 3 and default_min_samples(62) == 16
    assert effective_n_neighbors(15, 100) == 10 and effective_n_neighbors(15, 5000) == 15
    assert effective_n_neighbors(15, 12) == 3


def _group_of_topics(m, truth):
    """The synthetic group each topic's members come from (UMAP may pull scattered papers in)."""
    groups = {}
    for t in range(len(m.topics_)):
        members = truth[(m.labels_ == t) & (truth >= 0)]
        assert len(members) and (members == members[0]).all(), (t, np.bincount(members))  # one group
        groups[t] = int(members[0])
    return groups


def test_fitted_attributes(synthetic, synthetic_model):
    docs, X, truth = synthetic
    m = synthetic_model
    n_topics = len(m.topics_)
    # each group is one topic or, by the float path of UMAP on this CPU, two (leaf clusters)
    assert len(GROUPS) <= n_topics <= 2 * len(GROUPS)
    assert m.labels_.dtype == np.int64 and m.labels_.shape == (len(docs),)
    assert list(m.topics_.columns) == [
        "topic",
        "label",
        "size",
        "keywords",
        "keyword_weights",
        "label_support",
        "label_lift",
        "group",
        "group_label",
        "representative_idx",
    ]
    assert m.topics_["topic"].tolist() == list(range(n_topics))
    assert m.topics_["size"].tolist() == [int((m.labels_ == t).sum()) for t in range(n_topics)]
    assert m.topics_["size"].is_monotonic_decreasing  # ids by size
    assert m.centroids_.shape == (n_topics, X.shape[1])
    assert np.allclose(np.linalg.norm(m.centroids_, axis=1), 1, atol=1e-5)
    assert m.coords_.shape == (len(docs), 2) and m.coords_.dtype == np.float32
    for t, reps in enumerate(m.topics_["representative_idx"]):
        assert 1 <= len(reps) <= 5 and all(m.labels_[i] == t for i in reps)
    json.dumps(m.params_)  # JSON-serialisable record of what was used
    assert m.params_["min_cluster_size"] == 10 and m.params_["n_topics"] == n_topics
    assert set(m.timings_) >= {
        "umap",
        "umap_2d",
        "cluster",
        "outliers",
        "merge",
        "refine",
        "keywords",
        "groups",
    }
    # no topic mixes groups, every group is found, nearly whole, and topics are named by their words
    group_of = _group_of_topics(m, truth)
    for g in range(len(GROUPS)):
        topics = [t for t, group in group_of.items() if group == g]
        assert 1 <= len(topics) <= 2, (g, topics)
        assert np.isin(m.labels_[truth == g], topics).mean() >= 0.8, (g, m.labels_[truth == g])
    for t, g in group_of.items():
        label = m.topics_["label"][t].lower()
        assert any(label in phrase or phrase in label for phrase in GROUPS[g]), (label, GROUPS[g])


def test_refinement_inside_groups_keeps_topics_nested():
    # paper 0 (topic 0, group 0): most of its neighbours' similarity is in topic 1 of group 1
    idx = np.array([[0, 1, 2, 3], [1, 0, 2, 3], [2, 3, 1, 0], [3, 2, 1, 0]])
    dist = np.array([[0, 0.5, 0.1, 0.1], [0, 0.1, 0.9, 0.9], [0, 0.1, 0.9, 0.9], [0, 0.1, 0.9, 0.9]])
    labels = np.array([0, 0, 1, 1])
    assert refine_labels(labels, (idx, dist), 3, rounds=1).tolist() == [1, 0, 1, 1]
    # only its own group votes: it stays with the topic of its group
    within = np.array([0, 0, 1, 1])
    assert refine_labels(labels, (idx, dist), 3, rounds=1, within=within).tolist() == [0, 0, 1, 1]


def test_reduce_outliers_goes_by_similarity_until_the_target_and_never_below_the_floor():
    centers = np.eye(4, dtype=np.float32)[:2]
    near_a = np.array([0.95, 0.31, 0, 0], dtype=np.float32)  # cos 0.95 to topic 0
    mid_b = np.array([0.0, 0.6, 0.8, 0], dtype=np.float32)  # cos 0.6 to topic 1
    far = np.array([0, 0, 0.6, 0.8], dtype=np.float32)  # cos 0 to both: unrelated
    X = np.vstack([centers[0]] * 4 + [centers[1]] * 4 + [near_a, mid_b, far])
    labels = np.array([0] * 4 + [1] * 4 + [-1, -1, -1])
    # 3 outliers of 11; a target of 2/11 moves only the most similar one
    out, threshold = reduce_outliers(X, labels, 2 / 11, MIN_SIMILARITY)
    assert out[8:].tolist() == [0, -1, -1] and threshold == pytest.approx(0.95, abs=1e-6)
    # target 0: the unrelated paper stays unassigned anyway
    out, threshold = reduce_outliers(X, labels, 0.0, MIN_SIMILARITY)
    assert out[8:].tolist() == [0, 1, -1] and threshold == pytest.approx(0.6, abs=1e-6)
    assert np.array_equal(out[:8], labels[:8])  # members never move
    # already under the target: nothing moves, new papers need the floor similarity
    out, threshold = reduce_outliers(X, labels, 0.5, MIN_SIMILARITY)
    assert np.array_equal(out, labels) and threshold == MIN_SIMILARITY


def test_outlier_target_one_keeps_the_hdbscan_assignment(synthetic):
    docs, X, _ = synthetic
    # one run: HDBSCAN's own assignment (with several runs, a paper this run leaves out and most
    # runs place is placed: the consensus, whatever the CPU's UMAP makes of this run)
    kwargs = {"min_cluster_size": 10, "outlier_target": 1.0, "refine_neighbours": 0, "random_state": 7}
    keep = TopicModel(consensus_runs=1, **kwargs).fit(docs, X)
    assert np.array_equal(keep.labels_, keep.hdbscan_labels_)
    assert keep.outlier_share_ == keep.hdbscan_outlier_share_
    # ... which a target of 5% reduces
    reduced = TopicModel(consensus_runs=1, **{**kwargs, "outlier_target": 0.05}).fit(docs, X)
    assert reduced.outlier_share_ <= min(0.05, keep.outlier_share_)


def test_transform_assigns_to_fitted_topics(synthetic, synthetic_model):
    docs, X, truth = synthetic
    m = synthetic_model
    group_of = _group_of_topics(m, truth)
    real = truth >= 0
    again = m.transform(X)
    # a paper is given back a topic of its own group, or none when it lies at the topic's edge
    assigned = again[real] >= 0
    assert assigned.mean() >= 0.85
    assert all(group_of[t] == g for t, g in zip(again[real][assigned], truth[real][assigned], strict=True))
    both = assigned & (m.labels_[real] >= 0)
    # (k-NN refinement moves a few border papers away from their nearest centroid, and merging
    # moves centroids after outlier reduction chose its similarity threshold)
    assert (again[real][both] == m.labels_[real][both]).mean() >= 0.85
    # scattered papers that UMAP pulled into a topic are too dissimilar to be assigned afresh
    assert (again[~real] == -1).all()
    far = np.random.default_rng(1).standard_normal((5, X.shape[1])).astype(np.float32)
    assert (m.transform(far) == -1).all()
    with pytest.raises(LandscapeError, match="shape"):
        m.transform(X[:, :5])


def test_nr_topics_merges_clusters(synthetic):
    docs, X, _ = synthetic
    m = TopicModel(min_cluster_size=10, min_samples=5, nr_topics=2, random_state=7).fit(docs, X)
    assert len(m.topics_) == 2 and m.params_["nr_topics"] == 2
    assert set(np.unique(m.hdbscan_labels_)) <= {-1, 0, 1}


def test_a_large_natural_topic_is_not_split():
    """1,000 papers in 8 groups of 7–18%: every group is one topic of its own. (A cap of n/10 on
    HDBSCAN cluster size split the 180-paper group into three topics.)"""
    sizes = [180, 150, 130, 120, 110, 100, 90, 70]
    words = ["unlearning", "speech", "graphs", "diffusion", "robots", "retrieval", "quantization", "proteins"]
    rng = np.random.default_rng(0)
    centers = np.linalg.qr(rng.standard_normal((32, 32)))[0][: len(sizes)]
    X, docs, truth = [], [], []
    for g, (size, word) in enumerate(zip(sizes, words, strict=True)):
        X.extend(centers[g] + 0.12 * rng.standard_normal((size, 32)))
        docs += [f"Paper {i} on {word}, with more {word}." for i in range(size)]
        truth += [g] * size
    X.extend(rng.standard_normal((50, 32)))
    docs += [f"Note {i} about gardening." for i in range(50)]
    truth += [-1] * 50
    X, truth = np.asarray(X, dtype=np.float32), np.array(truth)
    m = TopicModel(random_state=0).fit(docs, X)
    assert m.params_["max_cluster_size"] == 200
    # the largest group is one topic; UMAP's float path differs by CPU, and on some (AMD EPYC with
    # AVX512-BF16) it halves one Gaussian blob of 120 papers 69 + 51 for every seed: at most one
    # group in two topics, none in more, and no topic mixes groups
    top = np.unique(m.labels_[truth == 0])
    assert len(top) == 1 and top[0] >= 0
    parts = [np.unique(m.labels_[truth == g]) for g in range(len(sizes))]
    assert all((p >= 0).all() and len(p) <= 2 for p in parts), [
        np.bincount(m.labels_[truth == g] + 1) for g in range(8)
    ]
    assert len(m.topics_) <= len(sizes) + 1
    for t in range(len(m.topics_)):
        assert len(np.unique(truth[(m.labels_ == t) & (truth >= 0)])) == 1


def test_no_clusters_gives_an_empty_landscape_not_a_crash(synthetic):
    docs, X, _ = synthetic
    rng = np.random.default_rng(3)
    noise = rng.standard_normal((20, 16)).astype(np.float32)
    m = TopicModel(min_cluster_size=15, random_state=1).fit(docs[:20], noise)
    assert len(m.topics_) == 0 and (m.labels_ == -1).all() and m.centroids_.shape == (0, 16)
    assert (m.transform(noise) == -1).all()


# ---- the bundled sample with the real embedding model -------------------------------------------
# Every test on real papers runs on embeddings computed in fp32 and in bf16: `precision="auto"`
# gives either, depending on the CPU.
@pytest.fixture(scope="module", params=["fp32", "bf16"])
def sample(request):
    from landscape.corpus.text import strip_urls
    from landscape.embed.embedder import Embedder, paper_text

    df = pd.read_csv(SAMPLE)
    X = Embedder(cache_dir=False, precision=request.param).encode(
        [paper_text(t, a) for t, a in zip(df.title, df.abstract, strict=True)]
    )
    docs = [strip_urls(f"{t}. {a}") for t, a in zip(df.title, df.abstract, strict=True)]
    return df, docs, X


@pytest.fixture(scope="module")
def sample_model(sample):
    _, docs, X = sample
    return TopicModel().fit(docs, X)


@pytest.mark.slow
def test_same_seed_same_topics(sample, sample_model):
    _, docs, X = sample
    again = TopicModel().fit(docs, X)
    assert np.array_equal(again.labels_, sample_model.labels_)
    assert np.array_equal(again.hdbscan_labels_, sample_model.hdbscan_labels_)
    assert again.topics_["keywords"].tolist() == sample_model.topics_["keywords"].tolist()
    assert again.topics_["label"].tolist() == sample_model.topics_["label"].tolist()
    assert np.array_equal(again.coords_, sample_model.coords_)


@pytest.mark.slow
def test_sample_topics_are_clean_and_outliers_reduced(sample_model):
    m = sample_model
    assert 8 <= len(m.topics_) <= 15
    assert m.outlier_share_ <= 0.10 < m.hdbscan_outlier_share_
    core = m.hdbscan_labels_ >= 0
    # reduction only assigns outliers; k-NN refinement moves few members (88% stay with 20 runs)
    assert (m.labels_[core] == m.hdbscan_labels_[core]).mean() >= 0.85
    banned = (stop_words() | BOILERPLATE | {"https", "github"}) - {"of"}
    labels = m.topics_["label"].tolist()
    assert len(set(labels)) == len(labels)
    for label, keywords in zip(labels, m.topics_["keywords"], strict=True):
        for part in label.split(" and "):  # a covering label names two phrases
            words = part.lower().replace("-", " ").split()
            assert 1 <= len(part.split()) <= 3 and len(set(words)) == len(words), label
            assert words[0] != "of" and words[-1] != "of"
        assert len(keywords) == 10
        for phrase in [*(part.lower() for part in label.split(" and ")), *keywords]:
            tokens = phrase.split()
            assert not set(tokens) & banned, phrase
            assert not (len(tokens) == 1 and tokens[0] in GENERIC), phrase
            assert not re.search(r"\d{2,}|http|www", phrase), phrase
    assert set(m.topics_["group"]) == set(range(m.topics_["group"].max() + 1))
    assert m.topics_["group_label"].str.len().min() > 0
    assert not set(m.topics_["group_label"].str.lower()) & set(m.topics_["label"].str.lower())


def _topic_of(m, idx):
    labs = m.labels_[idx]
    vals, counts = np.unique(labs[labs >= 0], return_counts=True)
    return int(vals[counts.argmax()]), counts.max() / len(idx)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [42, 0, 1])
def test_bundled_sample_finds_the_real_areas(sample, sample_model, seed):
    df, docs, X = sample
    m = sample_model if seed == 42 else TopicModel(random_state=seed).fit(docs, X)
    titles = df["title"]
    unlearning = np.flatnonzero(titles.str.contains("unlearning", case=False))
    assert len(unlearning) == 5
    t, share = _topic_of(m, unlearning)
    # with the default seed 4 of the 5 share a topic at least; other seeds (and CPUs: UMAP's float
    # path differs by CPU) may split the 5 papers 3+2 (seed robustness is the topics issue's #14)
    assert share >= (0.8 if seed == 42 else 0.6), m.labels_[unlearning]
    _named_when_mostly_about(m, t, unlearning, r"unlearning")
    found = {"unlearning": t}
    for name, pattern, label_pattern in [
        ("moe", r"Mixture[- ]of[- ]Experts", r"expert|moe"),
        ("rag", r"Retriev|RAG", r"retriev|rag"),
        ("vlm", r"Vision[- &]?Language|Visual Language", r"vision|vlm|visual"),
    ]:
        idx = np.flatnonzero(titles.str.contains(pattern, regex=True))
        t, share = _topic_of(m, idx)
        # the largest part of each subject's papers (7 VLM papers split 3+2+1 with seed 0 under fp32
        # on an Intel CPU, 3+3+1 with seed 42 under bf16 on an AMD one: VLMs for navigation apart)
        assert share >= 0.4, (name, m.labels_[idx])
        _named_when_mostly_about(m, t, idx, label_pattern)
        found[name] = t
    assert len(set(found.values())) == 4  # each its own topic


def _named_when_mostly_about(m, t, papers, label_pattern):
    """A topic that is mostly (40%+) about a subject names it; a topic where the subject is one of
    several gets a label covering what most of its papers share (issue 14: not one member's term)."""
    in_topic = int((m.labels_[papers] == t).sum())
    if in_topic >= 0.4 * int((m.labels_ == t).sum()):
        assert re.search(label_pattern, m.topics_["label"][t], re.I), m.topics_["label"][t]
    assert m.topics_["label_support"][t] > 0 and m.topics_["label_lift"][t] > 1


@pytest.mark.slow
def test_transform_on_real_papers(sample, sample_model):
    _, _, X = sample
    m = sample_model
    assigned = m.labels_ >= 0
    assert (m.transform(X)[assigned] == m.labels_[assigned]).mean() >= 0.75


def test_fast_hdbscan_clusterer_finds_the_groups(synthetic):
    docs, X, truth = synthetic
    m = TopicModel(min_cluster_size=10, min_samples=5, random_state=7, clusterer="fast_hdbscan").fit(docs, X)
    assert m.params_["clusterer"] == "fast_hdbscan"
    assert set(_group_of_topics(m, truth).values()) == set(range(len(GROUPS)))  # pure topics, all groups
    again = TopicModel(min_cluster_size=10, min_samples=5, random_state=7, clusterer="fast_hdbscan")
    assert np.array_equal(again.fit(docs, X).labels_, m.labels_)  # its reproducible mode


def test_a_one_word_vocabulary_gives_unnamed_topics_not_a_crash(synthetic):
    docs, X, truth = synthetic
    m = TopicModel(min_cluster_size=10, min_samples=5, random_state=7).fit(
        ["learning learning."] * len(docs), X
    )
    assert len(m.topics_) >= len(GROUPS)
    assert m.topics_["keywords"].map(len).eq(0).all()
    assert m.topics_["label"].tolist() == [f"Topic {t}" for t in range(len(m.topics_))]


@pytest.mark.slow
def test_the_seed_page_topics_hold_across_random_states(sample):
    """Unlearning, MoE, RAG and VLM papers stay together, each in its own topic, for every random
    state 0-4 (consensus of the UMAP runs: 5 runs held 5 of 5 with bf16 and with fp32 embeddings; one
    run alone held 4 of 5). ``make test-precisions`` runs this with both precisions."""
    df, docs, X = sample
    titles = df["title"]
    patterns = {
        "unlearning": r"(?i)unlearning",
        "moe": r"Mixture[- ]of[- ]Experts",
        "rag": r"Retriev|RAG",
        "vlm": r"Vision[- &]?Language|Visual Language",
    }
    for seed in range(5):
        m = TopicModel(random_state=seed).fit(docs, X)
        assert m.params_["consensus_runs"] == CONSENSUS_RUNS
        found = {
            name: _topic_of(m, np.flatnonzero(titles.str.contains(p, regex=True)))
            for name, p in patterns.items()
        }
        assert found["unlearning"][1] == 1.0, (seed, found)
        assert all(share >= 0.5 for _, share in found.values()), (seed, found)
        assert len({t for t, _ in found.values()}) == 4, (seed, found)
        # the two levels: every topic sits in a named group whose label is none of its topics'
        assert m.topics_["group_label"].str.len().min() > 0
        assert not set(m.groups_["label"].str.lower()) & set(m.topics_["label"].str.lower())


@pytest.mark.slow
def test_fp32_and_bf16_embeddings_give_the_same_topics():
    """The same papers embedded in fp32 and in bf16 (cosine ~0.99998 per paper) give nearly the same
    topics for each random state: the consensus of the runs absorbs the k-NN near-ties where the
    two differ (issue 14: ARI >= 0.9 at 2,000 papers; tolerant here, 100 papers)."""
    from sklearn.metrics import adjusted_rand_score

    from landscape.corpus.text import strip_urls
    from landscape.embed.embedder import Embedder, paper_text

    df = pd.read_csv(SAMPLE)
    texts = [paper_text(t, a) for t, a in zip(df.title, df.abstract, strict=True)]
    docs = [strip_urls(t) for t in texts]
    fp32, bf16 = (Embedder(cache_dir=False, precision=p).encode(texts) for p in ("fp32", "bf16"))
    scores = [
        adjusted_rand_score(
            TopicModel(random_state=seed).fit(docs, fp32).labels_,
            TopicModel(random_state=seed).fit(docs, bf16).labels_,
        )
        for seed in (0, 1)
    ]
    assert min(scores) >= 0.5, scores


@pytest.mark.parametrize("precision", ["int8", "bf16"])
def test_no_topic_of_one_or_two_papers_on_the_sample(precision, monkeypatch, tmp_path):
    # int8 vectors left a 1-paper topic (and a group of it) on the bundled sample for most seeds
    from landscape.model.topics import MIN_TOPIC_PAPERS
    from landscape.pipeline.build import build
    from landscape.store import Landscape

    monkeypatch.setenv("LANDSCAPE_PRECISION", precision)
    sample = Path(__file__).resolve().parents[1] / "landscape" / "data" / "hf_papers_sample.csv"
    for seed in (0, 3):
        build(sample, tmp_path / f"l{seed}", random_state=seed, quiet=True)
        land = Landscape.load(tmp_path / f"l{seed}")
        assert land.topics["size"].min() >= MIN_TOPIC_PAPERS, land.topics[["label", "size"]]
        assert (land.documents["group"] >= 0).all()
