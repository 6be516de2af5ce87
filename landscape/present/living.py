"""The publishing half of ``landscape refresh``: one run fetches and updates
(:mod:`landscape.pipeline.refresh`), then regenerates the reports and writes the "what changed
this run" page (``CHANGES_PAGE``, linked from the reports index)."""

from __future__ import annotations

from pathlib import Path

from landscape.present.report import CHANGES_PAGE


def write_changes_page(out_dir, changes: dict, *, name: str) -> Path:
    """``out_dir/changes.html`` from a run's :func:`~landscape.pipeline.refresh.what_changed` data;
    paper text is escaped, and only http(s) links are kept."""
    from landscape.corpus.io import atomic_write_text
    from landscape.present.html import render

    safe = dict(changes)
    safe["new_papers"] = [
        {**group, "papers": [{**p, "url": p["url"] if _web_link(p["url"]) else ""} for p in group["papers"]]}
        for group in changes["new_papers"]
    ]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CHANGES_PAGE
    atomic_write_text(path, render("changes.html.j2", name=name, changes=safe))
    return path


def _web_link(url: str) -> bool:
    return str(url).lower().startswith(("https://", "http://"))


def refresh(config, *, today=None, log=None, quiet: bool = False, timeout: int | None = None):
    """One scheduled run: fetch, update (or rebuild when due), and when the landscape changed (or
    the last run's reports were not written) regenerate the reports and the what-changed page.

    Returns the :class:`~landscape.pipeline.refresh.RefreshResult`.
    """
    import json

    from landscape.pipeline.refresh import (
        CHANGES,
        load_config,
        mark_published,
        refresh_landscape,
        reports_pending,
    )
    from landscape.present.report import DEFAULT_TIMEOUT, report

    config = config if hasattr(config, "sources") else load_config(config)
    pending = reports_pending(config)
    result = refresh_landscape(config, today=today, log=log, quiet=quiet)
    if not result.changed and not pending:
        return result
    changes = result.changes
    if changes is None:  # nothing new, but the last run's reports were not written: from its record
        latest = sorted((config.data / CHANGES).glob("*.json"))
        changes = json.loads(latest[-1].read_text(encoding="utf-8")) if latest else None
    name = config.name or config.landscape.name
    if changes is not None:
        write_changes_page(config.reports, changes, name=name)
    report(
        config.landscape,
        config.reports,
        notebooks=config.notebooks,
        random_state=config.random_state,
        timeout=timeout or DEFAULT_TIMEOUT,
        log=log or (lambda message: None),
    )
    mark_published(config)
    if not result.changed:
        result.message += "; the reports of the last run were missing and are written now"
    return result
