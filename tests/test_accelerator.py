"""cuML is used for UMAP and HDBSCAN when importable (GPU machines) and never required.

No GPU here: a stand-in ``cuml`` package (wrapping umap-learn and hdbscan, recording its calls)
checks the dispatch, the parameters cuML receives and the error without it."""

import sys
import types

import numpy as np
import pytest
from test_topics import _synthetic

from landscape.errors import LandscapeError
from landscape.model.consensus import CONSENSUS_RUNS, RUN_EPOCHS
from landscape.model.topics import TopicModel


@pytest.fixture
def fake_cuml(monkeypatch):
    import hdbscan
    import umap

    calls = []

    def recorder(kind, real, method):
        """A class that records its arguments and runs the CPU library behind ``method``."""

        def init(self, **kwargs):
            calls.append((kind, kwargs))
            self.model = real(**kwargs)

        return type(kind, (), {"__init__": init, method: lambda self, X: getattr(self.model, method)(X)})

    UMAP = recorder("umap", umap.UMAP, "fit_transform")
    HDBSCAN = recorder("hdbscan", hdbscan.HDBSCAN, "fit_predict")

    cuml = types.ModuleType("cuml")
    manifold = types.ModuleType("cuml.manifold")
    cluster = types.ModuleType("cuml.cluster")
    cluster_hdbscan = types.ModuleType("cuml.cluster.hdbscan")
    manifold.UMAP, cluster_hdbscan.HDBSCAN = UMAP, HDBSCAN
    cuml.manifold, cuml.cluster, cluster.hdbscan = manifold, cluster, cluster_hdbscan
    for name, module in [
        ("cuml", cuml),
        ("cuml.manifold", manifold),
        ("cuml.cluster", cluster),
        ("cuml.cluster.hdbscan", cluster_hdbscan),
    ]:
        monkeypatch.setitem(sys.modules, name, module)
    return calls


def test_cuml_is_used_automatically_when_importable(fake_cuml):
    docs, X, truth = _synthetic()
    model = TopicModel(min_cluster_size=10, random_state=3, consensus_runs=1).fit(docs, X)
    kinds = [kind for kind, _ in fake_cuml]
    assert kinds == ["umap", "umap", "hdbscan"]
    assert fake_cuml[0][1]["random_state"] == 3 and fake_cuml[0][1]["metric"] == "cosine"
    assert {fake_cuml[0][1]["n_components"], fake_cuml[1][1]["n_components"]} == {5, 2}
    assert fake_cuml[2][1]["min_cluster_size"] == 10
    # (the k-NN graph the refinement needs is computed on the CPU, after the GPU layouts)
    assert model.params_["accelerator"] == "cuml" and list(model.timings_)[:2] == ["umap", "umap_2d"]
    assert len(model.topics_) >= 3 and model.coords_.shape == (len(docs), 2)
    # the default consensus runs its extra UMAP + HDBSCAN runs on the GPU too (other seeds); the
    # k-NN graph they are agreed on is computed on the CPU
    fake_cuml.clear()
    model = TopicModel(min_cluster_size=10, random_state=3).fit(docs, X)
    runs = CONSENSUS_RUNS - 1
    assert [kind for kind, _ in fake_cuml] == ["umap", "umap", "hdbscan"] + ["umap", "hdbscan"] * runs
    assert len({call["random_state"] for kind, call in fake_cuml if kind == "umap"}) == runs + 1
    # the extra runs' layouts are the shorter ones (consensus.RUN_EPOCHS)
    assert [call.get("n_epochs") for kind, call in fake_cuml[3:] if kind == "umap"] == [RUN_EPOCHS] * runs
    assert "consensus" in model.timings_


def test_cpu_accelerator_never_touches_cuml(fake_cuml):
    docs, X, _ = _synthetic()
    model = TopicModel(min_cluster_size=10, random_state=3, accelerator="cpu").fit(docs, X)
    assert fake_cuml == [] and model.params_["accelerator"] == "cpu"


def test_without_cuml_auto_means_cpu_and_cuml_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "cuml", None)  # import cuml -> ImportError
    docs, X, _ = _synthetic()
    assert TopicModel(min_cluster_size=10).fit(docs, X).params_["accelerator"] == "cpu"
    with pytest.raises(LandscapeError, match="RAPIDS cuML"):
        TopicModel(accelerator="cuml").fit(docs, X)
    with pytest.raises(LandscapeError, match="accelerator must be one of auto, cpu, cuml"):
        TopicModel(accelerator="gpu").fit(docs, np.asarray(X))
