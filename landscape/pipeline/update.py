"""Adding new papers to a saved landscape without rebuilding it: topic ids stay stable.

Steps of :func:`update`:

1. **ingest** the new inputs; papers already in the landscape (same id or normalised title) are
   skipped and reported as rejects ``already in landscape``;
2. **embed** only the new papers (through the embedding cache, on the chosen engine);
3. **assign** each to its nearest saved topic centroid when the cosine similarity reaches the saved
   ``assign_threshold`` (the rule of ``TopicModel.transform``), so existing ids never change;
4. **new topics**: the papers that fit no topic are clustered with HDBSCAN; a cluster becomes a new
   topic (ids continue after the largest existing id) when at least ``min_topic_size`` of its papers
   reach the assignment threshold to its own centroid; it is named with :mod:`landscape.model.naming`
   against a sample of the existing topics (so its words are what sets it apart);
5. **map**: each new paper is placed at the weighted mean position of its most similar existing
   papers (:func:`landscape.model.placement.knn_place`);
6. **areas** for the new papers and new topics (:mod:`landscape.model.taxonomy`);
7. **save**: documents, embeddings, centroids (recomputed for the topics that grew), topic sizes, and
   an entry in ``landscape.json["updates"]`` saying what changed.

Existing papers keep their topic, area and position.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from landscape.errors import LandscapeError

ALREADY_PRESENT = "already in landscape"

# Existing papers used as the contrast when naming new topics (c-TF-IDF needs the other topics).
NAMING_CONTEXT = 5_000

# New topics smaller than this are never proposed, whatever the landscape's own topic size.
MIN_NEW_TOPIC_SIZE = 3
# ... and at most this large a minimum: a new subject starts small.
MAX_NEW_TOPIC_MIN_SIZE = 10


def update(
    directory,
    inputs,
    *,
    columns: dict | None = None,
    min_abstract_chars: int | None = None,
    embeddings=None,
    embedding_model=None,
    cache_dir=None,
    taxonomy=None,
    min_topic_size: int | None = None,
    engine="local",
    address: str | None = None,
    k_neighbors: int = 10,
    log=None,
):
    """Add the papers of ``inputs`` to the landscape saved in ``directory`` and save it again.

    Parameters
    ----------
    directory : a saved landscape directory (``landscape build``)
    inputs : path, list of paths, or a corpus DataFrame with the new papers
    columns, min_abstract_chars : as for ``build`` (default: the landscape's own settings)
    embeddings : precomputed embeddings, one row per kept new paper in ingest order (before papers
        already in the landscape are dropped)
    embedding_model : model for new papers (default: the landscape's model; must be the same one)
    cache_dir : embedding cache directory (None: default location, False: no cache)
    taxonomy : taxonomy YAML path (default: the bundled one when the landscape was built with it);
        ``False`` leaves new papers' areas ``"unassigned"``
    min_topic_size : smallest new topic (default: the landscape's ``min_cluster_size``, capped at 10)
    engine, address : ``"local"`` or ``"ray"`` for embedding and assignment (``pipeline.engine``)
    k_neighbors : existing papers that place a new paper on the map

    Returns ``(landscape, record)``: the updated :class:`~landscape.store.Landscape` and the entry
    appended to ``landscape.json["updates"]``.
    """
    import numpy as np
    import pandas as pd

    from landscape.corpus.ingest import ingest_inputs
    from landscape.embed import embedder as emb_mod
    from landscape.model.placement import knn_place
    from landscape.pipeline.engine import get_engine
    from landscape.store import Landscape

    log = log or (lambda message: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def stage(name, t0):
        timings[name] = round(time.perf_counter() - t0, 3)
        log(f"{name}: {timings[name]:.1f} s")

    t0 = time.perf_counter()
    land = Landscape.load(directory)
    if land.embeddings is None or land.centroids is None:
        raise LandscapeError(
            f"{directory}: the landscape has no embeddings.npy or topic_centroids.npy to update"
        )
    if len(land.embeddings) != len(land.documents) or len(land.centroids) != len(land.topics):
        raise LandscapeError(
            f"{directory}: embeddings or centroids do not match documents/topics; rebuild it"
        )
    params = land.meta.get("parameters", {})
    topic_params = params.get("topic_model", {})
    if "assign_threshold" not in topic_params:
        raise LandscapeError(f"{directory}: landscape.json has no parameters.topic_model.assign_threshold")
    threshold = float(topic_params["assign_threshold"])
    if min_abstract_chars is None:
        min_abstract_chars = int(params.get("min_abstract_chars", 50))
    if columns is None:
        columns = params.get("columns") or None
    min_size = _min_topic_size(min_topic_size, topic_params)
    runner = get_engine(engine, address=address)
    stage("load", t0)

    # 1. ingest, and drop what the landscape already has
    t0 = time.perf_counter()
    result, sources = ingest_inputs(inputs, columns=columns, min_abstract_chars=min_abstract_chars)
    corpus = result.corpus.reset_index(drop=True)
    present = _already_present(land.documents, corpus)
    skipped = _present_rejects(corpus[present], land.documents, sources, inputs, columns)
    stage("ingest", t0)
    log(
        f"{len(corpus)} papers read, {int(present.sum())} already in the landscape, "
        f"{len(result.rejects)} rejected"
    )

    # 2. embed only what is new
    t0 = time.perf_counter()
    model_name = embedding_model or _landscape_model(land.meta)
    embedder = emb_mod.Embedder(model_name, cache_dir=cache_dir)
    new = corpus[~present].reset_index(drop=True)
    embed_stats: dict = {}
    if embeddings is not None:
        vectors = emb_mod.precomputed_embeddings(embeddings, len(corpus))
        vectors = vectors[~present]
    elif len(new):
        texts = [emb_mod.paper_text(t, a) for t, a in zip(new["title"], new["abstract"], strict=True)]
        vectors = runner.embed(embedder, texts)
        embed_stats = dict(getattr(embedder, "last_stats_", {}))
    else:
        vectors = np.zeros((0, land.embeddings.shape[1]), np.float32)
    if len(new) and vectors.shape[1] != land.embeddings.shape[1]:
        raise LandscapeError(
            f"new embeddings have {vectors.shape[1]} dimensions, the landscape's {land.embeddings.shape[1]}: "
            "use the model the landscape was built with"
        )
    vectors = _unit(vectors)
    stage("embed", t0)

    # 3. existing topics, by the saved rule
    t0 = time.perf_counter()
    topics_before = land.topics.copy()
    topic = runner.assign(vectors, land.centroids, threshold) if len(new) else np.zeros(0, np.int64)
    stage("assign", t0)

    # 4. new topics from the leftovers
    t0 = time.perf_counter()
    leftover = np.flatnonzero(topic == -1)
    groups = propose_topics(vectors[leftover], min_size=min_size, threshold=threshold)
    first_id = int(land.topics["topic"].max()) + 1 if len(land.topics) else 0
    n_new = int(groups.max() + 1) if groups.size else 0
    topic[leftover[groups >= 0]] = first_id + groups[groups >= 0]
    new_ids = list(range(first_id, first_id + n_new))
    stage("new_topics", t0)

    t0 = time.perf_counter()
    new_rows = _name_new_topics(land, new, vectors, topic, new_ids, topic_params)
    stage("naming", t0)

    # 5. map positions
    t0 = time.perf_counter()
    xy = (
        knn_place(vectors, land.embeddings, land.documents[["x", "y"]].to_numpy(), k=k_neighbors)
        if len(new)
        else np.zeros((0, 2), np.float32)
    )
    stage("place", t0)

    # 6. areas
    t0 = time.perf_counter()
    paper_area, new_rows = _areas(land.meta, taxonomy, embedder, vectors, topic, new_rows)
    stage("areas", t0)

    # 7. the updated landscape
    t0 = time.perf_counter()
    topics = _updated_topics(topics_before, new_rows, land.documents["topic"], topic)
    label_of = dict(zip(topics["topic"], topics["label"], strict=True))
    group_of = dict(zip(topics["topic"], topics["group"], strict=True))
    group_label_of = dict(zip(topics["topic"], topics["group_label"], strict=True))
    added = new.copy()
    added["topic"] = topic.astype("int64")
    added["topic_hdbscan"] = topic.astype("int64")  # an update has no HDBSCAN run of its own
    added["topic_label"] = [label_of.get(int(t), "unassigned") for t in topic]
    added["area"] = paper_area
    added["group"] = [int(group_of.get(int(t), -1)) for t in topic]
    added["group_label"] = [group_label_of.get(int(t), "unassigned") for t in topic]
    added["x"] = xy[:, 0].astype("float32")
    added["y"] = xy[:, 1].astype("float32")
    n_update = len(land.meta.get("updates", [])) + 1
    documents = land.documents.copy()
    if "update" not in documents.columns:
        documents["update"] = np.zeros(len(documents), dtype="int64")  # 0: the build
    added["update"] = np.full(len(added), n_update, dtype="int64")
    documents = pd.concat(
        [documents, added[[c for c in documents.columns if c in added.columns]]], ignore_index=True
    )
    all_vectors = np.vstack([land.embeddings.astype(np.float32), vectors]) if len(new) else land.embeddings
    changed = set(topic.tolist()) - {-1}
    centroids = _updated_centroids(
        land.centroids, topics, documents["topic"].to_numpy(), all_vectors, changed
    )

    record = _record(
        sources, result, present, new, topic, topics_before, topics, new_ids, timings, embed_stats, runner
    )
    meta = dict(land.meta)
    meta["updates"] = [*land.meta.get("updates", []), record]
    meta["counts"] = _counts(meta.get("counts", {}), documents, topics)
    from landscape.pipeline.build import _date_range, corpus_hash

    meta["corpus_hash"] = corpus_hash(documents)
    meta["date_range"] = _date_range(documents)
    rejects = _merge_rejects(land.rejects, result.rejects, skipped)
    out = Landscape(documents, topics, meta, all_vectors.astype(np.float32), centroids, rejects)
    stage("prepare", t0)
    t0 = time.perf_counter()
    out.save(directory)
    stage("save", t0)
    timings["total"] = round(time.perf_counter() - started, 3)
    record["timings"] = dict(timings)
    out.save(directory)  # again, so the record includes the save time (as build does)
    return out, record


# ---------------------------------------------------------------------- steps
def _min_topic_size(value, topic_params) -> int:
    if value is None:
        saved = int(topic_params.get("min_cluster_size", MAX_NEW_TOPIC_MIN_SIZE))
        return max(MIN_NEW_TOPIC_SIZE, min(saved, MAX_NEW_TOPIC_MIN_SIZE))
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise LandscapeError(f"min_topic_size must be an integer >= 2, got {value!r}")
    return value


def _landscape_model(meta) -> str:
    from landscape.embed.embedder import DEFAULT_MODEL

    model = meta.get("embedding_model")
    if model in (None, "precomputed"):
        # built from precomputed vectors: the default model (the user may name another one)
        return DEFAULT_MODEL
    return model


def _unit(vectors):
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise LandscapeError("new embeddings contain NaN or infinite values")
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _already_present(documents, corpus):
    """Mask of new papers whose id or normalised title is already in the landscape."""
    from landscape.corpus.text import title_keys

    ids = set(documents["id"].astype(str))
    keys = set(title_keys(documents["title"])) - {""}
    new_keys = title_keys(corpus["title"])
    return (corpus["id"].astype(str).isin(ids) | (new_keys.isin(keys) & (new_keys != ""))).to_numpy()


def _present_rejects(dups, documents, sources, inputs, columns):
    """Rejects rows for papers already in the landscape: file, line, field (id or title), reason."""
    import pandas as pd

    from landscape.corpus.text import title_keys

    cols = ["file", "line", "field", "reason", "id", "title", "value"]
    if dups.empty:
        return pd.DataFrame(columns=cols)
    old_id_of_key = dict(zip(title_keys(documents["title"]), documents["id"].astype(str), strict=True))
    ids = set(documents["id"].astype(str))
    where = _input_lines(inputs, columns, dups)
    rows = []
    for (pid, title), key in zip(
        dups[["id", "title"]].itertuples(index=False), title_keys(dups["title"]), strict=True
    ):
        by_id = str(pid) in ids
        file, line = where.get(key, (sources[0] if len(sources) == 1 else "", ""))
        rows.append(
            {
                "file": file,
                "line": line,
                "field": "id" if by_id else "title",
                "reason": ALREADY_PRESENT,
                "id": str(pid),
                "title": title,
                "value": str(pid) if by_id else old_id_of_key.get(key, ""),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _input_lines(inputs, columns, dups) -> dict:
    """``{title key: (file, line)}`` of the skipped papers in the input files (first occurrence)."""
    import pandas as pd

    from landscape.corpus.ingest import read_corpus
    from landscape.corpus.text import title_keys

    if isinstance(inputs, pd.DataFrame):
        return {}
    wanted = set(title_keys(dups["title"]))
    found: dict = {}
    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    for path in paths:
        raw = read_corpus(path, columns=columns)
        if "_line" not in raw.columns:
            continue
        for key, line in zip(title_keys(raw["title"].astype(str)), raw["_line"], strict=True):
            if key in wanted and key not in found:
                found[key] = (str(path), int(line))
    return found


def propose_topics(X, *, min_size: int, threshold: float, rounds: int = 3):
    """New-topic labels (0, 1, …; -1 = none) for unit-norm embeddings that fit no existing topic.

    HDBSCAN on the embeddings (euclidean on unit vectors orders pairs like cosine) finds the cores;
    when it finds none, again with a single cluster allowed (one batch of leftovers may hold one
    subject). Then, as outlier reduction does for the built topics, every leftover paper joins its
    nearest core centroid when the similarity reaches ``threshold`` (the landscape's assignment
    rule), for a few rounds with recomputed centroids; clusters under ``min_size`` papers are
    dropped. Ids by size, largest first.
    """
    import numpy as np

    X = np.asarray(X, dtype=np.float32)
    labels = np.full(len(X), -1, dtype=np.int64)
    if len(X) < min_size:
        return labels
    from hdbscan import HDBSCAN

    for single in (False, True):  # one cluster of everything only when no finer split exists
        labels = HDBSCAN(
            min_cluster_size=min_size,
            min_samples=max(1, min_size // 4),
            allow_single_cluster=single,
            algorithm="generic" if len(X) <= 5_000 else "best",
        ).fit_predict(X.astype(np.float64))
        labels = np.asarray(labels, dtype=np.int64)
        if (labels >= 0).any():
            break
    for _ in range(rounds):
        ids = sorted(set(labels.tolist()) - {-1})
        if not ids:
            break
        centroids = np.stack([X[labels == c].mean(axis=0) for c in ids])
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        sims = X @ centroids.T
        best = sims.argmax(axis=1)
        ok = sims[np.arange(len(X)), best] >= threshold
        labels = np.where(ok, np.asarray(ids)[best], -1)
        sizes = {c: int((labels == c).sum()) for c in ids}
        labels = np.where(np.isin(labels, [c for c in ids if sizes[c] < min_size]), -1, labels)
    ids = sorted(set(labels.tolist()) - {-1}, key=lambda c: (-int((labels == c).sum()), c))
    remap = {c: new for new, c in enumerate(ids)}
    return np.array([remap.get(int(c), -1) for c in labels], dtype=np.int64)


def _name_new_topics(land, new, vectors, topic, new_ids, topic_params):
    """Rows (topic, label, size, keywords, group, group_label, representative_ids) for new topics."""
    import numpy as np
    import pandas as pd

    from landscape.corpus.text import strip_urls
    from landscape.model.naming import TopicNamer

    if not new_ids:
        return pd.DataFrame(
            columns=["topic", "label", "size", "keywords", "group", "group_label", "representative_ids"]
        )
    # contrast: a seeded sample of existing papers with their topics
    docs_old = land.documents
    rng = np.random.default_rng(int(land.meta.get("random_state") or 0))
    context = np.sort(rng.choice(len(docs_old), min(NAMING_CONTEXT, len(docs_old)), replace=False))
    abstracts = docs_old["abstract"] if "abstract" in docs_old.columns else docs_old["title"]
    texts = [strip_urls(f"{docs_old['title'].iat[i]}. {abstracts.iat[i]}") for i in context]
    texts += [strip_urls(f"{t}. {a}") for t, a in zip(new["title"], new["abstract"], strict=True)]
    labels = np.concatenate([docs_old["topic"].to_numpy()[context], topic]).astype(np.int64)
    namer = TopicNamer(
        ngram_range=tuple(topic_params.get("ngram_range", (1, 3))),
        stop_words=topic_params.get("stop_words") or None,
        top_n_words=int(topic_params.get("top_n_words", 10)),
        random_state=int(land.meta.get("random_state") or 0),
    ).fit(texts)
    names = namer.name(labels, new_ids)
    taken = {str(label).lower() for label in land.topics["label"]}
    first_group = int(land.topics["group"].max()) + 1 if len(land.topics) else 0
    rows = []
    for j, t in enumerate(new_ids):
        keywords, label = names[t]
        if label.lower() in taken:  # labels stay unique across old and new topics
            label = next((k for k in keywords if k.lower() not in taken), f"{label} (new)")
        taken.add(label.lower())
        members = np.flatnonzero(topic == t)
        centroid = vectors[members].mean(axis=0)
        sims = vectors[members] @ centroid
        reps = members[np.lexsort((members, -sims))][:5]
        rows.append(
            {
                "topic": t,
                "label": label,
                "size": len(members),
                "keywords": list(keywords),
                # a new subject is its own group until the next full build regroups the topics
                # (a group label never equals a topic's)
                "group": first_group + j,
                "group_label": f"{label} (new group)",
                "representative_ids": [str(new["id"].iat[i]) for i in reps],
            }
        )
    return pd.DataFrame(rows)


def _areas(meta, taxonomy, embedder, vectors, topic, new_rows):
    """Areas of the new papers, and area/area_score columns for the new topic rows."""
    import numpy as np

    from landscape.model.taxonomy import BUNDLED, assign_areas, load_taxonomy

    new_rows = new_rows.copy()
    saved = meta.get("taxonomy")
    if taxonomy is False or (taxonomy is None and saved is None) or len(vectors) == 0:
        new_rows["area"] = ["unassigned"] * len(new_rows)
        new_rows["area_score"] = [0.0] * len(new_rows)
        return ["unassigned"] * len(vectors), new_rows
    tax = taxonomy if hasattr(taxonomy, "areas") else load_taxonomy(taxonomy)
    if taxonomy is None and saved != tax.name:
        raise LandscapeError(
            f"the landscape was built with taxonomy {saved!r}, not the bundled {tax.name!r} "
            f"({BUNDLED.name}): pass the taxonomy YAML it was built with (--taxonomy)"
        )
    centroids = None
    if len(new_rows):
        centroids = np.stack([vectors[topic == t].mean(axis=0) for t in new_rows["topic"]])
    topic_result, paper_result = assign_areas(
        tax,
        embedder.encode,
        topic_centroids=centroids,
        topics=new_rows if len(new_rows) else None,
        paper_embeddings=vectors,
    )
    new_rows["area"] = [a for a, _ in topic_result]
    new_rows["area_score"] = [float(s) for _, s in topic_result]
    return [a for a, _ in paper_result], new_rows


def _updated_topics(before, new_rows, old_topic, new_topic):
    """The topic table with sizes counted again and the new topics appended (same columns)."""
    import numpy as np
    import pandas as pd

    topics = before.copy()
    if len(new_rows):
        topics = pd.concat(
            [topics, new_rows[[c for c in topics.columns if c in new_rows.columns]]], ignore_index=True
        )
    labels = np.concatenate([np.asarray(old_topic, dtype=np.int64), np.asarray(new_topic, dtype=np.int64)])
    counts = pd.Series(labels[labels >= 0]).value_counts()
    topics["size"] = [int(counts.get(int(t), 0)) for t in topics["topic"]]
    topics["topic"] = topics["topic"].astype("int64")
    topics["group"] = topics["group"].astype("int64")
    return topics.reset_index(drop=True)


def _updated_centroids(old, topics, labels, vectors, changed):
    """Centroid per topic row: the normalised mean of its members (as ``TopicModel`` defines it).

    Only the topics in ``changed`` are recomputed; the others keep their saved centroid bit for bit.
    """
    import numpy as np

    out = np.zeros((len(topics), vectors.shape[1]), dtype=np.float32)
    out[: len(old)] = old
    for row, t in enumerate(topics["topic"]):
        if int(t) not in changed:
            continue
        mean = vectors[labels == t].mean(axis=0)
        out[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def _record(sources, result, present, new, topic, before, after, new_ids, timings, embed_stats, runner):
    """The entry of ``landscape.json["updates"]``: what this update changed."""
    import numpy as np

    assigned = {}
    for t in sorted(set(topic.tolist()) - {-1}):
        assigned[str(t)] = int((topic == t).sum())
    size_before = dict(zip(before["topic"].astype(int), before["size"].astype(int), strict=True))
    rows = after.set_index("topic")
    grown = [
        {
            "topic": int(t),
            "label": str(rows.at[t, "label"]),
            "before": size_before[int(t)],
            "after": int(rows.at[t, "size"]),
            "added": int(assigned[str(t)]),
            "growth": round(int(assigned[str(t)]) / max(size_before[int(t)], 1), 4),
        }
        for t in sorted(size_before, key=lambda t: (-assigned.get(str(t), 0), t))
        if assigned.get(str(t), 0)
    ]
    new_topics = [
        {
            "topic": int(t),
            "label": str(rows.at[t, "label"]),
            "size": int(rows.at[t, "size"]),
            "keywords": list(rows.at[t, "keywords"]),
            "area": str(rows.at[t, "area"]),
        }
        for t in new_ids
    ]
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": sources,
        "read": int(result.counts.get("read", len(result.corpus))),
        "rejected": int(len(result.rejects)),
        "skipped": int(np.asarray(present).sum()),
        "added": int(len(new)),
        "assigned_existing": int(((topic >= 0) & (topic < (new_ids[0] if new_ids else np.inf))).sum()),
        "assigned_new": int(np.isin(topic, new_ids).sum()),
        "unassigned": int((topic == -1).sum()),
        "assigned": assigned,
        "new_topics": new_topics,
        "grown": grown,
        "embedding": {k: v for k, v in embed_stats.items() if k in ("n_cached", "n_encoded", "docs_per_s")},
        "engine": runner.name,
        "timings": dict(timings),
    }


def _counts(old: dict, documents, topics) -> dict:
    counts = dict(old)
    labels = documents["topic"].to_numpy()
    counts["papers"] = int(len(documents))
    counts["topics"] = int(len(topics))
    counts["unassigned"] = int((labels == -1).sum())
    counts["outlier_share"] = float((labels == -1).mean()) if len(labels) else 0.0
    return counts


def _merge_rejects(old, ingest_rejects, skipped):
    """The landscape's rejects with this update's appended (the build's columns first)."""
    import pandas as pd

    parts = [p for p in (old, ingest_rejects, skipped) if p is not None and len(p)]
    if not parts:
        return old if old is not None else ingest_rejects
    return pd.concat([p.astype(str) for p in parts], ignore_index=True).fillna("")
