"""Topic quality: coherence, diversity, outliers and sizes, agreement with labels, stability.

Pure functions on arrays and DataFrames; scikit-learn is imported inside them. The definitions:

Tokens
    Documents and keywords go through the same analyzer as scikit-learn's ``CountVectorizer`` (and
    BERTopic's c-TF-IDF) by default: lower-cased, tokens of two or more word characters
    (``(?u)\\b\\w\\w+\\b``). A keyword is normalised by that analyzer too, so ``"Self-Supervised"``
    is the phrase ``"self supervised"``.

Multi-word keywords (phrases)
    A document *contains* a phrase when the phrase's tokens occur consecutively in the document's
    token sequence. A phrase without stop words also matches the sequence with English stop words
    removed (topic namers often build n-grams after stop-word removal, so ``"state art"`` stands
    for "state of the art"); a phrase with stop words (``"mixture of experts"``) must occur as
    written. Matching is exact otherwise: ``"language models"`` does not match "language model". A
    keyword that occurs in no document never co-occurs with anything; ``quality_metrics`` reports
    how many there are (``keywords_not_in_corpus``), which is a sign of a tokenisation mismatch.

NPMI coherence
    Per topic, over all pairs of its top-``top_n`` keywords (duplicates after normalisation
    dropped), with probabilities from *document* co-occurrence over the corpus itself (not the
    sliding windows of Röder et al. / gensim ``c_npmi``)::

        NPMI(wi, wj) = log(P(wi, wj) / (P(wi) P(wj))) / -log P(wi, wj)

    A pair that never co-occurs scores -1 (the limit of NPMI as P(wi, wj) -> 0; no epsilon
    smoothing), a pair present in every document scores 1. The topic's score is the mean over its
    pairs (NaN for a topic with fewer than two keywords), the model's score the mean over topics.

Topic diversity
    Dieng et al. (2020): unique words / all words among every topic's top-``top_n`` keywords.
    Phrases are split into their words (the stricter choice: ``"neural network"`` and
    ``"network pruning"`` share ``network``), English stop words *inside phrases* are not counted
    (``"theory of mind"`` and ``"bag of words"`` do not overlap through ``of``; a keyword that is a
    stop word, like BERTopic's ``"the"``, does count), and a word counts once per topic, so that for
    single-word keywords this is exactly Dieng's measure.

Agreement with labels
    NMI (arithmetic mean normalisation), ARI, homogeneity and completeness from
    ``sklearn.metrics``, over papers that have a label. ``all``: every labelled paper, unassigned
    papers (topic -1) forming one cluster of their own; ``assigned``: only papers with a topic.

Stability
    The ARI between the topic assignments of two fits that differ only in ``random_state``
    (unassigned papers as one cluster).
"""

from __future__ import annotations

import math
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.schema import UNASSIGNED_TOPIC

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
TOP_N = 10
_STOP_WORDS_OPTIONS = ("english", None)


# ---- tokens and the keyword-document matrix --------------------------------------------------------
def _stop_words(stop_words):
    if stop_words not in _STOP_WORDS_OPTIONS:
        raise LandscapeError(f"stop_words must be one of {_STOP_WORDS_OPTIONS}, got {stop_words!r}")
    if stop_words is None:
        return frozenset()
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


def _analyzer(token_pattern: str):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(lowercase=True, token_pattern=token_pattern).build_analyzer()


def normalise_keyword(keyword, *, token_pattern: str = TOKEN_PATTERN) -> str:
    """A keyword as the analyzer sees it: lower-case tokens joined by single spaces."""
    return " ".join(_analyzer(token_pattern)(str(keyword)))


