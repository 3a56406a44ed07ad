"""No test row reaches an adaptation: the benchmark and `adapt --dataset` see the train split."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fewlabels.adapt import adapt, adapt_builtin
from fewlabels.data import Dataset, load_builtin
from fewlabels.encode import get_encoder
from fewlabels.encode.fingerprint import combine, fingerprints

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "adapt.py"


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_adapt", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_adapts_on_the_training_rows_only(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _bench_module()
    seen: list[Any] = []

    def spy(data: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(data)
        return adapt(data, *args, **kwargs)

    monkeypatch.setattr(bench, "adapt", spy)
    wine = load_builtin("wine")
    cell = bench._cell(
        wine.train,
        wine.test,
        get_encoder("tabular"),
        method="scarf",
        per_class=4,
        seed=0,
        use_labels=False,
        epochs=1,
        hidden=8,
    )
    (pool,) = seen
    ids = set(map(str, pool.dataset.ids))
    assert ids == set(map(str, wine.train.ids))
    assert not ids & set(map(str, wine.test.ids))
    test_fp = set(fingerprints(wine.test).tolist())
    assert not set(fingerprints(pool.dataset).tolist()) & test_fp
    assert set(cell["adapted"]) == set(bench.LEARNER_NAMES)


def test_adapt_builtin_records_the_training_rows(tmp_path: Path) -> None:
    wine = load_builtin("wine")
    enc = adapt_builtin("wine", method="scarf", out=tmp_path / "w", epochs=1, hidden=8)
    assert enc.meta.rows == {
        "n": len(wine.train),
        "digest": combine(fingerprints(wine.train)),
        "by": "content",
    }
    with_test = combine(np.concatenate([fingerprints(wine.train), fingerprints(wine.test)]))
    assert enc.meta.rows["digest"] != with_test


def test_the_body_benchmark_adapts_on_the_training_rows_only(
    monkeypatch: pytest.MonkeyPatch, tiny_body_dir: Path
) -> None:
    """Both body stages of ``benchmarks/adapt.py --body`` (SimCSE on the pool, then
    setfit-body on its labelled rows) see the training split and nothing of the test split."""
    from .test_body import FAST, _dataset, _texts

    bench = _bench_module()
    seen: list[tuple[str, Any, Any]] = []

    def spy(data: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append((kwargs["method"], data, kwargs.get("labels")))
        return adapt(data, *args, **kwargs)

    monkeypatch.setattr(bench, "adapt", spy)
    texts, y = _texts(80, seed=0)
    train = _dataset(texts[:64], y[:64])
    test = _dataset(texts[64:], y[64:])
    test = Dataset(
        ids=np.array([f"t{i}" for i in range(16)], dtype=object),  # ids unlike the training's
        inputs=test.inputs,
        labels=test.labels,
        classes=test.classes,
        modality="text",
        name="toy-text-test",
    )
    base = get_encoder(f"st:{tiny_body_dir}", device="cpu")
    cell = bench._body_cell(
        train,
        test,
        base,
        per_class=4,
        seed=0,
        pretrain=True,
        settings=FAST,
        simcse_settings={"epochs": 1, "batch_size": 8, "holdout": 0.0},
        with_setfit=False,
    )
    assert [m for m, _, _ in seen] == ["simcse", "setfit-body"]
    test_ids = set(map(str, test.ids))
    test_fp = set(fingerprints(test).tolist())
    for _, pool, _ in seen:
        assert set(map(str, pool.ids)) == set(map(str, train.ids))
        assert not set(map(str, pool.ids)) & test_ids
        assert not set(fingerprints(pool).tolist()) & test_fp
    labels = np.asarray(seen[1][2])
    assert (labels >= 0).sum() == 8  # the budget: 4 labelled training rows per class
    assert set(cell["adapted"]) == set(bench.LEARNER_NAMES)
