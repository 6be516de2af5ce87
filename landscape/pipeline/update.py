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
   against a sample of the existing topics (so its words are what sets it apart) and placed in the
   group of its nearest existing topic;
5. **outlier reduction**, as the build does it (``landscape.model.topics.reduce_outliers``): the
   papers still unassigned join their nearest topic (old or new) in order of decreasing similarity
   until at most the build's ``outlier_target`` of the new papers is left, none below the build's
   ``min_similarity``. Without it the newest papers, a little further from the topics than the
   build's own, were left unassigned 3-4 times as often as the build's (22% against 5% for 300
   new papers on 2,680 dev papers). A new paper still unassigned is in the group of its nearest
   topic (``hierarchy.document_groups``: every paper has a group);
6. **map**: each new paper is placed at the weighted mean position of its most similar existing
   papers (:func:`landscape.model.placement.knn_place`);
7. **areas** for the new papers and new topics (:mod:`landscape.model.taxonomy`);
8. **save**: documents, embeddings, centroids (recomputed for the topics that grew), topic sizes, the
   quality panel (``landscape.json["quality"]``, recomputed on all papers), and an entry in
   ``landscape.json["updates"]`` saying what changed.

Existing papers keep their topic, area and position.

**Drift.** An update never moves old papers, so the map slowly drifts from what a rebuild would
give. Each update record says ``rebuild_due`` (with ``rebuild_reasons``) when the papers added since
the last full build reach ``REBUILD_ADDED_SHARE`` of the papers the build had, or when the
landscape's unassigned share is more than ``REBUILD_UNASSIGNED_DRIFT`` above the build's;
``landscape update`` prints it and ``landscape refresh`` rebuilds (``build --like``, keeping topic
ids and names where topics match).
"""

from __future__ import annotations

from datetime import UTC, datetime

from landscape.errors import LandscapeError
from landscape.model.geometry import best_match, centroids, representatives, unit_rows
from landscape.model.hierarchy import document_groups, nearest_groups
from landscape.model.placement import PLACEMENT_NEIGHBOURS, knn_place
from landscape.model.topics import MIN_SIMILARITY, TopicModel
from landscape.pipeline.stages import NAMING_CONTEXT
from landscape.progress import StageTimer
from landscape.schema import (
    DEFAULT_RANDOM_STATE,
    GROUP_COLUMNS,
    LABEL_EVIDENCE_COLUMNS,
    MIN_ABSTRACT_CHARS,
    UNASSIGNED_TOPIC,
)

ALREADY_PRESENT = "already in landscape"


# A rebuild is due when the papers added since the last full build reach this share of the build's
# papers (new subjects past this grow inside old topics rather than reshaping them) ...
REBUILD_ADDED_SHARE = 0.25
# ... or when the unassigned share rose this much above the build's (points of share).
REBUILD_UNASSIGNED_DRIFT = 0.03

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
    k_neighbors: int = PLACEMENT_NEIGHBOURS,
    device: str = "auto",
    log=None,
    quiet: bool = False,
    namer=None,
):
    """Add the papers of ``inputs`` to the landscape saved in ``directory`` and save it again.

    Parameters
    ----------
    directory : a saved landscape directory (``landscape build``)
    inputs : path, list of paths, or a corpus DataFrame with the new papers
    columns, min_abstract_chars : as for ``build`` (default: the landscape's own settings)
    embeddings : precomputed embeddings, one row per kept new paper in ingest order (before papers
        already in the landscape are dropped); they must have the landscape's width
    embedding_model : model for new papers (default: the landscape's model; another one is refused)
    cache_dir : embedding cache directory (None: default location, False: no cache)
    taxonomy : taxonomy YAML path or ``Taxonomy`` (default: the one saved inside the landscape);
        ``False`` leaves new papers' areas ``"unassigned"``
    min_topic_size : smallest new topic (default: the landscape's ``min_cluster_size``, capped at 10)
    engine, address : ``"local"`` or ``"ray"`` for embedding and assignment (``pipeline.engine``)
    k_neighbors : existing papers that place a new paper on the map
    device : where the local engine embeds (as for ``build``)
    log, quiet : as for ``build``: where progress lines go, or none
    namer : as for ``build``: an optional namer of the new topics (recorded under ``naming``)

    A model or precomputed vectors that do not match the landscape's embeddings (its recorded
    ``embedding_model`` and ``embedding_dim``) are refused before any work.

    Returns ``(landscape, record)``: the updated :class:`~landscape.store.Landscape` and the entry
    appended to ``landscape.json["updates"]``.
    """
    import time

    import numpy as np
    import pandas as pd

    from landscape.corpus.ingest import ingest_inputs
    from landscape.embed.embedder import precomputed_embeddings
    from landscape.pipeline import stages
    from landscape.pipeline.engine import get_engine
    from landscape.store import Landscape

    started = time.perf_counter()
    timer = StageTimer(quiet=quiet, log=log)
    with timer.stage("load"):
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
            raise LandscapeError(
                f"{directory}: landscape.json has no parameters.topic_model.assign_threshold"
            )
        threshold = float(topic_params["assign_threshold"])
        if min_abstract_chars is None:
            min_abstract_chars = int(params.get("min_abstract_chars", MIN_ABSTRACT_CHARS))
        if columns is None:
            columns = params.get("columns") or None
        min_size = _min_topic_size(min_topic_size, topic_params)
        runner = get_engine(engine, address=address)
        tax = stages.taxonomy_for_update(land.meta, taxonomy)
        # the embedding space must be the landscape's: checked before any work
        _, dim = stages.saved_embedding(land)
        precomputed = None if embeddings is None else precomputed_embeddings(embeddings)
        if precomputed is not None:
            stages.check_width(precomputed.shape[1], dim, "the precomputed embeddings", "the landscape")
        needs_model = precomputed is None or tax is not None
        embedder = _embedder(land, embedding_model, cache_dir, device) if needs_model else None

    # 1. ingest, and drop what the landscape already has
    with timer.stage("ingest"):
        result, sources = ingest_inputs(inputs, columns=columns, min_abstract_chars=min_abstract_chars)
        corpus = result.corpus.reset_index(drop=True)
        present = already_present(land.documents, corpus)
        skipped = _present_rejects(corpus[present], land.documents, result.provenance, present)
    timer.say(
        f"{len(corpus)} papers read, {int(present.sum())} already in the landscape, "
        f"{len(result.rejects)} rejected"
    )

    # 2. embed only what is new
    new = corpus[~present].reset_index(drop=True)
    embed_stats: dict = {}
    with timer.stage("embed"):
        if precomputed is not None:
            vectors = stages.check_rows(precomputed, len(corpus))[~present]
        elif len(new):
            vectors, embed_stats = stages.embed_papers(new, embedder, runner, progress=not quiet)
        else:
            vectors = np.zeros((0, dim), np.float32)
        vectors = unit_rows(vectors, what="new embeddings", finite=True)

    # 3. existing topics, by the saved rule
    topics_before = land.topics.copy()
    with timer.stage("assign"):
        row = runner.assign(vectors, land.centroids, threshold) if len(new) else np.zeros(0, np.int64)
        # the nearest centroid's row, as a topic id (ids need not be 0..n-1: merged, --like)
        ids = land.topics["topic"].to_numpy(np.int64)
        topic = (
            np.where(row == UNASSIGNED_TOPIC, UNASSIGNED_TOPIC, ids[np.maximum(row, 0)]) if len(ids) else row
        )

    # 4. new topics from the leftovers
    with timer.stage("new_topics"):
        leftover = np.flatnonzero(topic == UNASSIGNED_TOPIC)
        groups = propose_topics(vectors[leftover], min_size=min_size, threshold=threshold)
        first_id = int(land.topics["topic"].max()) + 1 if len(land.topics) else 0
        n_new = int(groups.max() + 1) if groups.size else 0
        grouped = groups != UNASSIGNED_TOPIC
        topic[leftover[grouped]] = first_id + groups[grouped]
        new_ids = list(range(first_id, first_id + n_new))

    with timer.stage("outliers"):
        all_centroids = (
            np.vstack([land.centroids, centroids(vectors, topic, new_ids)]) if new_ids else land.centroids
        )
        all_ids = np.concatenate([land.topics["topic"].to_numpy(np.int64), np.asarray(new_ids, np.int64)])
        topic = reduce_new_outliers(
            vectors,
            topic,
            all_centroids,
            all_ids,
            target=float(topic_params.get("outlier_target", TopicModel().outlier_target)),
            min_similarity=float(topic_params.get("min_similarity", MIN_SIMILARITY)),
        )

    with timer.stage("naming"):
        new_rows, naming = _name_new_topics(land, new, vectors, topic, new_ids, topic_params, namer)

    # 5. map positions
    with timer.stage("place"):
        xy = (
            knn_place(vectors, land.embeddings, land.documents[["x", "y"]].to_numpy(), k=k_neighbors)
            if len(new)
            else np.zeros((0, 2), np.float32)
        )

    # 6. areas
    with timer.stage("areas"):
        topic_areas, paper_area = stages.match_areas(
            tax,
            embedder.encode if embedder is not None else None,
            topic_centroids=centroids(vectors, topic, new_rows["topic"].tolist()),
            topics=new_rows,
            paper_vectors=vectors,
        )
        stages.set_topic_areas(new_rows, topic_areas)

    # 7. the updated landscape
    with timer.stage("prepare"):
        topics = _updated_topics(topics_before, new_rows, land.documents["topic"], topic)
        # an update has no HDBSCAN run of its own: topic_hdbscan is the assigned topic
        # a new paper no topic takes is in the group of its nearest topic (old or new)
        group_of = dict(zip(topics["topic"].astype(int), topics["group"].astype(int), strict=True))
        all_groups = [group_of[int(t)] for t in all_ids]
        own = nearest_groups(vectors, all_centroids, all_groups)
        paper_group = document_groups(topic, all_ids, all_groups, own)
        added = stages.documents_table(new, topic, topic, topics, paper_area, xy, paper_group)
        n_update = len(land.meta.get("updates", [])) + 1
        documents = land.documents.copy()
        if "update" not in documents.columns:
            documents["update"] = np.zeros(len(documents), dtype="int64")  # 0: the build
        added["update"] = np.full(len(added), n_update, dtype="int64")
        documents = pd.concat(
            [documents, added[[c for c in documents.columns if c in added.columns]]], ignore_index=True
        )
        all_vectors = (
            np.vstack([land.embeddings.astype(np.float32), vectors]) if len(new) else land.embeddings
        )
        changed = set(topic.tolist()) - {UNASSIGNED_TOPIC}
        new_centroids = _updated_centroids(
            land.centroids, topics, documents["topic"].to_numpy(), all_vectors, changed
        )
        record = _record(
            sources, result, present, new, topic, topics_before, topics, new_ids, embed_stats, runner
        )
        meta = dict(land.meta)
        if naming:
            record["naming"] = naming
        meta["updates"] = [*land.meta.get("updates", []), record]
        meta["counts"] = stages.counts(documents["topic"], len(topics), meta.get("counts", {}))
        record.update(drift(documents))
    with timer.stage("evaluate"):
        meta["quality"] = _quality(documents, topics)
        meta["corpus_hash"] = stages.corpus_hash(documents)
        meta["date_range"] = stages.date_range(documents)
        rejects = _merge_rejects(land.rejects, result.rejects, skipped)
        out = Landscape(documents, topics, meta, all_vectors.astype(np.float32), new_centroids, rejects)
    if land.curation:
        from landscape.pipeline.curation import reapply

        with timer.stage("curation"):
            out.path, out.curation = land.path, land.curation
            out = reapply(out, "update")  # edits made since may now match; names stay curated
            meta = out.meta

    def put_timings(timings):
        record["timings"] = {**timings, "total": round(time.perf_counter() - started, 3)}

    stages.save(out, directory, timer, put_timings)
    return out, record


# ---------------------------------------------------------------------- steps
def _min_topic_size(value, topic_params) -> int:
    if value is None:
        saved = int(topic_params.get("min_cluster_size", MAX_NEW_TOPIC_MIN_SIZE))
        return max(MIN_NEW_TOPIC_SIZE, min(saved, MAX_NEW_TOPIC_MIN_SIZE))
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise LandscapeError(f"min_topic_size must be an integer >= 2, got {value!r}")
    return value


def _embedder(land, embedding_model, cache_dir, device):
    """The landscape's own embedding model, checked: another model, or one of another width, is
    refused (new papers must land in the same vector space as the old ones)."""
    from landscape.embed.embedder import DEFAULT_MODEL
    from landscape.pipeline import stages

    saved, dim = stages.saved_embedding(land)
    if saved in (None, stages.UNKNOWN_MODEL) and "embedding_dim" not in land.meta:
        saved = DEFAULT_MODEL  # landscapes from before the model was recorded used the default
    if saved in (None, stages.UNKNOWN_MODEL) and embedding_model is None:
        raise LandscapeError(
            "the landscape was built from precomputed embeddings of an unnamed model: give the new "
            "papers' embeddings (--embeddings) or the model that made them (--model)"
        )
    embedder = stages.embedder_for(embedding_model or saved, cache_dir, device)
    if saved not in (None, stages.UNKNOWN_MODEL) and embedder.model_id != _model_id(saved):
        raise LandscapeError(
            f"the landscape's embeddings come from {saved}; new papers must be embedded with the same "
            f"model, not {embedder.model_id} (omit --model, or rebuild the landscape)"
        )
    stages.check_width(embedder.dim, dim, f"embeddings of the model {embedder.model_id}", "the landscape")
    return embedder


def _model_id(model) -> str:
    """The stable id of a model name (``all-MiniLM-L6-v2`` and its hub id are the same model)."""
    from landscape.embed.embedder import Embedder

    try:
        return Embedder(model).model_id
    except LandscapeError:
        return str(model)  # a recorded model not on this machine: compared by its name


def already_present(documents, corpus):
    """Mask of new papers whose id or normalised title is already in the landscape."""
    from landscape.corpus.text import title_keys

    ids = set(documents["id"].astype(str))
    keys = set(title_keys(documents["title"])) - {""}
    new_keys = title_keys(corpus["title"])
    return (corpus["id"].astype(str).isin(ids) | (new_keys.isin(keys) & (new_keys != ""))).to_numpy()


def _present_rejects(dups, documents, provenance, present):
    """Rejects rows for papers already in the landscape: file, line (where ingest read them), field
    (id or title), reason."""
    import pandas as pd

    from landscape.corpus.text import title_keys

    cols = ["file", "line", "field", "reason", "id", "title", "value"]
    if dups.empty:
        return pd.DataFrame(columns=cols)
    old_id_of_key = dict(zip(title_keys(documents["title"]), documents["id"].astype(str), strict=True))
    ids = set(documents["id"].astype(str))
    where = provenance[present] if provenance is not None else pd.DataFrame({"file": [""] * len(dups)})
    lines = where["line"].tolist() if "line" in where.columns else [""] * len(dups)
    rows = []
    for (pid, title), key, file, line in zip(
        dups[["id", "title"]].itertuples(index=False),
        title_keys(dups["title"]),
        where["file"].tolist(),
        lines,
        strict=True,
    ):
        by_id = str(pid) in ids
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

    from landscape.model.topics import default_min_samples

    X = np.asarray(X, dtype=np.float32)
    labels = np.full(len(X), UNASSIGNED_TOPIC, dtype=np.int64)
    if len(X) < min_size:
        return labels
    from hdbscan import HDBSCAN

    for single in (False, True):  # one cluster of everything only when no finer split exists
        labels = HDBSCAN(
            min_cluster_size=min_size,
            min_samples=default_min_samples(min_size),
            allow_single_cluster=single,
            algorithm="generic" if len(X) <= 5_000 else "best",
        ).fit_predict(X.astype(np.float64))
        labels = np.asarray(labels, dtype=np.int64)
        if (labels != UNASSIGNED_TOPIC).any():
            break
    for _ in range(rounds):
        ids = sorted(set(labels.tolist()) - {UNASSIGNED_TOPIC})
        if not ids:
            break
        best, score = best_match(X, centroids(X, labels, ids))
        labels = np.where(score >= threshold, np.asarray(ids)[best], UNASSIGNED_TOPIC)
        sizes = {c: int((labels == c).sum()) for c in ids}
        small = [c for c in ids if sizes[c] < min_size]
        labels = np.where(np.isin(labels, small), UNASSIGNED_TOPIC, labels)
    ids = sorted(set(labels.tolist()) - {UNASSIGNED_TOPIC}, key=lambda c: (-int((labels == c).sum()), c))
    remap = {c: new for new, c in enumerate(ids)}
    return np.array([remap.get(int(c), UNASSIGNED_TOPIC) for c in labels], dtype=np.int64)


def _name_new_topics(land, new, vectors, topic, new_ids, topic_params, outside=None):
    """Rows (topic, label, size, keywords, group, group_label, representative_ids) for new topics,
    and the record of ``outside`` (a namer, :mod:`landscape.model.outside_namer`) or None."""
    import numpy as np
    import pandas as pd

    from landscape.model.topics import topic_namer, topic_texts

    if not new_ids:
        columns = ["topic", "label", "size", "keywords", *LABEL_EVIDENCE_COLUMNS, *GROUP_COLUMNS]
        return pd.DataFrame(columns=[*columns, "representative_ids"]), None
    # contrast: a seeded sample of existing papers with their topics
    docs_old = land.documents
    seed = int(land.random_state if land.random_state is not None else DEFAULT_RANDOM_STATE)
    rng = np.random.default_rng(seed)
    context = np.sort(rng.choice(len(docs_old), min(NAMING_CONTEXT, len(docs_old)), replace=False))
    texts = topic_texts(docs_old.iloc[context]) + topic_texts(new)
    labels = np.concatenate([docs_old["topic"].to_numpy()[context], topic]).astype(np.int64)
    namer = topic_namer({"random_state": seed, **topic_params}).fit(texts)
    taken = {str(label).lower() for label in land.topics["label"]}
    names = namer.describe(labels, new_ids, exclude=taken)
    naming = None
    if outside is not None:
        from landscape.model.outside_namer import describe_namer, finish, rename, resolve_namer

        outside = resolve_namer(outside)
        state = {"namer": describe_namer(outside)}
        renamed = rename(
            names,
            outside,
            classes=labels,
            docs=namer.docs_,
            presence=namer.word_presence(),
            level="topic",
            taken=set(taken) | {n.label.lower() for n in names.values()},
            state=state,
        )
        names = names if state.get("failed") else renamed
        naming = finish(state)
    first_group = int(land.topics["group"].max()) + 1 if len(land.topics) else 0
    rows = []
    for j, t in enumerate(new_ids):
        name = names[t]
        label = name.label
        if label.lower() in taken:  # labels stay unique across old and new topics
            label = next((k for k in name.keywords if k.lower() not in taken), f"{label} (new)")
        taken.add(label.lower())
        members = np.flatnonzero(topic == t)
        reps = representatives(vectors, members, centroids(vectors, topic, [t])[0])
        rows.append(
            {
                "topic": t,
                "label": label,
                "size": len(members),
                "keywords": list(name.keywords),
                "keyword_weights": list(name.weights),
                "label_support": float(name.support),
                "label_lift": float(name.lift),
                # the group of its nearest existing topic; its own when there is none
                **_group(land, vectors[members], first_group + j, label),
                "representative_ids": [str(new["id"].iat[i]) for i in reps],
            }
        )
    return pd.DataFrame(rows), naming


def _group(land, member_vectors, own_id: int, own_label: str) -> dict:
    """``group`` and ``group_label`` of a new topic: those of the existing topic nearest its centroid
    (its own group when there is none; a group label never equals a topic's)."""
    import numpy as np

    if not len(land.topics):
        return {"group": own_id, "group_label": f"{own_label} (new group)"}
    centre = centroids(member_vectors, np.zeros(len(member_vectors), np.int64), [0])
    row = int(best_match(centre, land.centroids)[0][0])
    nearest = land.topics.iloc[row]
    return {"group": int(nearest["group"]), "group_label": str(nearest.get("group_label", own_label))}


def reduce_new_outliers(X, topic, topic_centroids, topic_ids, *, target: float, min_similarity: float):
    """The build's outlier reduction (:func:`landscape.model.topics.reduce_outliers`) for new papers,
    against fixed centroids: unassigned papers join their nearest topic in order of decreasing
    similarity until at most ``target`` of the papers are unassigned; none below ``min_similarity``."""
    import numpy as np

    topic = np.asarray(topic, dtype=np.int64).copy()
    outliers = np.flatnonzero(topic == UNASSIGNED_TOPIC)
    need = len(outliers) - int(np.floor(target * len(topic) + 1e-9))
    if need <= 0 or not len(topic_centroids):
        return topic
    best, score = best_match(X[outliers], topic_centroids)
    order = np.lexsort((outliers, -score))
    order = order[score[order] >= min_similarity][:need]
    topic[outliers[order]] = np.asarray(topic_ids, dtype=np.int64)[best[order]]
    return topic


def drift(documents) -> dict:
    """How far the landscape has moved from its last full build: papers added since (``update`` > 0)
    and the unassigned share now and at the build; ``rebuild_due`` with its reasons."""
    import numpy as np

    update_no = documents["update"].to_numpy() if "update" in documents.columns else np.zeros(len(documents))
    built = update_no == 0
    unassigned = documents["topic"].to_numpy() == UNASSIGNED_TOPIC
    n_built, n_added = int(built.sum()), int((~built).sum())
    share_added = n_added / max(n_built, 1)
    at_build = float(unassigned[built].mean()) if n_built else 0.0
    now = float(unassigned.mean()) if len(unassigned) else 0.0
    reasons = []
    if share_added >= REBUILD_ADDED_SHARE:
        reasons.append(
            f"{n_added:,} papers added since the last build, {share_added:.0%} of its {n_built:,} "
            f"(rebuild at {REBUILD_ADDED_SHARE:.0%})"
        )
    if now - at_build > REBUILD_UNASSIGNED_DRIFT:
        reasons.append(
            f"unassigned share {now:.1%} against {at_build:.1%} at the build "
            f"(rebuild past +{REBUILD_UNASSIGNED_DRIFT:.0%})"
        )
    return {
        "since_build": {
            "papers_at_build": n_built,
            "added": n_added,
            "added_share": round(share_added, 4),
            "unassigned_at_build": round(at_build, 4),
            "unassigned_now": round(now, 4),
        },
        "rebuild_due": bool(reasons),
        "rebuild_reasons": reasons,
    }


def _quality(documents, topics) -> dict:
    """The quality panel on all papers after the update (what the build measures, on the new state)."""
    from landscape.analysis.evaluate import quality_metrics
    from landscape.model.topics import topic_texts

    keywords = dict(zip(topics["topic"].astype(int), topics["keywords"], strict=True))
    order = sorted(keywords)
    return quality_metrics(
        topic_texts(documents), documents["topic"].to_numpy(), [list(keywords[t]) for t in order]
    )


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
    counts = pd.Series(labels[labels != UNASSIGNED_TOPIC]).value_counts()
    topics["size"] = [int(counts.get(int(t), 0)) for t in topics["topic"]]
    topics["topic"] = topics["topic"].astype("int64")
    topics["group"] = topics["group"].astype("int64")
    return topics.reset_index(drop=True)


def _updated_centroids(old, topics, labels, vectors, changed):
    """Centroid per topic row (:func:`landscape.model.geometry.centroids`, as ``TopicModel`` has them).

    Only the topics in ``changed`` are recomputed; the others keep their saved centroid bit for bit.
    """
    import numpy as np

    out = np.zeros((len(topics), vectors.shape[1]), dtype=np.float32)
    out[: len(old)] = old
    rows = [row for row, t in enumerate(topics["topic"]) if int(t) in changed]
    if rows:
        out[rows] = centroids(vectors, labels, [int(topics["topic"].iat[r]) for r in rows])
    return out


def _record(sources, result, present, new, topic, before, after, new_ids, embed_stats, runner):
    """The entry of ``landscape.json["updates"]``: what this update changed."""
    import numpy as np

    assigned = {}
    for t in sorted(set(topic.tolist()) - {UNASSIGNED_TOPIC}):
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
        "assigned_existing": int(
            ((topic != UNASSIGNED_TOPIC) & (topic < (new_ids[0] if new_ids else np.inf))).sum()
        ),
        "assigned_new": int(np.isin(topic, new_ids).sum()),
        "unassigned": int((topic == UNASSIGNED_TOPIC).sum()),
        "assigned": assigned,
        "new_topics": new_topics,
        "grown": grown,
        "embedding": {
            k: v for k, v in embed_stats.items() if k in ("n_cached", "n_encoded", "docs_per_s", "precision")
        },
        "engine": runner.name,
        "timings": {},  # filled in when saved
    }


def _merge_rejects(old, ingest_rejects, skipped):
    """The landscape's rejects with this update's appended (the build's columns first)."""
    import pandas as pd

    parts = [p for p in (old, ingest_rejects, skipped) if p is not None and len(p)]
    if not parts:
        return old if old is not None else ingest_rejects
    return pd.concat([p.astype(str) for p in parts], ignore_index=True).fillna("")