def keyword_document_matrix(docs, keywords, *, token_pattern: str = TOKEN_PATTERN, stop_words="english"):
    """Binary sparse matrix (documents x keywords): does document i contain keyword j?

    ``keywords`` are normalised with :func:`normalise_keyword`; returns ``(matrix, normalised)`` with
    one column per *unique* normalised keyword, in first-seen order (empty keywords are dropped).
    Single words are counted with ``CountVectorizer(binary=True)``; a phrase is looked for only in
    the documents that contain all of its words (see the module notes for how phrases match).
    """
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    stops = _stop_words(stop_words)
    analyze = _analyzer(token_pattern)
    docs = ["" if d is None else str(d) for d in docs]
    normalised = (" ".join(analyze(str(kw))) for kw in keywords)
    columns = [kw for kw in dict.fromkeys(normalised) if kw]
    words = sorted({w for kw in columns for w in kw.split(" ")})
    n = len(docs)
    if not columns:
        return sparse.csc_matrix((n, 0), dtype=np.int8), columns

    unigrams = CountVectorizer(binary=True, lowercase=True, token_pattern=token_pattern, vocabulary=words)
    word_matrix = unigrams.fit_transform(docs).tocsc().astype(np.int8)
    word_col = {w: i for i, w in enumerate(words)}

    token_cache: dict[int, tuple[str, str]] = {}

    def joined(i: int) -> tuple[str, str]:
        # the document as " tok tok tok " with and without stop words, for phrase look-ups
        if i not in token_cache:
            toks = analyze(docs[i])
            kept = [t for t in toks if t not in stops]
            token_cache[i] = (f" {' '.join(toks)} ", f" {' '.join(kept)} ")
        return token_cache[i]

    cols = []
    for kw in columns:
        parts = kw.split(" ")
        if len(parts) == 1:
            cols.append(word_matrix[:, word_col[kw]])
            continue
        # candidates: documents containing every word of the phrase
        content = [p for p in parts if p not in stops] or parts
        present = np.ones(n, dtype=bool)
        for p in content:
            present &= word_matrix[:, word_col[p]].toarray().ravel() > 0
        as_written = f" {kw} "
        # a phrase with stop words in it is matched as written only
        without_stops = f" {kw} " if len(content) == len(parts) else None
        hits = [i for i in np.flatnonzero(present) if _contains(joined(i), as_written, without_stops)]
        col = np.zeros((n, 1), dtype=np.int8)
        col[hits, 0] = 1
        cols.append(sparse.csc_matrix(col))
    return sparse.hstack(cols, format="csc").astype(np.int8), columns


def _contains(doc: tuple[str, str], as_written: str, without_stops: str | None) -> bool:
    raw, kept = doc
    return as_written in raw or (without_stops is not None and without_stops in kept)


def _top_keywords(keywords, top_n: int) -> list[str]:
    if keywords is None:
        return []
    if isinstance(keywords, str):
        raise LandscapeError(f"topic keywords must be a list of strings, got the string {keywords!r}")
    return [str(k) for k in list(keywords)[:top_n]]


# ---- coherence -------------------------------------------------------------------------------------
def _pair_npmi(co: float, df_i: float, df_j: float, n: int) -> float:
    if co == 0:
        return -1.0
    p_ij = co / n
    if p_ij >= 1.0:
        return 1.0
    return math.log(p_ij / ((df_i / n) * (df_j / n))) / -math.log(p_ij)


def topic_npmi(
    docs,
    topics_keywords,
    *,
    top_n: int = TOP_N,
    token_pattern: str = TOKEN_PATTERN,
    stop_words="english",
    matrix=None,
):
    """NPMI coherence of each topic's top-``top_n`` keywords (numpy array, NaN for < 2 keywords).

    ``matrix`` is an optional ``keyword_document_matrix(docs, ...)`` result to reuse.
    """
    import numpy as np

    _check_top_n(top_n)
    tops = [_top_keywords(kws, top_n) for kws in topics_keywords]
    if matrix is None:
        matrix = keyword_document_matrix(
            docs, [k for t in tops for k in t], token_pattern=token_pattern, stop_words=stop_words
        )
    x, columns = matrix
    n = x.shape[0]
    if n == 0:
        raise LandscapeError("NPMI needs at least one document")
    col_of = {kw: i for i, kw in enumerate(columns)}
    analyze = _analyzer(token_pattern)
    scores = np.full(len(tops), np.nan)
    for t, kws in enumerate(tops):
        idx = []
        for kw in kws:
            c = col_of.get(" ".join(analyze(kw)))
            if c is not None and c not in idx:
                idx.append(c)
        if len(idx) < 2:
            continue
        sub = x[:, idx].astype(np.int32)
        co = (sub.T @ sub).toarray()
        df = np.diag(co)
        pairs = [
            _pair_npmi(co[i, j], df[i], df[j], n) for i in range(len(idx)) for j in range(i + 1, len(idx))
        ]
        scores[t] = float(np.mean(pairs))
    return scores


def npmi_coherence(docs, topics_keywords, *, top_n: int = TOP_N, **kwargs) -> float:
    """Mean NPMI over topics (topics with fewer than two keywords left out); NaN when none is left."""
    import numpy as np

    scores = topic_npmi(docs, topics_keywords, top_n=top_n, **kwargs)
    scores = scores[~np.isnan(scores)]
    return float(scores.mean()) if scores.size else float("nan")


