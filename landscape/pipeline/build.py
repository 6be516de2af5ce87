"""The whole pipeline: inputs → ingest → embeddings → topics → areas → a saved `Landscape`.

The stages it shares with ``update`` live in :mod:`landscape.pipeline.stages`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from landscape import locations
from landscape.embed.embedder import DEFAULT_MODEL, precomputed_embeddings
from landscape.errors import LandscapeError
from landscape.model.hierarchy import document_groups, nearest_groups
from landscape.model.placement import knn_place
from landscape.progress import StageTimer
from landscape.schema import DEFAULT_RANDOM_STATE, MIN_ABSTRACT_CHARS, UNASSIGNED_TOPIC

# Larger corpora are fitted on a seeded random sample and the rest assigned (``fit_sample="auto"``):
# past about 150,000 papers UMAP's time and memory grow faster than the gain from more papers
# (measured cost on the dev corpus: docs/ARCHITECTURE.md, "Large corpora").
AUTO_FIT_THRESHOLD = 150_000
AUTO_FIT_SAMPLE = 100_000


def build(
    inputs,
    out_dir=None,
    *,
    random_state: int = DEFAULT_RANDOM_STATE,
    taxonomy=None,
    embedding_model: str = DEFAULT_MODEL,
    embeddings=None,
    cache_dir=None,
    columns: dict | None = None,
    min_abstract_chars: int = MIN_ABSTRACT_CHARS,
    topic_params: dict | None = None,
    name: str | None = None,
    log=None,
    engine="local",
    address: str | None = None,
    fit_sample: int | str | None = "auto",
    like=None,
    curation=None,
    device: str = "auto",
    quiet: bool = False,
    namer=None,
):
    """Build a topic landscape from corpus files (or an ingested corpus DataFrame).

    Parameters
    ----------
    inputs : path, list of paths, or a corpus DataFrame (``landscape.schema`` columns)
    out_dir : where to save the landscape directory (not saved when None)
    random_state : seed reaching every stochastic step (UMAP, clustering, map layout)
    taxonomy : a taxonomy YAML path, a ``Taxonomy``, or None for the bundled AI/ML taxonomy;
        ``False`` skips area matching. The taxonomy is saved inside the landscape.
    embedding_model : sentence-transformers model name or local path (default: bundled MiniLM)
    embeddings : precomputed embeddings (array, or a .npy/.parquet/.safetensors path), one row per
        kept paper in corpus order, taken to come from ``embedding_model`` (which matches them to
        research areas: vectors of another width fail before any work)
    cache_dir : cache directory for embeddings, and UMAP layouts in its ``layouts/`` folder (None:
        default location, False: no cache); with both cached a rebuild only re-clusters
    topic_params : extra ``TopicModel`` arguments
    engine, address : ``"local"`` or ``"ray"`` (with a cluster address) for embedding and for assigning
        papers outside the fitting sample (``landscape.pipeline.engine``)
    fit_sample : when the corpus has more papers than this, the topic model is fitted on a seeded
        random sample of this size and the other papers are assigned to its topics (nearest
        centroid rule) and placed on the map by their nearest sampled papers; None: fit on all;
        ``"auto"``: a sample of ``AUTO_FIT_SAMPLE`` papers for corpora over ``AUTO_FIT_THRESHOLD``
    like : an earlier landscape (or its directory) whose topic ids and labels are kept where topics
        match by content (:mod:`landscape.pipeline.like`); read before any work
    curation : a ``curation.yaml`` path (or ``Curation``) to apply to the new topics; by default
        the one in ``out_dir`` (a rebuild keeps its curation), else the one of ``like``; ``False``:
        none (:mod:`landscape.pipeline.curation`); read before any work
    device : where the local engine embeds: ``"auto"`` (the GPU where torch sees one, else the CPU),
        ``"cpu"``, ``"cuda"``; the topic model's ``accelerator`` (cuML or CPU) is separate
    log : where progress lines go (default: stderr); they also go to the ``landscape`` logger
    quiet : no progress lines or bars on stderr (the ``landscape`` logger still gets the lines)
    namer : optional namer of topics and groups after the offline names: a callable (topic evidence
        -> name) or the http(s) URL of an OpenAI-compatible chat server
        (:mod:`landscape.model.outside_namer`); a failing one leaves the offline names, with a warning

    The landscape records the embedding model and width (``embedding_model``, ``embedding_dim``)
    so that ``update`` embeds new papers alike.
    """
    import numpy as np

    from landscape.analysis.evaluate import quality_metrics
    from landscape.corpus.ingest import ingest_inputs
    from landscape.model.topics import TopicModel, topic_texts
    from landscape.pipeline import stages
    from landscape.pipeline.engine import get_engine
    from landscape.store import Landscape

    timer = StageTimer(quiet=quiet, log=log)
    runner = get_engine(engine, address=address)
    if like is not None and not hasattr(like, "documents"):
        like = Landscape.load(like)  # a bad --like fails before any work
    from landscape.pipeline.curation import curation_for_build

    no_curation = curation is False
    curation = curation_for_build(curation, out_dir, like)  # a bad curation file, too
    if fit_sample not in (None, "auto") and (
        isinstance(fit_sample, bool) or not isinstance(fit_sample, int) or fit_sample < 10
    ):
        raise LandscapeError(f"fit_sample must be an integer >= 10, 'auto' or None, got {fit_sample!r}")
    tax = stages.taxonomy_for_build(taxonomy)
    embedder = stages.embedder_for(embedding_model, cache_dir, device)
    precomputed = None
    if embeddings is not None:
        precomputed = precomputed_embeddings(embeddings)
        if tax is not None:
            stages.check_width(
                precomputed.shape[1],
                embedder.dim,
                "the precomputed embeddings",
                f"the model {embedder.model_id} that matches them to research areas "
                "(pass the model that made them, or no taxonomy)",
            )

    with timer.stage("ingest"):
        result, sources = ingest_inputs(inputs, columns=columns, min_abstract_chars=min_abstract_chars)
        corpus = result.corpus.reset_index(drop=True)
    if len(corpus) < 10:
        raise LandscapeError(f"{len(corpus)} usable papers: a landscape needs at least 10")
    timer.say(f"{len(corpus)} papers kept, {len(result.rejects)} rejected")

    with timer.stage("embed"):
        if precomputed is None:
            vectors, embed_stats = stages.embed_papers(corpus, embedder, runner, progress=not quiet)
            model_id = embedder.model_id
        else:
            vectors, embed_stats = stages.check_rows(precomputed, len(corpus)), {}
            # without a taxonomy nothing vouched for the model that made them
            model_id = embedder.model_id if tax is not None else stages.UNKNOWN_MODEL

    with timer.stage("topics"):
        docs = topic_texts(corpus)
        layouts = (
            None
            if cache_dir is False
            else Path(cache_dir) / "layouts"
            if cache_dir
            else locations.cache_dir("layouts")
        )
        model = TopicModel(
            random_state=random_state,
            **{"layout_cache": layouts, "verbose": not quiet, **(topic_params or {})},
            namer=namer,
        )
        fit_idx = _fit_rows(len(docs), fit_sample, random_state)
        if fit_idx is None:
            model.fit(docs, vectors)
    timer.add(getattr(model, "timings_", {}), "topics.")
    if fit_idx is None:
        topics = model.topics_.copy()
        labels = np.asarray(model.labels_)
        hdbscan_labels = np.asarray(model.hdbscan_labels_)
        groups = np.asarray(model.group_labels_)
        coords = model.coords_
    else:
        topics, labels, hdbscan_labels, groups, coords = _fit_and_assign(
            model, docs, vectors, fit_idx, runner, timer
        )

    with timer.stage("areas"):
        topic_areas, paper_areas = stages.match_areas(
            tax,
            embedder.encode,
            topic_centroids=model.centroids_,
            topics=model.topics_,
            paper_vectors=vectors,
        )
    stages.set_topic_areas(topics, topic_areas)
    topics["representative_ids"] = [
        [str(corpus["id"].iat[i]) for i in idx] for idx in topics.pop("representative_idx")
    ]
    documents = stages.documents_table(corpus, labels, hdbscan_labels, topics, paper_areas, coords, groups)

    with timer.stage("evaluate"):
        quality = quality_metrics(docs, labels, list(topics["keywords"]))

    timer.add({k: v for k, v in embed_stats.items() if k in ("seconds", "docs_per_s")}, "embed.")
    meta = {
        "name": name or stages.default_name(sources),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": sources,
        "corpus_hash": stages.corpus_hash(corpus),
        "counts": {
            **stages.counts(labels, len(topics), result.counts),
            "outlier_share_hdbscan": float(getattr(model, "hdbscan_outlier_share_", float("nan"))),
        },
        "date_range": stages.date_range(documents),
        "random_state": random_state,
        **stages.embedding_record(model_id, vectors.shape[1], embed_stats.get("precision")),
        **stages.taxonomy_meta(tax),
        "parameters": {
            "topic_model": model.params_,
            "fit_sample": None if fit_idx is None else len(fit_idx),
            "layouts_from_cache": list(getattr(model, "layouts_cached_", [])),
            "engine": runner.name,
            "device": embedder.device,
            "min_abstract_chars": min_abstract_chars,
            "columns": columns or {},
        },
        "quality": quality,
        # the second level: each group's label, size, topics and the evidence for its label
        "groups": model.groups_.to_dict("records"),
        "versions": stages.package_versions(),
        "timings": dict(timer.timings),
    }
    if getattr(model, "naming_", None):
        meta["naming"] = model.naming_
    land = Landscape(documents, topics, meta, vectors.astype("float32"), model.centroids_, result.rejects)
    if like is not None:
        from landscape.pipeline.like import keep_identities

        land = keep_identities(land, like)
        meta = land.meta
    if curation:
        from landscape.pipeline.curation import apply_curation

        with timer.stage("curation"):
            land, record = apply_curation(land, curation, mode="build")
        meta = land.meta
        timer.say(f"curation: {len(record['applied'])} edits applied, {len(record['unmatched'])} not matched")
    elif no_curation:
        land.curation = ""  # built without curation: the directory's curation.yaml is not kept
    if out_dir is not None:
        stages.save(land, out_dir, timer, lambda timings: meta.update(timings=timings))
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

    n = len(docs)
    with timer.stage("topics.fit_sample"):
        model.fit([docs[i] for i in fit_idx], vectors[fit_idx])
    rest = np.setdiff1d(np.arange(n), fit_idx)
    labels = np.full(n, UNASSIGNED_TOPIC, dtype=np.int64)
    labels[fit_idx] = model.labels_
    hdbscan_labels = labels.copy()
    hdbscan_labels[fit_idx] = model.hdbscan_labels_
    coords = np.zeros((n, 2), dtype=np.float32)
    coords[fit_idx] = model.coords_
    with timer.stage("topics.assign_rest"):
        labels[rest] = runner.assign(vectors[rest], model.centroids_, model.assign_threshold_)
        hdbscan_labels[rest] = labels[rest]  # assigned, not clustered
        topic_group = model.topics_["group"].to_numpy()
        groups = np.full(n, UNASSIGNED_TOPIC, dtype=np.int64)
        groups[fit_idx] = model.group_labels_
        own = nearest_groups(vectors[rest], model.centroids_, topic_group)
        groups[rest] = document_groups(labels[rest], np.arange(len(topic_group)), topic_group, own)
    with timer.stage("topics.place_rest"):
        coords[rest] = knn_place(vectors[rest], vectors[fit_idx], model.coords_)
    topics = model.topics_.copy()
    assigned = labels[labels != UNASSIGNED_TOPIC]
    topics["size"] = np.bincount(assigned, minlength=len(topics))[: len(topics)].astype(np.int64)
    topics["representative_idx"] = [[int(fit_idx[i]) for i in idx] for idx in topics["representative_idx"]]
    return topics, labels, hdbscan_labels, groups, coords
