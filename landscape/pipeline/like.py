"""A rebuild that keeps the identity of topics: ``landscape build --like DIR``.

A full rebuild numbers its topics afresh, so links, curated names and "topic 7 grew" would break
every time a living landscape is rebuilt. :func:`keep_identities` matches the rebuilt topics to the
earlier landscape's, one to one, by content:

- **paper overlap**: over the papers both landscapes hold, a pair matches when the shared papers
  are more than ``MIN_OVERLAP`` of the smaller of the two topics (counted on shared papers), best
  pairs first (the assignment that maximises the total overlap, scipy's ``linear_sum_assignment``);
- **centroid similarity**, for topics no overlap matched (e.g. made of papers the earlier landscape
  did not have): cosine similarity of centroids at least ``MIN_CENTROID_SIMILARITY``.

A matched topic takes the earlier id and label (names curated by hand survive); the others get ids
after the largest earlier id, so an id is never reused for another subject.
"""

from __future__ import annotations

from landscape.schema import UNASSIGNED, UNASSIGNED_TOPIC

# Shared papers needed for a match, as a share of the smaller topic's shared papers.
MIN_OVERLAP = 0.5
# Centroid cosine similarity needed for a match when papers do not decide (the same topic rebuilt
# from other papers sits above 0.9; neighbouring topics of one landscape rarely pass 0.85).
MIN_CENTROID_SIMILARITY = 0.9


def match_topics(previous, rebuilt) -> dict[int, int]:
    """``{rebuilt topic id: previous topic id}`` for the topics that match by content (module doc)."""
    import numpy as np
    import pandas as pd
    from scipy.optimize import linear_sum_assignment

    old = previous.documents[["id", "topic"]].drop_duplicates("id")
    new = rebuilt.documents[["id", "topic"]].drop_duplicates("id")
    both = old.merge(new, on="id", suffixes=("_old", "_new"))
    both = both[(both["topic_old"] != UNASSIGNED_TOPIC) & (both["topic_new"] != UNASSIGNED_TOPIC)]
    old_ids = [int(t) for t in previous.topics["topic"]]
    new_ids = [int(t) for t in rebuilt.topics["topic"]]
    table = pd.crosstab(both["topic_new"], both["topic_old"]).reindex(
        index=new_ids, columns=old_ids, fill_value=0
    )
    overlap = table.to_numpy(dtype=float)
    smaller = np.minimum(overlap.sum(axis=1, keepdims=True), overlap.sum(axis=0, keepdims=True))
    ok = overlap > MIN_OVERLAP * np.maximum(smaller, 1)
    rows, cols = linear_sum_assignment(np.where(ok, -overlap, 0.0))
    matched = {new_ids[r]: old_ids[c] for r, c in zip(rows, cols, strict=True) if ok[r, c]}

    if previous.centroids is not None and rebuilt.centroids is not None and len(old_ids) and len(new_ids):
        free_new = [i for i, t in enumerate(new_ids) if t not in matched]
        taken = set(matched.values())
        free_old = [j for j, t in enumerate(old_ids) if t not in taken]
        if free_new and free_old:
            sims = rebuilt.centroids[free_new] @ previous.centroids[free_old].T
            rows, cols = linear_sum_assignment(-sims)
            for r, c in zip(rows, cols, strict=True):
                if sims[r, c] >= MIN_CENTROID_SIMILARITY:
                    matched[new_ids[free_new[r]]] = old_ids[free_old[c]]
    return matched


def keep_identities(rebuilt, previous):
    """``rebuilt`` (a built :class:`~landscape.store.Landscape`) with the ids and labels of the
    topics of ``previous`` (a landscape or its directory) that match by content; topic rows sorted
    by id, centroids alongside. Adds ``meta["like"]``: what matched."""
    import numpy as np

    from landscape.store import Landscape

    if not hasattr(previous, "documents"):
        previous = Landscape.load(previous)
    matched = match_topics(previous, rebuilt)
    next_id = int(previous.topics["topic"].max()) + 1 if len(previous.topics) else 0
    mapping = {}
    for t in (int(t) for t in rebuilt.topics["topic"]):
        if t in matched:
            mapping[t] = matched[t]
        else:
            mapping[t], next_id = next_id, next_id + 1
    old_label = dict(zip(previous.topics["topic"].astype(int), previous.topics["label"], strict=True))

    topics = rebuilt.topics.copy()
    topics["topic"] = [mapping[int(t)] for t in topics["topic"]]
    topics["label"] = [
        old_label[t] if t in matched.values() else label
        for t, label in zip(topics["topic"], topics["label"], strict=True)
    ]
    order = np.argsort(topics["topic"].to_numpy(), kind="stable")
    topics = topics.iloc[order].reset_index(drop=True)
    topics["topic"] = topics["topic"].astype("int64")
    centroids = rebuilt.centroids[order] if rebuilt.centroids is not None else None

    def renumber(values):
        return np.array([mapping.get(int(t), UNASSIGNED_TOPIC) for t in values], dtype=np.int64)

    documents = rebuilt.documents.copy()
    documents["topic"] = renumber(documents["topic"])
    if "topic_hdbscan" in documents.columns:
        documents["topic_hdbscan"] = renumber(documents["topic_hdbscan"])
    label_of = dict(zip(topics["topic"], topics["label"], strict=True))
    documents["topic_label"] = [label_of.get(int(t), UNASSIGNED) for t in documents["topic"]]
    _kept_label_evidence(topics, documents, {t: label_of[t] for t in matched.values() if t in label_of})
    meta = dict(rebuilt.meta)
    meta["like"] = {
        "path": str(previous.path) if previous.path else None,
        "created": previous.meta.get("created"),
        "topics_kept": len(matched),
        "topics_new": len(topics) - len(matched),
        "topics_gone": len(previous.topics) - len(matched),
        "updates_before": len(previous.meta.get("updates", [])),
    }
    return Landscape(documents, topics, meta, rebuilt.embeddings, centroids, rebuilt.rejects)


def _kept_label_evidence(topics, documents, kept) -> None:
    """Support and lift of the kept labels ``{topic: label}``, recomputed on the rebuilt papers."""
    if not kept or "label_support" not in topics.columns or "abstract" not in documents.columns:
        return
    from landscape.model.label_evidence import labels_evidence
    from landscape.model.topics import topic_texts

    evidence = labels_evidence(topic_texts(documents), documents["topic"].to_numpy(), kept)
    for column, k in (("label_support", 0), ("label_lift", 1)):
        topics[column] = [
            round(float(evidence[t][k]), 4) if t in evidence else v
            for t, v in zip(topics["topic"], topics[column], strict=True)
        ]
