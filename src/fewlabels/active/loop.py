"""The simulated active-learning loop: select, reveal, refit, measure.

A pure library function over arrays: the true pool labels play the oracle
(:class:`~fewlabels.active.oracle.SimulatedOracle`), the learner is refitted on the
labels revealed so far after each batch, and every round is scored on a held-out test
split. With ``start=0`` there is no model before the first batch, so the strategy's
cold-start rule picks it (``proba=None``; uncertainty strategies fall back to TypiClust).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score, recall_score

from fewlabels._validation import (
    check_batch_size,
    check_count,
    check_embeddings,
)
from fewlabels.active.base import Strategy
from fewlabels.active.oracle import SimulatedOracle
from fewlabels.active.registry import get_strategy
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.learn.base import takes_unlabeled
from fewlabels.learn.registry import get_learner
from fewlabels.learn.targets import align_proba, encode_targets
from fewlabels.typing import UNLABELED, BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class RoundRecord:
    """What one round of the loop did and measured.

    Attributes
    ----------
    round : int
        0 for the random seed set (only when ``start > 0``), then 1, 2, ...
    n_labels : int
        Labelled pool rows after this round.
    accuracy, macro_f1 : float
        On the test split, of the learner refitted after this round.
    class_counts : tuple of int
        Labelled rows per class (length n_classes) after this round.
    fit_seconds, predict_seconds, select_seconds : float
        Wall time of the refit, of predicting pool + test, and of the strategy's select.
    selected : tuple of int
        Pool positions labelled in this round.
    cold_start : bool
        True when the batch was chosen without a model (``proba=None``).
    balanced_accuracy : float
        On the test split: the mean recall over the classes present there.
    top_pred_share : float
        Share of the test predictions given to the most predicted class (1.0: one class
        for everything).
    """

    round: int
    n_labels: int
    accuracy: float
    macro_f1: float
    class_counts: tuple[int, ...]
    fit_seconds: float
    predict_seconds: float
    select_seconds: float
    selected: tuple[int, ...]
    cold_start: bool
    balanced_accuracy: float = float("nan")
    top_pred_share: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict."""
        return asdict(self)


def resolve_learner(learner: Any, *, random_state: int | None = None) -> Any:
    """Return a fresh, unfitted estimator from a learner name or an estimator.

    Parameters
    ----------
    learner : str or estimator
        A name for :func:`fewlabels.learn.get_learner` (``"auto"``, ``"linear"``...) or
        any scikit-learn classifier with ``predict_proba`` (it is cloned).
    random_state : int or None
        Set on the estimator when it has a ``random_state`` parameter.
    """
    if isinstance(learner, str):
        est = get_learner(learner)
    else:
        if not (hasattr(learner, "fit") and hasattr(learner, "predict_proba")):
            raise InputTypeError(
                "Expected a learner name (e.g. 'auto') or an estimator with fit and "
                f"predict_proba, but got {type(learner).__name__}."
            )
        est = clone(learner)
    if random_state is not None and "random_state" in est.get_params(deep=False):
        est.set_params(random_state=random_state)
    return est


def is_transductive(estimator: Any) -> bool:
    """Whether an estimator takes the whole pool with ``y == -1`` for unlabelled rows.

    Read from the estimator's ``takes_unlabeled`` tag (True for every fewlabels learner);
    other scikit-learn classifiers would read -1 as a class, so they get the labelled rows
    only.
    """
    return takes_unlabeled(estimator)


