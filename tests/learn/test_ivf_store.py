"""The inverted-file partition saved beside the cache: round trip, foreign and damaged files."""

from __future__ import annotations

import importlib
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels.data import Dataset
from fewlabels.encode import embed
from fewlabels.encode.cache_files import file_crc32
from fewlabels.encode.index import cache_source, transform_key
from fewlabels.learn import ivf_graph
from fewlabels.learn.ivf_graph import cluster_rows
from fewlabels.learn.ivf_store import ivf_partition, partition_paths, partition_settings
from fewlabels.learn.label_spreading import LabelSpreading

KG = importlib.import_module("fewlabels.learn.knn_graph")
# mutmut's trampolines put frames between a test and a warning's stacklevel, so the line a
# warning points at is checked in the ordinary suite only (mutmut sets MUTANT_UNDER_TEST).
UNDER_MUTMUT = "MUTANT_UNDER_TEST" in os.environ


class OtherEncoder(FakeTextEncoder):
    name = "other-text"

    @property
    def identity(self) -> str:
        return f"other-text/{self._dim}"


def cached(tmp_path: Path, encoder: FakeTextEncoder, n: int = 600, head: str = "w") -> np.ndarray:
    data = Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=[f"{head}{i % 5} text {i}" for i in range(n)],
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )
    return embed(data, encoder, cache_dir=tmp_path, progress=False).X


def paths_of(X: np.ndarray, *, list_size: int = 40, transform: str = "") -> tuple[Path, ...]:
    settings = partition_settings(n_lists=None, list_size=list_size, metric="ip", seed=0)
    return partition_paths(cache_source(X), settings, transform)


