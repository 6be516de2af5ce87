"""Static embedding models distilled locally from the bundled MiniLM with ``model2vec`` (no download).

A static model keeps one vector per token of MiniLM's vocabulary (MiniLM's output for that token,
reduced by PCA and weighted by token frequency) and embeds a paper as the mean of its tokens'
vectors. Measured on 10,000 dev-corpus papers on the 2-core development machine: about 2,200
papers/s against MiniLM's 28 (fp32), at a cost in topic quality (NMI against arXiv categories 0.195
against 0.276; 10 topics instead of 22). It is the option for a first look at a very large corpus,
not the default.

    landscape distill models/minilm-static          # about 40 s, once
    landscape build papers.parquet --model models/minilm-static -o out/quick-look
"""

from __future__ import annotations

import os
from pathlib import Path

from landscape.embed.models import DEFAULT_MODEL, resolve_model, set_offline
from landscape.errors import LandscapeError, require

DEFAULT_DIMS = 256


def distill_static_model(
    out_dir: str | os.PathLike,
    base_model: str = DEFAULT_MODEL,
    *,
    pca_dims: int = DEFAULT_DIMS,
) -> Path:
    """Distill a model2vec static model from a local sentence-transformers model into ``out_dir``."""
    if isinstance(pca_dims, bool) or not isinstance(pca_dims, int) or pca_dims < 2:
        raise LandscapeError(f"pca_dims must be an integer >= 2, got {pca_dims!r}")
    spec = resolve_model(base_model)
    if spec.kind != "sentence-transformers":
        raise LandscapeError(f"{base_model} is not a sentence-transformers model: nothing to distill from")
    set_offline()
    distill = require("model2vec.distill", extra="static").distill
    model = distill(model_name=str(spec.path), pca_dims=pca_dims)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    return out


class StaticModelBackend:
    """A model2vec static model from a local directory (CPU only; fp32)."""

    precisions = ("fp32",)

    def __init__(self, spec, *, device: str = "cpu", max_seq_length: int = 256):
        set_offline()
        m2v = require("model2vec", extra="static")
        if not str(device).startswith("cpu"):
            raise LandscapeError(f"static models run on the CPU only, got device {device!r}")
        try:
            self.model = m2v.StaticModel.from_pretrained(str(spec.path))
        except (OSError, ValueError, KeyError) as exc:
            raise LandscapeError(f"cannot load static model {spec.model_id}: {exc}") from exc
        self.model_id = spec.model_id
        self.max_seq_length = max_seq_length
        self.dim = int(self.model.dim)

    def encode_batch(self, texts: list[str], precision: str):
        import numpy as np

        vectors = self.model.encode(
            texts, max_length=self.max_seq_length, show_progress_bar=False, use_multiprocessing=False
        )
        return np.asarray(vectors, dtype=np.float32)
