"""Simulations on built-in datasets: load, embed (cached), loop over strategies x seeds.

Rows follow the results table of ``fewlabels bench`` (``fewlabels.bench.results.SCHEMA``;
this floor does not import ``bench``): ``protocol="simulate"``, one row per
(dataset x encoder x learner x strategy x seed x round), plus the extra columns
``select_seconds`` and ``class_counts`` (JSON list of labelled rows per class).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.active.base import Strategy
from fewlabels.active.loop import RoundRecord, simulate
from fewlabels.active.registry import get_strategy, list_strategies
from fewlabels.errors import FewlabelsError
from fewlabels.typing import FloatArray, IntArray


@dataclass(frozen=True)
class EmbeddedSplits:
    """A built-in dataset's pool and test split, embedded.

    Attributes
    ----------
    X_pool : ndarray of shape (n_pool, dim)
    y_pool : ndarray of shape (n_pool,)
    X_test : ndarray of shape (n_test, dim)
    y_test : ndarray of shape (n_test,)
    classes : tuple of str
    dataset, encoder, modality : str
    """

    X_pool: FloatArray
    y_pool: IntArray
    X_test: FloatArray
    y_test: IntArray
    classes: tuple[str, ...]
    dataset: str
    encoder: str
    modality: str


def load_embedded(
    dataset: str,
    encoder: str | None = None,
    *,
    cache_dir: str | None = None,
    progress: bool = False,
) -> EmbeddedSplits:
    """Load a built-in dataset and embed both splits with the embedding cache.

    Parameters
    ----------
    dataset : str
        A name from :func:`fewlabels.data.list_builtin`.
    encoder : str, optional
        A name for :func:`fewlabels.encode.get_encoder`; by default
        :func:`fewlabels.encode.default_encoder` of the pool.
    cache_dir : str, optional
        Embedding cache root (default ``~/.cache/fewlabels``).
    progress : bool, default=False
    """
    from fewlabels.data import load_builtin
    from fewlabels.encode import default_encoder, embed, get_encoder

    splits = load_builtin(dataset)
    name = encoder or default_encoder(splits.train)
    enc = get_encoder(name)
    pool = embed(splits.train, enc, cache_dir=cache_dir, progress=progress)
    test = embed(splits.test, enc, cache_dir=cache_dir, progress=progress)
    return EmbeddedSplits(
        X_pool=np.asarray(pool.X, dtype=np.float32),
        y_pool=np.asarray(pool.dataset.labels, dtype=np.int64),
        X_test=np.asarray(test.X, dtype=np.float32),
        y_test=np.asarray(test.dataset.labels, dtype=np.int64),
        classes=tuple(splits.train.classes),
        dataset=dataset,
        encoder=name,
        modality=str(splits.train.modality),
    )


def learner_name(learner: Any) -> str:
    """How a learner is named in the results table."""
    return learner if isinstance(learner, str) else type(learner).__name__


def simulation_rows(
    records: Sequence[RoundRecord],
    *,
    data: EmbeddedSplits,
    method: str,
    strategy: str,
    seed: int,
    batch: int,
    start: int,
    started_at: str = "",
) -> list[dict[str, Any]]:
    """Turn round records into results-table rows (the ``fewlabels bench`` schema).

    Returns
    -------
    list of dict
        One per record.
    """
    n_classes = len(data.classes)
    majority = float(np.bincount(data.y_test, minlength=n_classes).max() / data.y_test.size)
    rows = []
    for rec in records:
        rows.append(
            {
                "protocol": "simulate",
                "dataset": data.dataset,
                "encoder": data.encoder,
                "modality": data.modality,
                "method": method,
                "method_kind": "fewlabels",
                "budget": "",
                "n_labels": rec.n_labels,
                "labels_per_class": rec.n_labels / n_classes,
                "strategy": strategy,
                "round": rec.round,
                "seed": int(seed),
                "status": "ok",
                "error": "",
                "accuracy": rec.accuracy,
                "macro_f1": rec.macro_f1,
                "balanced_accuracy": rec.balanced_accuracy,
                "majority_rate": majority,
                "top_pred_share": rec.top_pred_share,
                "fit_seconds": rec.fit_seconds,
                "predict_seconds": rec.predict_seconds,
                "n_train": int(data.X_pool.shape[0]),
                "n_test": int(data.X_test.shape[0]),
                "n_classes": n_classes,
                "cell_id": (
                    f"simulate|{data.dataset}|{data.encoder}|{method}|{strategy}|start={start}"
                    f"|batch={batch}|seed={seed}|round={rec.round}"
                ),
                "started_at": started_at,
                "select_seconds": rec.select_seconds,
                "class_counts": json.dumps(list(rec.class_counts)),
            }
        )
    return rows


def run_simulation(
    dataset: str | EmbeddedSplits,
    encoder: str | None = None,
    *,
    strategies: Iterable[str | Strategy] | None = None,
    learner: Any = "auto",
    start: int = 0,
    batch: int = 10,
    rounds: int = 10,
    seeds: int | Sequence[int] = 3,
    cache_dir: str | None = None,
    progress: bool = False,
    on_curve: Callable[[list[dict[str, Any]]], None] | None = None,
) -> pd.DataFrame:
    """Simulate several strategies x seeds on a built-in dataset.

    Parameters
    ----------
    dataset : str or EmbeddedSplits
        A built-in dataset name (loaded and embedded with the cache) or splits already
        embedded with :func:`load_embedded`.
    encoder : str, optional
        Encoder name; default by modality. Ignored when ``dataset`` is embedded already.
    strategies : iterable of str or Strategy, optional
        Default every strategy of :func:`list_strategies`. ``"random"`` is added when
        missing: it is the reference the others are measured against.
    learner : str or estimator, default="auto"
        Refitted every round (see :func:`fewlabels.active.loop.simulate`).
    start, batch, rounds : int
        Seed-set size (0 = cold start), labels per round, number of rounds.
    seeds : int or sequence of int, default=3
        An int ``s`` means seeds ``0 .. s-1``.
    cache_dir : str, optional
    progress : bool, default=False
        Show embedding progress.
    on_curve : callable, optional
        Called with the rows of each finished (strategy, seed) curve, e.g. to print
        progress or write rows as they come.

    Returns
    -------
    DataFrame
        The rows of :func:`simulation_rows` for every curve.
    """
    data = (
        dataset
        if isinstance(dataset, EmbeddedSplits)
        else load_embedded(dataset, encoder, cache_dir=cache_dir, progress=progress)
    )
    chosen = list(list_strategies() if strategies is None else strategies)
    if not chosen:
        raise FewlabelsError(
            f"Expected at least one strategy, but got none. Choose from {list_strategies()}."
        )
    names = [s if isinstance(s, str) else s.name for s in chosen]
    for s in chosen:
        get_strategy(s)  # fail early on an unknown name, before any work
    if "random" not in names:
        chosen.insert(0, "random")
        names.insert(0, "random")
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else list(seeds)
    if not seed_list:
        raise FewlabelsError(f"Expected at least one seed, but got seeds={seeds!r}.")
    method = learner_name(learner)
    rows: list[dict[str, Any]] = []
    for strategy, name in zip(chosen, names, strict=True):
        for seed in seed_list:
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
            records = simulate(
                data.X_pool,
                data.y_pool,
                data.X_test,
                data.y_test,
                strategy=strategy,
                learner=learner,
                start=start,
                batch=batch,
                rounds=rounds,
                seed=int(seed),
                n_classes=len(data.classes),
            )
            curve = simulation_rows(
                records,
                data=data,
                method=method,
                strategy=name,
                seed=int(seed),
                batch=batch,
                start=start,
                started_at=started,
            )
            if on_curve is not None:
                on_curve(curve)
            rows.extend(curve)
    return pd.DataFrame(rows)
