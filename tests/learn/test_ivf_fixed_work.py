"""Fixed work per row in the inverted-file graph: bounded lists, a budget of candidate rows."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels.data import Dataset
from fewlabels.encode import embed
from fewlabels.encode.index import cache_source
from fewlabels.learn import ivf_graph
from fewlabels.learn.features import l2_rows
from fewlabels.learn.ivf_graph import cluster_rows, graph_recall, ivf_self_knn
from fewlabels.learn.ivf_store import IVF_FORMAT, ivf_partition, partition_settings
from fewlabels.learn.knn_graph import knn_affinity

KG = importlib.import_module("fewlabels.learn.knn_graph")


def mixture(n: int, dim: int = 16, n_clusters: int = 10, seed: int = 0) -> np.ndarray:
    """Unit rows around ``n_clusters`` centres with a 4-d spread each."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim))
    basis = rng.standard_normal((n_clusters, 4, dim)) * 0.3
    lab = rng.integers(0, n_clusters, n)
    X = centres[lab] + np.einsum("ni,nid->nd", rng.standard_normal((n, 4)), basis[lab])
    return l2_rows(X + 0.01 * rng.standard_normal((n, dim))).astype(np.float32)


def candidates_per_list(clusters, probes: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    sizes = np.bincount(np.asarray(clusters.assign), minlength=clusters.n_lists)
    return np.where(probes >= 0, sizes[np.maximum(probes, 0)], 0).sum(axis=1)


def test_lists_never_exceed_twice_the_list_size() -> None:
    X = mixture(6000)
    for size in (50, 150):
        cl = cluster_rows(X, list_size=size)
        assert np.bincount(cl.assign).max() <= 2 * size


def test_duplicated_rows_that_k_means_cannot_split_are_cut_to_the_bound() -> None:
    # 900 copies of one row and 100 others: k-means cannot split the copies
    rng = np.random.default_rng(0)
    X = np.vstack([np.tile(l2_rows(rng.standard_normal((1, 8))), (900, 1)), mixture(100, dim=8)])
    cl = cluster_rows(X.astype(np.float32), n_lists=2, list_size=100)
    sizes = np.bincount(cl.assign, minlength=cl.n_lists)
    assert sizes.max() <= 200 and sizes.sum() == 1000  # (k-means may leave lists empty)
    # still a valid partition for the self-join: every row finds itself (distance 0 ties
    # among the copies may pick another copy, so check the score)
    sims, idx = ivf_self_knn(X.astype(np.float32), 3, clusters=cl)
    assert np.all(idx[:, 0] >= 0) and np.allclose(sims[:, 0], 1.0, atol=1e-5)


def test_probe_lists_follow_the_budget_rule() -> None:
    X = mixture(3000)
    cl = cluster_rows(X, list_size=60)
    sizes = np.bincount(cl.assign, minlength=cl.n_lists)
    budget = 400
    probes = cl.probe_lists(candidates=budget)
    nearest = cl.probes(ivf_graph.MAX_PROBE)
    assert np.array_equal(probes[:, 0], np.arange(cl.n_lists))  # own list first, always
    for c in range(cl.n_lists):
        kept = probes[c][probes[c] >= 0]
        assert np.all(probes[c][len(kept) :] == -1)  # padding only at the end
        assert sizes[kept].sum() <= budget or len(kept) == 1
        # the kept lists are the nearest ones (as a set), and the next nearest would not fit
        others = [p for p in nearest[c] if p != c]
        assert set(kept[1:]) == set(others[: len(kept) - 1])
        if len(kept) - 1 < len(others):
            assert sizes[kept].sum() + sizes[others[len(kept) - 1]] > budget
    # nprobe alone is the count rule, unchanged
    assert np.array_equal(cl.probe_lists(nprobe=3), cl.probes(3))
    # the default reads CANDIDATES at call time
    assert np.array_equal(cl.probe_lists(), cl.probe_lists(candidates=ivf_graph.CANDIDATES))


def test_candidates_per_row_do_not_grow_with_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivf_graph, "CANDIDATES", 500)
    means = []
    for n in (2000, 20000):
        cl = cluster_rows(mixture(n, seed=1), list_size=100)
        per_list = candidates_per_list(cl, cl.probe_lists())
        sizes = np.bincount(cl.assign, minlength=cl.n_lists)
        assert per_list.max() <= 500  # lists are <= 200 rows, so the own list fits too
        means.append(float((per_list * sizes).sum() / sizes.sum()))
    # the same work per row at 10x the rows (the count rule would follow the list size)
    assert 0.8 <= means[1] / means[0] <= 1.25


def test_the_budget_graph_finds_the_neighbours_of_a_small_mixture() -> None:
    X = mixture(4000, seed=2)
    cl = cluster_rows(X, list_size=100)
    recall = graph_recall(X, cl, candidates=1200, sample=400)
    assert recall >= 0.95
    assert graph_recall(X, cl, candidates=100, sample=400) < recall  # fewer rows, fewer found
    # a budget of every row is exact search
    sims, _idx = ivf_self_knn(X, 6, clusters=cl, candidates=len(X), nprobe=cl.n_lists)
    exact = X @ X.T
    np.testing.assert_allclose(sims, -np.sort(-exact, axis=1)[:, :6], atol=1e-5)
    assert graph_recall(X, cl, candidates=len(X), nprobe=cl.n_lists) == 1.0


def test_the_default_graph_stays_symmetric_and_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivf_graph, "CANDIDATES", 300)
    X = mixture(3000, seed=3)
    cl = cluster_rows(X, list_size=80)
    W = knn_affinity(X, n_neighbors=5, clusters=cl)
    assert (W != W.T).nnz == 0 and W.diagonal().sum() == 0 and W.min() >= 0
    assert np.all(np.diff(W.indptr) >= 5)  # every row keeps its 5 neighbours (and more)
    assert W.graph_recall is not None and W.graph_recall >= 0.8


def test_the_saved_partition_records_the_split_rule(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = partition_settings(n_lists=None, list_size=40, metric="ip", seed=0)
    assert settings["max_list"] == 80 and settings["split_rounds"] == ivf_graph._SPLIT_ROUNDS
    assert IVF_FORMAT == 2
    n = 600
    data = Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=[f"w{i % 5} text {i}" for i in range(n)],
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )
    X = embed(data, FakeTextEncoder(), cache_dir=tmp_path, progress=False).X
    ivf_partition(X, source=cache_source(X), list_size=40)
    (record,) = (cache_source(X).entry / "indexes").glob("*-ivf-*.json")
    # a record of the format before this rule (lists split twice, not bounded) is refused
    old = json.loads(record.read_text())
    old["format"] = 1
    record.write_text(json.dumps(old))
    with pytest.warns(UserWarning, match=r"Refused.*format 1"):
        again = ivf_partition(X, source=cache_source(X), list_size=40)
    assert np.bincount(again.assign).max() <= 80
    # another split rule is another file (a record of the other rule is never read)
    monkeypatch.setattr(ivf_graph, "_SPLIT_ROUNDS", 1)
    ivf_partition(X, source=cache_source(X), list_size=40)
    assert len(list((cache_source(X).entry / "indexes").glob("*-ivf-*.json"))) == 2
