"""Curation that sticks: renamed, merged and pinned topics and renamed groups, kept in the
landscape's ``curation.yaml`` (:mod:`landscape.pipeline.curation_file`) and applied again by every
rebuild and update.

Edits follow their papers, not topic ids. Each edit keeps an *anchor* per topic: the topic's
``ANCHOR_PAPERS`` most central papers and its centroid, as they were when the edit was made. In
another landscape (a rebuild with another seed, an update) the topic is found again

- by **shared papers**: the topic holding more than ``like.MIN_OVERLAP`` of the anchor's papers
  that this landscape has (at least ``MIN_PRESENT`` of them, or all when fewer were kept);
- else by **centroid**: the topic whose centroid is at least ``like.MIN_CENTROID_SIMILARITY``
  similar to the anchor's.

An edit that finds no topic is kept in ``curation.yaml`` (a later rebuild may find it) and listed in
``landscape.json["curation"]["unmatched"]`` with the reason; nothing is dropped silently.

What the edits do, in this order:

1. **pin**: a pinned topic stays one topic of its own. In a rebuild that folded it into a larger
   topic, the pinned topic keeps the papers nearer its anchor centroid than the rest's centroid and
   within its anchor ``radius``; the rest (at least ``PIN_SPLIT_MIN_SHARE`` of the topic, and either
   the topic grew over ``MAX_GROWTH`` times the pinned one or the rest's centroid is under
   ``like.MIN_CENTROID_SIMILARITY`` of the pinned one) becomes a topic again, named like any topic.
   No merge takes a pinned topic in (an error in ``landscape curate``, else unmatched);
2. **merge** ``[a, b, ...]``: the topics become one (the first one's id); it is named by the
   ``name`` given, else like any topic (:mod:`landscape.model.naming`, covering both subjects);
3. **rename** (``name``) and **pin**: the topic takes the name; a pinned topic without a ``name``
   keeps the name it had when pinned (a rebuild never renames it);
4. **groups**: a group takes its ``name``.

Curated names are unique: a topic whose automatic name equals one gets another. Marks go in the
``curated`` column of ``topics.parquet`` (``schema.CURATED_COLUMN``) and reports show the names as
curated. Applying a curation twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from landscape.errors import LandscapeError
from landscape.model.hierarchy import document_groups, nearest_groups
from landscape.pipeline.curation_file import (
    Anchor,
    Curation,
    GroupEdit,
    TopicEdit,
    dump_curation,
    read_curation,
)
from landscape.pipeline.like import MIN_CENTROID_SIMILARITY, MIN_OVERLAP
from landscape.pipeline.stages import NAMING_CONTEXT, group_columns
from landscape.schema import (
    CURATED_COLUMN,
    CURATED_GROUP_NAME,
    CURATED_MERGE,
    CURATED_NAME,
    CURATED_PIN,
    DEFAULT_RANDOM_STATE,
    UNASSIGNED,
    UNASSIGNED_TOPIC,
)

# Papers kept per anchor: the topic's most central ones (enough to vote, small enough to read).
ANCHOR_PAPERS = 50
# Anchor papers a landscape must hold for papers (not the centroid) to decide a match.
MIN_PRESENT = 5
# A topic found by papers but over this many times the anchor's size is the same subject only when
# its centroid is still ``like.MIN_CENTROID_SIMILARITY`` similar (else the papers were folded into
# another subject, and a name would not fit it; a pinned topic is split out instead).
MAX_GROWTH = 2.0
# A rebuilt topic holding a pinned one is split when its other part is at least this share of it.
PIN_SPLIT_MIN_SHARE = 0.2
# ... and at least this many papers.
PIN_SPLIT_MIN_PAPERS = 5
# A pinned topic's radius: the similarity to its centroid that this share of its papers falls
# below (kept in its anchor); in a split it keeps the papers at least that near.
PIN_RADIUS_QUANTILE = 0.1

# How ``apply_curation`` treats edits: "curate" (the landscape the edits were written for: a new
# edit's unknown id or a duplicate name is an error), "update", or "build" (a fresh fit: new hand
# edits without anchors cannot be placed, pinned topics are split out again).
MODES = ("curate", "update", "build")


# ---- the API -------------------------------------------------------------------------------------
def curate(
    directory,
    *,
    rename: dict | None = None,
    merge: list | None = None,
    pin: list | None = None,
    unpin: list | None = None,
    rename_group: dict | None = None,
):
    """Edit the topics of the landscape in ``directory`` and save it (with its ``curation.yaml``).

    ``rename`` ``{topic id: name}``, ``merge`` a list of id lists (``[[3, 7]]``: topic 7 joins 3),
    ``pin`` / ``unpin`` topic ids, ``rename_group`` ``{group id: name}``; ids are this landscape's
    (``landscape curate DIR --list``). With no edits, the ``curation.yaml`` found in the directory
    (e.g. edited by hand) is applied. Every edit is checked first: a mistake raises
    ``LandscapeError`` in one line and leaves the landscape as it was.

    Returns ``(landscape, record)``: the curated :class:`~landscape.store.Landscape` and
    ``landscape.json["curation"]``.
    """
    from landscape.store import CURATION_FILE, Landscape

    land = Landscape.load(directory)
    cur = read_curation(land.curation, str(land.path / CURATION_FILE))
    cur = add_edits(
        land,
        cur,
        rename=rename or {},
        merge=merge or [],
        pin=pin or [],
        unpin=unpin or [],
        rename_group=rename_group or {},
    )
    out, record = apply_curation(land, cur, mode="curate")
    out.save(land.path)
    return out, record


def load_curation(path) -> Curation:
    """The edits of a curation file (``build --curation FILE``), checked; errors name the file and line."""
    from pathlib import Path

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LandscapeError(f"{path}: no such curation file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LandscapeError(f"{path}: cannot read the curation file ({exc})") from exc
    return read_curation(text, str(path))


def curation_for_build(curation, out_dir, like) -> Curation | None:
    """The curation a build applies, read before any work: ``curation`` (a path or a
    :class:`Curation`; ``False``: none), else the ``curation.yaml`` of the directory being rebuilt,
    else that of the ``like`` landscape."""
    from pathlib import Path

    from landscape.store import CURATION_FILE

    if curation is False:
        return None
    if isinstance(curation, Curation):
        return curation
    if curation is not None:
        return load_curation(curation)
    for folder in (out_dir, getattr(like, "path", None) or (like if isinstance(like, (str, Path)) else None)):
        if folder is not None and (Path(folder) / CURATION_FILE).is_file():
            return load_curation(Path(folder) / CURATION_FILE)
    return None


def reapply(land, mode: str):
    """``land`` with its own ``curation.yaml`` applied again (``update``), or as it is without one."""
    if not land.curation:
        return land
    from landscape.store import CURATION_FILE

    source = str(land.path / CURATION_FILE) if land.path else CURATION_FILE
    cur = read_curation(land.curation, source)
    return apply_curation(land, cur, mode=mode)[0] if cur else land


def topic_listing(land):
    """The topics as ``landscape curate --list`` shows them: id, papers, name, curation marks, group."""
    columns = ["topic", "size", "label", "group", "group_label"]
    table = land.topics[[c for c in columns if c in land.topics.columns]].copy()
    table[CURATED_COLUMN] = land.topics[CURATED_COLUMN] if CURATED_COLUMN in land.topics else ""
    return table.sort_values("topic").reset_index(drop=True)


# ---- edits from the command line or the API ------------------------------------------------------
def add_edits(land, cur: Curation, *, rename, merge, pin, unpin, rename_group) -> Curation:
    """``cur`` with new edits given by this landscape's ids; an unknown id, a merge of a topic with
    itself, an empty name or unpinning a topic that is not pinned is an error."""
    import copy
    import numbers

    cur = copy.deepcopy(cur)
    topic_ids = {int(t) for t in land.topics["topic"]}
    group_ids = {int(g) for g in land.topics["group"]} - {UNASSIGNED_TOPIC}

    def known(t, option, ids=topic_ids, what="topic"):
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or int(t) not in ids:
            shown = f"{min(ids)}..{max(ids)}" if ids else "none"
            raise LandscapeError(f"{option}: no {what} {t!r} in this landscape ({what}s {shown}; see --list)")
        return int(t)

    def name_of(value, option):
        name = " ".join(str(value).split()) if value is not None else ""
        if not name:
            raise LandscapeError(f"{option}: rename to an empty name")
        return name

    def entry_for(t):
        return next((e for e in cur.topics if e.current == t), None)

    for ids in merge:
        option = f"--merge {','.join(map(str, ids))}"
        ids = [known(t, option) for t in ids]
        if len(ids) < 2:
            raise LandscapeError(f"{option}: a merge needs two or more topics")
        twice = next((t for t in ids if ids.count(t) > 1), None)
        if twice is not None:
            raise LandscapeError(f"{option}: topic {twice} twice (a merge of a topic with itself)")
        for t in ids:
            e = entry_for(t)
            if e is not None and e.pin:
                raise LandscapeError(
                    f"{option}: topic {t} is pinned (a pinned topic stays separate; --unpin {t} first)"
                )
        cur.topics.append(TopicEdit(ids=list(ids), merge=True, current=ids[0]))

    def edit(t, **changes):  # the topic's entry (or a new one) gets the changes
        e = entry_for(t)
        if e is None:
            cur.topics.append(TopicEdit(ids=[t], current=t, **changes))
        else:
            e.__dict__.update(changes)

    for t, name in rename.items():
        option = f"--rename {t}={name}"
        edit(known(t, option), name=name_of(name, option))
    for t in pin:
        edit(known(t, f"--pin {t}"), pin=True)
    for t in unpin:
        e = entry_for(known(t, f"--unpin {t}"))
        if e is None or not e.pin:
            raise LandscapeError(f"--unpin {t}: topic {t} is not pinned")
        e.pin = False
        if not (e.merge or e.name):
            cur.topics.remove(e)
    for g, name in rename_group.items():
        option = f"--rename-group {g}={name}"
        g = known(g, option, group_ids, "group")
        name = name_of(name, option)
        e = next((e for e in cur.groups if e.current == g), None)
        if e is None:
            cur.groups.append(GroupEdit(group=g, name=name, current=g))
        else:
            e.name = name
    _check_unique_names(cur)
    return cur


def _check_unique_names(cur: Curation) -> None:
    for entries, what in ((cur.topics, "topic"), (cur.groups, "group")):
        seen = {}
        for e in entries:
            if e.name:
                other = seen.get(e.name.casefold())
                if other is not None and other is not e:
                    raise LandscapeError(
                        f"duplicate name {e.name!r}: {what} {other.current} is already curated with it"
                    )
                seen[e.name.casefold()] = e


# ---- applying ------------------------------------------------------------------------------------
class _State:
    """The landscape being curated: documents, topic table and centroids, changed in place."""

    def __init__(self, land):
        import numpy as np

        from landscape.model.geometry import unit_rows

        self.land = land
        self.documents = land.documents.copy()
        self.topics = land.topics.copy().reset_index(drop=True)
        if "group_label" not in self.topics.columns:  # landscapes from before groups had names
            self.topics["group_label"] = [f"group {g}" for g in self.topics["group"]]
        self.centroids = None if land.centroids is None else np.asarray(land.centroids, np.float32).copy()
        self.X = None if land.embeddings is None else unit_rows(np.asarray(land.embeddings, np.float32))
        self.row_of = {str(p): i for i, p in enumerate(self.documents["id"])}
        self.topic = self.documents["topic"].to_numpy(np.int64).copy()
        self.marks: dict[int, set] = {}
        self.named: set[int] = set()  # merged or split topics to name

    def ids(self):
        return [int(t) for t in self.topics["topic"]]

    def group_of_papers(self):
        import numpy as np

        group_of = dict(zip(self.topics["topic"].astype(int), self.topics["group"].astype(int), strict=True))
        return np.array([group_of.get(int(t), UNASSIGNED_TOPIC) for t in self.topic], dtype=np.int64)

    def level(self, level):
        """(paper labels, ids, unit centroids) at ``"topic"`` or ``"group"`` level."""
        from landscape.model.geometry import centroids

        if level == "topic":
            labels, ids, cents = self.topic, self.ids(), self.centroids
        else:
            labels = self.group_of_papers()
            ids = sorted({int(g) for g in labels} - {UNASSIGNED_TOPIC})
            cents = centroids(self.X, labels, ids) if self.X is not None and ids else None
        return labels, ids, cents

    def mark(self, t, what):
        self.marks.setdefault(int(t), set()).add(what)

    def anchor(self, ident, level="topic") -> Anchor:
        """What ``ident`` is now: its most central papers, label, size and centroid."""
        import numpy as np

        from landscape.model.geometry import centroids, representatives

        labels, _, _ = self.level(level)
        members = np.flatnonzero(labels == ident)
        centroid = None
        radius = None
        if self.X is not None and len(members):
            centroid = centroids(self.X, labels, [ident])[0]
            rows = representatives(self.X, members, centroid, n=ANCHOR_PAPERS)
            radius = round(float(np.quantile(self.X[members] @ centroid, PIN_RADIUS_QUANTILE)), 4)
        else:
            rows = members[:ANCHOR_PAPERS].tolist()
        column = "label" if level == "topic" else "group_label"
        key = "topic" if level == "topic" else "group"
        label = self.topics.loc[self.topics[key] == ident, column]
        return Anchor(
            topic=int(ident),
            label=str(label.iloc[0]) if len(label) else "",
            size=len(members),
            papers=[str(self.documents["id"].iat[i]) for i in rows],
            centroid=centroid,
            radius=radius,
        )

    def find(self, anchor: Anchor, level="topic", *, folded_ok=False):
        """``(id, how)`` of what ``anchor`` is in this landscape, or ``(None, why not)``; with
        ``folded_ok`` a topic that grew into another subject still counts (pins split it)."""
        import numpy as np

        from landscape.model.geometry import unit_vector

        labels, ids, cents = self.level(level)
        rows = [self.row_of[p] for p in anchor.papers if p in self.row_of]
        if rows and len(rows) >= min(MIN_PRESENT, len(anchor.papers)):
            values, counts = np.unique(labels[rows], return_counts=True)
            order = np.argsort(-counts, kind="stable")
            best = next((i for i in order if values[i] != UNASSIGNED_TOPIC), None)
            if best is not None and counts[best] > MIN_OVERLAP * len(rows):
                found = int(values[best])
                size = int((labels == found).sum())
                how = f"{int(counts[best])} of its {len(rows)} papers"
                if folded_ok or anchor.centroid is None or cents is None or size <= MAX_GROWTH * anchor.size:
                    return found, how
                sim = float(cents[ids.index(found)] @ unit_vector(np.asarray(anchor.centroid, np.float32)))
                if sim >= MIN_CENTROID_SIMILARITY:
                    return found, f"{how}, centroid similarity {sim:.2f}"
                return None, (
                    f"{level} {found} holds {how} but has {size} papers against {anchor.size} and "
                    f"centroid similarity {sim:.2f} < {MIN_CENTROID_SIMILARITY}: another subject"
                )
            where = ["unassigned" if v == UNASSIGNED_TOPIC else f"{level} {int(v)}" for v in values]
            spread = ", ".join(f"{where[i]}: {int(counts[i])}" for i in order[:3])
            return None, f"no {level} holds over half of its {len(rows)} papers ({spread})"
        if anchor.centroid is not None and cents is not None and len(ids):
            if cents.shape[1] != len(anchor.centroid):
                return (
                    None,
                    f"its centroid has {len(anchor.centroid)} dimensions, this landscape {cents.shape[1]}",
                )
            from landscape.model.geometry import unit_vector

            sims = cents @ unit_vector(np.asarray(anchor.centroid, np.float32))
            j = int(np.argmax(sims))
            if sims[j] >= MIN_CENTROID_SIMILARITY:
                return ids[j], f"centroid similarity {sims[j]:.2f}"
            return None, (
                f"{len(rows)} of its {len(anchor.papers)} papers are in this landscape and the nearest "
                f"{level} ({ids[j]}) has centroid similarity {sims[j]:.2f} < {MIN_CENTROID_SIMILARITY}"
            )
        return (
            None,
            f"{len(rows)} of its {len(anchor.papers)} papers are in this landscape and it has no centroid",
        )

    def merge(self, ids):
        """Topics ``ids`` become ``ids[0]``: papers, size, centroid, representatives."""
        import numpy as np

        target, others = ids[0], ids[1:]
        self.topic[np.isin(self.topic, others)] = target
        if "topic_hdbscan" in self.documents.columns:
            h = self.documents["topic_hdbscan"].to_numpy(np.int64).copy()
            h[np.isin(h, others)] = target
            self.documents["topic_hdbscan"] = h
        keep = ~self.topics["topic"].isin(others).to_numpy()
        self.topics = self.topics[keep].reset_index(drop=True)
        if self.centroids is not None:
            self.centroids = self.centroids[keep]
        self.refresh(target)
        self.named.add(target)
        for t in others:
            self.marks.pop(t, None)

    def add_topic(self, rows, like_topic):
        """A new topic of papers ``rows``, in the group of ``like_topic``; its id."""
        import numpy as np
        import pandas as pd

        new_id = max(self.ids()) + 1
        self.topic[rows] = new_id
        row = self.topics[self.topics["topic"] == like_topic].copy()
        row["topic"] = new_id
        self.topics = pd.concat([self.topics, row], ignore_index=True)
        if self.centroids is not None:
            self.centroids = np.vstack([self.centroids, self.centroids[-1:]])
        self.refresh(new_id)
        self.refresh(like_topic)
        self.named.add(new_id)
        return new_id

    def refresh(self, t):
        """Size, centroid and representative papers of topic ``t`` from its papers."""
        import numpy as np

        from landscape.model.geometry import centroids, representatives

        i = int(np.flatnonzero(self.topics["topic"].to_numpy() == t)[0])
        members = np.flatnonzero(self.topic == t)
        self.topics.at[i, "size"] = len(members)
        if self.X is not None and len(members):
            c = centroids(self.X, self.topic, [t])[0]
            if self.centroids is not None:
                self.centroids[i] = c
            reps = representatives(self.X, members, c)
            self.topics.at[i, "representative_ids"] = [str(self.documents["id"].iat[r]) for r in reps]

    def set_label(self, t, label):
        self.topics.loc[self.topics["topic"] == t, "label"] = label


def apply_curation(land, cur: Curation, *, mode: str = "update"):
    """``(landscape, record)``: ``land`` with the edits of ``cur`` applied (module doc) and its
    ``curation.yaml`` text; ``record`` is ``landscape.json["curation"]``: what was applied and what
    could not be matched, with the reason."""
    if mode not in MODES:
        raise LandscapeError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    state = _State(land)
    applied, unmatched = [], []

    def locate(edit, i, level="topic"):
        """The current id of the edit's i-th topic (or group), or None with the reason recorded."""
        anchor = edit.match[i] if edit.match is not None else None
        if anchor is not None:
            pinned = isinstance(edit, TopicEdit) and edit.pin and not edit.merge
            found, how = state.find(anchor, level, folded_ok=pinned and mode == "build")
        else:
            written = edit.ids[i] if level == "topic" else edit.group
            if mode == "build":
                found, how = (
                    None,
                    (
                        f"{level} {written} was given by id without a match block, and ids change with "
                        f"every build (apply it with `landscape curate` on the landscape it was written for)"
                    ),
                )
            else:
                found, how = None, f"no {level} {written} in this landscape"
        return found, how

    def was(edit, i):
        key = "topic" if isinstance(edit, TopicEdit) else "group"
        if edit.match is not None and edit.match[i] is not None:
            return {key: edit.match[i].topic, "label": edit.match[i].label}
        return {key: edit.ids[i] if key == "topic" else edit.group}

    def claim(claimed, found, edit, level="topic"):
        """One name per topic (group): a second edit reaching it is an error in ``curate``, else
        unmatched."""
        if found not in claimed:
            claimed[found] = edit
            return True
        why = f"it is the same {level} ({found}) as the edit on line {claimed[found].line}"
        if mode == "curate":
            raise LandscapeError(f"{cur.source}, line {edit.line}: {why}; keep one of them")
        unmatched.append({"line": edit.line, "edit": edit.kind, **was(edit, 0), "reason": why})
        return False

    # anchors for new edits (ids of this landscape): the topics as they are before anything moves
    if mode != "build":
        for e in [*cur.topics, *cur.groups]:
            level = "topic" if isinstance(e, TopicEdit) else "group"
            written = e.ids if level == "topic" else [e.group]
            missing = [t for t in written if t not in state.level(level)[1]]
            if e.match is None and missing and mode == "curate":
                where = f", line {e.line}" if e.line else ""
                raise LandscapeError(f"{cur.source}{where}: no {level} {missing[0]} in this landscape")
            if e.match is None and not missing:
                e.match = [state.anchor(t, level) for t in written]

    # 1. pinned topics stay separate: split out of what a rebuild folded them into, never merged
    pinned = {}
    for e in (e for e in cur.topics if e.pin and not e.merge and e.match is not None):
        t, _ = state.find(e.match[0], folded_ok=mode == "build")
        if t is not None and mode == "build":
            _split_pinned(state, t, e.match[0], applied, e.line)
            t, _ = state.find(e.match[0], folded_ok=True)
        if t is not None:
            pinned[t] = e

    # 2. merges
    for e in (e for e in cur.topics if e.merge):
        found = [locate(e, i) for i in range(len(e.ids))]
        for i, (t, _) in enumerate(found):
            if t in pinned:
                why = f"topic {t} is pinned (line {pinned[t].line}): a pinned topic stays separate"
                if mode == "curate":
                    raise LandscapeError(f"{cur.source}, line {e.line}: {why}")
                found[i] = (None, why)
            if found[i][0] is None:
                unmatched.append({"line": e.line, "edit": "merge", **was(e, i), "reason": found[i][1]})
        targets = list(dict.fromkeys(t for t, _ in found if t is not None))
        e.current = targets[0] if targets else None
        if not targets:
            continue
        if len(targets) >= 2:
            state.merge(targets)
            how = "; ".join(h for t, h in found if t is not None)
        else:
            how = "already one topic" if all(t is not None for t, _ in found) else "the others not found"
        state.mark(targets[0], CURATED_MERGE)
        applied.append(
            {"line": e.line, "edit": "merge", "topic": targets[0], "merged": targets, "matched_by": how}
        )

    # 3. names and pins
    named_by: dict[int, TopicEdit] = {}
    for e in cur.topics:
        if not (e.name or e.pin):
            continue
        if e.merge:
            t, how = e.current, "the merged topic"
        else:
            t, how = locate(e, 0)
        if t is None:
            if not e.merge:
                unmatched.append({"line": e.line, "edit": e.kind, **was(e, 0), "reason": how})
                e.current = None
            continue
        if not claim(named_by, t, e):
            continue
        e.current = t
        name = e.name or (e.match[0].label if e.pin and not e.merge and e.match else None)
        if name:
            before = str(state.topics.loc[state.topics["topic"] == t, "label"].iloc[0])
            state.set_label(t, name)
            state.named.discard(t)
            state.mark(t, CURATED_NAME)
        else:
            before = None
        if e.pin:
            state.mark(t, CURATED_PIN)
        applied.append(
            {"line": e.line, "edit": e.kind, "topic": t, "name": name, "before": before, "matched_by": how}
        )

    _name_new(state, land, exclude={n.casefold() for n in _curated_names(state)})
    _unique_labels(state, mode, cur.source)

    # 4. groups
    group_names = {}
    for g in cur.groups:
        found, how = locate(g, 0, "group")
        if found is None:
            unmatched.append({"line": g.line, "edit": g.kind, **was(g, 0), "reason": how})
            g.current = None
            continue
        if not claim(group_names, found, g, "group"):
            continue
        g.current = found
        applied.append({"line": g.line, "edit": g.kind, "group": found, "name": g.name, "matched_by": how})
    _name_groups(state, group_names, mode, cur.source)

    out = _finish(state, land, cur, applied, unmatched, mode)
    return out, out.meta["curation"]