# ---- diversity ------------------------------------------------------------------------------------
def topic_diversity(
    topics_keywords,
    *,
    top_n: int = TOP_N,
    split_phrases: bool = True,
    token_pattern: str = TOKEN_PATTERN,
    stop_words="english",
) -> float:
    """Share of unique words among all topics' top-``top_n`` keywords (1 = no word shared).

    ``split_phrases=False`` compares whole normalised keywords instead of their words.
    """
    _check_top_n(top_n)
    stops = _stop_words(stop_words)
    analyze = _analyzer(token_pattern)
    per_topic = []
    for kws in topics_keywords:
        words: set[str] = set()
        for kw in _top_keywords(kws, top_n):
            toks = analyze(kw)
            if split_phrases and len(toks) > 1:
                # connectors inside phrases ("theory of mind") are not topic words
                words.update([t for t in toks if t not in stops] or toks)
            elif split_phrases:
                words.update(toks)
            elif toks:
                words.add(" ".join(toks))
        per_topic.append(words)
    total = sum(len(w) for w in per_topic)
    if total == 0:
        return float("nan")
    return len(set().union(*per_topic)) / total


# ---- outliers and sizes ---------------------------------------------------------------------------
def outlier_share(labels) -> float:
    """Share of papers with topic -1."""
    import numpy as np

    labels = np.asarray(labels)
    return float((labels == UNASSIGNED_TOPIC).mean()) if labels.size else 0.0


def gini(values) -> float:
    """Gini coefficient of non-negative sizes (0 = all equal, towards 1 = one topic has everything)."""
    import numpy as np

    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0 or x.sum() == 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return float(2 * (ranks * x).sum() / (n * x.sum()) - (n + 1) / n)


def size_distribution(labels) -> dict:
    """Topic count and sizes (papers per topic, unassigned left out)."""
    import numpy as np

    labels = np.asarray(labels)
    assigned = labels[labels != UNASSIGNED_TOPIC]
    _, sizes = np.unique(assigned, return_counts=True)
    if sizes.size == 0:
        return {"topics": 0, "min": 0, "median": 0.0, "max": 0, "gini": None, "largest_share": None}
    return {
        "topics": int(sizes.size),
        "min": int(sizes.min()),
        "median": float(np.median(sizes)),
        "max": int(sizes.max()),
        "gini": gini(sizes),
        # share of the *assigned* papers that sit in the largest topic
        "largest_share": float(sizes.max() / sizes.sum()),
    }


# ---- agreement with labels ------------------------------------------------------------------------
def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return isinstance(value, str) and not value.strip()


def partition_scores(labels, reference) -> dict:
    """NMI, AMI, ARI, homogeneity and completeness of ``labels`` against ``reference`` (same length)."""
    from sklearn import metrics

    if len(labels) == 0:
        return {"n": 0, "nmi": None, "ami": None, "ari": None, "homogeneity": None, "completeness": None}
    h, c, _ = metrics.homogeneity_completeness_v_measure(reference, labels)
    return {
        "n": int(len(labels)),
        "nmi": float(metrics.normalized_mutual_info_score(reference, labels)),
        "ami": float(metrics.adjusted_mutual_info_score(reference, labels)),
        "ari": float(metrics.adjusted_rand_score(reference, labels)),
        "homogeneity": float(h),
        "completeness": float(c),
    }


def label_agreement(labels, reference) -> dict:
    """Scores against reference labels, on ``all`` labelled papers and on ``assigned`` ones only.

    ``reference`` holds one label per paper; None, NaN and empty strings mean "no label" and those
    papers are left out of both. Unassigned papers (-1) form one cluster in ``all``.
    """
    import numpy as np

    labels = np.asarray(labels)
    ref = list(reference)
    if len(ref) != len(labels):
        raise LandscapeError(f"{len(ref)} reference labels for {len(labels)} papers")
    keep = np.array([not _missing(v) for v in ref], dtype=bool)
    ref_kept = np.array([str(v) for v, k in zip(ref, keep, strict=True) if k], dtype=object)
    lab_kept = labels[keep]
    assigned = lab_kept != UNASSIGNED_TOPIC
    return {
        "n_labelled": int(keep.sum()),
        "n_reference_classes": int(len(set(ref_kept))),
        "all": partition_scores(lab_kept, ref_kept),
        "assigned": partition_scores(lab_kept[assigned], ref_kept[assigned]),
    }


