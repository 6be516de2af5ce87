"""The topic model: UMAP → HDBSCAN → c-TF-IDF (BERTopic's pipeline) with defaults for 100–100,000 papers.

Steps of :meth:`TopicModel.fit`:

1. **neighbours** – the k-nearest-neighbour graph of the embeddings (exact up to
   ``EXACT_KNN_MAX`` papers, NN-descent above), computed once and shared by both UMAPs;
2. **umap** – a ``n_components``-dimensional UMAP for clustering (``min_dist=0``) and a 2D UMAP
   for the map (``min_dist=0.1``), both seeded with ``random_state`` (single-threaded, so
   reproducible);
3. **cluster** – HDBSCAN (``hdbscan`` or ``fast_hdbscan``, no prediction data) on the reduced
   vectors, with a small ``min_cluster_size`` (fine clusters);
4. **outliers** – outlier reduction in embedding space (see below);
5. **merge** – when there are more than ``nr_topics`` clusters, agglomerative (average-linkage,
   cosine) merging of their centroids down to ``nr_topics``;
6. **consensus** – up to 10,000 papers, steps 2–5 run again with seeds drawn from ``random_state``
   (20 runs in all up to 5,000 papers, 3 up to 10,000; the extra runs' UMAPs at 200 epochs) and
   the runs' topics are agreed on the papers' k-NN graph (:mod:`landscape.model.consensus`): seed
   and precision stability;
7. **refine** – k-NN smoothing: an assigned paper moves to the topic holding most of its
   ``REFINE_NEIGHBOURS`` nearest neighbours' similarity (:func:`refine_labels`; when topics nest
   in groups found first, only the neighbours of its own group vote);
8. **keywords** – c-TF-IDF keywords, labels and their evidence (:mod:`landscape.model.naming`);
9. **groups** – the second level: named groups of whole topics; with the consensus step they are
   found on the papers' graph before the topics, which nest in them (:mod:`landscape.model.hierarchy`).

Defaults and scaling rules (n = number of papers), measured on labelled sets of the dev corpus
(``../shared/data/papers_dev.parquet``, all-MiniLM-L6-v2; ``bench/labelled.py``: two ~20-class
sets, ``primary20`` and ``rarest20``, the 5-class ``listing5`` and random samples) and on the
bundled 100-paper sample:

- Topics: HDBSCAN first finds fine clusters with ``min_cluster_size`` = a quarter of the earlier
  rule ``4 · (n/100)^0.7`` (``100 · (n/10,000)^0.4`` above 10,000), at least 4: 8 for 2,000
  papers (about 70 clusters), 25 for 10,000, 48 for 50,000. They are merged down to
  ``nr_topics = default_nr_topics(n)``: ``0.9 · sqrt(n)`` (at least 12) up to 2,000 papers, then
  ``40 · (n/2,000)^0.3``: 12 for 100 papers, 28 for 1,000, 40 for 2,000, 65 for 10,000, 129 for
  100,000, 258 for 1,000,000; the groups keep large maps readable. Why: human taxonomies of a
  field have about 20 classes, and on held-out sets of that kind the earlier 16-17 topics per
  2,000 papers scored below vanilla BERTopic while ``min_cluster_size=8`` (51-74 topics) scored
  above it. On the dev ~20-class sets (2,153 papers, seeds 0-1) fine clusters merged to 40 scored
  NMI 0.539-0.545 against 0.555/0.549 for the earlier 18-20 topics and 0.510-0.522 for vanilla
  BERTopic (32-37 topics, 24-27% unassigned); merging fine clusters beats stopping HDBSCAN at the
  same count (``min_cluster_size`` 16: 34 topics, NMI 0.292 vs 0.310 merged to 40 on 2,000
  random papers). The dev sets' arXiv categories are broad, so they reward coarse topics: the
  count was not tuned to them alone.
  Re-measured with the 20-run consensus (int8 vectors, seeds 0-1, 2026-12-08), merged to 30 / 35
  / 40 (default) / 50 topics: NMI ``primary20`` 0.518 / 0.529 / 0.527 / 0.517, ``rarest20`` 0.382 /
  0.387 / 0.389 / 0.388, ``listing5`` 0.370 / 0.361 / 0.349 / 0.345, against vanilla BERTopic
  0.488, 0.349, 0.272 (24-36% unassigned): +0.04 on the ~20-class sets from 35 to 50 topics, so
  more topics buy no agreement there and the count stays.
- Groups: ``round(sqrt(k))`` for ``k`` topics, 6 to 15 (6 for 40 topics), found first on the
  papers' k-NN graph, with the consensus topics clustered inside them (:mod:`landscape.model.hierarchy`).
- k-NN refinement: +0.004 to +0.007 NMI on ``primary20`` at 30-50 topics (seeds 0, 1), and the
  bundled sample's four seed-page topics hold for 4 of 5 seeds instead of 3. Counting only the
  votes of a paper's own group (topics nested in groups, seeds 0-2): topic NMI 0.347 → 0.352
  ``listing5``, 0.537 → 0.535 ``primary20``, 0.385 → 0.390 ``rarest20``, and groups stay exactly
  the papers' partition (group NMI +0.016, +0.002, +0.014; :mod:`landscape.model.hierarchy`).
- Dropped, measured: concatenating a 100-dimensional LSA of TF-IDF (1-2-grams) to the embedding
  before UMAP: weight 0.5 gave NMI 0.548 against 0.539 (``primary20``, seed 0, 40 topics), weight
  1.0 gave 0.533: within seed noise, and one more vectoriser + SVD per fit.
- ``min_samples = max(3, min_cluster_size / 4)``: fewer HDBSCAN outliers than the library default
  (``min_samples = min_cluster_size``).
- ``max_cluster_size = n / 5`` for 1,000 papers or more: without a cap EOM can return a few giant
  clusters (2 topics for 50,000 papers with ``min_cluster_size=250``; one 21% "LLMs" topic for
  5,000). A tighter cap, n / 10, splits natural topics of 10–20% (a random 2,000-paper sample has
  17% cs.CL papers) into fragments and sends their borders to the outlier pool: at 2,000 papers
  HDBSCAN left 36% unassigned instead of 29% and NMI fell to 0.26–0.27 in 4 of 10 seeds (mean 0.288
  against 0.305 with n / 5; vanilla BERTopic 0.252). At 1,000, 5,000, 10,000, 50,000 and 92,705
  papers no HDBSCAN cluster reached n / 10, so either cap gives the same topics there.
- cluster selection: ``"leaf"`` under 1,000 papers (``"eom"`` puts 300 papers into 4 topics),
  ``"eom"`` above.
- ``n_neighbors`` is capped at ``sqrt(n)``: 10 for the 100-paper sample, where 15 merged its 3–5
  paper topics (the sample's unlearning / mixture-of-experts / RAG / vision-language topics were
  found for 6 of 8 seeds with 10 neighbours, 2 of 8 with 15).
- ``outlier_target = 0.05``: HDBSCAN leaves 25–38% of papers unassigned; reducing to 5% rather
  than 10% raises NMI by about 0.01 (e.g. 50,000 papers: 0.236 → 0.244; vanilla 0.197), and the
  papers it adds are as close to their topic (cosine ≥ 0.48) as the 5% least typical members.
  1% (2026-12-08, int8, seeds 0-1) adds another +0.006 to +0.008 NMI on ``primary20``,
  ``rarest20`` and ``listing5`` (added papers: median cosine 0.51-0.53 to their topic, the
  members' 5% quantile) but blurs small corpora: on the bundled sample the mixture-of-experts papers
  split 1 + 2 for seed 3, and for seed 42 the unlearning topic grows from 10 to 12 papers (named
  "Machine Unlearning and Target" again), so 5% stays.

Determinism: one ``random_state`` seeds NN-descent, both UMAPs and fast_hdbscan's reproducible mode
(hdbscan is deterministic). Seeded UMAP runs single-threaded; on the 2-core development machine an
unseeded parallel UMAP was no faster (10,000 papers: 22–30 s against 24–25 s).

Outlier reduction: every paper gets its cosine similarity to the nearest topic centroid (the
normalised mean embedding of the topic's HDBSCAN members). HDBSCAN outliers are assigned to their
nearest topic in order of decreasing similarity until at most ``outlier_target`` of all papers are
unassigned; HDBSCAN members never move (only the later k-NN refinement moves assigned
papers). Papers less similar than ``MIN_SIMILARITY`` (0.35, about
the 1% quantile of members' similarity to their own topic) stay unassigned even when the target is
not met: forcing them in would blur topics. Keywords and labels are computed after reduction, on
the final topics. ``transform`` assigns new papers with the same rule: the nearest centroid when
its similarity reaches the similarity at which reduction stopped (``assign_threshold_``), or the
lower similarity at which at most ``outlier_target`` of the final topics' papers would be refused
their own topic, else -1.
"""

