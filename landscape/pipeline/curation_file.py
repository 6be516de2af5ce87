"""``curation.yaml``: hand edits of a landscape's topics, read with line numbers and written back.

::

    version: 1
    topics:
    - topic: 12                  # the topic's id in this landscape (rewritten after every apply)
      name: Machine Unlearning   # rename
      pin: true                  # keep it separate and keep its name through rebuilds
      match: [...]               # written by `landscape curate`: how a rebuild finds the topic
    - merge: [3, 7]              # one topic from these (ids when the merge was made)
      name: Retrieval-Augmented Generation   # optional; else it is named like any topic
      topic: 3                   # the merged topic's id in this landscape
      match: [..., ...]          # one entry per merged topic
    groups:
    - group: 2
      name: Generative Models
      match: [...]

A ``match`` entry (an *anchor*) holds what the topic was when the edit was made: ``topic`` (its id
then), ``label``, ``size``, ``papers`` (ids of its most central papers), ``centroid`` (its unit
centroid, float16, base64) and ``radius`` (the similarity to it that 90% of its papers reached).
An entry without ``match`` is a new hand edit: its ids are read in the
landscape it is applied to, once, and ``landscape curate`` writes the anchors.

Mistakes stop with one line naming the file, the line and the field
(``curation.yaml, line 7: merge lists topic 3 twice (a merge of a topic with itself)``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from landscape.errors import LandscapeError

CURATION_VERSION = 1

_HEADER = """\
# Curation of this landscape: renamed, merged and pinned topics, renamed groups.
# `landscape curate DIR` applies it; rebuilds (`landscape build ... -o DIR`, `--curation FILE`) and
# `landscape update` apply it again. Edits follow their papers, not topic ids: `match` (written by
# `landscape curate`) holds each topic's most central papers and centroid as they were at the edit.
# A hand edit needs no `match`: give this landscape's topic id and run `landscape curate DIR`.
# pin: the topic keeps its name and stays one topic of its own through rebuilds and updates.
"""

_TOPIC_KEYS = ("topic", "merge", "name", "pin", "match")
_GROUP_KEYS = ("group", "name", "match")
_ANCHOR_KEYS = ("topic", "label", "size", "papers", "centroid", "radius")


@dataclass
class Anchor:
    """A topic (or group) as it was when an edit was made: found again by its papers or centroid."""

    topic: int | None
    label: str
    size: int
    papers: list[str]
    centroid: object = None  # np.ndarray float32 (unit) or None
    radius: float | None = None  # similarity to the centroid 90% of its papers reached

    def to_dict(self) -> dict:
        out = {"topic": self.topic, "label": self.label, "size": self.size, "papers": _Flow(self.papers)}
        if self.centroid is not None:
            import numpy as np

            out["centroid"] = base64.b64encode(np.asarray(self.centroid, "<f2").tobytes()).decode("ascii")
        if self.radius is not None:
            out["radius"] = self.radius
        return out


@dataclass
class TopicEdit:
    """One entry of ``topics:``: a rename and/or pin of one topic, or a merge of several."""

    ids: list[int | None]  # ``topic`` (one id) or ``merge`` (the ids as written)
    merge: bool = False
    name: str | None = None
    pin: bool = False
    match: list[Anchor] | None = None
    line: int | None = None
    current: int | None = None  # its topic in the landscape it was last applied to

    @property
    def kind(self) -> str:
        parts = ["merge"] if self.merge else []
        parts += ["rename"] if self.name else []
        parts += ["pin"] if self.pin else []
        return "+".join(parts)


@dataclass
class GroupEdit:
    """One entry of ``groups:``: a group's new name."""

    group: int | None
    name: str
    match: list[Anchor] | None = None
    line: int | None = None
    current: int | None = None

    kind = "rename group"


@dataclass
class Curation:
    topics: list[TopicEdit] = field(default_factory=list)
    groups: list[GroupEdit] = field(default_factory=list)
    source: str = "curation.yaml"  # named in errors

    def __bool__(self) -> bool:
        return bool(self.topics or self.groups)


class _Flow(list):
    """A list written on one line (paper ids)."""


