"""landscape: turn a pile of paper abstracts into a map of a research field.

Heavy libraries (torch, bertopic, umap) are imported lazily so that ``import landscape`` and the
``landscape`` command start fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "CorpusError": "landscape.errors",
    "LandscapeError": "landscape.errors",
    "ingest": "landscape.corpus.ingest",
    "read_corpus": "landscape.corpus.ingest",
    "Embedder": "landscape.embed.embedder",
    "TopicModel": "landscape.model.topics",
    "load_taxonomy": "landscape.model.taxonomy",
    "build": "landscape.pipeline.build",
    "curate": "landscape.pipeline.curation",
    "Landscape": "landscape.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'landscape' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
