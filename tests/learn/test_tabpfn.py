"""TabPFN: the pure helpers, the checkpoint's checks and download, and the real v1 checkpoint."""

import functools
import hashlib
import http.server
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer

from fewlabels.errors import FewlabelsError, MissingExtraError, MissingFileError
from fewlabels.learn import tabpfn as tabpfn_module
from fewlabels.learn import tabpfn_checkpoint as ckpt
from fewlabels.learn.registry import LEARNERS
from fewlabels.learn.tabpfn import TabPFN, reweight_posterior, stratified_subsample

# --- stratified_subsample -----------------------------------------------------------------


def test_subsample_keeps_everything_up_to_n_inclusive():
    codes = np.array([0, 1, 1, 2, 0])
    np.testing.assert_array_equal(stratified_subsample(codes, 5, random_state=0), np.arange(5))
    np.testing.assert_array_equal(stratified_subsample(codes, 9, random_state=0), np.arange(5))


def test_subsample_keeps_each_class_and_its_share():
    codes = np.repeat([0, 1, 2], [900, 90, 10])
    picked = stratified_subsample(codes, 100, random_state=0)
    assert picked.size == 100
    assert np.all(np.diff(picked) > 0)  # sorted, no repeats
    counts = np.bincount(codes[picked], minlength=3)
    np.testing.assert_array_equal(counts, [90, 9, 1])


def test_subsample_gives_a_rare_class_one_row_and_trims_the_largest():
    codes = np.repeat([0, 1, 2], [18, 1, 1])  # rounding gives 9 + 1 + 1 = 11 > 10
    picked = stratified_subsample(codes, 10, random_state=3)
    counts = np.bincount(codes[picked], minlength=3)
    np.testing.assert_array_equal(counts, [8, 1, 1])


