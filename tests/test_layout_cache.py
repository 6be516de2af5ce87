"""UMAP layout cache: a refit with new clustering parameters reuses the layouts and changes nothing else."""

import numpy as np
import pytest
from test_topics import _synthetic

from landscape.model.topics import TopicModel


@pytest.fixture(scope="module")
def data():
    docs, X, _ = _synthetic()
    return docs, X


def _fit(docs, X, cache, **params):
    return TopicModel(random_state=7, layout_cache=cache, **params).fit(docs, X)


def test_second_fit_reads_layouts_and_gives_the_same_result(data, tmp_path):
    docs, X = data
    first = _fit(docs, X, tmp_path, min_cluster_size=10)
    assert first.layouts_cached_ == []
    # the map, the clustering layout and the consensus's other runs' clustering layouts
    assert len(list(tmp_path.glob("*.npy"))) == 2 + first.params_["consensus_runs"] - 1
    plain = _fit(docs, X, None, min_cluster_size=12, min_samples=3)

    again = _fit(docs, X, tmp_path, min_cluster_size=12, min_samples=3)
    assert again.layouts_cached_ == ["umap", "umap_2d"]
    # the consensus's other runs come from the cache too: no new layout files
    assert "umap" not in again.timings_
    assert len(list(tmp_path.glob("*.npy"))) == 2 + first.params_["consensus_runs"] - 1
    np.testing.assert_array_equal(again.coords_, first.coords_)
    # Cached layouts are the computed ones: same topics as a fit without any cache.
    np.testing.assert_array_equal(again.labels_, plain.labels_)
    np.testing.assert_array_equal(again.coords_, plain.coords_)
    assert list(again.topics_["label"]) == list(plain.topics_["label"])


def test_layout_parameters_and_embeddings_are_part_of_the_key(data, tmp_path):
    docs, X = data
    _fit(docs, X, tmp_path, min_cluster_size=10)
    assert _fit(docs, X, tmp_path, min_cluster_size=10, n_components=3).layouts_cached_ == ["umap_2d"]
    other_seed = TopicModel(random_state=8, layout_cache=tmp_path, min_cluster_size=10).fit(docs, X)
    assert other_seed.layouts_cached_ == []
    moved = X.copy()
    moved[0] = moved[1]
    assert _fit(docs, moved, tmp_path, min_cluster_size=10).layouts_cached_ == []


@pytest.mark.parametrize("damage", ["truncate", "wrong_shape", "nan"])
def test_damaged_layout_is_recomputed_with_a_warning(data, tmp_path, damage):
    docs, X = data
    first = _fit(docs, X, tmp_path, min_cluster_size=10)
    for path in tmp_path.glob("*.npy"):
        if damage == "truncate":
            path.write_bytes(path.read_bytes()[:100])
        elif damage == "wrong_shape":
            np.save(path, np.zeros((3, 2), np.float32))
        else:
            array = np.load(path)
            array[0, 0] = np.nan
            np.save(path, array)
    with pytest.warns(UserWarning, match="cached layout"):
        again = _fit(docs, X, tmp_path, min_cluster_size=10)
    assert again.layouts_cached_ == []
    np.testing.assert_array_equal(again.coords_, first.coords_)
    assert _fit(docs, X, tmp_path, min_cluster_size=10).layouts_cached_ == ["umap", "umap_2d"]


def test_unwritable_cache_only_warns(data, tmp_path):
    docs, X = data
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.warns(UserWarning, match="cannot write the layout cache"):
        model = _fit(docs, X, blocker / "layouts", min_cluster_size=10)
    assert model.labels_.max() >= 3
