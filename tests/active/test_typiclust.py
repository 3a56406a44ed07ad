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


def test_typicality_is_the_inverse_mean_distance_to_the_k_nearest() -> None:
    X = np.array([[0.0], [1.0], [3.0], [7.0]], dtype=np.float32)
    t = typicality(X, k=2)
    assert t.dtype == np.float64
    # row 0: neighbours at 1 and 3; row 2: at 2 and 3; row 3: at 4 and 6
    np.testing.assert_allclose(t, [1 / 2, 1 / 1.5, 1 / 2.5, 1 / 5], rtol=1e-6)
    # k is capped at n - 1: k=20 on four rows averages over the three others
    np.testing.assert_allclose(typicality(X, k=20), [3 / 11, 3 / 9, 3 / 9, 3 / 17], rtol=1e-6)


def test_typicality_of_two_rows_and_of_one() -> None:
    two = np.array([[0.0, 0.0], [0.0, 4.0]], dtype=np.float32)
    np.testing.assert_allclose(typicality(two, k=5), [0.25, 0.25], rtol=1e-6)
    one = typicality(np.zeros((1, 3), np.float32))
    assert one.tolist() == [1.0] and one.dtype == np.float64


def test_exact_duplicates_are_very_typical_not_infinite_or_negative() -> None:
    t = typicality(np.zeros((3, 2), np.float32), k=2)
    np.testing.assert_allclose(t, 1e8)


def test_kmeans_with_one_cluster_or_more_clusters_than_rows() -> None:
    from fewlabels.active.typiclust import kmeans_labels

    X = np.array([[0.0, 0.0], [0.1, 0.0], [9.0, 9.0], [9.1, 9.0]], dtype=np.float32)
    one = kmeans_labels(X, 1, random_state=0)
    assert one.tolist() == [0, 0, 0, 0] and one.dtype == np.int64
    two = kmeans_labels(X, 2, random_state=0)
    assert two.dtype == np.int64
    assert two[0] == two[1] != two[2] == two[3]
    assert sorted(kmeans_labels(X, 10, random_state=0).tolist()) == [0, 1, 2, 3]


def test_clusters_are_labelled_plus_batch_capped_by_max_clusters_and_rows(
    known_clusters: list[int],
) -> None:
    X, blob = _blobs_of_sizes(SIZES)
    mask = blob == 4
    typiclust_select(X, mask, 2, random_state=0)  # 10 labels + 2
    typiclust_select(X, mask, 2, max_clusters=3, random_state=0)
    TypiClust(max_clusters=4).select(X, n=2, labeled_mask=mask, random_state=0)
    tiny = np.zeros(len(X), bool)
    tiny[:100] = True
    typiclust_select(X, tiny, 3, random_state=0)  # 100 + 3 labels, but 103 rows
    assert known_clusters == [12, 3, 4, 103]
    assert TypiClust().max_clusters == 500 and TypiClust().k == 20


def test_the_default_cap_is_500_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module = importlib.import_module("fewlabels.active.typiclust")
    calls: list[int] = []

    def one_cluster(X: np.ndarray, n_clusters: int, *, random_state: object = None) -> np.ndarray:
        calls.append(n_clusters)
        return np.zeros(len(X), np.int64)

    monkeypatch.setattr(module, "kmeans_labels", one_cluster)
    X = np.random.default_rng(0).normal(size=(600, 2)).astype(np.float32)
    mask = np.zeros(600, bool)
    mask[:550] = True
    typiclust_select(X, mask, 2, random_state=0)
    TypiClust().select(X, n=2, labeled_mask=mask, random_state=0)
    assert calls == [500, 500]


def test_rounds_continue_one_pick_per_cluster(known_clusters: list[int]) -> None:
    X, blob = _blobs_of_sizes(SIZES)
    mask = np.zeros(len(X), bool)
    mask[np.flatnonzero(blob == 4)[0]] = True
    picked = typiclust_select(X, mask, 8, random_state=0)
    # round 1: the uncovered clusters, largest first; round 2: every cluster has one
    assert blob[picked].tolist() == [1, 2, 0, 3, 1, 2, 0, 4]
    assert picked.dtype == np.int64
    assert typiclust_select(X, mask, 0, random_state=0).dtype == np.int64


SINGLE = [1, 10, 10]


