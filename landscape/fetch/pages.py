"""Fetched pages kept on disk, so that an interrupted fetch resumes where it stopped.

A fetch into ``corpus.parquet`` keeps every page it has received under ``corpus.parquet.pages/``, in a
folder named after the source and a hash of the query (so two different queries never mix). Rerunning
the same command reads those pages instead of asking the service again. Only pages that parsed are
stored, and each is written atomically, so a page on disk is always a whole, valid page.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from landscape.corpus.io import atomic_write_bytes


def pages_dir_for(output: Path) -> Path:
    """Where the pages of a fetch into ``output`` are kept: ``<output>.pages/``."""
    output = Path(output)
    return output.with_name(output.name + ".pages")


class PageStore:
    """Pages of one fetch (one source, one query) on disk; ``root=None`` keeps nothing."""

    def __init__(self, root: Path | None, source: str, query: dict):
        self.source = source
        self.query = query
        key = hashlib.sha1(
            json.dumps({"source": source, "query": query}, sort_keys=True).encode()
        ).hexdigest()[:12]
        self.directory = None if root is None else Path(root) / f"{source}-{key}"

    def _path(self, name: str) -> Path:
        return self.directory / name

    def load(self, name: str) -> bytes | None:
        """The stored page ``name``, or None when it was not fetched yet."""
        if self.directory is None:
            return None
        path = self._path(name)
        return path.read_bytes() if path.is_file() else None

    def save(self, name: str, content: bytes) -> None:
        """Keep a page that parsed; writes a small ``query.json`` beside the first one.

        Callers keep only answers that hold papers: an empty answer may be a passing glitch of the
        service and must be asked again next time.
        """
        if self.directory is None:
            return
        manifest = self.directory / "query.json"
        if not manifest.exists():
            text = json.dumps({"source": self.source, "query": self.query}, indent=2, sort_keys=True)
            atomic_write_bytes(manifest, text.encode())
        atomic_write_bytes(self._path(name), content)

    def explain(self, error: Exception):
        """``error`` with a note on the pages kept on disk so far (to raise instead of it)."""
        from landscape.errors import LandscapeError

        kept = len(self.names())
        if not kept:
            return error
        return LandscapeError(
            f"{error}; the {kept} page{'s' if kept != 1 else ''} received so far are kept in "
            f"{self.directory}/ (rerun the same command to resume)"
        )

    def names(self) -> list[str]:
        """Names of the stored pages, sorted."""
        if self.directory is None or not self.directory.is_dir():
            return []
        return sorted(
            p.name
            for p in self.directory.iterdir()
            if p.name != "query.json" and not p.name.startswith(".") and p.is_file()
        )


def remove_pages(output: Path) -> None:
    """Drop the kept pages of a fetch into ``output`` once the output file is written."""
    shutil.rmtree(pages_dir_for(output), ignore_errors=True)
