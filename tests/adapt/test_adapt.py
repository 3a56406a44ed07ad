"""Adapting an encoder to the pool: separation on a toy task, identity, round trips, resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fewlabels.adapt import (
    AdaptedEncoder,
    AdaptedTextEncoder,
    HeadConfig,
    adapt,
    confident_pseudo_labels,
    load_adapted,
    neighbour_indices,
)
from fewlabels.data import Dataset
from fewlabels.encode import embed, get_encoder, has_text_side
from fewlabels.encode.base import l2_normalize


class RandomEncoder:
    """A frozen random projection: class information drowns in the noise columns."""

    name = "random"
    modality = "tabular"

    def __init__(self, d_in: int, dim: int = 32) -> None:
        self.W = np.random.default_rng(0).normal(size=(d_in, dim)).astype(np.float32)

    @property
    def dim(self) -> int:
        return int(self.W.shape[1])

    @property
    def identity(self) -> str:
        return "random/0"

    def encode(self, x: Any) -> np.ndarray:
        return l2_normalize(np.asarray(x, np.float32) @ self.W)


def _toy() -> tuple[np.ndarray, np.ndarray, RandomEncoder]:
    rng = np.random.default_rng(0)
    y = np.arange(240) % 2
    features = np.hstack([(2 * y - 1)[:, None], rng.normal(size=(240, 12))]).astype(np.float32)
    return features, y, RandomEncoder(features.shape[1])


def _one_nn_accuracy(Z: np.ndarray, y: np.ndarray) -> float:
    S = Z @ Z.T
    np.fill_diagonal(S, -np.inf)
    return float((y[S.argmax(1)] == y).mean())


def _table(n: int = 60, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    frame = pd.DataFrame(
        {"a": y + rng.normal(0, 0.3, n), "b": rng.normal(size=n), "c": rng.choice(["x", "z"], n)}
    )
    return Dataset(
        ids=np.array([f"r{i}" for i in range(n)], dtype=object),
        inputs=frame,
        labels=y.copy(),
        classes=("no", "yes"),
        modality="tabular",
        name="toy-table",
    )


def test_adaptation_separates_what_the_frozen_random_encoder_mixes() -> None:
    features, y, enc = _toy()
    X = enc.encode(features)
    labels = np.full(240, -1)
    labels[:40] = y[:40]
    held = np.arange(40, 240)  # rows whose labels the adaptation never saw
    frozen = _one_nn_accuracy(X[held], y[held])
    adapted = adapt(
        X, enc, labels=labels, epochs=10, self_supervised_weight=0.0, pseudo_threshold=1.0
    )
    Z = adapted.transform(X)
    assert frozen < 0.8
    assert _one_nn_accuracy(Z[held], y[held]) > 0.95
    same = y[held][:, None] == y[held][None, :]

    def gap(M: np.ndarray) -> float:
        S = M[held] @ M[held].T
        return float(S[same].mean() - S[~same].mean())

    assert gap(Z) > gap(X) + 0.1  # same-class rows closer after adaptation
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)


def test_an_untrained_head_is_the_identity() -> None:
    features, _, enc = _toy()
    X = enc.encode(features)
    adapted = adapt(X, enc, epochs=0)
    np.testing.assert_allclose(adapted.transform(X), X, atol=1e-6)


def test_same_run_same_weights_and_identity_follows_settings_and_rows() -> None:
    features, y, enc = _toy()
    X = enc.encode(features)
    a = adapt(X, enc, epochs=2)
    b = adapt(X, enc, epochs=2)
    assert a.identity == b.identity
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert adapt(X, enc, epochs=3).identity != a.identity
    assert adapt(X, enc, epochs=2, seed=1).identity != a.identity
    assert adapt(X[:-1], enc, epochs=2).identity != a.identity
    labels = np.where(np.arange(240) < 20, y, -1)
    assert adapt(X, enc, epochs=2, labels=labels).identity != a.identity
    assert a.identity.endswith("on[random/0]")


def test_resumed_adaptation_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    features, y, enc = _toy()
    X = enc.encode(features)
    labels = np.where(np.arange(240) < 20, y, -1)
    whole = adapt(X, enc, labels=labels, epochs=4)
    adapt(X, enc, labels=labels, epochs=2, checkpoint_dir=tmp_path)  # "killed" after 2 epochs
    resumed = adapt(X, enc, labels=labels, epochs=4, checkpoint_dir=tmp_path)
    assert resumed.meta.training["resumed_from"] == 2
    assert len(resumed.meta.training["history"]) == 4
    np.testing.assert_allclose(resumed.transform(X), whole.transform(X), atol=1e-5)
    np.testing.assert_allclose(
        resumed.meta.training["history"], whole.meta.training["history"], rtol=1e-5
    )


def test_a_checkpoint_of_another_run_is_ignored(tmp_path: Path) -> None:
    features, _, enc = _toy()
    X = enc.encode(features)
    adapt(X, enc, epochs=2, checkpoint_dir=tmp_path)
    other = adapt(X, enc, epochs=2, seed=3, checkpoint_dir=tmp_path)
    assert other.meta.training["resumed_from"] == 0


def test_tabular_round_trip_through_cache_and_disk(tmp_path: Path) -> None:
    ds = _table()
    base = get_encoder("tabular")
    adapted = adapt(ds, base, epochs=2, cache_dir=tmp_path / "cache")
    folder = adapted.save(tmp_path / "enc")
    assert adapted.name == f"adapted:{folder}"
    first = embed(ds, adapted, cache_dir=tmp_path / "cache", progress=False)
    again = get_encoder(f"adapted:{folder}")
    assert isinstance(again, AdaptedEncoder) and again.identity == adapted.identity
    second = embed(ds, again, cache_dir=tmp_path / "cache", progress=False)
    assert second.n_encoded == 0  # from the cache, under the same identity
    np.testing.assert_array_equal(np.asarray(first.X), np.asarray(second.X))
    np.testing.assert_array_equal(again.encode(ds.inputs), np.asarray(first.X))
    base_X = embed(ds, base, cache_dir=tmp_path / "cache", progress=False).X
    np.testing.assert_allclose(adapted.transform(np.asarray(base_X)), first.X, atol=1e-6)
    assert {p.name for p in folder.iterdir()} == {"adapter.json", "weights.safetensors"}


def test_scarf_on_a_table_gives_an_encoder_over_tabular_features(tmp_path: Path) -> None:
    ds = _table()
    adapted = adapt(ds, "tabular", method="scarf", epochs=2, hidden=16, cache_dir=tmp_path)
    assert adapted.dim == 16 and adapted.modality == "tabular"
    Z = adapted.encode(ds.inputs)
    assert Z.shape == (60, 16) and Z.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)
    again = load_adapted(adapted.save(tmp_path / "scarf"))
    np.testing.assert_array_equal(again.encode(ds.inputs), Z)
    assert again.meta.method == "scarf" and again.meta.labels["n_labeled"] == 0


def test_text_side_goes_through_the_same_head(
    fake_encoder: Any, text_dataset: Dataset, tmp_path: Path
) -> None:
    adapted = adapt(text_dataset, fake_encoder, epochs=1, cache_dir=tmp_path)
    assert isinstance(adapted, AdaptedTextEncoder) and has_text_side(adapted)
    prompts = ["apple pie", "river bank"]
    np.testing.assert_allclose(
        adapted.encode_text(prompts), adapted.transform(fake_encoder.encode_text(prompts))
    )
    features, _, enc = _toy()
    assert not has_text_side(adapt(enc.encode(features), enc, epochs=0))


def test_rows_record_is_the_content_of_the_rows_seen(tmp_path: Path) -> None:
    ds = _table()
    a = adapt(ds, "tabular", epochs=0, cache_dir=tmp_path)
    b = adapt(ds.subset(np.arange(50)), "tabular", epochs=0, cache_dir=tmp_path)
    assert a.meta.rows["n"] == 60 and b.meta.rows["n"] == 50
    assert a.meta.rows["digest"] != b.meta.rows["digest"]


def test_pure_helpers_on_known_answers() -> None:
    X = l2_normalize(np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], np.float32))
    assert neighbour_indices(X, n_neighbors=1).ravel().tolist() == [1, 0, 3, 2]
    codes = np.array([0, -1, 1, -1])
    assert confident_pseudo_labels(X, codes, threshold=0.9).tolist() == [0, 0, 1, 1]
    assert confident_pseudo_labels(X, codes, threshold=1.0).tolist() == [0, -1, 1, -1]


def test_head_config_is_checked() -> None:
    with pytest.raises(Exception, match=r"HeadConfig expected epochs to be a whole number"):
        HeadConfig(epochs=-1)