def _split_pinned(state, t, anchor, applied, line):
    """Split topic ``t`` when a rebuild folded another subject into the pinned topic ``anchor``.

    The pinned topic keeps the papers of ``t`` nearer its own centroid than the rest's and at least
    as near it as the anchor's ``radius`` (most of its papers were when it was pinned); the rest,
    when large enough and another subject, becomes a topic again.
    """
    import numpy as np

    from landscape.model.geometry import unit_vector

    if state.X is None:
        return
    members = np.flatnonzero(state.topic == t)
    own = np.array([state.row_of[p] for p in anchor.papers if p in state.row_of], dtype=np.int64)
    X = state.X[members]
    pinned = unit_vector(
        np.asarray(anchor.centroid, np.float32) if anchor.centroid is not None else state.X[own].mean(0)
    )
    near = X @ pinned
    radius = anchor.radius if anchor.radius is not None else float((state.X[own] @ pinned).min())
    to_other = ~np.isin(members, own)
    for _ in range(10):  # the rest's centroid and the papers it takes, until they settle
        if not to_other.any() or to_other.all():
            return
        other = unit_vector(X[to_other].mean(0))
        now = (X @ other > near) | (near < radius)
        if (now == to_other).all():
            break
        to_other = now
    n_other = int(to_other.sum())
    # A topic over MAX_GROWTH times the pinned one was folded, whatever the centroids say: those of
    # one field's subtopics sit near 0.9 (a 100-paper LLM sample: unlearning vs the rest 0.91).
    folded = len(members) > MAX_GROWTH * anchor.size
    if (
        n_other < max(PIN_SPLIT_MIN_PAPERS, PIN_SPLIT_MIN_SHARE * len(members))
        or n_other == len(members)
        or (not folded and float(pinned @ unit_vector(X[to_other].mean(0))) >= MIN_CENTROID_SIMILARITY)
    ):
        return
    new_id = state.add_topic(members[to_other], t)
    applied.append(
        {
            "line": line,
            "edit": "pin",
            "topic": t,
            "split": new_id,
            "matched_by": f"{n_other} of {len(members)} papers of the rebuilt topic were another subject",
        }
    )


