"""The two-level hierarchy: topics grouped into parents."""

import numpy as np
import pytest

from landscape.errors import LandscapeError
from landscape.model.hierarchy import default_n_parents, group_topics


def _centroids():
    rng = np.random.default_rng(0)
    axes = np.eye(16)[:3]
    # 9 topics around 3 directions: parents should follow the directions
    c = np.vstack([axes[i] + 0.15 * rng.standard_normal(16) for i in (0, 0, 0, 1, 1, 1, 2, 2, 2)])
    return c / np.linalg.norm(c, axis=1, keepdims=True)


@pytest.mark.parametrize("k, expected", [(0, 0), (1, 1), (2, 2), (3, 2), (9, 3), (30, 5), (100, 10)])
def test_default_number_of_parents(k, expected):
    assert default_n_parents(k) == expected


def test_parents_group_similar_topics_cover_all_and_are_ordered_by_size():
    sizes = np.array([5, 5, 5, 50, 50, 50, 1, 1, 1])
    parents = group_topics(_centroids(), sizes)
    assert parents.shape == (9,) and set(parents) == {0, 1, 2}
    assert len(set(parents[:3])) == len(set(parents[3:6])) == len(set(parents[6:])) == 1
    assert parents[3] == 0 and parents[0] == 1 and parents[6] == 2  # 150 > 15 > 3 papers
    assert np.array_equal(parents, group_topics(_centroids(), sizes))  # deterministic


def test_edge_cases_and_errors():
    assert group_topics(np.zeros((0, 4)), []).shape == (0,)
    assert group_topics(_centroids()[:1], [3]).tolist() == [0]
    assert group_topics(_centroids()[:2], [3, 4]).tolist() == [1, 0]
    assert set(group_topics(_centroids(), np.ones(9), n_parents=1)) == {0}
    with pytest.raises(LandscapeError, match="n_parents"):
        group_topics(_centroids(), np.ones(9), n_parents=10)
    with pytest.raises(LandscapeError, match="sizes"):
        group_topics(_centroids(), np.ones(3))