def reference_labels(documents, column: str):
    """One reference label per paper from a documents column (None where missing).

    List values give their first element; the ``categories`` column (space-separated, primary
    first) gives its first category. Several columns separated by commas are tried in order
    (``"primary_category,categories"``).
    """
    names = [c.strip() for c in str(column).split(",") if c.strip()]
    if not names:
        raise LandscapeError("no label column given")
    absent = [c for c in names if c not in documents.columns]
    if absent:
        raise LandscapeError(
            f"no column {', '.join(map(repr, absent))} in the documents "
            f"(columns: {', '.join(map(str, documents.columns))})"
        )
    out = [None] * len(documents)
    for name in names:
        for i, value in enumerate(documents[name].tolist()):
            if out[i] is None:
                out[i] = _first_label(value, split=name == "categories")
    return out


def _first_label(value, *, split: bool):
    if not isinstance(value, str) and hasattr(value, "__len__"):
        value = next((v for v in value if not _missing(v)), None)
    if _missing(value):
        return None
    value = str(value).strip()
    return value.split()[0] if split else value


# ---- stability ------------------------------------------------------------------------------------
def stability(labels_a, labels_b, *, assigned_only: bool = False) -> float:
    """ARI between two assignments of the same papers (e.g. two seeds).

    ``assigned_only`` scores only papers assigned to a topic in both runs.
    """
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    a, b = np.asarray(labels_a), np.asarray(labels_b)
    if a.shape != b.shape:
        raise LandscapeError(f"the two assignments differ in length ({a.size} and {b.size})")
    if assigned_only:
        both = (a != UNASSIGNED_TOPIC) & (b != UNASSIGNED_TOPIC)
        a, b = a[both], b[both]
    return float(adjusted_rand_score(a, b)) if a.size else float("nan")


def refit_labels(docs, embeddings, random_state: int, /, **params):
    """Topic assignments of a ``TopicModel`` fitted with another seed (other parameters unchanged).

    ``params`` may be a saved parameter record (``meta["parameters"]["topic_model"]``): keys the
    constructor does not take and its ``random_state`` are ignored.
    """
    import inspect

    import numpy as np

    from landscape.model.topics import TopicModel

    # a saved parameter record may hold more than the constructor takes (derived values)
    accepted = set(inspect.signature(TopicModel).parameters)
    params = {k: v for k, v in params.items() if k in accepted and k != "random_state"}
    model = TopicModel(random_state=random_state, **params).fit(list(docs), embeddings)
    return np.asarray(model.labels_)


def seed_stability(docs, embeddings, seeds=(0, 1), *, reference_labels_=None, **params) -> dict:
    """Refit with each seed and return the ARI between the first seed's run and each other one.

    ``reference_labels_`` are the first seed's labels when already known (saves one fit).
    """
    seeds = list(seeds)
    if len(seeds) < 2:
        raise LandscapeError("stability needs at least two seeds")
    base = (
        reference_labels_
        if reference_labels_ is not None
        else refit_labels(docs, embeddings, seeds[0], **params)
    )
    aris = {}
    for seed in seeds[1:]:
        other = refit_labels(docs, embeddings, seed, **params)
        aris[str(seed)] = stability(base, other)
    values = list(aris.values())
    return {"seeds": seeds, "ari": aris, "mean_ari": float(sum(values) / len(values))}


# ---- everything together --------------------------------------------------------------------------
def _check_top_n(top_n) -> None:
    if not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1:
        raise LandscapeError(f"top_n must be a positive integer, got {top_n!r}")