def _seed(land) -> int:
    return int(land.random_state if land.random_state is not None else DEFAULT_RANDOM_STATE)


def _naming_rows(state, ids):
    """Rows a name is chosen (and its evidence counted) on: the papers of ``ids`` and a seeded
    sample of ``NAMING_CONTEXT`` others as the contrast, as an update names its new topics."""
    import numpy as np

    n = len(state.topic)
    context = np.random.default_rng(_seed(state.land)).choice(n, min(NAMING_CONTEXT, n), replace=False)
    return np.union1d(context, np.flatnonzero(np.isin(state.topic, ids)))


def _curated_names(state):
    marks = state.marks
    return [
        str(lab)
        for t, lab in zip(state.topics["topic"], state.topics["label"], strict=True)
        if CURATED_NAME in marks.get(int(t), ())
    ]


def _name_new(state, land, exclude):
    """Name merged and split topics that got no name from an edit (keywords, label, evidence)."""
    import numpy as np

    from landscape.model.topics import topic_namer, topic_texts

    ids = sorted(t for t in state.named if t in set(state.ids()))
    if not ids:
        return
    seed = _seed(land)
    rows = _naming_rows(state, ids)
    params = land.meta.get("parameters", {}).get("topic_model", {})
    namer = topic_namer({"random_state": seed, **params}).fit(topic_texts(state.documents.iloc[rows]))
    taken = {
        str(lab).casefold()
        for t, lab in zip(state.topics["topic"], state.topics["label"], strict=True)
        if int(t) not in ids
    }
    names = namer.describe(state.topic[rows], ids, exclude=taken | exclude)
    for t in ids:
        name = names[t]
        i = int(np.flatnonzero(state.topics["topic"].to_numpy() == t)[0])
        state.topics.at[i, "label"] = name.label
        state.topics.at[i, "keywords"] = list(name.keywords)
        for column, value in (
            ("keyword_weights", list(name.weights)),
            ("label_support", float(name.support)),
            ("label_lift", float(name.lift)),
        ):
            if column in state.topics.columns:
                state.topics.at[i, column] = value