def read_curation(text: str | None, source: str = "curation.yaml") -> Curation:
    """The edits of a ``curation.yaml`` text; ``LandscapeError`` naming ``source``, the line and the
    field when it is malformed."""
    import yaml

    if text is None or not text.strip():
        return Curation(source=source)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LandscapeError(f"{source}{where}: not valid YAML ({problem})") from exc
    if data is None:
        return Curation(source=source)
    top = _Where(source, node)
    if not isinstance(data, dict):
        top.fail("must be a mapping with 'topics:' and/or 'groups:'")
    for key in data:
        if key not in ("version", "topics", "groups"):
            top.at(key).fail(f"unknown key {key!r} (expected version, topics, groups)")
    if data.get("version", CURATION_VERSION) != CURATION_VERSION:
        top.at("version").fail(
            f"version {data['version']!r} is not known (this release reads {CURATION_VERSION})"
        )
    cur = Curation(source=source)
    for i, item in enumerate(_sequence(data, "topics", top)):
        cur.topics.append(_topic_edit(item, top.at("topics").item(i)))
    for i, item in enumerate(_sequence(data, "groups", top)):
        cur.groups.append(_group_edit(item, top.at("groups").item(i)))
    _check_names(cur)
    return cur


def dump_curation(cur: Curation) -> str:
    """The text of ``curation.yaml`` for ``cur`` (the header says how to use it)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(
        _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", list(v), flow_style=True)
    )
    data: dict = {"version": CURATION_VERSION, "topics": [], "groups": []}
    for e in cur.topics:
        entry: dict = {"merge": _Flow(e.ids), "topic": e.current} if e.merge else {"topic": e.current}
        if e.name:
            entry["name"] = e.name
        if e.pin:
            entry["pin"] = True
        if e.match is not None:
            entry["match"] = [a.to_dict() for a in e.match]
        data["topics"].append(entry)
    for g in cur.groups:
        entry = {"group": g.current, "name": g.name}
        if g.match is not None:
            entry["match"] = [a.to_dict() for a in g.match]
        data["groups"].append(entry)
    body = yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    return _HEADER + body


# ---- reading entries -----------------------------------------------------------------------------
class _Where:
    """A YAML node and its place, for errors that name the file and line."""

    def __init__(self, source, node, what=""):
        self.source, self.node, self.what = source, node, what

    @property
    def line(self):
        return self.node.start_mark.line + 1 if self.node is not None else None

    def at(self, key) -> _Where:
        import yaml

        if isinstance(self.node, yaml.MappingNode):
            for k, v in self.node.value:
                if k.value == str(key):
                    return _Where(
                        self.source, v, f"{self.what}{key}" if not self.what else f"{self.what}.{key}"
                    )
        return _Where(self.source, self.node, self.what)

    def item(self, i) -> _Where:
        import yaml

        if isinstance(self.node, yaml.SequenceNode) and i < len(self.node.value):
            return _Where(self.source, self.node.value[i], self.what)
        return self

    def fail(self, message):
        where = f", line {self.line}" if self.line else ""
        raise LandscapeError(f"{self.source}{where}: {message}")


def _sequence(data, key, where):
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        where.at(key).fail(f"'{key}' must be a list of entries ('- ...')")
    return value


def _topic_id(value, where, what="topic"):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        where.fail(f"{what} must be a topic id (a whole number >= 0), got {value!r}")
    return int(value)


def _name(value, where):
    if value is None or isinstance(value, (bool, dict, list)):
        where.fail(f"name must be text, got {value!r}")
    name = " ".join(str(value).split())
    if not name:
        where.fail("rename to an empty name")
    return name


def _check_entry(item, where, keys, what) -> None:
    """An entry is a mapping of known keys."""
    if not isinstance(item, dict):
        where.fail(f"a {what} entry must be a mapping ({', '.join(keys[:-1])})")
    for key in item:
        if key not in keys:
            where.at(key).fail(f"unknown key {key!r} (expected {', '.join(keys)})")


def _topic_edit(item, where) -> TopicEdit:
    _check_entry(item, where, _TOPIC_KEYS, "topics")
    edit = TopicEdit(ids=[], line=where.line)
    match = item.get("match")
    if "merge" in item:
        ids = item["merge"]
        if not isinstance(ids, list) or len(ids) < 2:
            where.at("merge").fail(f"merge must list two or more topic ids, got {ids!r}")
        edit.ids = [_topic_id(t, where.at("merge"), "merge") for t in ids]
        twice = next((t for t in edit.ids if edit.ids.count(t) > 1), None)
        if twice is not None:
            where.at("merge").fail(f"merge lists topic {twice} twice (a merge of a topic with itself)")
        edit.merge = True
        if item.get("topic") is not None:
            edit.current = _topic_id(item["topic"], where.at("topic"))
    elif "topic" in item:
        if item["topic"] is None and match is None:
            where.at("topic").fail("topic has no id (give this landscape's topic id)")
        edit.ids = [None if item["topic"] is None else _topic_id(item["topic"], where.at("topic"))]
        edit.current = edit.ids[0]
    else:
        where.fail("an entry needs 'topic: ID' (rename, pin) or 'merge: [ID, ID, ...]'")
    if "name" in item:
        edit.name = _name(item["name"], where.at("name"))
    if "pin" in item:
        if not isinstance(item["pin"], bool):
            where.at("pin").fail(f"pin must be true or false, got {item['pin']!r}")
        edit.pin = item["pin"]
    if not (edit.merge or edit.name or edit.pin):
        where.fail("nothing to do: give name, pin: true or merge")
    if match is not None:
        edit.match = _anchors(match, len(edit.ids), where.at("match"))
    return edit


def _group_edit(item, where) -> GroupEdit:
    _check_entry(item, where, _GROUP_KEYS, "groups")
    match = item.get("match")
    if item.get("group") is None and match is None:
        where.fail("a groups entry needs 'group: ID' (this landscape's group id)")
    group = None if item.get("group") is None else _topic_id(item["group"], where.at("group"), "group")
    if "name" not in item:
        where.fail("a groups entry needs 'name: ...'")
    edit = GroupEdit(group=group, name=_name(item["name"], where.at("name")), line=where.line, current=group)
    if match is not None:
        edit.match = _anchors(match, 1, where.at("match"))
    return edit


def _anchors(value, n, where) -> list[Anchor]:
    import numpy as np

    if not isinstance(value, list) or len(value) != n:
        where.fail(f"match must be a list of {n} entr{'y' if n == 1 else 'ies'} (one per topic)")
    out = []
    for i, a in enumerate(value):
        w = where.item(i)
        if not isinstance(a, dict) or not isinstance(a.get("papers", []), list):
            w.fail("a match entry must be a mapping with papers: [ids]")
        unknown = [k for k in a if k not in _ANCHOR_KEYS]
        if unknown:
            w.at(unknown[0]).fail(f"unknown key {unknown[0]!r} (expected {', '.join(_ANCHOR_KEYS)})")
        centroid = None
        if a.get("centroid") is not None:
            try:
                centroid = np.frombuffer(base64.b64decode(str(a["centroid"]), validate=True), "<f2")
            except ValueError:
                w.at("centroid").fail("centroid is not the base64 text `landscape curate` writes")
            centroid = centroid.astype(np.float32)
        topic = a.get("topic")
        out.append(
            Anchor(
                topic=topic if isinstance(topic, int) and not isinstance(topic, bool) else None,
                label=str(a.get("label", "")),
                size=int(a.get("size") or 0),
                papers=[str(p) for p in a.get("papers") or []],
                centroid=centroid,
                radius=_number(a.get("radius"), w.at("radius")),
            )
        )
    return out


def _number(value, where):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        where.fail(f"must be a number, got {value!r}")
    return float(value)


def _check_names(cur: Curation) -> None:
    """Two entries may not give the same name, nor edit the same topic or group by id."""
    for entries, what in ((cur.topics, "topic"), (cur.groups, "group")):
        seen: dict = {}
        ids: dict = {}
        for e in entries:
            if e.name:
                key = e.name.casefold()
                if key in seen:
                    raise LandscapeError(
                        f"{cur.source}, line {e.line}: duplicate name {e.name!r} "
                        f"(also given on line {seen[key]})"
                    )
                seen[key] = e.line
            if e.match is None:  # a new hand edit: its ids are this landscape's
                for t in e.ids if what == "topic" else [e.group]:
                    if t in ids:
                        raise LandscapeError(
                            f"{cur.source}, line {e.line}: {what} {t} is already edited on line {ids[t]} "
                            "(one entry per topic: put name and pin together)"
                        )
                    ids[t] = e.line