from __future__ import annotations

from contextlib import nullcontext
from math import sqrt

from landscape.errors import LandscapeError
from landscape.model.consensus import (
    RUN_EPOCHS,
    consensus_labels,
    default_consensus_runs,
    fuzzy_graph,
    run_seeds,
)
from landscape.model.geometry import best_match, centroids, representatives, top_k, unit_rows
from landscape.model.hierarchy import (
    document_groups,
    group_topics,
    nearest_groups,
    nested_groups,
    own_groups,
    topic_groups,
)
from landscape.progress import StageTimer
from landscape.schema import DEFAULT_RANDOM_STATE, UNASSIGNED_TOPIC

CLUSTERERS = ("hdbscan", "fast_hdbscan")
ACCELERATORS = ("auto", "cpu", "cuml")

# Below this cosine similarity to every topic centroid, a paper is never forced into a topic
# (50,000 dev papers: members' similarity to their own centroid has median 0.68, 1% quantile 0.37).
MIN_SIMILARITY = 0.35

# Exact k-NN (blocked matrix products) up to this many papers; NN-descent above.
EXACT_KNN_MAX = 20_000

# k-NN refinement: a paper moves to the topic of most of its nearest neighbours (by similarity)
# when that topic holds more than REFINE_SHARE of their similarity; REFINE_ROUNDS passes.
REFINE_NEIGHBOURS = 10
REFINE_SHARE = 0.5
REFINE_ROUNDS = 2
# Fewer papers than this are no topic: the consensus and refinement steps can leave a 1-2-paper
# remnant (the 100-paper sample with int8 vectors: a 1-paper topic and group for 5 of 6 seeds);
# its papers go unassigned (they keep a group, hierarchy.document_groups).
MIN_TOPIC_PAPERS = 3