def _unique_labels(state, mode, source):
    """A curated name is nobody else's: another topic with it gets another name (an error in
    ``curate``, where the user just chose it)."""
    curated = {}
    for t, lab in zip(state.topics["topic"], state.topics["label"], strict=True):
        if CURATED_NAME in state.marks.get(int(t), ()):
            curated[str(lab).casefold()] = int(t)
    taken = {str(lab).casefold() for lab in state.topics["label"]}
    for i, (t, lab) in enumerate(zip(state.topics["topic"], state.topics["label"], strict=True)):
        owner = curated.get(str(lab).casefold())
        if owner is None or owner == int(t):
            continue
        if mode == "curate":
            raise LandscapeError(f"{source}: duplicate name {lab!r}: topic {int(t)} is already called that")
        keywords = [str(k) for k in state.topics.at[i, "keywords"]] if "keywords" in state.topics else []
        other = next((k for k in keywords if k.casefold() not in taken), f"{lab} ({int(t)})")
        state.topics.at[i, "label"] = other
        taken.add(other.casefold())


def _name_groups(state, group_names, mode, source):
    """Groups take their curated names; another group with one of them gets its id added (an
    error in ``curate``, where the user just chose the name)."""
    chosen = {e.name.casefold(): g for g, e in group_names.items()}
    for g, lab in dict(
        zip(state.topics["group"].astype(int), state.topics["group_label"], strict=False)
    ).items():
        owner = chosen.get(str(lab).casefold())
        if owner is None or owner == g:
            continue
        if mode == "curate":
            raise LandscapeError(f"{source}: duplicate name {lab!r}: group {g} is already called that")
        state.topics.loc[state.topics["group"].astype(int) == g, "group_label"] = f"{lab} (group {g})"
    for g, edit in group_names.items():
        members = state.topics["group"].astype(int) == g
        state.topics.loc[members, "group_label"] = edit.name
        for t in state.topics.loc[members, "topic"]:
            state.mark(int(t), CURATED_GROUP_NAME)


