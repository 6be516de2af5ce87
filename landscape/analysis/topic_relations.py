"""How topics relate to each other: the cosine similarity of their centroids, and the merge tree
that joins them step by step (Ward linkage on the normalised centroids, the same linkage that
:mod:`landscape.model.hierarchy` cuts into parents), with the distance of every merge."""

from __future__ import annotations

from landscape.errors import LandscapeError


def _unit_centroids(land):
    from landscape.model.geometry import unit_rows

    centroids = getattr(land, "centroids", None)
    if centroids is None or len(centroids) != len(land.topics):
        raise LandscapeError("this landscape has no topic centroids (topic_centroids.npy)")
    return unit_rows(centroids, what="topic centroids").astype("float64")


def similarity_matrix(land, top: int | None = None):
    """Cosine similarity of topic centroids as a square DataFrame indexed by topic id, for the
    ``top`` largest topics (all when None), ordered by the merge tree so similar topics sit
    together. ``attrs["labels"]`` maps ids to labels."""
    import pandas as pd

    unit = _unit_centroids(land)
    topics = land.topics.reset_index(drop=True)
    keep = topics.sort_values(["size", "topic"], ascending=[False, True]).index
    if top is not None:
        keep = keep[: int(top)]
    order = [int(i) for i in keep]
    if len(order) > 2:
        from scipy.cluster.hierarchy import leaves_list, linkage

        order = [order[i] for i in leaves_list(linkage(unit[order], method="ward"))]
    ids = topics["topic"].to_numpy()[order]
    sim = unit[order] @ unit[order].T
    frame = pd.DataFrame(sim, index=ids, columns=ids)
    frame.attrs["labels"] = dict(zip(topics["topic"], topics["label"].astype(str), strict=True))
    return frame


def merge_tree(land):
    """The merge tree of all topics: a DataFrame with one row per merge, in merge order (``left``,
    ``right``: the merged nodes, row ``i`` of ``land.topics`` for a leaf and ``n_topics + i`` for
    the i-th merge; ``distance``: Ward distance of the merge; ``size``: topics under it).
    ``attrs`` hold ``topics`` (leaf ids in row order of ``land.topics``), ``labels``, ``linkage``
    (scipy's matrix) and ``parent_cut``: a distance between the merges that form the landscape's
    parents and the ones above them."""
    import pandas as pd

    unit = _unit_centroids(land)
    topics = land.topics.reset_index(drop=True)
    if len(topics) < 2:
        raise LandscapeError("a merge tree needs at least two topics")
    from scipy.cluster.hierarchy import linkage

    z = linkage(unit, method="ward")
    tree = pd.DataFrame(
        {
            "left": z[:, 0].astype(int),
            "right": z[:, 1].astype(int),
            "distance": z[:, 2],
            "size": z[:, 3].astype(int),
        }
    )
    n_parents = topics["group"].nunique() if "group" in topics.columns else 1
    cut = None
    if 1 < n_parents <= len(topics):
        cut = float((z[-n_parents, 2] + z[-n_parents + 1, 2]) / 2)  # last merge below, first above
    tree.attrs.update(
        topics=[int(t) for t in topics["topic"]],
        labels=[str(label) for label in topics["label"]],
        parent_cut=cut,
        linkage=z.tolist(),
    )
    return tree
