"""How curation shows in reports: a curated name is marked as curated, and the summary says what
``curation.yaml`` did (``landscape.json["curation"]``)."""

from __future__ import annotations

from landscape.schema import CURATED_GROUP_NAME, CURATED_MERGE, CURATED_NAME, CURATED_PIN


def _marks(value) -> set:
    return {m.strip() for m in str(value or "").split(",") if m.strip()}


def shown_label(label, marks) -> str:
    """A topic's name as reports show it: ``Machine Unlearning (curated)``, ``... (curated, pinned)``,
    ``... (merged by hand)``: every edit of ``curation.yaml`` shows where the topic is named."""
    marks = _marks(marks)
    shown = (("curated", CURATED_NAME), ("merged by hand", CURATED_MERGE), ("pinned", CURATED_PIN))
    notes = [n for n, m in shown if m in marks]
    return f"{label} ({', '.join(notes)})" if notes else str(label)


def shown_group(label, marks) -> str:
    """A group's name as reports show it (``(curated)`` when a person named it)."""
    return f"{label} (curated)" if CURATED_GROUP_NAME in _marks(marks) else str(label)


def curation_line(meta) -> str | None:
    """One sentence on the curation applied to a landscape, or None when there is none."""
    record = (meta or {}).get("curation")
    if not record:
        return None
    unmatched = record.get("unmatched") or []
    applied = len(record.get("applied") or [])
    line = f"Curated by hand: {applied} edits from {record.get('file', 'curation.yaml')}"
    if unmatched:
        line += f"; {len(unmatched)} could not be matched to a topic (landscape.json says why)"
    return line + "."