def _clean(value):
    """JSON-safe: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def quality_metrics(
    docs_texts,
    labels,
    topics_keywords,
    *,
    reference=None,
    top_n: int = TOP_N,
    token_pattern: str = TOKEN_PATTERN,
    stop_words="english",
) -> dict:
    """The quality numbers of one topic assignment, as a JSON-serialisable dict.

    ``docs_texts`` are the texts the topic words came from (one per paper), ``labels`` the topic of
    each paper (-1 = unassigned), ``topics_keywords`` each topic's keywords, most important first.
    ``reference`` (optional) holds a label per paper for NMI/ARI (see :func:`label_agreement`).
    """
    import numpy as np

    _check_top_n(top_n)
    docs_texts = list(docs_texts)
    labels = np.asarray(labels)
    if len(docs_texts) != len(labels):
        raise LandscapeError(f"{len(docs_texts)} documents but {len(labels)} topic labels")
    topics_keywords = list(topics_keywords)
    tops = [_top_keywords(k, top_n) for k in topics_keywords]
    matrix = keyword_document_matrix(
        docs_texts, [k for t in tops for k in t], token_pattern=token_pattern, stop_words=stop_words
    )
    x, columns = matrix
    per_topic = (
        topic_npmi(docs_texts, tops, top_n=top_n, token_pattern=token_pattern, matrix=matrix)
        if len(docs_texts)
        else np.full(len(tops), np.nan)
    )
    scored = per_topic[~np.isnan(per_topic)]
    absent = [columns[i] for i in np.flatnonzero(np.asarray(x.sum(axis=0)).ravel() == 0)]
    result = {
        "papers": int(len(labels)),
        "topics": size_distribution(labels)["topics"],
        "outlier_share": outlier_share(labels),
        "sizes": size_distribution(labels),
        "npmi": float(scored.mean()) if scored.size else None,
        "npmi_per_topic": per_topic.tolist(),
        "diversity": topic_diversity(tops, top_n=top_n, token_pattern=token_pattern, stop_words=stop_words),
        "top_n": top_n,
        "keywords_not_in_corpus": len(absent),
        "method": {
            "coherence": "NPMI, document co-occurrence over the corpus, -1 for pairs never together",
            "diversity": "unique words / words of the top keywords, phrases split, stop words dropped",
        },
    }
    if reference is not None:
        result["labels"] = label_agreement(labels, reference)
    return _clean(result)


def _landscape(landscape_or_dir, *, embeddings: bool):
    from landscape.store import Landscape

    if isinstance(landscape_or_dir, (str, Path)):
        return Landscape.load(landscape_or_dir, embeddings=embeddings)
    if not hasattr(landscape_or_dir, "documents") or not hasattr(landscape_or_dir, "topics"):
        raise LandscapeError(
            f"expected a Landscape or a landscape directory, got {type(landscape_or_dir).__name__}"
        )
    return landscape_or_dir


def evaluate(
    landscape_or_dir,
    labels_column: str | None = None,
    *,
    stability_seed: int | None = None,
    top_n: int = TOP_N,
) -> dict:
    """Quality of a saved landscape (a ``Landscape`` or its directory), as a JSON-serialisable dict.

    ``labels_column`` adds agreement with a documents column (see :func:`reference_labels`).
    ``stability_seed`` refits the topic model with that seed, on the saved embeddings and with the
    saved parameters, and adds the ARI between the two assignments (slow: a whole topic fit).
    """
    import numpy as np

    from landscape.model.topics import topic_texts

    land = _landscape(landscape_or_dir, embeddings=stability_seed is not None)
    docs = land.documents
    topics = land.topics
    labels = docs["topic"].to_numpy()
    unknown = sorted(set(np.unique(labels).tolist()) - set(topics["topic"].tolist()) - {UNASSIGNED_TOPIC})
    if unknown:
        raise LandscapeError(f"documents use topics missing from the topic table: {unknown[:10]}")
    reference = reference_labels(docs, labels_column) if labels_column else None
    texts = topic_texts(docs)
    result = quality_metrics(texts, labels, list(topics["keywords"]), reference=reference, top_n=top_n)
    if labels_column:
        result["labels"]["column"] = labels_column
        if "group" in docs.columns:  # the second level: groups against the same labels
            result["group_labels"] = {
                **label_agreement(docs["group"].to_numpy(), reference),
                "column": labels_column,
                "groups": int(docs.loc[docs["group"] >= 0, "group"].nunique()),
            }
    if "topic_hdbscan" in docs.columns:
        result["outlier_share_hdbscan"] = outlier_share(docs["topic_hdbscan"].to_numpy())
    if stability_seed is not None:
        if land.embeddings is None:
            raise LandscapeError("stability needs the saved embeddings (embeddings.npy is missing)")
        params = dict((land.meta.get("parameters") or {}).get("topic_model") or {})
        other = refit_labels(texts, land.embeddings, stability_seed, **params)
        result["stability"] = {
            "seeds": [land.meta.get("random_state"), stability_seed],
            "ari": stability(labels, other),
            "ari_assigned": stability(labels, other, assigned_only=True),
        }
    return _clean(result)


def stored_quality(landscape_or_dir) -> dict:
    """The quality numbers stored with a landscape (``meta["quality"]``), computed when absent."""
    land = _landscape(landscape_or_dir, embeddings=False)
    return land.meta.get("quality") or evaluate(land)