def test_subsample_is_deterministic_under_a_seed():
    codes = np.repeat([0, 1], [500, 500])
    a = stratified_subsample(codes, 50, random_state=7)
    b = stratified_subsample(codes, 50, random_state=7)
    c = stratified_subsample(codes, 50, random_state=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# --- reweight_posterior ---------------------------------------------------------------------


def test_reweight_with_ones_changes_nothing():
    p = np.array([[0.7, 0.3], [0.2, 0.8]])
    np.testing.assert_allclose(reweight_posterior(p, np.ones(2)), p)


def test_reweight_by_inverse_shares_gives_equal_priors():
    # posterior under priors (0.75, 0.25) of a row whose likelihoods are equal: (0.75, 0.25)
    p = np.array([[0.75, 0.25]])
    out = reweight_posterior(p, np.array([1 / 0.75, 1 / 0.25]))
    np.testing.assert_allclose(out, [[0.5, 0.5]])


def test_reweight_keeps_a_zero_row_zero():
    out = reweight_posterior(np.zeros((1, 3)), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, np.zeros((1, 3)))


# --- the checkpoint ---------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_foreign_checkpoint_is_refused_before_it_is_unpickled(tmp_path):
    path = ckpt.checkpoint_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the checkpoint")
    with pytest.raises(FewlabelsError, match="not loaded.*pickle.*checkpoint_sha256=None"):
        ckpt.find_checkpoint(tmp_path, allow_download=False)
    # a user's own checkpoint, said explicitly
    assert ckpt.find_checkpoint(tmp_path, sha256=None, allow_download=False) == tmp_path


def test_a_missing_checkpoint_without_download_says_how_to_get_it(tmp_path):
    with pytest.raises(MissingFileError, match="make tabpfn"):
        ckpt.find_checkpoint(tmp_path / "none", allow_download=False)


def test_the_default_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("FEWLABELS_TABPFN_DIR", raising=False)
    monkeypatch.setenv("FEWLABELS_CACHE", str(tmp_path))
    assert ckpt.default_dir() == tmp_path / "tabpfn"
    monkeypatch.setenv("FEWLABELS_TABPFN_DIR", str(tmp_path / "own"))
    assert ckpt.default_dir() == tmp_path / "own"


def test_offline_download_fails_fast_and_names_the_offline_route(tmp_path):
    start = time.perf_counter()
    with pytest.raises(FewlabelsError, match="did not answer within 0.5 s.*make tabpfn"):
        ckpt.download(tmp_path, url="http://127.0.0.1:9/x.cpkt", timeout_s=0.5)
    assert time.perf_counter() - start < 5
    assert not ckpt.checkpoint_path(tmp_path).exists()


@pytest.fixture
def file_server(tmp_path):
    """A local HTTP server over a folder (the download path, for real, without the internet)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_writes_the_checked_file_atomically(file_server, tmp_path):
    root, url = file_server
    data = b"weights" * 1000
    (root / "c.cpkt").write_bytes(data)
    base = tmp_path / "base"
    got = ckpt.download(base, url=f"{url}/c.cpkt", sha256=_sha(data))
    assert got == ckpt.checkpoint_path(base) and got.read_bytes() == data
    assert not list(got.parent.glob("*.part"))


def test_a_download_with_the_wrong_bytes_leaves_nothing(file_server, tmp_path):
    root, url = file_server
    (root / "c.cpkt").write_bytes(b"an error page")
    base = tmp_path / "base"
    with pytest.raises(FewlabelsError, match="truncated download"):
        ckpt.download(base, url=f"{url}/c.cpkt", sha256=_sha(b"weights"))
    assert not ckpt.checkpoint_path(base).exists()
    assert not list(ckpt.checkpoint_path(base).parent.glob("*"))


# --- the learner's edge -----------------------------------------------------------------------


def test_tabpfn_is_a_registered_optional_table_learner():
    entry = LEARNERS.entry("tabpfn")
    assert entry.modalities == ("tabular",) and entry.extra == "tabpfn"
    assert isinstance(LEARNERS.create("tabpfn"), TabPFN)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_ensemble": 0}, "n_ensemble to be a whole number"),
        ({"max_context_rows": 1001}, r"max_context_rows to be a whole number \[1, 1000\]"),
        ({"max_context_rows": 2.5}, "max_context_rows"),
    ],
)
def test_bad_settings_are_refused(params, match):
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(FewlabelsError, match=match):
        TabPFN(**params).fit(X, np.array([0, 1] * 5))


def test_more_than_ten_classes_are_refused_before_loading_anything(tmp_path):
    X = np.random.default_rng(0).normal(size=(22, 3))
    y = np.arange(22) % 11
    with pytest.raises(FewlabelsError, match="at most 10 classes.*11.*'trees'"):
        TabPFN(base_path=str(tmp_path), allow_download=False).fit(X, y)


def test_fewer_context_rows_than_classes_are_refused(tmp_path):
    X = np.random.default_rng(0).normal(size=(9, 3))
    with pytest.raises(FewlabelsError, match="max_context_rows >= the number of classes"):
        TabPFN(max_context_rows=2, allow_download=False).fit(X, np.arange(9) % 3)


def test_without_the_package_the_error_names_the_extra(monkeypatch):
    tabpfn_module.tabpfn_classifier_class.cache_clear()
    monkeypatch.setitem(sys.modules, "tabpfn", None)
    monkeypatch.setitem(sys.modules, "tabpfn.scripts", None)
    monkeypatch.setitem(sys.modules, "tabpfn.scripts.transformer_prediction_interface", None)
    try:
        with pytest.raises(MissingExtraError, match=r"fewlabels\[tabpfn\]"):
            tabpfn_module.tabpfn_classifier_class()
    finally:
        tabpfn_module.tabpfn_classifier_class.cache_clear()


# --- the real checkpoint (installed by `make tabpfn`) -----------------------------------------

#: Read at import, before the tests' isolated cache folder replaces $FEWLABELS_CACHE.
REAL_DIR = ckpt.default_dir()


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    rng = np.random.default_rng(0)
    labelled = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), size=n, replace=False) for c, n in ((0, 15), (1, 25))]
    )
    y_few = np.full(y.shape, -1)
    y_few[labelled] = y[labelled]
    return X.astype(np.float32), y, y_few


@pytest.fixture(scope="module")
def fitted(cancer):
    X, _, y_few = cancer
    if not ckpt.checkpoint_path(REAL_DIR).is_file():
        pytest.fail(
            f"The TabPFN checkpoint is not at {ckpt.checkpoint_path(REAL_DIR)}: run "
            "`make tabpfn` (part of `make test`)."
        )
    return TabPFN(n_ensemble=2, base_path=str(REAL_DIR), allow_download=False).fit(X, y_few)


@pytest.mark.slow
def test_real_tabpfn_learns_a_small_table_from_40_labels(cancer, fitted):
    X, y, y_few = cancer
    test = y_few == -1
    acc = np.mean(fitted.predict(X[test]) == y[test])
    assert acc > 0.9, acc
    assert fitted.n_labelled_ == 40 and fitted.n_context_ == 40
    assert not fitted.subsample_features_
    proba = fitted.predict_proba(X[:50])
    assert proba.shape == (50, 2)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-6)
    assert fitted.class_shares_.shape == (2,) and 0.2 < fitted.class_shares_[0] < 0.6


@pytest.mark.slow
def test_real_tabpfn_predict_is_inductive_and_takes_string_labels(cancer, fitted):
    X, _, y_few = cancer
    rows = X[:30]
    one_by_one = np.vstack([fitted.predict_proba(rows[i : i + 1]) for i in (0, 7, 29)])
    np.testing.assert_allclose(fitted.predict_proba(rows)[[0, 7, 29]], one_by_one, atol=1e-5)
    names = np.array(["malignant", "benign"], dtype=object)
    y_str = np.where(y_few == -1, None, names[np.maximum(y_few, 0)])
    model = clone(fitted).fit(X, y_str)
    assert sorted(model.classes_.tolist()) == ["benign", "malignant"]
    coded = fitted.predict(rows)
    np.testing.assert_array_equal(model.predict(rows), names[coded])


@pytest.mark.slow
def test_real_tabpfn_subsamples_the_context_and_balances_the_posterior(cancer, fitted):
    X, _, y_few = cancer
    small = TabPFN(
        n_ensemble=1, max_context_rows=12, base_path=str(REAL_DIR), allow_download=False
    ).fit(X, y_few)
    assert small.n_context_ == 12 and small.n_labelled_ == 40
    balanced = clone(fitted).set_params(class_weight="balanced").fit(X, y_few)
    np.testing.assert_allclose(balanced.class_weight_, [40 / 30, 40 / 50])
    raw = fitted.predict_proba(X)
    expect = reweight_posterior(raw, balanced.class_weight_)
    np.testing.assert_allclose(balanced.predict_proba(X), expect, atol=1e-6)
    # the minority class (15 of 40 labels) gains share
    assert balanced.class_shares_[0] >= fitted.class_shares_[0]


def test_checkpoint_constants_are_consistent():
    assert len(ckpt.CHECKPOINT_SHA256) == 64
    assert ckpt.CHECKPOINT_URL.endswith(ckpt.CHECKPOINT_FILE)
    assert Path(ckpt.checkpoint_path("b")).name == ckpt.CHECKPOINT_FILE