def _finish(state, land, cur, applied, unmatched, mode):
    """The curated landscape: documents relabelled, marks, label evidence, groups and record."""

    from landscape.store import Landscape

    topics = state.topics.sort_values("topic", kind="stable")
    order = topics.index.to_numpy()
    topics = topics.reset_index(drop=True)
    centroids = state.centroids[order] if state.centroids is not None else None
    topics["size"] = topics["size"].astype("int64")
    topics[CURATED_COLUMN] = [", ".join(sorted(state.marks.get(int(t), ()))) for t in topics["topic"]]
    _label_evidence(state, topics)

    docs = state.documents
    docs["topic"] = state.topic
    label_of = dict(zip(topics["topic"].astype(int), topics["label"], strict=True))
    docs["topic_label"] = [label_of.get(int(t), UNASSIGNED) for t in state.topic]
    if "group" in docs.columns:
        docs["group"], group_label = group_columns(topics, _paper_groups(state, topics, centroids))
        if "group_label" in docs.columns:
            docs["group_label"] = group_label

    meta = dict(land.meta)
    meta["counts"] = {
        **meta.get("counts", {}),
        "topics": len(topics),
        "unassigned": int((state.topic == UNASSIGNED_TOPIC).sum()),
    }
    meta["groups"] = _groups_record(meta.get("groups") or [], topics)
    meta["curation"] = {
        "file": "curation.yaml",
        "source": cur.source,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "edits": len(cur.topics) + len(cur.groups),
        "applied": applied,
        "unmatched": unmatched,
    }
    out = Landscape(docs, topics, meta, land.embeddings, centroids, land.rejects, land.path)
    out.curation = dump_curation(cur)
    return out


