"""The kNN graph and label spreading above ANN_ABOVE: the faiss neighbour index, transparently."""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels.data import Dataset
from fewlabels.encode import embed
from fewlabels.learn.knn_graph import knn_graph, knn_search
from fewlabels.learn.label_spreading import LabelSpreading
from fewlabels.learn.self_training import SelfTraining

# ``fewlabels.learn.knn_graph`` the attribute is the function; the module holds ANN_ABOVE.
KG = importlib.import_module("fewlabels.learn.knn_graph")


def blobs(n: int = 400, dim: int = 16, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim)) * 2
    lab = rng.integers(0, k, n)
    X = (centres[lab] + 0.5 * rng.standard_normal((n, dim))).astype(np.float32)
    return X, lab


def unit(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_forced_index_search_equals_exact_search_on_small_data() -> None:
    X, _ = blobs()
    Z = unit(X)
    exact_s, exact_i = knn_search(Z, Z[:50], 6)
    ann_s, ann_i = knn_search(Z, Z[:50], 6, ann_threshold=0)
    np.testing.assert_array_equal(np.sort(ann_i, axis=1), np.sort(exact_i, axis=1))
    np.testing.assert_allclose(ann_s, exact_s, atol=1e-5)


def test_the_threshold_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    X, _ = blobs(300)
    Z = unit(X)
    exact = knn_graph(Z, n_neighbors=5)
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    assert KG.uses_index(1) and not KG.uses_index(5, 10)
    forced = knn_graph(Z, n_neighbors=5)
    assert abs(forced - exact).max() < 1e-6


def test_label_spreading_forced_on_the_index_matches_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, lab = blobs()
    y = np.full(len(X), -1)
    y[:24] = lab[:24]
    exact = LabelSpreading().fit(X, y)
    assert exact.index_ is None and exact.index_recall_ is None
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    ann = LabelSpreading().fit(X, y)
    assert ann.index_ is not None and ann.index_recall_ == pytest.approx(1.0)
    np.testing.assert_array_equal(ann.transduction_, exact.transduction_)
    np.testing.assert_allclose(ann.fit_proba_, exact.fit_proba_, atol=1e-6)
    new, _ = blobs(40, seed=1)
    np.testing.assert_allclose(ann.predict_proba(new), exact.predict_proba(new), atol=1e-6)
    again = pickle.loads(pickle.dumps(ann))
    np.testing.assert_allclose(again.predict_proba(new), ann.predict_proba(new))


def test_self_training_records_the_recall_of_its_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    X, lab = blobs()
    y = np.full(len(X), -1)
    y[:24] = lab[:24]
    exact = SelfTraining().fit(X, y)
    assert exact.index_recall_ is None
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    ann = SelfTraining().fit(X, y)
    assert ann.index_recall_ == pytest.approx(1.0)
    np.testing.assert_array_equal(ann.transduction_, exact.transduction_)


def _cached_texts(tmp_path: Path) -> np.ndarray:
    """300 texts of three words, embedded into a cache under ``tmp_path`` (a memmap)."""
    words = ["apple", "river", "stone"]
    ds = Dataset(
        ids=[f"t{i}" for i in range(300)],
        inputs=[f"{words[i % 3]} item {i}" for i in range(300)],
        labels=np.full(300, -1),
        classes=("x",),
        modality="text",
        name="t",
    )
    return embed(ds, FakeTextEncoder(), cache_dir=tmp_path, progress=False).X


def test_label_spreading_on_the_cache_saves_its_index_and_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X = _cached_texts(tmp_path)
    y = np.full(300, -1)
    y[:6] = np.arange(6) % 3
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    first = LabelSpreading().fit(X, y)
    assert first.index_ is not None and not first.index_.reused
    assert first.index_.path is not None and tmp_path in first.index_.path.parents
    second = LabelSpreading().fit(X, y)
    assert second.index_ is not None and second.index_.reused
    np.testing.assert_array_equal(second.transduction_, first.transduction_)
    # Another centring is another index: not read back.
    uncentred = LabelSpreading(center=False).fit(X, y)
    assert uncentred.index_ is not None and not uncentred.index_.reused
    # A copy in memory has no cache behind it: its index stays in memory.
    copy = LabelSpreading().fit(np.array(X), y)
    assert copy.index_ is not None and copy.index_.path is None


def test_build_graph_saves_the_index_that_a_later_fit_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X = _cached_texts(tmp_path)
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    graph = LabelSpreading().build_graph(X)
    assert graph.index_recall is not None
    y = np.full(300, -1)
    y[:6] = np.arange(6) % 3
    model = LabelSpreading().fit(X, y)
    # the same cache and the same centring: the index build_graph saved is read back
    assert model.index_ is not None and model.index_.reused
    assert model.index_.path is not None and tmp_path in model.index_.path.parents
