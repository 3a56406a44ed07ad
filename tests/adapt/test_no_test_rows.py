"""No test row reaches an adaptation: the benchmark and `adapt --dataset` see the train split."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fewlabels.adapt import adapt, adapt_builtin
from fewlabels.data import load_builtin
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
