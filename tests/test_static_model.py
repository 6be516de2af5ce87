"""Static (model2vec) embedding models distilled offline from the bundled MiniLM."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("model2vec", reason="the 'static' extra is not installed")

from landscape.embed.embedder import Embedder, resolve_model  # noqa: E402
from landscape.embed.static import StaticModelBackend, distill_static_model  # noqa: E402
from landscape.errors import LandscapeError  # noqa: E402
from landscape.pipeline.build import build  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "landscape" / "data" / "hf_papers_sample.csv"


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory):
    return distill_static_model(tmp_path_factory.mktemp("static") / "minilm-static", pca_dims=64)


def test_distilled_model_is_recognised_and_embeds_by_meaning(static_dir):
    assert json.loads((static_dir / "config.json").read_text())["model_type"] == "model2vec"
    assert resolve_model(static_dir).kind == "model2vec"
    embedder = Embedder(static_dir, cache_dir=False)
    v = embedder.encode(
        [
            "Machine unlearning removes the influence of deleted training data from a model.",
            "Certified data deletion: making trained networks forget specific samples.",
            "Speech recognition with acoustic models for noisy spoken audio.",
        ]
    )
    assert v.shape == (3, 64) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1
    assert embedder.resolved_precision() == "fp32"


def test_build_with_a_static_model(static_dir, tmp_path):
    land = build(SAMPLE, None, embedding_model=str(static_dir), cache_dir=tmp_path, taxonomy=False)
    assert land.meta["embedding_model"] == str(static_dir.resolve())
    assert land.embeddings.shape == (100, 64)
    assert len(land.topics) >= 3 and land.meta["counts"]["outlier_share"] <= 0.2


def test_static_models_refuse_gpus_and_bad_dims(static_dir, tmp_path):
    with pytest.raises(LandscapeError, match="CPU only"):
        StaticModelBackend(resolve_model(static_dir), device="cuda")
    with pytest.raises(LandscapeError, match="pca_dims"):
        distill_static_model(tmp_path / "x", pca_dims=1)
