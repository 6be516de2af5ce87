"""The stages `build` and `update` share: embedding (and its model check), research areas, the
documents table, counts, the landscape record and the save with its timings.

Each stage is a function; :mod:`landscape.pipeline.build` and :mod:`landscape.pipeline.update`
call them in their own order.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

from landscape.errors import LandscapeError
from landscape.schema import UNASSIGNED, UNASSIGNED_TOPIC

# Packages whose versions go into every saved landscape and report.
VERSIONED_PACKAGES = (
    "landscape",
    "bertopic",
    "umap-learn",
    "hdbscan",
    "scikit-learn",
    "sentence-transformers",
    "torch",
    "transformers",
    "numpy",
    "pandas",
    "pyarrow",
    "plotly",
    "statsmodels",
)

# ``landscape.json["embedding_model"]`` of a landscape built from precomputed vectors of a model
# nobody named (no taxonomy needed one): new papers must come as vectors of the same width.
UNKNOWN_MODEL = "precomputed"

# Existing papers used as the contrast when naming topics outside a fit (new topics of an update,
# merged or split topics of a curation): c-TF-IDF needs the other topics.
NAMING_CONTEXT = 5_000


# ---- the record ----------------------------------------------------------------------------------
def package_versions() -> dict:
    """Python and package versions, for the record."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def corpus_hash(corpus) -> str:
    """A hash of what the topics depend on: ids, titles and abstracts, in order."""
    h = hashlib.sha256()
    for row in corpus[["id", "title", "abstract"]].itertuples(index=False):
        for value in row:
            h.update(str(value).encode("utf-8"))
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()


def date_range(documents) -> list:
    """``[first, last]`` ISO dates of the documents (None when they have no dates)."""
    dates = documents["date"].dropna()
    if dates.empty:
        return [None, None]
    return [dates.min().date().isoformat(), dates.max().date().isoformat()]


def counts(labels, n_topics: int, base: dict | None = None) -> dict:
    """``base`` counts with papers, topics, unassigned and outlier share of ``labels``."""
    import numpy as np

    labels = np.asarray(labels)
    unassigned = labels == UNASSIGNED_TOPIC
    return {
        **(base or {}),
        "papers": int(len(labels)),
        "topics": int(n_topics),
        "unassigned": int(unassigned.sum()),
        "outlier_share": float(unassigned.mean()) if len(labels) else 0.0,
    }


def save(land, directory, timer, put_timings) -> None:
    """Save ``land`` into ``directory``, then save it again with the timings (the save's own
    included): ``put_timings(timings)`` writes them into ``land.meta``."""
    put_timings(dict(timer.timings))
    with timer.stage("save"):
        land.save(directory)
    put_timings(dict(timer.timings))
    land.save(directory)


# ---- embedding -----------------------------------------------------------------------------------
def embedder_for(model, cache_dir, device: str = "auto"):
    """The :class:`~landscape.embed.embedder.Embedder` of a pipeline run on ``device`` (``"auto"``:
    the GPU where torch sees one); no bar for the short texts of areas and topics
    (:func:`embed_papers` shows one for the papers)."""
    from landscape.embed.embedder import Embedder, resolve_device

    return Embedder(model, cache_dir=cache_dir, device=resolve_device(device), show_progress=False)


def embed_papers(papers, embedder, runner, *, progress: bool = True):
    """Unit-norm embeddings of the papers' ``"{title}. {abstract}"`` texts (with a progress bar
    for any number of papers unless ``progress`` is false), and the run's stats."""
    from landscape.embed.embedder import paper_text

    texts = [paper_text(t, a) for t, a in zip(papers["title"], papers["abstract"], strict=True)]
    shown = embedder.show_progress
    embedder.show_progress = progress
    try:
        vectors = runner.embed(embedder, texts)
    finally:
        embedder.show_progress = shown
    return vectors, dict(getattr(embedder, "last_stats_", {}))


def check_rows(vectors, n_expected: int):
    """Precomputed embeddings with one row per kept paper, or a clear error."""
    if len(vectors) != n_expected:
        raise LandscapeError(
            f"precomputed embeddings have {len(vectors)} rows for {n_expected} papers"
            " (one row per kept paper)"
        )
    return vectors


def check_width(width: int, expected: int, what: str, hint: str) -> None:
    """Refuse vectors of another width than the landscape's or the model's, before any work."""
    if int(width) != int(expected):
        raise LandscapeError(f"{what} have {int(width)} dimensions, {hint} has {int(expected)}")


def embedding_record(model_id: str, dim: int, precision: str | None = None) -> dict:
    """What ``landscape.json`` records about the embedding space (read by :func:`saved_embedding`):
    the model, the width and the precision the vectors were computed in (None: given precomputed).
    An update may embed in another precision (auto picks per machine): the vectors stay comparable
    (cosine >= 0.99), so it is recorded, not refused."""
    return {"embedding_model": model_id, "embedding_dim": int(dim), "embedding_precision": precision}