def test_a_partition_round_trips_memory_mapped_and_equal(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    first = ivf_partition(X, source=src, list_size=40)
    c_path, a_path, j_path = paths_of(X)
    assert c_path.parent == src.entry / "indexes"
    assert all(p.exists() for p in (c_path, a_path, j_path))
    assert not isinstance(first.assign, np.memmap)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = ivf_partition(X, source=src, list_size=40)
    assert isinstance(again.assign, np.memmap) and isinstance(again.centroids, np.memmap)
    np.testing.assert_array_equal(again.assign, first.assign)
    np.testing.assert_array_equal(again.centroids, first.centroids)
    assert again.metric == first.metric == "ip"
    assert first.n_lists > 5
    # the same as building in memory, and it serves the graph the same way
    np.testing.assert_array_equal(cluster_rows(np.asarray(X), list_size=40).assign, first.assign)
    np.testing.assert_array_equal(
        ivf_graph.ivf_self_knn(np.asarray(X), 4, clusters=again)[1],
        ivf_graph.ivf_self_knn(np.asarray(X), 4, clusters=first)[1],
    )
    # no pickle: plain .npy arrays
    assert np.load(a_path, allow_pickle=False).dtype == np.int64


def test_other_settings_or_centring_are_another_file(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    ivf_partition(X, source=src, list_size=40)
    other = ivf_partition(X, source=src, list_size=60)
    assert paths_of(X, list_size=60)[1].exists() and paths_of(X, list_size=60) != paths_of(X)
    assert not isinstance(other.assign, np.memmap)  # built, not read back
    centred = ivf_partition(X, source=src, list_size=40, transform="l2-center-l2:abc")
    assert not isinstance(centred.assign, np.memmap)
    assert paths_of(X, transform="l2-center-l2:abc")[2].exists()


def test_without_a_source_nothing_is_written(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    ivf_partition(np.array(X), list_size=40)
    assert not any(tmp_path.rglob("*-ivf-*"))


def test_a_partition_from_another_encoder_is_refused_and_rebuilt(tmp_path: Path) -> None:
    Xa = cached(tmp_path, FakeTextEncoder())
    Xb = cached(tmp_path, OtherEncoder())
    ivf_partition(Xa, source=cache_source(Xa), list_size=40)
    ivf_partition(Xb, source=cache_source(Xb), list_size=40)
    for a, b in zip(paths_of(Xa), paths_of(Xb), strict=True):
        shutil.copy(a, b)  # A's files (and record, checksums included) where B's would be
    with pytest.warns(UserWarning, match=r"Refused the inverted-file partition .*encoder_identity"):
        rebuilt = ivf_partition(Xb, source=cache_source(Xb), list_size=40)
    assert not isinstance(rebuilt.assign, np.memmap)
    np.testing.assert_array_equal(rebuilt.assign, cluster_rows(np.asarray(Xb), list_size=40).assign)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt one was saved over and now holds
        assert isinstance(
            ivf_partition(Xb, source=cache_source(Xb), list_size=40).assign, np.memmap
        )


def test_a_partition_of_another_dataset_in_the_same_cache_is_refused(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    X1 = cached(tmp_path, enc, head="a")
    X2 = cached(tmp_path, enc, head="b")
    ivf_partition(X1, source=cache_source(X1), list_size=40)
    ivf_partition(X2, source=cache_source(X2), list_size=40)
    for a, b in zip(paths_of(X1), paths_of(X2), strict=True):
        shutil.copy(a, b)
    with pytest.warns(UserWarning, match=r"view"):
        ivf_partition(X2, source=cache_source(X2), list_size=40)


def test_a_damaged_file_is_refused_by_its_checksum(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    first = ivf_partition(X, source=src, list_size=40)
    _, a_path, _ = paths_of(X)
    data = bytearray(a_path.read_bytes())
    data[-3] ^= 0x7F
    a_path.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="checksum"):
        again = ivf_partition(X, source=src, list_size=40)
    np.testing.assert_array_equal(again.assign, first.assign)


def test_a_torn_record_is_refused(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    ivf_partition(X, source=cache_source(X), list_size=40)
    paths_of(X)[2].write_text("{not json")
    with pytest.warns(UserWarning, match="Refused.*a record that cannot be read"):
        ivf_partition(X, source=cache_source(X), list_size=40)


def test_arrays_that_are_no_partition_of_the_rows_are_refused(tmp_path: Path) -> None:
    """A file that passes its checksum (rewritten with its record) but holds list numbers
    outside the centroids, or too few rows, is still refused."""
    import json

    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    first = ivf_partition(X, source=src, list_size=40)
    _, a_path, j_path = paths_of(X)
    for bad, why in [
        (np.asarray(first.assign) + first.n_lists, "list numbers outside"),
        (np.asarray(first.assign)[:-1], "an assignment of shape"),
        (np.asarray(first.assign).astype(np.int32), "dtype"),
    ]:
        np.save(a_path, bad)
        record = json.loads(j_path.read_text())
        record["assign_crc32"] = file_crc32(a_path)
        j_path.write_text(json.dumps(record))
        with pytest.warns(UserWarning, match=why):
            ivf_partition(X, source=src, list_size=40)


def test_a_read_only_cache_keeps_the_partition_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fewlabels.learn.ivf_store as store

    X = cached(tmp_path, FakeTextEncoder())

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("read-only file system")

    monkeypatch.setattr(store, "atomic_save_npy", refuse)
    with pytest.warns(UserWarning) as caught:
        built = ivf_partition(X, source=cache_source(X), list_size=40)
    assert built.n_lists > 5
    assert UNDER_MUTMUT or caught[0].filename == __file__  # the warning points at the caller
    assert str(caught[0].message) == (
        f"Could not save the inverted-file partition to {paths_of(X)[2]}: read-only file system"
    )


def _inverted_file_above_100_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Label spreading on the inverted file from 100 rows, with lists of about 40 rows."""
    import fewlabels.learn.label_spreading as ls_module

    monkeypatch.setattr(KG, "EXACT_UP_TO", 100)
    monkeypatch.setattr(ls_module, "EXACT_UP_TO", 100)
    monkeypatch.setattr(ivf_graph, "LIST_SIZE", 40)


def test_label_spreading_saves_the_partition_and_the_next_fit_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    _inverted_file_above_100_rows(monkeypatch)
    X = cached(tmp_path, FakeTextEncoder())
    y = np.full(len(X), -1)
    y[:5], y[5:10] = 0, 1
    first = LabelSpreading().fit(X, y)
    mean = first.mean_
    settings = partition_settings(n_lists=None, list_size=None, metric="ip", seed=0)
    paths = partition_paths(cache_source(X), settings, transform_key(mean))
    assert all(p.exists() for p in paths)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = LabelSpreading().fit(X, y)
    assert isinstance(again.clusters_.assign, np.memmap)
    np.testing.assert_array_equal(again.transduction_, first.transduction_)
    np.testing.assert_allclose(again.fit_proba_, first.fit_proba_, atol=1e-12)
    # self-training's graph (build_graph) finds the same saved partition
    graph = LabelSpreading().build_graph(X)
    np.testing.assert_array_equal(graph.node_order, again.clusters_.lists()[0])


def test_the_settings_name_every_knob_of_the_partition() -> None:
    got = partition_settings(n_lists=7, list_size=40, metric="l2", seed=3)
    assert got == {
        "n_lists": 7,
        "list_size": 40,
        "metric": "l2",
        "seed": 3,
        "two_level_above": ivf_graph.TWO_LEVEL_ABOVE,
        "train_per_list": ivf_graph._TRAIN_PER_LIST,
        "split_rounds": ivf_graph._SPLIT_ROUNDS,
        "max_list": 80,
    }
    default = partition_settings(n_lists=None, list_size=None, metric="ip", seed=0)
    assert default["n_lists"] is None
    assert default["list_size"] == ivf_graph.LIST_SIZE
    assert default["max_list"] == 2 * ivf_graph.LIST_SIZE


def test_the_file_names_hash_the_transform_and_the_sorted_settings(tmp_path: Path) -> None:
    import hashlib
    import json

    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    settings = partition_settings(n_lists=None, list_size=40, metric="ip", seed=0)
    tkey = hashlib.blake2b(b"l2-center-l2:abc", digest_size=6).hexdigest()
    skey = hashlib.blake2b(json.dumps(settings, sort_keys=True).encode(), digest_size=6).hexdigest()
    stem = f"{src.view}-{tkey}-ivf-{skey}"
    assert partition_paths(src, settings, "l2-center-l2:abc") == (
        src.entry / "indexes" / f"{stem}.centroids.npy",
        src.entry / "indexes" / f"{stem}.assign.npy",
        src.entry / "indexes" / f"{stem}.json",
    )


def test_the_record_says_what_the_partition_was_built_from(tmp_path: Path) -> None:
    import json

    from fewlabels.learn.ivf_store import IVF_FORMAT

    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    built = ivf_partition(X, source=src, list_size=40, transform="l2-center-l2:abc")
    c_path, a_path, j_path = paths_of(X, transform="l2-center-l2:abc")
    record = json.loads(j_path.read_text())
    assert j_path.read_text() == json.dumps(record, indent=1)
    assert record == {
        "format": IVF_FORMAT,
        **src.record(),
        "transform": "l2-center-l2:abc",
        "settings": partition_settings(n_lists=None, list_size=40, metric="ip", seed=0),
        "rows": X.shape[0],
        "dim": X.shape[1],
        "n_lists": built.n_lists,
        "centroids_crc32": file_crc32(c_path),
        "assign_crc32": file_crc32(a_path),
    }


def test_the_partition_settings_reach_the_clustering_and_the_reload(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    built = ivf_partition(X, source=src, n_lists=3, list_size=40, metric="l2", seed=5)
    ref = cluster_rows(np.asarray(X), n_lists=3, list_size=40, metric="l2", seed=5)
    np.testing.assert_array_equal(built.assign, ref.assign)
    np.testing.assert_array_equal(built.centroids, ref.centroids)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = ivf_partition(X, source=src, n_lists=3, list_size=40, metric="l2", seed=5)
    assert isinstance(again.assign, np.memmap) and again.metric == "l2"
    np.testing.assert_array_equal(again.assign, ref.assign)


def test_a_partition_of_one_list_reads_back(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder(), n=50)
    src = cache_source(X)
    one = ivf_partition(X, source=src, n_lists=1, list_size=100)
    assert one.n_lists == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = ivf_partition(X, source=src, n_lists=1, list_size=100)
    assert isinstance(again.assign, np.memmap)


def _rewrite(path: Path, array: np.ndarray, j_path: Path, key: str) -> None:
    import json

    np.save(path, array, allow_pickle=True)
    record = json.loads(j_path.read_text())
    record[key] = file_crc32(path)
    j_path.write_text(json.dumps(record))


def test_each_bad_array_is_refused_with_its_reason_at_the_callers_line(tmp_path: Path) -> None:
    X = cached(tmp_path, FakeTextEncoder())
    src = cache_source(X)
    first = ivf_partition(X, source=src, list_size=40)
    c_path, a_path, j_path = paths_of(X)
    k, d = np.shape(first.centroids)
    good_c, good_a = np.array(first.centroids), np.array(first.assign)
    one_over = good_a.copy()
    one_over[0] = k  # a single list number equal to the number of lists
    cases = [
        (c_path, good_c[:, :-1], "centroids_crc32", f"centroids of shape {(k, d - 1)} "),
        (c_path, good_c[0], "centroids_crc32", f"centroids of shape {(d,)} "),
        (c_path, good_c[:0], "centroids_crc32", f"centroids of shape {(0, d)} "),
        (a_path, one_over, "assign_crc32", f"list numbers outside [0, {k})"),
        (
            a_path,
            np.array([None] * len(good_a)),
            "assign_crc32",
            "an unreadable file (ValueError: ",
        ),
    ]
    for path, bad, key, why in cases:
        _rewrite(path, bad, j_path, key)
        with pytest.warns(UserWarning) as caught:
            again = ivf_partition(X, source=src, list_size=40)
        message = str(caught[0].message)
        assert why in message, message
        assert UNDER_MUTMUT or caught[0].filename == __file__  # it points at the caller
        assert message.endswith(
            "it was built from other embeddings or settings (another encoder, dataset, cache "
            "or centring), or it is damaged. Rebuilding it."
        )
        if "centroids of shape" in why:
            assert f"(expected (n_lists, {d}))" in message
        np.testing.assert_array_equal(again.assign, good_a)  # rebuilt and saved over


def test_build_graph_saves_the_partition_that_a_later_fit_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # build_graph first (self-training, OneVsRest and Auto build the graph once): it must save
    # the partition under the cache and the centring that fit looks for.
    from fewlabels.learn.features import pool_mean

    _inverted_file_above_100_rows(monkeypatch)
    X = cached(tmp_path, FakeTextEncoder())
    settings = partition_settings(n_lists=None, list_size=None, metric="ip", seed=0)
    paths = partition_paths(cache_source(X), settings, transform_key(pool_mean(X)))
    assert not any(p.exists() for p in paths)
    graph = LabelSpreading().build_graph(X)
    assert all(p.exists() for p in paths)
    y = np.full(len(X), -1)
    y[:5], y[5:10] = 0, 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LabelSpreading().fit(X, y)
    assert isinstance(model.clusters_.assign, np.memmap)  # read back, not rebuilt
    np.testing.assert_array_equal(graph.node_order, model.clusters_.lists()[0])
