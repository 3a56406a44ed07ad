"""The inverted file's rules, each at its boundary: centroids per metric, splits and cuts,
probe budgets, padding, empty lists, and the recall's count of unfilled answers."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import fewlabels.learn.ivf_graph as ivf
from fewlabels.errors import MissingExtraError
from fewlabels.learn.features import l2_rows
from fewlabels.learn.ivf_graph import (
    Clusters,
    _chain,
    _cut,
    _split_large,
    cluster_rows,
    default_n_lists,
    graph_recall,
    ivf_self_knn,
    list_ordered,
)


def _blobs_at_radii(n_per: int = 120, seed: int = 0) -> np.ndarray:
    """Three 2-d blobs along one ray at radii 1, 4 and 8: not unit rows, so the nearest
    centroid by inner product (the farthest one along the ray) is not the nearest by
    distance."""
    rng = np.random.default_rng(seed)
    centres = np.array([[1.0, 0.0], [4.0, 0.3], [8.0, -0.2]])
    return np.vstack([c + 0.1 * rng.standard_normal((n_per, 2)) for c in centres])


def _unit(n: int = 600, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((4, dim))
    lab = rng.integers(0, 4, n)
    return l2_rows(centres[lab] + 0.3 * rng.standard_normal((n, dim))).astype(np.float32)


# --- centroids: unit for "ip", plain means for "l2" ---------------------------------------


@pytest.mark.parametrize(
    ("n_lists", "list_size"),
    [(1, 10**6), (3, 10**6), (1, 100), (4, 60)],
    ids=["one-list", "k-means", "split", "split-of-k-means"],
)
def test_ip_centroids_are_unit_and_the_partition_prints_nothing(n_lists, list_size, capfd):
    clusters = cluster_rows(_unit(), n_lists=n_lists, list_size=list_size)
    np.testing.assert_allclose(np.linalg.norm(clusters.centroids, axis=1), 1.0, atol=1e-5)
    assert capfd.readouterr() == ("", "")  # faiss's k-means is not verbose


def test_ip_centroids_of_cut_lists_are_unit_too():
    # 300 copies of 3 rows: k-means cannot split them, so the cut does
    X = np.repeat(_unit(3), 100, axis=0)
    clusters = cluster_rows(X, n_lists=1, list_size=50)
    assert clusters.n_lists >= 6
    np.testing.assert_allclose(np.linalg.norm(clusters.centroids, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("n_lists", [1, 3])
def test_l2_centroids_are_row_means_and_rows_go_to_the_nearest_by_distance(n_lists):
    X = _blobs_at_radii()
    clusters = cluster_rows(X, n_lists=n_lists, list_size=10**6, metric="l2")
    C = clusters.centroids.astype(np.float64)
    for c in range(clusters.n_lists):  # near the mean of their rows (of a training sample)
        np.testing.assert_allclose(C[c], X[clusters.assign == c].mean(axis=0), atol=0.3)
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(clusters.assign, d2.argmin(axis=1))
    if n_lists == 3:  # by inner product most rows would go to the farthest blob
        assert (X @ C.T).argmax(axis=1).tolist() != clusters.assign.tolist()
        assert np.bincount(clusters.assign).tolist() == [120, 120, 120]


def test_l2_lists_split_by_plain_k_means_keep_plain_centroids():
    X = _blobs_at_radii()
    clusters = cluster_rows(X, n_lists=1, list_size=100, metric="l2")
    assert clusters.n_lists >= 3
    norms = np.linalg.norm(clusters.centroids, axis=1)
    assert norms.max() > 4.0  # spherical k-means would leave them all at 1


def test_two_lists_asked_are_two_lists():
    X = _blobs_at_radii()
    assert cluster_rows(X, n_lists=2, list_size=10**6, metric="l2").n_lists == 2


# --- splitting oversized lists: the bound is "more than twice list_size" ------------------


@pytest.mark.parametrize(("n", "lists"), [(100, 1), (101, 2), (117, 3)])
def test_a_list_is_split_only_above_twice_its_size(n, lists):
    # 100 = 2 x 50 stays whole; 101 -> min(ceil(101/50), 101 // 39) = 2; 117 -> 3
    clusters = cluster_rows(_unit(n), n_lists=1, list_size=50)
    assert clusters.n_lists == lists


def test_default_lists_are_at_most_n_over_39():
    assert default_n_lists(117, list_size=10) == 3  # 117 // 39, not 117 // 40
    assert default_n_lists(78, list_size=10) == 2


def test_a_list_too_small_to_split_does_not_stop_the_others():
    X = _unit(250)
    assign = np.r_[np.zeros(50, np.int64), np.ones(200, np.int64)]
    centroids = np.vstack([X[:50].mean(0), X[50:].mean(0)]).astype(np.float32)
    # list 0: 50 > 2 x 10 rows, but 50 // 39 = 1 sub-list: left; list 1: split in 5
    C, a, parent = _split_large(X, centroids, assign.copy(), np.arange(2), 10, "ip", 0)
    assert len(C) == 6 and (a[:50] == 0).all()
    assert sorted(np.unique(a[50:]).tolist()) == [1, 2, 3, 4, 5]
    assert parent.tolist() == [0, 1, 1, 1, 1, 1]


# --- the cut: the last resort, along the direction to the farthest row --------------------


def _line(
    ts: np.ndarray, centre: tuple[float, float], rng: np.random.Generator, noise: float = 0.01
) -> np.ndarray:
    return np.c_[ts + centre[0], centre[1] + noise * rng.standard_normal(len(ts))]


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_the_cut_slices_each_list_along_its_farthest_row_into_list_size_parts(metric):
    rng = np.random.default_rng(0)
    # list 0: 45 rows on a line far from the origin, its middle row first (a direction to
    # the first row would be no direction), spread across the line too, so that a direction
    # taken from the origin rather than from the centroid cuts across it; list 1: 21 rows;
    # list 2: exactly 2 x 10 rows
    t0 = np.r_[22, rng.permutation(np.r_[0:22, 23:45])].astype(float)
    X = np.vstack(
        [
            _line(t0, (0.0, 1000.0), rng, noise=0.3),
            _line(rng.permutation(21).astype(float), (500.0, 0.0), rng),
            _line(np.arange(20.0), (-300.0, -300.0), rng),
        ]
    )
    assign = np.repeat([0, 1, 2], [45, 21, 20])
    centroids = np.vstack([X[assign == c].mean(0) for c in range(3)]).astype(np.float32)
    C, a, parent = _cut(X, centroids.copy(), assign.copy(), np.arange(3), 10, metric)
    # 45 -> ceil(45 / 10) = 5 slices of 9, 21 -> 3 slices of 7, 20 stays whole
    assert len(C) == 3 + 4 + 2
    assert parent.tolist() == [0, 1, 2, 0, 0, 0, 0, 1, 1]
    sizes = np.bincount(a, minlength=len(C))
    assert sizes[[0, 3, 4, 5, 6]].tolist() == [9] * 5
    assert sizes[[1, 7, 8]].tolist() == [7] * 3 and sizes[2] == 20
    t = X[:, 0] - np.repeat([0.0, 500.0, -300.0], [45, 21, 20])
    np.testing.assert_array_equal(C[2], centroids[2])  # a list left whole keeps its own
    for c in [0, 1, *range(3, len(C))]:
        ts = np.sort(t[a == c])
        assert (np.diff(ts) == 1).all()  # a slice is a run of the line, not a scatter
        mean = X[a == c].mean(axis=0)
        want = mean / np.linalg.norm(mean) if metric == "ip" else mean
        np.testing.assert_allclose(C[c], want, rtol=1e-5, atol=1e-6)


# --- probe budgets ----------------------------------------------------------------------


def _probe_reference(clusters: Clusters, budget: int, max_probe: int) -> np.ndarray:
    probes = clusters.probes(max_probe)
    sizes = np.bincount(clusters.assign, minlength=clusters.n_lists)
    out = np.full(probes.shape, -1)
    for c in range(clusters.n_lists):
        row = [c] + [p for p in probes[c] if p != c]
        total = 0
        for j, p in enumerate(row):
            total += sizes[p]
            if j > 0 and total > budget:
                break
            out[c, j] = p
    return out


@pytest.mark.parametrize("budget", [1, 40, 97, 150, 400])
def test_the_candidate_budget_takes_the_nearest_lists_while_they_fit(budget):
    X = _unit(600)
    clusters = cluster_rows(X, n_lists=12, list_size=10**6)
    got = clusters.probe_lists(nprobe=6, candidates=budget)
    np.testing.assert_array_equal(got, _probe_reference(clusters, budget, 6))
    assert got.dtype == np.int64 and got.shape == (12, 6)


def test_the_budget_counts_a_list_that_fills_it_exactly():
    X = _unit(600)
    clusters = cluster_rows(X, n_lists=12, list_size=10**6)
    sizes = np.bincount(clusters.assign)
    first = clusters.probe_lists(nprobe=6, candidates=10**6)[0]
    exact = int(sizes[first[0]] + sizes[first[1]])
    assert (clusters.probe_lists(nprobe=6, candidates=exact)[0, :2] >= 0).all()
    assert clusters.probe_lists(nprobe=6, candidates=exact - 1)[0, 1] == -1


def test_nprobe_alone_ignores_the_candidate_budget(monkeypatch):
    clusters = cluster_rows(_unit(600), n_lists=12, list_size=10**6)
    monkeypatch.setattr(ivf, "CANDIDATES", 1)
    assert (clusters.probe_lists(nprobe=3) >= 0).all()  # three lists, whatever their rows
    assert (clusters.probe_lists()[:, 1:] == -1).all()  # the budget alone: own list only


def test_duplicated_centroids_still_probe_their_own_list_first_and_empty_lists_count_zero():
    centroids = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    clusters = Clusters(centroids=centroids, assign=np.array([0, 0, 1, 1]))  # list 2 empty
    np.testing.assert_array_equal(clusters.probes(1)[:, 0], [0, 1, 2])
    lists = clusters.probe_lists(nprobe=2, candidates=10)
    np.testing.assert_array_equal(lists[:, 0], [0, 1, 2])


# --- the self-join and its recall ---------------------------------------------------------


def test_the_candidate_budget_reaches_the_self_join_and_the_recall():
    X = _unit(600)
    clusters = cluster_rows(X, n_lists=12, list_size=10**6)
    _, idx = ivf_self_knn(X, 5, clusters=clusters, candidates=1)
    found = idx >= 0
    own = np.broadcast_to(clusters.assign[:, None], idx.shape)
    assert (clusters.assign[idx[found]] == own[found]).all()  # own list only
    one = graph_recall(X, clusters, nprobe=1)
    assert graph_recall(X, clusters, candidates=1) == one
    assert graph_recall(X, clusters) > one  # the default budget probes more


def test_an_empty_list_is_passed_over_not_the_end_of_the_search():
    X = _unit(300)
    # four lists, the second empty: its number comes before rows of lists 2 and 3
    base = cluster_rows(X, n_lists=3, list_size=10**6)
    assign = np.where(base.assign >= 1, base.assign + 1, 0)
    centroids = np.insert(base.centroids, 1, base.centroids[0] * -1.0, axis=0)
    clusters = Clusters(centroids=np.ascontiguousarray(centroids), assign=assign)
    sims, idx = ivf_self_knn(X, 4, clusters=clusters, nprobe=4)
    np.testing.assert_array_equal(idx[:, 0], np.arange(len(X)))
    exact = -np.sort(-(X @ X.T), axis=1)[:, :4]
    np.testing.assert_allclose(sims, exact, atol=1e-5)  # every list probed: exact


def test_l2_pads_missing_neighbours_with_plus_infinity():
    X = _blobs_at_radii(40)
    clusters = cluster_rows(X, n_lists=3, list_size=10**6, metric="l2")
    sims, idx = ivf_self_knn(X, 60, clusters=clusters, nprobe=1)
    assert (idx == -1).any()
    assert np.isposinf(sims[idx == -1]).all() and np.isfinite(sims[idx >= 0]).all()


def test_answers_the_search_could_not_fill_are_not_counted_as_found():
    X = _unit(200)
    clusters = cluster_rows(X, n_lists=5, list_size=10**6)  # lists of about 40 rows
    largest = int(np.bincount(clusters.assign).max())
    recall = graph_recall(X, clusters, nprobe=1, k=150, sample=200)
    assert recall <= largest / 150


def test_list_order_is_gathered_block_by_block_whatever_the_block():
    X = np.arange(30.0).reshape(10, 3)
    order = np.random.default_rng(0).permutation(10)
    out = list_ordered(X, order, block_rows=4)
    np.testing.assert_array_equal(out, X[order].astype(np.float32))


# --- the chain and a missing faiss ----------------------------------------------------------


def test_the_l2_chain_goes_to_the_nearest_by_distance_from_three_points_on():
    np.testing.assert_array_equal(_chain(np.array([[0.0], [10.0], [1.0]]), "l2"), [0, 2, 1])
    # by |a + b| instead of |a - b| the path from 1 would go to -1.5 first
    pts = np.array([[1.0], [3.0], [-1.5], [10.0]])
    np.testing.assert_array_equal(_chain(pts, "l2"), [0, 1, 2, 3])


def test_without_faiss_the_inverted_file_names_the_package_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(
        MissingExtraError, match=r"^The kNN graph needs faiss: pip install faiss-cpu$"
    ):
        cluster_rows(_unit(50), n_lists=2)