def fit_predict(
    estimator: Any,
    X_pool: FloatArray,
    y_known: IntArray,
    X_test: FloatArray,
    *,
    n_classes: int,
    transductive: bool,
) -> tuple[FloatArray | None, IntArray, float, float]:
    """Fit on the labels known so far; predict the pool (probabilities) and the test split.

    The learner sees the classes labelled so far (its ``classes_``); its probability
    columns are spread over all ``n_classes`` (:func:`fewlabels.learn.targets.align_proba`).
    With one class seen, there is no model: the test prediction is that class and the pool
    probabilities are None. Assumes valid input.

    Returns
    -------
    proba_pool : ndarray of shape (n_pool, n_classes) or None
    y_pred_test : ndarray of shape (n_test,)
    fit_seconds, predict_seconds : float
    """
    labeled = y_known != UNLABELED
    present = np.unique(y_known[labeled])
    if present.size < 2:
        only = int(present[0]) if present.size else 0
        return None, np.full(X_test.shape[0], only, dtype=np.int64), 0.0, 0.0
    t0 = time.perf_counter()
    if transductive:
        estimator.fit(X_pool, y_known)
    else:
        estimator.fit(X_pool[labeled], y_known[labeled])
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    every_class = np.arange(n_classes)
    proba = align_proba(estimator.predict_proba(X_pool), estimator.classes_, every_class)
    y_pred = np.asarray(estimator.predict(X_test))
    pred_s = time.perf_counter() - t0
    sums = proba.sum(axis=1, keepdims=True)
    proba = proba / np.where(sums > 0, sums, 1.0)
    return proba, y_pred.astype(np.int64), fit_s, pred_s


def _true_labels(y_pool: Any, y_test: Any, n_pool: int, n_test: int) -> tuple[IntArray, IntArray]:
    """Codes of the true labels of both splits (any label values).

    Non-negative integers are taken as class codes as they are; other labels (strings,
    1..K with gaps, ...) are coded by their sorted values.
    """
    arrays = []
    for y, n, name, x_name in (
        (y_pool, n_pool, "y_pool", "X_pool"),
        (y_test, n_test, "y_test", "X_test"),
    ):
        arr = np.asarray(y)
        if arr.ndim != 1 or arr.shape[0] != n:
            raise FewlabelsError(
                f"Expected {name} of shape ({n},), one label per row of {x_name}, but got "
                f"shape {arr.shape}."
            )
        arrays.append(arr)
    codes, values = encode_targets(np.concatenate(arrays), learner="simulate")
    if (codes == UNLABELED).any():
        raise FewlabelsError(
            "Expected fully labelled splits to simulate on (the true labels are the oracle), "
            f"but {int((codes == UNLABELED).sum())} label(s) mark unlabelled rows (-1 or "
            "None). Simulate on load_builtin(...).train / .test labels."
        )
    if np.issubdtype(values.dtype, np.integer) and values.min() >= 0:
        # Class codes already (a Dataset's labels): keep them, so that a class missing
        # from both splits keeps its place among n_classes.
        codes = values[codes].astype(np.int64)
    return codes[:n_pool], codes[n_pool:]