# Vocabulary for topic words is built from at most this many papers (bounded memory), then every
# paper is counted against it.
VOCAB_SAMPLE = 30_000


def topic_texts(papers) -> list[str]:
    """The texts topic words are computed from, one per paper: the embedded text
    (``"{title}. {abstract}"``) with URLs removed."""
    from landscape.corpus.text import strip_urls
    from landscape.embed.embedder import paper_text

    if "abstract" not in papers.columns:
        raise LandscapeError("the documents have no 'abstract' column: topic words need the paper texts")
    titles = papers["title"].fillna("").astype(str).tolist()
    abstracts = papers["abstract"].fillna("").astype(str).tolist()
    return [strip_urls(paper_text(t, a)) for t, a in zip(titles, abstracts, strict=True)]


def default_min_cluster_size(n: int) -> int:
    """A quarter of ``coarse_min_cluster_size(n)``, at least 4: HDBSCAN finds fine clusters (70
    for 2,000 papers) that :func:`default_nr_topics` then merges to a readable number."""
    return int(max(4, round(coarse_min_cluster_size(n) / 4)))


def coarse_min_cluster_size(n: int) -> int:
    """4 · (n/100)^0.7 up to 10,000 papers (= 100), then growing more slowly: 100 · (n/10,000)^0.4
    (the rule before groups existed: 16 topics for 2,000 papers)."""
    size = 4 * (n / 100) ** 0.7 if n <= 10_000 else 100 * (n / 10_000) ** 0.4
    return int(min(500, max(4, round(size))))


def default_nr_topics(n: int) -> int:
    """Most topics for ``n`` papers: ``0.9 · sqrt(n)`` up to 2,000 papers, at least 12 (12 for
    100, 28 for 1,000, 40 for 2,000), then ``40 · (n/2,000)^0.3`` (65 for 10,000, 129 for 100,000,
    258 for 1,000,000)."""
    target = max(12, 0.9 * sqrt(n)) if n <= 2000 else 40 * (n / 2000) ** 0.3
    return int(round(target))


def default_min_samples(min_cluster_size: int) -> int:
    """HDBSCAN ``min_samples`` for a ``min_cluster_size`` (module doc): fewer outliers than its default."""
    return max(3, round(min_cluster_size / 4))


def effective_n_neighbors(n_neighbors: int, n: int) -> int:
    """``n_neighbors`` capped at ``round(sqrt(n))`` so that on small corpora (under 225 papers)
    UMAP keeps topics of 3–5 papers apart instead of pulling them into their neighbours."""
    return int(max(2, min(n_neighbors, round(sqrt(n)), n - 1)))


def default_max_cluster_size(n: int) -> int:
    return 0 if n < 1000 else round(0.2 * n)


def default_selection(n: int) -> str:
    return "leaf" if n < 1000 else "eom"


