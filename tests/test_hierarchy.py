"""The two-level hierarchy: topics clustered into groups."""

import numpy as np
import pytest

from landscape.errors import LandscapeError
from landscape.model.hierarchy import default_n_groups, group_topics


def _centroids():
    rng = np.random.default_rng(0)
    axes = np.eye(16)[:3]
    # 9 topics around 3 directions: groups should follow the directions
    c = np.vstack([axes[i] + 0.15 * rng.standard_normal(16) for i in (0, 0, 0, 1, 1, 1, 2, 2, 2)])
    return c / np.linalg.norm(c, axis=1, keepdims=True)


@pytest.mark.parametrize(
    "k, expected",
    [(0, 0), (1, 1), (2, 2), (3, 2), (9, 4), (12, 6), (30, 6), (40, 6), (45, 7), (65, 8), (129, 11)]
    + [(400, 15)],
)
def test_default_number_of_groups(k, expected):
    assert default_n_groups(k) == expected


def test_groups_group_similar_topics_cover_all_and_are_ordered_by_size():
    sizes = np.array([5, 5, 5, 50, 50, 50, 1, 1, 1])
    groups = group_topics(_centroids(), sizes, n_groups=3)
    assert groups.shape == (9,) and set(groups) == {0, 1, 2}
    assert len(set(groups[:3])) == len(set(groups[3:6])) == len(set(groups[6:])) == 1
    assert groups[3] == 0 and groups[0] == 1 and groups[6] == 2  # 150 > 15 > 3 papers
    assert np.array_equal(groups, group_topics(_centroids(), sizes, n_groups=3))  # deterministic


def test_edge_cases_and_errors():
    assert group_topics(np.zeros((0, 4)), []).shape == (0,)
    assert group_topics(_centroids()[:1], [3]).tolist() == [0]
    assert group_topics(_centroids()[:2], [3, 4]).tolist() == [1, 0]
    assert set(group_topics(_centroids(), np.ones(9), n_groups=1)) == {0}
    with pytest.raises(LandscapeError, match="n_groups"):
        group_topics(_centroids(), np.ones(9), n_groups=10)
    with pytest.raises(LandscapeError, match="sizes"):
        group_topics(_centroids(), np.ones(3))