def _paper_groups(state, topics, centroids):
    """Group per paper after the edits: its topic's group; a paper no topic takes keeps the group
    it had (curation renames groups, it never moves papers between them), or, when merges left
    that group without topics, takes its nearest topic's."""
    import numpy as np

    ids, topic_group = topics["topic"].to_numpy(np.int64), topics["group"].to_numpy(np.int64)
    own = state.documents["group"].to_numpy(np.int64)
    gone = ~np.isin(own, topic_group) & (state.topic == UNASSIGNED_TOPIC)
    if gone.any() and state.X is not None and centroids is not None:
        own = own.copy()
        own[gone] = nearest_groups(state.X[gone], centroids, topic_group)
    return document_groups(state.topic, ids, topic_group, own)


def _label_evidence(state, topics):
    """Label support and lift of curated names (the share of the topic's papers using its words)."""
    import numpy as np

    from landscape.model.label_evidence import COVER_JOIN, WordPresence, content_words, support_and_lift
    from landscape.model.topics import topic_texts

    if "label_support" not in topics.columns:
        return
    ids = [int(t) for t, m in zip(topics["topic"], topics[CURATED_COLUMN], strict=True) if CURATED_NAME in m]
    if not ids:
        return
    rows = _naming_rows(state, ids)
    presence = WordPresence().fit(topic_texts(state.documents.iloc[rows]))
    labels = state.topic[rows]
    for i in np.flatnonzero(topics["topic"].isin(ids).to_numpy()):
        label = str(topics.at[i, "label"])
        used = presence.uses_any([content_words(part) for part in label.split(COVER_JOIN)])
        support, lift = support_and_lift(used, np.flatnonzero(labels == int(topics.at[i, "topic"])))
        topics.at[i, "label_support"] = support
        topics.at[i, "label_lift"] = lift


def _groups_record(groups, topics):
    """``landscape.json["groups"]`` with each group's label, topics and size as the topics now say."""
    out = []
    for g in groups:
        members = topics[topics["group"].astype(int) == int(g.get("group", UNASSIGNED_TOPIC))]
        if members.empty:
            continue
        out.append(
            {
                **g,
                "label": str(members["group_label"].iloc[0]),
                "topics": [int(t) for t in members["topic"]],
                "size": int(members["size"].sum()),
            }
        )
    return out