class TopicModel:
    """BERTopic-style topic model with corpus-size-aware defaults and outlier reduction.

    Parameters
    ----------
    min_cluster_size, min_samples : HDBSCAN parameters; None scales them to the corpus (module doc).
    n_neighbors, n_components : UMAP neighbours (capped at sqrt(n)) and clustering dimensions.
    outlier_target : largest share of papers left unassigned after outlier reduction (0–1).
    nr_topics : merge clusters down to at most this many topics (None: ``default_nr_topics(n)``).
    n_groups : number of groups (second level); None: ``hierarchy.default_n_groups(n_topics)``. When
        topics nest in groups found first, a group that holds no topic's majority drops out.
    refine_neighbours : neighbours voting in the k-NN refinement (0: none; None: ``REFINE_NEIGHBOURS``).
    consensus_runs : UMAP + HDBSCAN runs (seeds drawn from ``random_state``) whose topics are agreed
        on the k-NN graph (:mod:`landscape.model.consensus`); 1: a single run; None:
        ``default_consensus_runs(n)`` (20 up to 5,000 papers, 3 up to 10,000, then 1).
    top_n_words : keywords per topic.
    ngram_range : phrase lengths for topic words, at most (1, 3).
    random_state : int seed reaching every stochastic step (both UMAPs, NN-descent, HDBSCAN).
    clusterer : ``"hdbscan"`` (default) or ``"fast_hdbscan"`` (run in its reproducible mode).
    accelerator : ``"auto"`` runs UMAP and HDBSCAN on the GPU with RAPIDS cuML when it is importable
        (GPU machines), else on the CPU; ``"cpu"`` never uses cuML; ``"cuml"`` requires it. cuML's
        results are close to, not identical with, the CPU libraries' for the same seed.
    stop_words : extra words that must never become topic words (added to English + boilerplate).
    layout_cache : directory where the UMAP layouts are kept (:mod:`landscape.model.layout_cache`), so a
        refit on the same embeddings with other clustering parameters skips them; None: no cache.
    verbose : a line per stage with its seconds (:class:`landscape.progress.StageTimer`).
    namer : optional namer asked after the offline names (:mod:`landscape.model.outside_namer`): a
        callable (topic evidence -> name) or the http(s) URL of an OpenAI-compatible chat server.

    Attributes
    ----------
    labels_ : topic per paper after outlier reduction (int64, -1 = unassigned).
    group_labels_ : group per paper (int64): its topic's group; a paper no topic takes keeps its own
        group (the paper-level group it nests in, else its nearest topic's group;
        :func:`landscape.model.hierarchy.document_groups`). -1 only when there is no topic.
    hdbscan_labels_ : HDBSCAN's assignment (after ``nr_topics`` merging) with the same topic ids,
        before outlier reduction and refinement.
    topics_ : DataFrame, one row per topic: topic, label, size, keywords, keyword_weights (their
        c-TF-IDF scores), label_support, label_lift (:mod:`landscape.model.label_evidence`), group,
        group_label, representative_idx (up to 5 papers closest to the centroid).
    groups_ : DataFrame, one row per group: group, label, size, topics, keywords, label_support,
        label_lift.
    reduced_ : (n, n_components) the clustering layout (UMAP).
    centroids_ : (n_topics, d) normalised mean embedding of each topic's papers.
    coords_ : (n, 2) float32 map coordinates (2D UMAP of the embeddings).
    outlier_share_, hdbscan_outlier_share_ : unassigned share after / before reduction.
    layouts_cached_ : which layouts (``"umap"``, ``"umap_2d"``) were read from ``layout_cache``.
    assign_threshold_ : similarity a paper needs to its nearest centroid in :meth:`transform`.
    timings_ : seconds per stage; params_ : the resolved parameters (JSON-serialisable).
    naming_ : the namer's record (``namer``, ``renamed``, ``kept``, ``failed``); None without one.
    """

    def __init__(
        self,
        *,
        min_cluster_size=None,
        min_samples=None,
        n_neighbors=15,
        n_components=5,
        outlier_target=0.05,
        nr_topics=None,
        n_groups=None,
        refine_neighbours=None,
        consensus_runs=None,
        top_n_words=10,
        ngram_range=(1, 3),
        random_state=DEFAULT_RANDOM_STATE,
        clusterer="hdbscan",
        accelerator="auto",
        stop_words=None,
        layout_cache=None,
        verbose=False,
        namer=None,
    ):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.outlier_target = outlier_target
        self.nr_topics = nr_topics
        self.n_groups = n_groups
        self.refine_neighbours = refine_neighbours
        self.consensus_runs = consensus_runs
        self.top_n_words = top_n_words
        self.ngram_range = ngram_range
        self.random_state = random_state
        self.clusterer = clusterer
        self.accelerator = accelerator
        self.stop_words = stop_words
        self.layout_cache = layout_cache
        self.verbose = verbose
        self.namer = namer

    # ------------------------------------------------------------------ parameters
    def _resolve(self, n: int) -> dict:
        def positive_int(name, value, minimum=1):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise LandscapeError(f"{name} must be an integer >= {minimum}, got {value!r}")
            return value

        if self.accelerator not in ACCELERATORS:
            raise LandscapeError(
                f"accelerator must be one of {', '.join(ACCELERATORS)}; got {self.accelerator!r}"
            )
        if self.clusterer not in CLUSTERERS:
            raise LandscapeError(f"clusterer must be one of {', '.join(CLUSTERERS)}; got {self.clusterer!r}")
        mcs = default_min_cluster_size(n) if self.min_cluster_size is None else self.min_cluster_size
        positive_int("min_cluster_size", mcs, 2)
        ms = default_min_samples(mcs) if self.min_samples is None else self.min_samples
        positive_int("min_samples", ms)
        positive_int("n_neighbors", self.n_neighbors, 2)
        positive_int("n_components", self.n_components, 2)
        positive_int("top_n_words", self.top_n_words)
        if self.nr_topics is not None:
            positive_int("nr_topics", self.nr_topics)
        if self.n_groups is not None:
            positive_int("n_groups", self.n_groups)
        if self.refine_neighbours is not None:
            positive_int("refine_neighbours", self.refine_neighbours, 0)
        runs = default_consensus_runs(n) if self.consensus_runs is None else self.consensus_runs
        positive_int("consensus_runs", runs)
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, int):
            raise LandscapeError(f"random_state must be an int, got {self.random_state!r}")
        target = self.outlier_target
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 <= target <= 1:
            raise LandscapeError(f"outlier_target must be a share between 0 and 1, got {target!r}")
        ngram = tuple(self.ngram_range) if isinstance(self.ngram_range, (tuple, list)) else ()
        if (
            len(ngram) != 2
            or not all(isinstance(v, int) for v in ngram)
            or not 1 <= ngram[0] <= ngram[1] <= 3
        ):
            raise LandscapeError(
                f"ngram_range must be (low, high) with 1 <= low <= high <= 3, got {self.ngram_range!r}"
            )
        stop = self.stop_words
        if stop is not None and (isinstance(stop, str) or not all(isinstance(w, str) for w in stop)):
            raise LandscapeError("stop_words must be a list of words (strings) or None")
        return {
            "min_cluster_size": mcs,
            "min_samples": ms,
            "n_neighbors": effective_n_neighbors(self.n_neighbors, n),
            "n_components": self.n_components,
            "outlier_target": float(target),
            "min_similarity": MIN_SIMILARITY,
            "nr_topics": default_nr_topics(n) if self.nr_topics is None else self.nr_topics,
            "n_groups": self.n_groups,
            "top_n_words": self.top_n_words,
            "ngram_range": list(ngram),
            "random_state": self.random_state,
            "clusterer": self.clusterer,
            "accelerator": _resolve_accelerator(self.accelerator),
            "stop_words": sorted(stop) if stop else [],
            "cluster_selection_method": default_selection(n),
            "max_cluster_size": default_max_cluster_size(n),
            "umap_min_dist": 0.0,
            "map_min_dist": 0.1,
            "knn": "exact" if n <= EXACT_KNN_MAX else "nndescent",
            "consensus_runs": runs,
            "refine_neighbours": min(
                REFINE_NEIGHBOURS if self.refine_neighbours is None else self.refine_neighbours,
                effective_n_neighbors(self.n_neighbors, n) - 1,
            ),
        }

    # ------------------------------------------------------------------ fitting
    def fit(self, docs, embeddings):
        import numpy as np

        docs = list(docs)
        X = np.asarray(embeddings, dtype=np.float32)
        if X.ndim != 2:
            raise LandscapeError(f"embeddings must be a 2-D array (papers × dimensions), got shape {X.shape}")
        if len(docs) != len(X):
            raise LandscapeError(f"{len(docs)} documents but {len(X)} embedding rows")
        if len(docs) < 10:
            raise LandscapeError(f"a topic model needs at least 10 papers, got {len(docs)}")
        X = unit_rows(X, finite=True)
        p = self._resolve(len(docs))
        self._timer = StageTimer(quiet=not self.verbose, prefix="topics.")

        reduced, self.coords_, knn = self._layouts(X, p)
        self.reduced_ = reduced
        with self._stage("cluster"):
            raw = _cluster(reduced, p)
        self.hdbscan_n_clusters_ = int(raw.max() + 1) if raw.size else 0
        with self._stage("outliers"):
            final, stopped = reduce_outliers(X, raw, p["outlier_target"], p["min_similarity"])
        with self._stage("merge"):
            merged = merge_map(X, final, p["nr_topics"])
            raw, final = merged[raw + 1], merged[final + 1]
        coarse = None  # group per paper when topics are clustered inside groups
        if p["consensus_runs"] > 1:
            knn = knn if knn is not None else self._knn(X, p)
            partitions = [final]
            with self._stage("consensus_runs"):
                for seed in run_seeds(p["random_state"], p["consensus_runs"])[1:]:
                    layout = self._layout(X, knn, "umap", p, seed, n_epochs=RUN_EPOCHS)
                    partitions.append(_topics_of_layout(X, layout, p))
            with self._stage("consensus"):
                counts = [int(part.max()) + 1 for part in partitions]
                n_topics = min(p["nr_topics"], int(np.median(counts)))
                graph = fuzzy_graph(X, knn)
                # groups first, from the papers' graph; topics are then clustered inside them
                coarse, graph = nested_groups(graph, n_topics, p["n_groups"], p["random_state"])
                final = consensus_labels(graph, partitions, n_topics, p["random_state"])
                # the seed's own HDBSCAN members, with their consensus topic
                raw = np.where(raw != UNASSIGNED_TOPIC, final, UNASSIGNED_TOPIC)
        if p["refine_neighbours"]:
            with self._stage("refine"):
                knn = knn if knn is not None else self._knn(X, p)
                final = refine_labels(final, knn, p["refine_neighbours"], within=coarse)
        counts = np.bincount(final[final != UNASSIGNED_TOPIC], minlength=1)
        tiny = np.flatnonzero((counts > 0) & (counts < MIN_TOPIC_PAPERS))
        if len(tiny) and len(tiny) < np.count_nonzero(counts):
            final = np.where(np.isin(final, tiny), UNASSIGNED_TOPIC, final)
        # Topic ids by final size (0 = largest); the HDBSCAN assignment uses the same ids.
        ids = [t for t in np.unique(final) if t != UNASSIGNED_TOPIC]
        order = sorted(ids, key=lambda t: (-int((final == t).sum()), int(t)))
        remap = np.full(int(max(ids, default=-1)) + 2, UNASSIGNED_TOPIC, dtype=np.int64)
        for new, old in enumerate(order):
            remap[old] = new
        self.labels_ = remap[final].astype(np.int64)
        self.hdbscan_labels_ = remap[raw].astype(np.int64)
        n_topics = len(order)
        self.centroids_ = centroids(X, self.labels_, n_topics)
        self.assign_threshold_ = assign_threshold(
            X, self.labels_, self.centroids_, stopped, p["outlier_target"], p["min_similarity"]
        )
        self.outlier_share_ = float((self.labels_ == UNASSIGNED_TOPIC).mean())
        self.hdbscan_outlier_share_ = float((self.hdbscan_labels_ == UNASSIGNED_TOPIC).mean())

        sizes = np.bincount(self.labels_[self.labels_ != UNASSIGNED_TOPIC], minlength=n_topics)
        with self._stage("groups"):
            if coarse is not None:
                groups = topic_groups(self.labels_, coarse, n_topics)
            else:
                n_groups = None if p["n_groups"] is None else min(p["n_groups"], n_topics)
                groups = group_topics(self.centroids_, sizes, n_groups)
            # every paper has a group, also those no topic takes: its paper-level group
            nearest = nearest_groups(X, self.centroids_, groups)
            own = nearest if coarse is None else own_groups(coarse, self.labels_, groups, nearest)
            self.group_labels_ = document_groups(self.labels_, np.arange(n_topics), groups, own)
        with self._stage("keywords"):
            names, group_names, self.naming_ = self._name(docs, groups, p)
        self.topics_, self.groups_ = _tables(
            X, self.labels_, self.centroids_, sizes, names, groups, group_names
        )
        p["n_topics"] = n_topics
        p["hdbscan_n_clusters"] = self.hdbscan_n_clusters_
        p["assign_threshold"] = round(float(self.assign_threshold_), 6)
        self.params_ = p
        self.timings_ = dict(self._timer.timings)
        return self

    def _name(self, docs, groups, p):
        """Topic and group names (offline, then ``namer`` when given) and the namer's record."""
        from landscape.model.naming import name_levels
        from landscape.model.outside_namer import finish, resolve_namer

        outside, state = resolve_namer(self.namer), {}
        names, group_names = name_levels(
            topic_namer(p).fit(docs), self.labels_, groups, outside=outside, state=state
        )
        return names, group_names, (finish(state) if outside is not None else None)

    def _layouts(self, X, p):
        """5-D clustering layout, 2-D map and the k-NN graph (None when not needed: both layouts
        came from ``layout_cache``, or cuML builds its own on the GPU)."""
        knn = None
        layouts = {}
        for name in LAYOUTS:
            layouts[name] = self._cached(X, name, p, p["random_state"])
        self.layouts_cached_ = sorted(name for name, array in layouts.items() if array is not None)
        for name in LAYOUTS:
            if layouts[name] is None:
                if knn is None and p["accelerator"] != "cuml":
                    knn = self._knn(X, p)
                layouts[name] = self._layout(X, knn, name, p, p["random_state"])
        return layouts["umap"], layouts["umap_2d"], knn

    def _knn(self, X, p):
        with self._stage("neighbours"):
            return nearest_neighbours(
                X, p["n_neighbors"], exact=p["knn"] == "exact", random_state=p["random_state"]
            )

    def _cache_key(self, X, name, p, seed, n_epochs=None):
        from landscape.model.layout_cache import embeddings_digest

        if getattr(self, "_digest", None) is None or self._digest[0] is not X:
            self._digest = (X, embeddings_digest(X))
        dims, dist = _layout_spec(name, p)
        common = {k: p[k] for k in ("n_neighbors", "knn", "accelerator")}
        digest = self._digest[1]
        if n_epochs is not None:  # a consensus run's shorter layout (keys of default layouts unchanged)
            common["n_epochs"] = n_epochs
        return self._cache().key(digest, n_components=dims, min_dist=dist, random_state=seed, **common)

    def _cache(self):
        from landscape.model.layout_cache import LayoutCache

        return LayoutCache(self.layout_cache)

    def _cached(self, X, name, p, seed, n_epochs=None):
        """The layout ``name`` for ``seed`` (and ``n_epochs``) from ``layout_cache``, or None."""
        if self.layout_cache is None:
            return None
        with self._stage("layout_cache"):
            key = self._cache_key(X, name, p, seed, n_epochs)
            return self._cache().get(key, (len(X), _layout_spec(name, p)[0]))

    def _layout(self, X, knn, name, p, seed, n_epochs=None):
        """The layout ``name`` (``"umap"`` or ``"umap_2d"``) with this seed and ``n_epochs`` (None:
        UMAP's default): cached, else computed (and cached)."""
        import numpy as np

        found = self._cached(X, name, p, seed, n_epochs)
        if found is not None:
            return found
        dims, dist = _layout_spec(name, p)
        with self._stage(name) if seed == p["random_state"] else nullcontext():  # runs: their own stage
            array = _umap(X, knn, dims, dist, {**p, "random_state": seed}, n_epochs).astype(np.float32)
        if self.layout_cache is not None:
            self._cache().put(self._cache_key(X, name, p, seed, n_epochs), array)
        return array

    def transform(self, embeddings):
        """Topic of new papers: the nearest centroid if similar enough (``assign_threshold_``), else -1."""
        import numpy as np

        if not hasattr(self, "centroids_"):
            raise LandscapeError("this TopicModel is not fitted yet: call fit(docs, embeddings) first")
        X = np.asarray(embeddings, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.centroids_.shape[1]:
            raise LandscapeError(
                f"embeddings must have shape (n, {self.centroids_.shape[1]}), got {getattr(X, 'shape', None)}"
            )
        if len(self.centroids_) == 0:
            return np.full(len(X), UNASSIGNED_TOPIC, dtype=np.int64)
        best, score = best_match(unit_rows(X), self.centroids_)
        return np.where(score >= self.assign_threshold_, best, UNASSIGNED_TOPIC).astype(np.int64)

    def _stage(self, name):
        return self._timer.stage(name)


# ---------------------------------------------------------------------- steps
def topic_namer(params: dict):
    """The :class:`~landscape.model.naming.TopicNamer` of a topic model with these resolved
    parameters (``params_``, or a saved ``parameters.topic_model`` record; missing keys: defaults)."""
    from landscape.model.naming import TopicNamer

    defaults = TopicModel()
    return TopicNamer(
        ngram_range=tuple(params.get("ngram_range", defaults.ngram_range)),
        stop_words=params.get("stop_words") or [],
        top_n_words=int(params.get("top_n_words", defaults.top_n_words)),
        vocab_sample=VOCAB_SAMPLE,
        random_state=int(params.get("random_state", defaults.random_state)),
    )


def nearest_neighbours(X, k: int, *, exact: bool, random_state: int):
    """(indices, cosine distances) of each paper's ``k`` nearest neighbours, itself first."""
    import numpy as np

    if not exact:
        from umap.umap_ import nearest_neighbors

        idx, dist, _ = nearest_neighbors(
            X, k, "cosine", {}, False, np.random.RandomState(random_state), low_memory=True, n_jobs=1
        )
        return idx, dist
    n = len(X)
    idx = np.empty((n, k), dtype=np.int32)
    dist = np.empty((n, k), dtype=np.float32)
    block = max(1, min(n, 50_000_000 // max(n, 1)))
    for start in range(0, n, block):
        sims = X[start : start + block] @ X.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = 2.0  # a paper is its own nearest neighbour
        part = top_k(sims, k)
        part_sims = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -part_sims), axis=1)
        idx[start : start + block] = np.take_along_axis(part, order, axis=1)
        top = np.take_along_axis(part_sims, order, axis=1)
        top[:, 0] = 1.0
        dist[start : start + block] = np.clip(1.0 - top, 0.0, 2.0)
    return idx, dist


LAYOUTS = ("umap", "umap_2d")


def _layout_spec(name, p):
    """(dimensions, UMAP min_dist) of a layout: the clustering layout or the 2-D map."""
    return (p["n_components"], p["umap_min_dist"]) if name == "umap" else (2, p["map_min_dist"])


def _topics_of_layout(X, reduced, p):
    """One run's topics on a clustering layout: HDBSCAN, outlier reduction, merge to ``nr_topics``."""
    labels, _ = reduce_outliers(X, _cluster(reduced, p), p["outlier_target"], p["min_similarity"])
    return merge_map(X, labels, p["nr_topics"])[labels + 1]


def _resolve_accelerator(accelerator: str) -> str:
    """``"cuml"`` or ``"cpu"``: what ``accelerator`` means on this machine."""
    if accelerator == "cpu":
        return "cpu"
    try:
        import cuml  # noqa: F401
    except ImportError as exc:
        if accelerator == "cuml":
            raise LandscapeError(
                "accelerator='cuml' needs RAPIDS cuML on a GPU machine: see https://docs.rapids.ai/install"
            ) from exc
        return "cpu"
    return "cuml"


def _umap(X, knn, n_components, min_dist, p, n_epochs=None):
    import warnings

    if p["accelerator"] == "cuml":
        from cuml.manifold import UMAP as CumlUMAP

        model = CumlUMAP(
            n_neighbors=p["n_neighbors"],
            n_components=n_components,
            min_dist=min_dist,
            metric="cosine",
            random_state=p["random_state"],
            **({} if n_epochs is None else {"n_epochs": n_epochs}),
        )
        return _to_numpy(model.fit_transform(X))

    from umap import UMAP

    with warnings.catch_warnings():
        # We pass the k-NN graph without a search index: we never call UMAP.transform.
        warnings.simplefilter("ignore")
        model = UMAP(
            n_neighbors=p["n_neighbors"],
            n_components=n_components,
            min_dist=min_dist,
            metric="cosine",
            precomputed_knn=knn,
            random_state=p["random_state"],
            init="spectral" if len(X) > n_components + 2 else "random",
            n_epochs=n_epochs,
        )
        return model.fit_transform(X)


def _to_numpy(array):
    import numpy as np

    return np.asarray(array.get() if hasattr(array, "get") else array)


def _cluster(reduced, p):
    import numpy as np

    if p["accelerator"] == "cuml":
        from cuml.cluster.hdbscan import HDBSCAN as CumlHDBSCAN

        model = CumlHDBSCAN(
            min_cluster_size=p["min_cluster_size"],
            min_samples=p["min_samples"],
            cluster_selection_method=p["cluster_selection_method"],
            max_cluster_size=p["max_cluster_size"],
        )
        return np.asarray(_to_numpy(model.fit_predict(reduced)), dtype=np.int64)

    if p["clusterer"] == "fast_hdbscan":
        from fast_hdbscan import HDBSCAN
    else:
        from hdbscan import HDBSCAN
    extra = {"reproducible": True} if p["clusterer"] == "fast_hdbscan" else {}
    model = HDBSCAN(
        min_cluster_size=p["min_cluster_size"],
        min_samples=p["min_samples"],
        cluster_selection_method=p["cluster_selection_method"],
        max_cluster_size=p["max_cluster_size"] or (float("inf") if p["clusterer"] == "fast_hdbscan" else 0),
        **extra,
    )
    return np.asarray(model.fit_predict(reduced), dtype=np.int64)


def _tables(X, labels, centroids, sizes, names, groups, group_names):
    """The topic table (one row per topic, with its group) and the group table."""
    import numpy as np
    import pandas as pd

    n_topics = len(centroids)
    reps = [representatives(X, np.flatnonzero(labels == t), centroids[t]) for t in range(n_topics)]
    topics = pd.DataFrame(
        {
            "topic": np.arange(n_topics, dtype=np.int64),
            "label": [names[t].label for t in range(n_topics)],
            "size": sizes.astype(np.int64),
            "keywords": [names[t].keywords for t in range(n_topics)],
            "keyword_weights": [names[t].weights for t in range(n_topics)],
            "label_support": [round(float(names[t].support), 4) for t in range(n_topics)],
            "label_lift": [round(float(names[t].lift), 3) for t in range(n_topics)],
            "group": groups.astype(np.int64),
            "group_label": [group_names[int(g)].label for g in groups],
            "representative_idx": reps,
        }
    )
    ids = sorted(group_names)
    group_table = pd.DataFrame(
        {
            "group": np.array(ids, dtype=np.int64),
            "label": [group_names[g].label for g in ids],
            "size": [int(sizes[groups == g].sum()) for g in ids],
            "topics": [[int(t) for t in np.flatnonzero(groups == g)] for g in ids],
            "keywords": [group_names[g].keywords for g in ids],
            "label_support": [round(float(group_names[g].support), 4) for g in ids],
            "label_lift": [round(float(group_names[g].lift), 3) for g in ids],
        }
    )
    return topics, group_table


def merge_map(X, labels, nr_topics):
    """Merge the clusters of ``labels`` to at most ``nr_topics`` by average-linkage (cosine)
    clustering of their centroids. Returns ``mapping`` with ``mapping[label + 1]`` = merged label
    (-1 stays -1), so that other assignments with the same ids can be mapped the same way."""
    import numpy as np

    k = int(labels.max() + 1) if labels.size else 0
    mapping = np.arange(-1, k, dtype=np.int64)
    if nr_topics is None or k <= nr_topics:
        return mapping
    from sklearn.cluster import AgglomerativeClustering

    groups = AgglomerativeClustering(n_clusters=nr_topics, metric="cosine", linkage="average").fit_predict(
        centroids(X, labels, k)
    )
    mapping[1:] = groups
    return mapping


def refine_labels(labels, knn, k: int, rounds: int = REFINE_ROUNDS, share: float = REFINE_SHARE, within=None):
    """Smooth ``labels`` on the k-NN graph ``knn`` = (indices, cosine distances), itself first.

    Each paper's ``k`` nearest neighbours vote for their topic with their similarity (unassigned
    neighbours do not vote); an assigned paper whose winning topic gets more than ``share`` of the
    votes joins it. Unassigned papers stay so (outlier reduction decided them, with the similarity
    threshold that :meth:`TopicModel.transform` uses). Up to ``rounds`` passes, all papers at once.
    ``within``: a group per paper; only neighbours of the paper's own group vote (topics nested in
    groups stay nested).
    """
    import numpy as np
    import scipy.sparse as sp

    idx, dist = knn
    idx, weight = np.asarray(idx)[:, 1 : k + 1], np.clip(1.0 - np.asarray(dist)[:, 1 : k + 1], 0.0, None)
    if within is not None:
        within = np.asarray(within)
        weight = np.where(within[idx] == within[:, None], weight, 0.0)
    labels = np.asarray(labels, dtype=np.int64).copy()
    n, n_topics = len(labels), int(labels.max()) + 1 if labels.size else 0
    if n_topics == 0 or idx.shape[1] == 0:
        return labels
    rows = np.repeat(np.arange(n), idx.shape[1])
    total = np.maximum(weight.sum(axis=1), 1e-12)
    for _ in range(rounds):
        voter = labels[idx].ravel()
        cast = voter >= 0  # unassigned neighbours do not vote
        votes = sp.csr_matrix(
            (weight.ravel()[cast], (rows[cast], voter[cast])), shape=(n, n_topics)
        )  # duplicates are summed
        best = np.asarray(votes.argmax(axis=1)).ravel()
        top = np.asarray(votes.max(axis=1).todense()).ravel()
        new = np.where((top > share * total) & (labels >= 0), best, labels)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def assign_threshold(X, labels, centroids_, stopped: float, target: float, min_similarity: float) -> float:
    """The similarity :meth:`TopicModel.transform` asks of a paper to its nearest centroid: where
    outlier reduction stopped (``stopped``), lowered so that at most ``target`` of the papers the
    final topics hold would be refused their own topic. (The seed run's reduction alone can stop
    where a fifth of them would be: its HDBSCAN left many outliers, the consensus placed them.)"""
    import numpy as np

    held = np.flatnonzero(labels != UNASSIGNED_TOPIC)
    if not len(held) or target >= 1:
        return float(stopped)
    own = np.einsum("ij,ij->i", X[held], centroids_[labels[held]])
    return float(max(min_similarity, min(stopped, np.quantile(own, target))))


def reduce_outliers(X, labels, target: float, min_similarity: float):
    """Assign HDBSCAN outliers to their nearest topic centroid until at most ``target`` remain.

    Outliers go in order of decreasing similarity; none below ``min_similarity``. Returns the new
    labels and the similarity threshold to use for new papers (where reduction stopped, or
    ``min_similarity`` when nothing had to be reassigned).
    """
    import numpy as np

    labels = labels.copy()
    k = int(labels.max() + 1) if labels.size else 0
    outliers = np.flatnonzero(labels == UNASSIGNED_TOPIC)
    need = len(outliers) - int(np.floor(target * len(labels) + 1e-9))
    if k == 0 or need <= 0:
        return labels, float(min_similarity)
    best, score = best_match(X[outliers], centroids(X, labels, k))
    order = np.lexsort((outliers, -score))
    order = order[score[order] >= min_similarity][:need]
    labels[outliers[order]] = best[order]
    threshold = float(score[order[-1]]) if len(order) else float(min_similarity)
    return labels, max(threshold, float(min_similarity))