def simulate(
    X_pool: Any,
    y_pool: Any,
    X_test: Any,
    y_test: Any,
    *,
    strategy: str | Strategy = "random",
    learner: Any = "auto",
    start: int = 0,
    batch: int = 10,
    rounds: int = 10,
    seed: int = 0,
    n_classes: int | None = None,
    transductive: bool | None = None,
) -> list[RoundRecord]:
    """Play the active-learning loop with the true labels as the oracle.

    Each round: the strategy selects ``batch`` unlabelled pool rows (given the current
    learner's probabilities, or None before a model exists), the oracle reveals their
    labels, the learner is refitted and measured on the test split. With ``start > 0``
    a uniform random seed set of that size is labelled first and measured as round 0.
    The loop stops early when the pool is exhausted.

    Parameters
    ----------
    X_pool : array-like of shape (n_pool, n_features)
        Embeddings of the pool.
    y_pool : array-like of shape (n_pool,)
        True labels of the pool (the oracle's answers): class codes ``0 .. K-1`` or any
        label values (strings too), coded by their sorted order.
    X_test : array-like of shape (n_test, n_features)
    y_test : array-like of shape (n_test,)
    strategy : str or Strategy, default="random"
        A name from :func:`fewlabels.active.list_strategies` or a Strategy object.
    learner : str or estimator, default="auto"
        A name for :func:`fewlabels.learn.get_learner` or any classifier with
        ``predict_proba``; a fresh clone is fitted every round.
    start : int, default=0
        Size of the random seed set; 0 means a cold start.
    batch : int, default=10
        Labels per round.
    rounds : int, default=10
        Selection rounds.
    seed : int, default=0
        Seeds the seed set, the strategy and the learner.
    n_classes : int, optional
        Number of classes; default ``max(y_pool.max(), y_test.max()) + 1``.
    transductive : bool, optional
        Whether to fit on the whole pool with -1 for unlabelled rows; default True for
        fewlabels learners and False for other estimators (:func:`is_transductive`).

    Returns
    -------
    list of RoundRecord
        One per round (plus round 0 when ``start > 0``).
    """
    Xp = check_embeddings(X_pool, name="X_pool")
    Xt = check_embeddings(X_test, name="X_test")
    if Xt.shape[1] != Xp.shape[1]:
        raise FewlabelsError(
            f"Expected X_test with the pool's {Xp.shape[1]} features, but it has "
            f"{Xt.shape[1]}. Embed both with the same encoder."
        )
    yp, yt = _true_labels(y_pool, y_test, Xp.shape[0], Xt.shape[0])
    batch = check_batch_size(batch, name="batch")
    rounds = check_count(rounds, name="rounds", what="selection rounds")
    start = check_count(
        start, name="start", high=Xp.shape[0], what="the random seed set, at most the pool size"
    )
    k = int(max(yp.max(), yt.max()) + 1) if n_classes is None else int(n_classes)
    strat = get_strategy(strategy)
    rng = np.random.default_rng(seed)
    oracle = SimulatedOracle(yp)
    y_known = np.full(Xp.shape[0], UNLABELED, dtype=np.int64)
    records: list[RoundRecord] = []

    def refit_and_record(
        round_: int, picked: IntArray, select_s: float, cold: bool
    ) -> FloatArray | None:
        est = resolve_learner(learner, random_state=seed)
        trans = is_transductive(est) if transductive is None else transductive
        proba, y_pred, fit_s, pred_s = fit_predict(
            est, Xp, y_known, Xt, n_classes=k, transductive=trans
        )
        labeled = y_known != UNLABELED
        records.append(
            RoundRecord(
                round=round_,
                n_labels=int(labeled.sum()),
                accuracy=float(accuracy_score(yt, y_pred)),
                macro_f1=float(f1_score(yt, y_pred, average="macro", zero_division=0)),
                class_counts=tuple(int(c) for c in np.bincount(y_known[labeled], minlength=k)),
                fit_seconds=fit_s,
                predict_seconds=pred_s,
                select_seconds=select_s,
                selected=tuple(int(p) for p in picked),
                cold_start=cold,
                balanced_accuracy=float(
                    recall_score(yt, y_pred, labels=np.unique(yt), average="macro", zero_division=0)
                ),
                top_pred_share=float(np.bincount(y_pred, minlength=k).max() / y_pred.size),
            )
        )
        return proba

    proba: FloatArray | None = None
    if start > 0:
        seed_set = rng.choice(Xp.shape[0], size=int(start), replace=False)
        y_known[seed_set] = oracle.reveal(seed_set)
        proba = refit_and_record(0, np.sort(seed_set), 0.0, True)
    for r in range(1, int(rounds) + 1):
        labeled_mask: BoolArray = y_known != UNLABELED
        if labeled_mask.all():
            break
        t0 = time.perf_counter()
        picked = strat.select(Xp, n=batch, proba=proba, labeled_mask=labeled_mask, random_state=rng)
        select_s = time.perf_counter() - t0
        y_known[picked] = oracle.reveal(picked)
        proba = refit_and_record(r, picked, select_s, proba is None)
    return records
