"""A saved landscape as a fitted BERTopic model, so BERTopic's ``visualize_*``, ``get_topic_info``,
``find_topics`` and representation models work on it.

BERTopic's manual topic modelling path: its dimensionality reduction and clustering steps are
replaced by pass-throughs (``BaseDimensionalityReduction``, ``BaseCluster``) and the landscape's
topic of every paper is given as ``y``, with the landscape's own embeddings. BERTopic renumbers
topics by size after clustering; that step is kept from renumbering here, so topic ``k`` of the
BERTopic model is topic ``k`` of the landscape (-1: unassigned). Keywords come from BERTopic's
c-TF-IDF over the same phrase analyzer the landscape names topics with; the landscape's labels are
set as BERTopic's custom labels (``custom_labels=True`` in its plots).
"""

from __future__ import annotations

from landscape.errors import LandscapeError, require
from landscape.schema import UNASSIGNED, UNASSIGNED_TOPIC


def _embedder_backend(land):
    """A BERTopic embedding backend over the landscape's own model (offline, through the cache);
    None for landscapes built from precomputed embeddings."""
    backend = require("bertopic.backend", package="bertopic")
    model = (land.meta or {}).get("embedding_model")
    if not model or model == "precomputed":
        return None
    from landscape.embed.embedder import Embedder

    class LandscapeEmbedder(backend.BaseEmbedder):
        """BERTopic's embedder interface over :class:`landscape.embed.embedder.Embedder`."""

        def __init__(self, name):
            super().__init__()
            self.embedder = Embedder(name)

        def embed(self, documents, verbose: bool = False):
            return self.embedder.encode(list(documents))

    return LandscapeEmbedder(model)


def _vectorizer(land):
    from sklearn.feature_extraction.text import CountVectorizer

    from landscape.model.naming import PhraseAnalyzer, stop_words

    params = ((land.meta or {}).get("parameters") or {}).get("topic_model") or {}
    ngram = tuple(params.get("ngram_range") or (1, 3))
    return CountVectorizer(analyzer=PhraseAnalyzer(ngram, stop_words(tuple(params.get("stop_words") or ()))))


def to_bertopic(land, *, embedding_model="landscape", vectorizer_model=None, **bertopic_kwargs):
    """A fitted ``bertopic.BERTopic`` with the landscape's topics, ids and labels.

    Parameters
    ----------
    land : a :class:`landscape.store.Landscape` loaded with its embeddings
    embedding_model : ``"landscape"`` (the landscape's own model, needed by ``find_topics`` and
        KeyBERT-style representations), None, or anything BERTopic accepts
    vectorizer_model : BERTopic's vectorizer (default: the landscape's phrase analyzer)
    bertopic_kwargs : passed to ``BERTopic`` (e.g. ``representation_model``, ``top_n_words``)
    """
    import numpy as np

    bertopic = require("bertopic")
    cluster = require("bertopic.cluster", package="bertopic")
    dimensionality = require("bertopic.dimensionality", package="bertopic")
    from landscape.embed.embedder import paper_text

    if land.embeddings is None:
        raise LandscapeError("to_bertopic needs the embeddings: load the landscape with embeddings=True")
    docs = land.documents
    labels = docs["topic"].to_numpy(dtype=np.int64)
    ids = sorted(int(t) for t in land.topics["topic"])
    if ids != list(range(len(ids))) or not set(labels) <= {UNASSIGNED_TOPIC, *ids}:
        raise LandscapeError("to_bertopic needs topic ids 0..n-1 (and -1 for unassigned papers)")
    if embedding_model == "landscape":
        embedding_model = _embedder_backend(land)
    model = bertopic.BERTopic(
        embedding_model=embedding_model,
        umap_model=dimensionality.BaseDimensionalityReduction(),
        hdbscan_model=cluster.BaseCluster(),
        vectorizer_model=vectorizer_model or _vectorizer(land),
        **bertopic_kwargs,
    )

    def keep_ids(documents):
        # BERTopic would renumber topics by size here; the landscape's ids are kept instead
        model._update_topic_size(documents)
        return documents

    model._sort_mappings_by_frequency = keep_ids
    texts = [paper_text(t, a) for t, a in zip(docs["title"], docs["abstract"], strict=True)]
    model.fit_transform(texts, np.asarray(land.embeddings), y=labels)
    del model._sort_mappings_by_frequency  # later reductions (reduce_topics, merge_topics) renumber as usual
    names = {int(r.topic): str(r.label) for r in land.topics.itertuples(index=False)}
    if UNASSIGNED_TOPIC in labels:
        names[UNASSIGNED_TOPIC] = UNASSIGNED
    model.set_topic_labels(names)
    return model
