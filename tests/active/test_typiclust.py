from __future__ import annotations

import numpy as np
import pytest

from fewlabels.active import TypiClust, typicality, typiclust_select


def test_typicality_highest_in_the_dense_core() -> None:
    rng = np.random.default_rng(0)
    core = rng.normal(0, 0.05, (20, 2))
    outliers = np.array([[3.0, 3.0], [-3.0, 2.0]])
    X = np.concatenate([core, outliers]).astype(np.float32)
    t = typicality(X, k=5)
    assert t[:20].min() > t[20:].max()


def test_picks_dense_points_one_per_cluster() -> None:
    rng = np.random.default_rng(0)
    dense = [rng.normal(c, 0.05, (25, 2)) for c in ([0, 0], [5, 0], [0, 5])]
    sparse = rng.uniform(-2, 7, (6, 2))
    X = np.concatenate([*dense, sparse]).astype(np.float32)
    picked = typiclust_select(X, np.zeros(len(X), bool), 3, random_state=0)
    assert sorted(int(p) // 25 for p in picked) == [0, 1, 2]
    # each pick sits near its cluster centre
    centres = np.array([[0, 0], [5, 0], [0, 5]])
    for p in picked:
        assert np.linalg.norm(X[p] - centres[int(p) // 25]) < 0.1


def test_prefers_clusters_without_labels() -> None:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.05, (20, 2)) for c in ([0, 0], [5, 0])]).astype(np.float32)
    mask = np.zeros(40, bool)
    mask[:3] = True  # cluster 0 is labelled
    picked = TypiClust().select(X, n=1, labeled_mask=mask, random_state=0)
    assert picked[0] >= 20


def test_fills_when_pool_smaller_than_clusters() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2)).astype(np.float32)
    mask = np.array([1, 1, 1, 0, 0, 0], bool)
    picked = TypiClust().select(X, n=10, labeled_mask=mask, random_state=0)
    assert sorted(picked.tolist()) == [3, 4, 5]


def test_bad_k_is_explained() -> None:
    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"Expected k to be a whole number >= 1 \(neighbours"):
        TypiClust(k=0).select(X, n=1, labeled_mask=np.zeros(4, bool))


def _blobs_of_sizes(sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Tight, far-apart 2-d blobs of the given sizes, and each row's blob."""
    rng = np.random.default_rng(0)
    X = np.concatenate(
        [rng.normal((10.0 * b, 0.0), 0.05, (s, 2)) for b, s in enumerate(sizes)]
    ).astype(np.float32)
    return X, np.repeat(np.arange(len(sizes)), sizes)


#: Blob sizes: 0-2 large and of distinct sizes, 3 tiny (below the paper's 5), 4 holds the labels.
SIZES = [20, 40, 30, 3, 10]


@pytest.fixture
def known_clusters(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """k-means replaced by the true blobs, so the tests pin only the order clusters are visited
    in (blob b is cluster b; faiss k-means with random starts need not recover them)."""
    import importlib

    module = importlib.import_module("fewlabels.active.typiclust")
    calls: list[int] = []

    def true_blobs(X: np.ndarray, n_clusters: int, *, random_state: object = None) -> np.ndarray:
        calls.append(n_clusters)
        return np.repeat(np.arange(len(SIZES)), SIZES)

    monkeypatch.setattr(module, "kmeans_labels", true_blobs)
    return calls


def test_with_more_clusters_than_picks_the_largest_uncovered_clusters_come_first(
    known_clusters: list[int],
) -> None:
    X, blob = _blobs_of_sizes(SIZES)
    mask = blob == 4
    mask[np.flatnonzero(mask)[3:]] = False  # three labels, all in blob 4
    picked = typiclust_select(X, mask, 2, random_state=0)
    assert known_clusters == [5]  # 3 labels + 2 picks: five clusters for two picks
    assert blob[picked].tolist() == [1, 2]  # sizes 40 then 30, not the smaller 20 or 3


def test_a_tiny_cluster_is_visited_after_every_larger_uncovered_one(
    known_clusters: list[int],
) -> None:
    X, blob = _blobs_of_sizes(SIZES)
    mask = np.zeros(len(X), bool)
    mask[np.flatnonzero(blob == 4)[0]] = True
    picked = typiclust_select(X, mask, 4, random_state=0)
    assert blob[picked].tolist() == [1, 2, 0, 3]
    # one pick per uncovered cluster, before any cluster gets a second
    picked = typiclust_select(X, mask, 5, random_state=0)
    assert blob[picked].tolist() == [1, 2, 0, 3, 1]