def saved_embedding(land) -> tuple[str | None, int | None]:
    """``(model id, width)`` of a saved landscape's embeddings (older landscapes: width from the file)."""
    meta = land.meta or {}
    dim = meta.get("embedding_dim")
    if dim is None and land.embeddings is not None:
        dim = int(land.embeddings.shape[1])
    return meta.get("embedding_model"), dim


# ---- areas ---------------------------------------------------------------------------------------
def match_areas(taxonomy, embed, *, topic_centroids, topics, paper_vectors):
    """``(topic areas, paper areas)``: ``(area, score)`` per topic row and an area per paper, from
    :func:`landscape.model.taxonomy.assign_areas`; ``taxonomy`` None: everything unassigned."""
    n_topics = 0 if topics is None else len(topics)
    if taxonomy is None or len(paper_vectors) == 0 and n_topics == 0:
        return [(UNASSIGNED, 0.0)] * n_topics, [UNASSIGNED] * len(paper_vectors)
    from landscape.model.taxonomy import assign_areas

    topic_areas, paper_areas = assign_areas(
        taxonomy,
        embed,
        topic_centroids=topic_centroids if n_topics else None,
        topics=topics if n_topics else None,
        paper_embeddings=paper_vectors,
    )
    return [(a, float(s)) for a, s in topic_areas], [a for a, _ in paper_areas]


def set_topic_areas(topics, topic_areas) -> None:
    """The ``area`` and ``area_score`` columns of a topic table, in place."""
    topics["area"] = [a for a, _ in topic_areas]
    topics["area_score"] = [float(s) for _, s in topic_areas]


# ---- the documents table -------------------------------------------------------------------------
def documents_table(papers, topic, hdbscan_topic, topics, areas, xy, groups):
    """The papers with their topic columns: ``topic, topic_hdbscan, topic_label, area, group,
    group_label, x, y``; ``groups``: group per paper (``hierarchy.document_groups``: also papers
    no topic takes have one)."""
    documents = papers.copy()
    label_of = dict(zip(topics["topic"], topics["label"], strict=True))
    documents["topic"] = topic.astype("int64")
    documents["topic_hdbscan"] = hdbscan_topic.astype("int64")
    documents["topic_label"] = [label_of.get(int(t), UNASSIGNED) for t in topic]
    documents["area"] = list(areas)
    documents["group"], documents["group_label"] = group_columns(topics, groups)
    documents["x"] = xy[:, 0].astype("float32")
    documents["y"] = xy[:, 1].astype("float32")
    return documents


def group_columns(topics, groups):
    """``(group, group_label)`` columns of the documents table for group per paper ``groups``
    (labels from the topic table; -1 and groups no topic names: unassigned)."""
    import numpy as np

    label_of = dict(zip(topics["group"].astype(int), topics["group_label"], strict=False))
    # an int64 array also when there is no paper (an empty list would make the column float64)
    groups = np.asarray(groups, dtype="int64")
    groups = np.where(np.isin(groups, list(label_of)), groups, UNASSIGNED_TOPIC)
    return groups, [label_of.get(int(g), UNASSIGNED) for g in groups]


def default_name(sources) -> str:
    """A landscape's name from its input files."""
    if len(sources) == 1:
        return Path(sources[0]).stem
    return f"{len(sources)} corpora"


# ---- the taxonomy --------------------------------------------------------------------------------
def taxonomy_for_build(taxonomy):
    """The taxonomy a build matches areas with: a ``Taxonomy``, a YAML path, None (the bundled one)
    or False (none: returns None)."""
    if taxonomy is False:
        return None
    from landscape.model.taxonomy import load_taxonomy

    return taxonomy if hasattr(taxonomy, "areas") else load_taxonomy(taxonomy)


def taxonomy_for_update(meta, taxonomy):
    """The taxonomy an update matches areas with: the one given, else the one saved inside the
    landscape; None when areas are off (``False``, or a landscape built without a taxonomy)."""
    from landscape.model.taxonomy import BUNDLED, load_taxonomy, taxonomy_from_record

    if taxonomy is False:
        return None
    if taxonomy is not None:
        return taxonomy if hasattr(taxonomy, "areas") else load_taxonomy(taxonomy)
    if meta.get("taxonomy_areas"):
        return taxonomy_from_record(meta["taxonomy_areas"])
    saved = meta.get("taxonomy")
    if saved is None:
        return None
    tax = load_taxonomy()  # landscapes from before the taxonomy was saved inside them
    if saved != tax.name:
        raise LandscapeError(
            f"the landscape was built with taxonomy {saved!r}, not the bundled {tax.name!r} "
            f"({BUNDLED.name}): pass the taxonomy YAML it was built with (--taxonomy)"
        )
    return tax


def taxonomy_meta(tax) -> dict:
    """What ``landscape.json`` records about the taxonomy: its name and, whole, its areas."""
    from landscape.model.taxonomy import taxonomy_record

    if tax is None:
        return {"taxonomy": None, "taxonomy_areas": None}
    return {"taxonomy": tax.name, "taxonomy_areas": taxonomy_record(tax)}