def test_a_cluster_of_one_point_gets_its_pick_and_a_used_up_cluster_is_passed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    module = importlib.import_module("fewlabels.active.typiclust")
    assign = np.repeat(np.arange(3), SINGLE)
    monkeypatch.setattr(module, "kmeans_labels", lambda X, n_clusters, random_state=None: assign)
    rng = np.random.default_rng(0)
    X = np.concatenate(
        [[[50.0, 50.0]], rng.normal((0, 0), 0.1, (10, 2)), rng.normal((10, 0), 0.01, (10, 2))]
    ).astype(np.float32)
    picked = typiclust_select(X, np.zeros(len(X), bool), 6, random_state=0)
    # the singleton (cluster 0) after both larger clusters; once used up it is skipped and
    # the next pick goes to cluster 1 (fewest picks, lower index), not to the densest rows
    assert assign[picked].tolist() == [1, 2, 0, 1, 2, 1]


def test_k_sets_which_point_of_a_cluster_is_most_typical(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module = importlib.import_module("fewlabels.active.typiclust")
    # one cluster: a tight pair far off, and a loose group of eight
    rng = np.random.default_rng(0)
    X = np.concatenate([[[5.0, 0.0], [5.0, 0.001]], rng.normal((0, 0), 0.2, (8, 2))]).astype(
        np.float32
    )
    monkeypatch.setattr(
        module, "kmeans_labels", lambda X, n_clusters, random_state=None: np.zeros(10, np.int64)
    )
    mask = np.zeros(10, bool)
    assert typiclust_select(X, mask, 1, k=1)[0] in (0, 1)  # nearest neighbour: the pair
    assert typiclust_select(X, mask, 1)[0] >= 2  # k=20 (capped at 9): the group
    assert TypiClust(k=1).select(X, n=1, labeled_mask=mask, random_state=0)[0] in (0, 1)
    np.testing.assert_allclose(
        TypiClust(k=1).score(X, labeled_mask=mask), typicality(X, k=1), rtol=1e-6
    )
    assert TypiClust(k=1).score(X, labeled_mask=mask)[0] > 100


def test_bad_max_clusters_is_explained() -> None:
    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"max_clusters to be a whole number >= 1 \(a cap on k-m"):
        TypiClust(max_clusters=0).select(X, n=1, labeled_mask=np.zeros(4, bool))


def test_bad_proba_is_refused_even_though_typiclust_ignores_it() -> None:
    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="Expected proba of shape"):
        TypiClust().select(X, n=1, proba=np.ones((3, 2)) / 2, labeled_mask=np.zeros(4, bool))


def test_typicality_above_the_threshold_uses_the_inverted_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    kg = importlib.import_module("fewlabels.learn.knn_graph")
    ivf = importlib.import_module("fewlabels.learn.ivf_graph")
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(400, 6)) * [1, 1, 1, 3, 3, 3]).astype(np.float32)
    exact = typicality(X, k=5)
    monkeypatch.setattr(kg, "EXACT_UP_TO", 400)  # n == EXACT_UP_TO: still exact
    np.testing.assert_array_equal(typicality(X, k=5), exact)
    monkeypatch.setattr(kg, "EXACT_UP_TO", 399)  # above: the inverted file (squared L2)
    calls: list[str] = []
    real = ivf.ivf_self_knn

    def spy(*args, **kwargs):
        calls.append(kwargs["metric"])
        return real(*args, **kwargs)

    monkeypatch.setattr("fewlabels.active.typiclust.ivf_self_knn", spy)
    one_list = typicality(X, k=5)  # 400 rows: one list, so the answer is exact
    assert calls == ["l2"]
    np.testing.assert_allclose(one_list, exact, rtol=1e-4)
    monkeypatch.setattr(ivf, "LIST_SIZE", 40)  # ten lists: approximate, never higher
    approx = typicality(X, k=5)
    assert np.all(approx <= exact * (1 + 1e-4))
    assert np.corrcoef(approx, exact)[0, 1] > 0.9


