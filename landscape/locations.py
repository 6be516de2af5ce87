"""Where things live on disk: the bundled sample corpus and every cache folder.

One rule for every cache: ``$LANDSCAPE_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/landscape``,
else ``~/.cache/landscape``; below it one folder per kind (:data:`CACHE_KINDS`):

- ``embeddings/``: the SQLite embedding cache (:mod:`landscape.embed.cache`);
- ``layouts/``: cached UMAP layouts (:mod:`landscape.model.layout_cache`);
- ``landscapes/``: landscapes that notebooks build from corpus files, one folder per input hash;
- ``models/``: embedding models exported to ONNX (:mod:`landscape.embed.onnx_int8`).

Bundled files are found through the installed package (``importlib.resources``), never through the
working directory, so notebooks and commands run from any folder.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

CACHE_ENV = "LANDSCAPE_CACHE_DIR"
CACHE_KINDS = ("embeddings", "layouts", "landscapes", "models")
SAMPLE_FILE = "hf_papers_sample.csv"


def cache_root() -> Path:
    """``$LANDSCAPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/landscape``, else ``~/.cache/landscape``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "landscape"


def cache_dir(kind: str) -> Path:
    """The folder of one kind of cache under :func:`cache_root` (not created here)."""
    if kind not in CACHE_KINDS:
        raise ValueError(f"cache kind must be one of {', '.join(CACHE_KINDS)}; got {kind!r}")
    return cache_root() / kind


def sample_corpus() -> Path:
    """The bundled 100-paper sample (Hugging Face daily papers), wherever the package is installed."""
    return Path(str(resources.files("landscape") / "data" / SAMPLE_FILE))
