"""The neighbour index: build in blocks, recall, persistence beside the cache, refusal."""

from __future__ import annotations

import pickle
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels.data import Dataset
from fewlabels.encode import embed
from fewlabels.encode.index import (
    INDEX_KINDS,
    IndexSettings,
    build_index,
    cache_source,
    exact_knn,
    neighbour_index,
    recall_at_k,
    transform_key,
)
from fewlabels.errors import FewlabelsError


def clustered(n: int = 3000, dim: int = 32, k: int = 8, seed: int = 0) -> np.ndarray:
    """Unit rows near ``k`` random centres, each cluster spread along a 4-d subspace."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim))
    basis = rng.standard_normal((k, 4, dim)) * 0.4
    lab = rng.integers(0, k, n)
    X = centres[lab] + np.einsum("ni,nid->nd", rng.standard_normal((n, 4)), basis[lab])
    X += 0.02 * rng.standard_normal((n, dim))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def texts(n: int, head: str = "w") -> Dataset:
    return Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=[f"{head}{i % 5} text {i}" for i in range(n)],
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )


class OtherEncoder(FakeTextEncoder):
    name = "other-text"

    @property
    def identity(self) -> str:
        return f"other-text/{self._dim}"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "annoy"}, r"kind to be one of \['hnsw', 'ivf-sq8', 'ivf-pq'\], but got 'annoy'"),
        ({"metric": "cos"}, r"metric 'ip' .* or 'l2', but got 'cos'"),
        ({"m": 0}, r"m to be a whole number >= 1, but got 0"),
        ({"ef_search": 2.5}, r"ef_search to be a whole number >= 1, but got 2.5"),
        ({"recall_sample": -1}, r"recall_sample to be a whole number >= 0"),
        ({"n_lists": True}, r"n_lists to be a whole number >= 1, but got True"),
    ],
)
def test_settings_refuse_bad_values_with_what_arrived(kwargs: dict, match: str) -> None:
    with pytest.raises(FewlabelsError, match=match):
        IndexSettings(**kwargs)


def test_pq_m_must_divide_the_dimension() -> None:
    with pytest.raises(FewlabelsError, match=r"pq_m to divide the dimension 32, but got 5"):
        build_index(clustered(500), settings=IndexSettings(kind="ivf-pq", pq_m=5))


def test_empty_matrix_is_refused() -> None:
    with pytest.raises(FewlabelsError, match="at least one row"):
        build_index(np.zeros((0, 8), np.float32))


def test_search_settings_do_not_change_the_key_but_shape_settings_do() -> None:
    base = IndexSettings()
    assert IndexSettings(ef_search=200, nprobe=3).key() == base.key()
    assert IndexSettings(m=32).key() != base.key()
    assert IndexSettings(metric="l2").key() != base.key()


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_exact_knn_over_blocks_equals_brute_force(metric: str) -> None:
    X = clustered(700)
    Q = X[:25]
    scores, idx = exact_knn(X, Q, 5, metric=metric, block_rows=128)
    if metric == "ip":
        full = Q @ X.T
        want = np.argsort(-full, axis=1, kind="stable")[:, :5]
    else:
        full = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
        want = np.argsort(full, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(idx, want)
    np.testing.assert_allclose(scores, np.take_along_axis(full, want, axis=1), atol=1e-5)


def test_exact_knn_pads_when_k_exceeds_a_block() -> None:
    X = clustered(10)
    _, idx = exact_knn(X, X[:2], 6, block_rows=4)  # last block has 2 rows < k
    assert idx.shape == (2, 6) and (idx >= 0).all()
    assert idx[0, 0] == 0 and idx[1, 0] == 1


@pytest.mark.parametrize("kind", ["hnsw", "ivf-sq8"])
def test_recall_on_clustered_data_reaches_095(kind: str) -> None:
    X = clustered(4000)
    built = build_index(X, settings=IndexSettings(kind=kind, recall_sample=300))
    assert built.n == 4000 and built.dim == 32 and built.index.ntotal == 4000
    assert built.recall is not None and built.recall >= 0.95


def test_pq_is_lossy_but_its_recall_is_measured_in_range() -> None:
    X = clustered(3000)
    built = build_index(X, settings=IndexSettings(kind="ivf-pq", recall_sample=200))
    assert built.recall is not None and 0.0 < built.recall < 1.0
    _, idx = built.search(X[:3], 4)
    assert idx.shape == (3, 4) and (idx >= 0).all()


def test_recall_is_one_for_a_search_that_is_exact_and_low_for_a_crippled_one() -> None:
    X = clustered(400)
    exact = build_index(X, settings=IndexSettings(ef_search=400, recall_sample=100))
    assert exact.recall == pytest.approx(1.0)
    noise = np.random.default_rng(0).standard_normal((400, 32)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    crippled = build_index(
        noise, settings=IndexSettings(kind="ivf-sq8", n_lists=10, nprobe=1, recall_sample=0)
    )
    assert crippled.recall is None  # not measured when recall_sample=0
    assert recall_at_k(crippled, noise, sample=100) < 0.8


def test_search_clips_k_and_marks_missing_neighbours() -> None:
    X = clustered(5)
    scores, idx = build_index(X, settings=IndexSettings(recall_sample=0)).search(X, 10)
    assert idx.shape == (5, 5)
    assert np.isfinite(scores[idx >= 0]).all() and np.isneginf(scores[idx < 0]).all()


def test_building_from_a_read_only_memmap_in_small_blocks(tmp_path: Path) -> None:
    X = clustered(1500)
    path = tmp_path / "x.npy"
    np.save(path, X)
    mm = np.load(path, mmap_mode="r")
    built = build_index(mm, settings=IndexSettings(recall_sample=200), block_rows=100)
    assert built.index.ntotal == 1500 and built.recall is not None and built.recall >= 0.95
    _, idx = built.search(X[:10], 1)
    np.testing.assert_array_equal(idx[:, 0], np.arange(10))


def test_an_index_survives_pickling() -> None:
    X = clustered(800)
    built = build_index(X, settings=IndexSettings(recall_sample=50))
    again = pickle.loads(pickle.dumps(built))
    a, b = built.search(X[:20], 5), again.search(X[:20], 5)
    np.testing.assert_array_equal(a[1], b[1])
    assert again.recall == built.recall


def test_transform_key_tells_centrings_apart() -> None:
    assert transform_key(None) == "l2"
    m = np.ones(4, np.float32)
    assert transform_key(m) == transform_key(m.copy()) != transform_key(m * 2)


# --- beside the cache --------------------------------------------------------------------


def cached(tmp_path: Path, encoder: FakeTextEncoder, n: int = 600, head: str = "w") -> np.ndarray:
    return embed(texts(n, head), encoder, cache_dir=tmp_path, progress=False).X


def test_cache_source_knows_cache_views_only(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    assert src is not None and src.identity == "fake-text/16" and src.entry.parent == tmp_path
    assert cache_source(np.asarray(X)) is None
    assert cache_source(np.array(X)) is None
    other = tmp_path / "plain.npy"
    np.save(other, np.asarray(X))
    assert cache_source(np.load(other, mmap_mode="r")) is None


def test_index_is_saved_beside_the_cache_and_read_back(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    first = neighbour_index(X, source=src, settings=IndexSettings(recall_sample=100))
    assert not first.reused and first.path is not None and first.path.exists()
    assert first.path.parent == src.entry / "indexes"
    assert first.path.with_suffix(".json").exists()
    again = neighbour_index(X, source=src, settings=IndexSettings(recall_sample=100, ef_search=60))
    assert again.reused and again.path == first.path and again.recall == first.recall
    a, b = first.search(np.asarray(X[:30]), 4), again.search(np.asarray(X[:30]), 4)
    np.testing.assert_array_equal(a[1], b[1])
    # Another transform (centring) of the same rows is another index.
    other = neighbour_index(X, source=src, transform="l2-center", settings=IndexSettings())
    assert not other.reused and other.path != first.path


def test_without_a_source_nothing_is_written(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    built = neighbour_index(np.array(X))
    assert built.path is None and not built.reused
    assert not any(tmp_path.rglob("*.faiss"))


def test_an_index_from_another_encoder_is_refused_and_rebuilt(tmp_path: Path) -> None:
    settings = IndexSettings(recall_sample=50)
    Xa = cached(tmp_path, FakeTextEncoder())
    Xb = cached(tmp_path, OtherEncoder())
    a = neighbour_index(Xa, source=cache_source(Xa), settings=settings)
    src_b = cache_source(Xb)
    assert src_b is not None and src_b.entry != cache_source(Xa).entry
    # Put A's index (and its record) where B's would be.
    b = neighbour_index(Xb, source=src_b, settings=settings)
    b_path = b.path
    assert a.path is not None and b_path is not None
    shutil.copy(a.path, b_path)
    shutil.copy(a.path.with_suffix(".json"), b_path.with_suffix(".json"))
    with pytest.warns(UserWarning, match=r"Refused the neighbour index .*encoder_identity"):
        rebuilt = neighbour_index(Xb, source=src_b, settings=settings)
    assert not rebuilt.reused
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert neighbour_index(Xb, source=src_b, settings=settings).reused


def test_an_index_of_another_dataset_in_the_same_cache_is_refused(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    settings = IndexSettings(recall_sample=0)
    X1 = cached(tmp_path, enc, n=300, head="a")
    X2 = cached(tmp_path, enc, n=300, head="b")
    one = neighbour_index(X1, source=cache_source(X1), settings=settings)
    two = neighbour_index(X2, source=cache_source(X2), settings=settings)
    assert one.path is not None and two.path is not None and one.path != two.path
    shutil.copy(one.path, two.path)
    shutil.copy(one.path.with_suffix(".json"), two.path.with_suffix(".json"))
    with pytest.warns(UserWarning, match=r"view"):
        assert not neighbour_index(X2, source=cache_source(X2), settings=settings).reused


def test_a_swapped_or_damaged_index_file_is_refused_by_its_checksum(tmp_path: Path) -> None:
    settings = IndexSettings(recall_sample=0)
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    built = neighbour_index(X, source=src, settings=settings)
    assert built.path is not None
    data = bytearray(built.path.read_bytes())
    data[-10] ^= 0xFF
    built.path.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="checksum"):
        again = neighbour_index(X, source=src, settings=settings)
    assert not again.reused
    assert neighbour_index(X, source=src, settings=settings).reused  # the rebuilt one holds


def test_a_torn_record_is_refused(tmp_path: Path) -> None:
    settings = IndexSettings(recall_sample=0)
    X = cached(tmp_path, FakeTextEncoder())
    built = neighbour_index(X, source=cache_source(X), settings=settings)
    assert built.path is not None
    built.path.with_suffix(".json").write_text("{not json")
    with pytest.warns(UserWarning, match="Refused"):
        assert not neighbour_index(X, source=cache_source(X), settings=settings).reused


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_every_kind_round_trips_through_the_cache(tmp_path: Path, kind: str) -> None:
    X = cached(tmp_path, FakeTextEncoder(), n=2000)
    settings = IndexSettings(kind=kind, recall_sample=0)
    first = neighbour_index(X, source=cache_source(X), settings=settings)
    again = neighbour_index(X, source=cache_source(X), settings=settings)
    assert again.reused and again.index.ntotal == 2000
    q = np.asarray(X[:10])
    np.testing.assert_array_equal(first.search(q, 3)[1], again.search(q, 3)[1])