def test_typicality_above_ann_above_uses_the_l2_neighbour_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    kg = importlib.import_module("fewlabels.learn.knn_graph")
    module = importlib.import_module("fewlabels.active.typiclust")
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(400, 6)) * [1, 1, 1, 3, 3, 3]).astype(np.float32)
    exact = typicality(X, k=5)
    metrics: list[str] = []
    real = module.build_index

    def spy(Xb: np.ndarray, *, settings: object) -> object:
        metrics.append(settings.metric)  # type: ignore[attr-defined]
        assert Xb.shape == X.shape and Xb.dtype == np.float32
        return real(Xb, settings=settings)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "build_index", spy)
    monkeypatch.setattr(kg, "ANN_ABOVE", 400)  # n == ANN_ABOVE: not the index
    np.testing.assert_array_equal(typicality(X, k=5), exact)
    assert metrics == []
    monkeypatch.setattr(kg, "ANN_ABOVE", 399)  # above: the HNSW index, squared L2
    approx = typicality(X, k=5)
    assert metrics == ["l2"]
    assert approx.shape == (400,) and approx.dtype == np.float64
    assert np.all(approx <= exact * (1 + 1e-4))  # approximate neighbours are never nearer
    np.testing.assert_allclose(np.median(approx / exact), 1.0, rtol=1e-3)


@pytest.mark.parametrize("path", ["ANN_ABOVE", "EXACT_UP_TO"])
def test_many_exact_copies_through_an_index_are_very_typical_not_negative(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Eight copies of one point and k = 3: an index returns 4 rows at distance 0, and for
    most copies the row itself is not among them; each row still drops one neighbour."""
    import importlib

    kg = importlib.import_module("fewlabels.learn.knn_graph")
    monkeypatch.setattr(kg, path, 0 if path == "ANN_ABOVE" else 1)
    rng = np.random.default_rng(0)
    X = np.concatenate([np.ones((8, 3)), rng.normal(5.0, 1.0, (12, 3))]).astype(np.float32)
    t = typicality(X, k=3)
    assert t.shape == (20,) and np.isfinite(t).all() and (t > 0).all()
    np.testing.assert_allclose(t[:8], 1e8, rtol=1e-6)  # 1 / (0 + 1e-8): the copies
    assert t[8:].max() < 10.0


def test_the_dedup_threshold_is_kept_and_checked() -> None:
    s = TypiClust(dedup_threshold=0.5)
    assert s.get_params() == {"k": 20, "max_clusters": 500, "dedup_threshold": 0.5}
    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="dedup_threshold"):
        TypiClust(dedup_threshold=2.0).select(X, n=1, labeled_mask=np.zeros(4, bool))


def test_kmeans_with_as_many_clusters_as_rows_runs_quietly(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """faiss warns on stderr below 39 points per centroid unless told 1 is enough, and talks
    on stdout when verbose: neither may reach a user's terminal."""
    from fewlabels.active.typiclust import kmeans_labels

    X = np.random.default_rng(0).normal(size=(10, 2)).astype(np.float32)
    assign = kmeans_labels(X, 10, random_state=0)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert assign.shape == (10,) and assign.dtype == np.int64
    assert sorted(assign.tolist()) == list(range(10))  # one row per cluster


def test_typicality_on_the_cache_saves_its_partition_and_reads_it_back(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from fakes import FakeTextEncoder
    from fewlabels.data import Dataset
    from fewlabels.encode import embed
    from fewlabels.encode.index import cache_source
    from fewlabels.learn import ivf_graph

    kg = importlib.import_module("fewlabels.learn.knn_graph")
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
    monkeypatch.setattr(kg, "EXACT_UP_TO", 100)  # the inverted file on 600 rows
    monkeypatch.setattr(ivf_graph, "LIST_SIZE", 40)
    built: list[int] = []
    real = ivf_graph.cluster_rows

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("fewlabels.learn.ivf_store.cluster_rows", spy)
    first = typicality(X, k=5)
    folder = cache_source(X).entry / "indexes"
    records = sorted(folder.glob("*-ivf-*.json"))
    assert len(records) == 1 and '"metric": "l2"' in records[0].read_text()
    assert built == [1]
    again = typicality(X, k=5)  # read back: no second k-means
    assert built == [1]
    np.testing.assert_allclose(again, first)
    # an in-memory copy has no cache: built in memory, the same partition and answer
    np.testing.assert_allclose(typicality(np.array(X), k=5), first)
    assert built == [1, 1] and len(sorted(folder.glob("*-ivf-*.json"))) == 1
