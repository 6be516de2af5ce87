"""The whole pipeline: inputs → ingest → embeddings → topics → areas → a saved `Landscape`."""

from __future__ import annotations

import hashlib
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from landscape.errors import LandscapeError

# Larger corpora are fitted on a seeded random sample and the rest assigned (``fit_sample="auto"``):
# past about 150,000 papers UMAP's time and memory grow faster than the gain from more papers
# (measured cost on the dev corpus: docs/ARCHITECTURE.md, "Large corpora").
AUTO_FIT_THRESHOLD = 150_000
AUTO_FIT_SAMPLE = 100_000

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


class _Timer:
    def __init__(self, log):
        self.timings: dict[str, float] = {}
        self._log = log

    def stage(self, name):
        timer = self

        class _Stage:
            def __enter__(self):
                self.t0 = time.perf_counter()
                timer._log(f"{name}…")

            def __exit__(self, *exc):
                seconds = time.perf_counter() - self.t0
                timer.timings[name] = round(seconds, 3)
                if exc[0] is None:
                    timer._log(f"{name}: {seconds:.1f} s")

        return _Stage()


def build(
    inputs,
    out_dir=None,
    *,
    random_state: int = 42,
    taxonomy=None,
    embedding_model: str = "all-MiniLM-L6-v2",
    embeddings=None,
    cache_dir=None,
    columns: dict | None = None,
    min_abstract_chars: int = 50,
    topic_params: dict | None = None,
    name: str | None = None,
    log=None,
    engine="local",
    address: str | None = None,
    fit_sample: int | str | None = "auto",
):
    """Build a topic landscape from corpus files (or an ingested corpus DataFrame).

    Parameters
    ----------
    inputs : path, list of paths, or a corpus DataFrame (``landscape.schema`` columns)
    out_dir : where to save the landscape directory (not saved when None)
    random_state : seed reaching every stochastic step (UMAP, clustering, map layout)
    taxonomy : a taxonomy YAML path, a ``Taxonomy``, or None for the bundled AI/ML taxonomy;
        ``False`` skips area matching
    embedding_model : sentence-transformers model name or local path (default: bundled MiniLM)
    embeddings : precomputed embeddings (array, or a .npy/.parquet/.safetensors path), one row per
        kept paper in corpus order
    cache_dir : cache directory for embeddings, and UMAP layouts in its ``layouts/`` folder (None:
        default location, False: no cache); with both cached a rebuild only re-clusters
    topic_params : extra ``TopicModel`` arguments
    engine, address : ``"local"`` or ``"ray"`` (with a cluster address) for embedding and for assigning
        papers outside the fitting sample (``landscape.pipeline.engine``)
    fit_sample : when the corpus has more papers than this, the topic model is fitted on a seeded
        random sample of this size and the other papers are assigned to its topics (nearest
        centroid rule) and placed on the map by their nearest sampled papers; None: fit on all;
        ``"auto"``: a sample of ``AUTO_FIT_SAMPLE`` papers for corpora over ``AUTO_FIT_THRESHOLD``
    """
    import numpy as np

    from landscape.corpus.ingest import ingest_inputs
    from landscape.corpus.text import strip_urls
    from landscape.embed import embedder as emb_mod
    from landscape.embed.cache import default_cache_dir
    from landscape.model.topics import TopicModel
    from landscape.pipeline.engine import get_engine
    from landscape.store import Landscape

    log = log or (lambda message: None)
    timer = _Timer(log)
    runner = get_engine(engine, address=address)
    if fit_sample not in (None, "auto") and (
        isinstance(fit_sample, bool) or not isinstance(fit_sample, int) or fit_sample < 10
    ):
        raise LandscapeError(f"fit_sample must be an integer >= 10, 'auto' or None, got {fit_sample!r}")

    with timer.stage("ingest"):
        result, sources = ingest_inputs(inputs, columns=columns, min_abstract_chars=min_abstract_chars)
        corpus = result.corpus.reset_index(drop=True)
    if len(corpus) < 10:
        raise LandscapeError(f"{len(corpus)} usable papers: a landscape needs at least 10")
    log(f"{len(corpus)} papers kept, {len(result.rejects)} rejected")

    embedder = emb_mod.Embedder(embedding_model, cache_dir=cache_dir)
    with timer.stage("embed"):
        if embeddings is None:
            texts = [
                emb_mod.paper_text(t, a) for t, a in zip(corpus["title"], corpus["abstract"], strict=True)
            ]
            vectors = runner.embed(embedder, texts)
            model_id = embedder.model_id
            embed_stats = dict(embedder.last_stats_)
        else:
            vectors = emb_mod.precomputed_embeddings(embeddings, len(corpus))
            model_id, embed_stats = "precomputed", {}

    with timer.stage("topics"):
        docs = [strip_urls(f"{t}. {a}") for t, a in zip(corpus["title"], corpus["abstract"], strict=True)]
        layouts = None if cache_dir is False else Path(cache_dir or default_cache_dir()) / "layouts"
        model = TopicModel(random_state=random_state, **{"layout_cache": layouts, **(topic_params or {})})
        fit_idx = _fit_rows(len(docs), fit_sample, random_state)
        if fit_idx is None:
            model.fit(docs, vectors)
    timer.timings.update({f"topics.{k}": v for k, v in getattr(model, "timings_", {}).items()})
    if fit_idx is None:
        topics = model.topics_.copy()
        labels = np.asarray(model.labels_)
        hdbscan_labels = np.asarray(model.hdbscan_labels_)
        coords = model.coords_
    else:
        topics, labels, hdbscan_labels, coords = _fit_and_assign(model, docs, vectors, fit_idx, runner, timer)
    label_of = dict(zip(topics["topic"], topics["label"], strict=True))

    with timer.stage("areas"):
        topic_area, paper_area, taxonomy_name = _match_areas(taxonomy, embedder, model, vectors)
    topics["area"] = [topic_area[t][0] for t in topics["topic"]]
    topics["area_score"] = [float(topic_area[t][1]) for t in topics["topic"]]
    topics["representative_ids"] = [
        [str(corpus["id"].iat[i]) for i in idx] for idx in topics.pop("representative_idx")
    ]

    documents = corpus.copy()
    documents["topic"] = labels.astype("int64")
    documents["topic_hdbscan"] = hdbscan_labels.astype("int64")
    documents["topic_label"] = [label_of.get(t, "unassigned") for t in labels]
    documents["area"] = paper_area
    group_of = dict(zip(topics["topic"], topics["group"], strict=True))
    group_label_of = dict(zip(topics["topic"], topics["group_label"], strict=True))
    documents["group"] = [int(group_of.get(t, -1)) for t in labels]
    documents["group_label"] = [group_label_of.get(t, "unassigned") for t in labels]
    documents["x"] = coords[:, 0].astype("float32")
    documents["y"] = coords[:, 1].astype("float32")

    with timer.stage("evaluate"):
        from landscape.analysis.evaluate import quality_metrics

        quality = quality_metrics(docs, labels, list(topics["keywords"]))

    timer.timings.update({f"embed.{k}": v for k, v in embed_stats.items() if k in ("seconds", "docs_per_s")})
    meta = {
        "name": name or _default_name(sources),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": sources,
        "corpus_hash": corpus_hash(corpus),
        "counts": {
            **{k: v for k, v in result.counts.items()},
            "papers": int(len(documents)),
            "topics": int(len(topics)),
            "unassigned": int((labels == -1).sum()),
            "outlier_share": float((labels == -1).mean()),
            "outlier_share_hdbscan": float(getattr(model, "hdbscan_outlier_share_", float("nan"))),
        },
        "date_range": _date_range(documents),
        "random_state": random_state,
        "embedding_model": model_id,
        "taxonomy": taxonomy_name,
        "parameters": {
            "topic_model": model.params_,
            "fit_sample": None if fit_idx is None else len(fit_idx),
            "layouts_from_cache": list(getattr(model, "layouts_cached_", [])),
            "engine": runner.name,
            "min_abstract_chars": min_abstract_chars,
            "columns": columns or {},
        },
        "quality": quality,
        # the second level: each group's label, size, topics and the evidence for its label
        "groups": model.groups_.to_dict("records"),
        "versions": package_versions(),
        "timings": {},
    }
    land = Landscape(documents, topics, meta, vectors.astype("float32"), model.centroids_, result.rejects)
    meta["timings"] = dict(timer.timings)
    if out_dir is not None:
        with timer.stage("save"):
            land.save(out_dir)
        meta["timings"] = dict(timer.timings)
        land.save(out_dir)  # again, so the record includes the save time
    return land


def _fit_rows(n: int, fit_sample, random_state):
    """Sorted rows to fit the topic model on (a seeded random sample), or None to fit on all."""
    import numpy as np

    if fit_sample == "auto":
        fit_sample = AUTO_FIT_SAMPLE if n > AUTO_FIT_THRESHOLD else None
    if fit_sample is None or n <= fit_sample:
        return None
    return np.sort(np.random.default_rng(random_state).choice(n, fit_sample, replace=False))


def _fit_and_assign(model, docs, vectors, fit_idx, runner, timer):
    """Fit on the sample, then assign and place every other paper; topic sizes and representative
    rows refer to the whole corpus."""
    import numpy as np

    from landscape.model.placement import knn_place

    n = len(docs)
    with timer.stage("topics.fit_sample"):
        model.fit([docs[i] for i in fit_idx], vectors[fit_idx])
    rest = np.setdiff1d(np.arange(n), fit_idx)
    labels = np.full(n, -1, dtype=np.int64)
    labels[fit_idx] = model.labels_
    hdbscan_labels = labels.copy()
    hdbscan_labels[fit_idx] = model.hdbscan_labels_
    coords = np.zeros((n, 2), dtype=np.float32)
    coords[fit_idx] = model.coords_
    with timer.stage("topics.assign_rest"):
        labels[rest] = runner.assign(vectors[rest], model.centroids_, model.assign_threshold_)
        hdbscan_labels[rest] = labels[rest]  # assigned, not clustered
    with timer.stage("topics.place_rest"):
        coords[rest] = knn_place(vectors[rest], vectors[fit_idx], model.coords_)
    topics = model.topics_.copy()
    topics["size"] = np.bincount(labels[labels >= 0], minlength=len(topics))[: len(topics)].astype(np.int64)
    topics["representative_idx"] = [[int(fit_idx[i]) for i in idx] for idx in topics["representative_idx"]]
    return topics, labels, hdbscan_labels, coords


def _match_areas(taxonomy, embedder, model, vectors):
    """Area (name, score) per topic id and an area per paper, "unassigned" where none matches."""
    topic_ids = list(model.topics_["topic"])
    if taxonomy is False:
        return {t: ("unassigned", 0.0) for t in topic_ids}, ["unassigned"] * len(vectors), None
    from landscape.model.taxonomy import assign_areas, load_taxonomy

    tax = taxonomy if hasattr(taxonomy, "areas") else load_taxonomy(taxonomy)
    topic_result, paper_result = assign_areas(
        tax,
        embedder.encode,
        topic_centroids=model.centroids_,
        topics=model.topics_,
        paper_embeddings=vectors,
    )
    return dict(zip(topic_ids, topic_result, strict=True)), [a for a, _ in paper_result], tax.name


def _date_range(documents) -> list:
    dates = documents["date"].dropna()
    if dates.empty:
        return [None, None]
    return [dates.min().date().isoformat(), dates.max().date().isoformat()]


def _default_name(sources) -> str:
    if len(sources) == 1:
        return Path(sources[0]).stem
    return f"{len(sources)} corpora"
