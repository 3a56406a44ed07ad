"""Multi-label rounds: which learner and strategy fit, the round's plan, its scores.

A workspace with ``task = "multilabel"`` gives each item a set of classes (possibly empty).
Its learner is a one-vs-rest model over an embedding learner with per-label thresholds
(:data:`fewlabels.learn.registry.MULTILABEL_LEARNERS`, ``"auto"`` meaning
:data:`DEFAULT_LEARNER`) and its default strategy ``multilabel-uncertainty`` (Brinker, 2006),
which ranks by TypiClust until a model exists. Strategies that rank the embeddings alone
(random, coreset, typiclust) fit too; those that rank a class distribution do not.

Label sets travel as indicator matrices: ``Y[i, k] == 1`` when item ``i`` has class ``k``,
a row of zeros for the empty set and a row of ``-1`` for an unlabelled item.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED
from fewlabels.workspace.status import PoolPrediction
from fewlabels.workspace.suggest import RoundPlan

__all__ = [
    "DEFAULT_LEARNER",
    "DEFAULT_STRATEGY",
    "CrossFitScores",
    "can_fit",
    "check_multilabel_learner",
    "check_multilabel_strategy",
    "cross_fit_scores",
    "fitting_strategies",
    "indicator",
    "plan_multilabel_round",
    "predict_label_sets",
]

#: The learner ``learner = "auto"`` means in a multi-label workspace.
DEFAULT_LEARNER = "one-vs-rest"
#: The strategy of a multi-label round when none is named (TypiClust until a model exists).
DEFAULT_STRATEGY = "multilabel-uncertainty"
#: Fewest labelled items for the cross-fitted micro/macro-F1 of ``status``.
MIN_SCORED = 6
#: Folds of that cross-fitting.
SCORE_FOLDS = 5


def fitting_strategies() -> list[str]:
    """The strategy names a multi-label workspace takes: those ranking the embeddings alone,
    and those made for per-label probabilities (``meta["task"] == "multilabel"``)."""
    from fewlabels.active.registry import STRATEGIES

    return [e.name for e in STRATEGIES if not e.needs_labels or e.meta.get("task") == "multilabel"]


def check_multilabel_strategy(name: str | None) -> str:
    """The strategy of a multi-label round: ``name``, or :data:`DEFAULT_STRATEGY`.

    Raises
    ------
    FewlabelsError
        A strategy that ranks a class distribution (margin, badge, ...) or an unknown name;
        the message lists the ones that fit.
    """
    if name is None:
        return DEFAULT_STRATEGY
    fits = fitting_strategies()
    if name not in fits:
        from fewlabels.active.registry import STRATEGIES

        what = (
            "ranks a single-label class distribution"
            if name in STRATEGIES
            else "is no strategy (see fewlabels.active.list_strategies())"
        )
        raise FewlabelsError(
            f"Expected a strategy for a multi-label workspace, but {name!r} {what}. Use one of "
            f"{fits} (default {DEFAULT_STRATEGY!r}), e.g. --strategy {DEFAULT_STRATEGY}."
        )
    return name


def check_multilabel_learner(name: str) -> str:
    """The multi-label learner name ``name`` stands for (``"auto"`` is :data:`DEFAULT_LEARNER`).

    Raises
    ------
    FewlabelsError
        A single-label learner or an unknown name; the message lists the ones that fit.
    """
    from fewlabels.learn.registry import LEARNERS, MULTILABEL_LEARNERS

    if name == "auto":
        return DEFAULT_LEARNER
    if name in MULTILABEL_LEARNERS:
        return name
    what = "is a single-label learner" if name in LEARNERS else "is no learner"
    raise FewlabelsError(
        f"Expected a multi-label learner for a multi-label workspace, but {name!r} {what}. Use "
        f"one of {['auto', *MULTILABEL_LEARNERS.names()]} (auto = {DEFAULT_LEARNER!r}: one "
        'learner per class with its own threshold), e.g. learner = "auto" in fewlabels.toml.'
    )


def indicator(
    ids: Sequence[str], sets: Mapping[str, Sequence[str]], classes: Sequence[str]
) -> np.ndarray:
    """The label-set indicator of ``ids``: rows of 0/1 for items in ``sets``, -1 for the rest.

    Parameters
    ----------
    ids : sequence of str of length n_samples
    sets : mapping of item id to its label set (class names, assumed among ``classes``)
    classes : sequence of str of length n_classes

    Returns
    -------
    ndarray of shape (n_samples, n_classes), int8
    """
    index = {c: k for k, c in enumerate(classes)}
    Y = np.full((len(ids), len(classes)), UNLABELED, dtype=np.int8)
    for row, item in enumerate(ids):
        labels = sets.get(str(item))
        if labels is not None:
            Y[row] = 0
            Y[row, [index[c] for c in labels]] = 1
    return Y


def can_fit(Y: np.ndarray) -> bool:
    """Whether a model has something to learn: 2 labelled items and a class both present and
    absent among them (before that, every class is constant over the labels)."""
    labelled = Y[~(Y == UNLABELED).all(axis=1)] if Y.size else Y
    if len(labelled) < 2:
        return False
    pos = labelled.sum(axis=0)
    return bool(((pos > 0) & (pos < len(labelled))).any())


def _new_learner(name: str, seed: int) -> Any:
    from fewlabels.learn.registry import MULTILABEL_LEARNERS

    model = MULTILABEL_LEARNERS.create(check_multilabel_learner(name))
    if "random_state" in model.get_params(deep=False):
        model.set_params(random_state=seed)
    return model


def _fit(model: Any, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Fit on the pool and return per-label probabilities with one column per class."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, Y)
        return np.asarray(model.predict_proba(X), dtype=np.float64)


def plan_multilabel_round(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n: int,
    strategy: str | None = None,
    learner: str = "auto",
    random_state: int = 0,
) -> RoundPlan:
    """Fit the multi-label learner (when :func:`can_fit`) and pick ``n`` unlabelled rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_classes)
        The label-set indicator, rows of -1 for unlabelled items.
    n : int
    strategy : str, optional
        Checked by :func:`check_multilabel_strategy`; default ``multilabel-uncertainty``.
    learner : str, default "auto"
    random_state : int, default 0

    Returns
    -------
    RoundPlan
        ``guesses`` are None: a multi-label guess is a set, given per row in
        ``metrics["label_proba"]`` (one probability per class, in class order, for each
        selected row) and ``metrics["guess_sets"]`` (the classes at or above their
        thresholds, as column indices). ``metrics`` also has ``n_labelled``,
        ``labelled_per_class``, ``n_empty`` (labelled with the empty set), ``learner``,
        ``guesses_from`` and ``thresholds``.
    """
    from fewlabels.active import get_strategy

    name = check_multilabel_strategy(strategy)
    labelled = ~(Y == UNLABELED).all(axis=1) if Y.shape[1] else np.zeros(len(Y), dtype=bool)
    model = None
    proba = None
    if can_fit(Y):
        model = _new_learner(learner, random_state)
        proba = _fit(model, X, Y)
    from fewlabels.active.registry import STRATEGIES

    # a strategy of the embeddings alone gets no proba: it checks for a class distribution
    ranked = proba if STRATEGIES.entry(name).meta.get("uses_proba") else None
    n_take = int(min(n, int((~labelled).sum())))
    positions = (
        np.zeros(0, dtype=np.int64)
        if n_take == 0
        else np.asarray(
            get_strategy(name).select(
                X, n=n_take, proba=ranked, labeled_mask=labelled, random_state=random_state
            ),
            dtype=np.int64,
        )
    )
    rows = Y[labelled]
    metrics: dict[str, Any] = {
        "n_labelled": int(labelled.sum()),
        "labelled_per_class": [int(c) for c in rows.sum(axis=0)],
        "n_empty": int((rows.sum(axis=1) == 0).sum()) if len(rows) else 0,
        "cv_accuracy": None,
        "learner": check_multilabel_learner(learner) if model is not None else None,
        "guesses_from": check_multilabel_learner(learner) if model is not None else None,
    }
    if model is not None and proba is not None:
        thresholds = np.asarray(model.thresholds_, dtype=np.float64)
        sel = proba[positions]
        metrics["thresholds"] = [round(float(t), 4) for t in thresholds]
        metrics["label_proba"] = [[round(float(p), 4) for p in row] for row in sel]
        metrics["guess_sets"] = [np.flatnonzero(row >= thresholds).tolist() for row in sel]
    empty: list[Any] = [None] * len(positions)
    return RoundPlan(positions, name, empty, list(empty), metrics, model, model)


@dataclass(frozen=True)
class CrossFitScores:
    """Micro- and macro-F1 of cross-fitted label sets: each labelled item predicted by a
    model fitted without its labels.

    Attributes
    ----------
    micro_f1, macro_f1 : float
    per_label : dict of str to float
        F1 of each class (1.0 for a class absent from both truth and prediction).
    n_items : int
        The labelled items scored.
    n_folds : int
    """

    micro_f1: float
    macro_f1: float
    per_label: dict[str, float]
    n_items: int
    n_folds: int

    def message(self) -> str:
        """One line: ``cross-fitted micro-F1 0.71, macro-F1 0.64 (5 folds, 30 items)``."""
        return (
            f"cross-fitted micro-F1 {self.micro_f1:.3f}, macro-F1 {self.macro_f1:.3f} "
            f"({self.n_folds} folds over {self.n_items} labelled item(s))"
        )


def cross_fit_scores(
    X: np.ndarray,
    Y: np.ndarray,
    classes: Sequence[str],
    *,
    learner: str = "auto",
    random_state: int = 0,
    n_folds: int = SCORE_FOLDS,
) -> CrossFitScores | None:
    """Cross-fitted micro/macro-F1 of the learner on the labelled rows (None with too few).

    The labelled rows are dealt at random (seeded) into ``min(n_folds, n_labelled)`` folds;
    each fold's sets are predicted by a model fitted on the pool with that fold's labels
    hidden (thresholds chosen inside that fit). None with fewer than :data:`MIN_SCORED`
    labelled items, or when no class is both present and absent in the labels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_classes), rows of -1 unlabelled
    classes : sequence of str of length n_classes
    """
    from fewlabels.learn.multilabel import row_folds
    from fewlabels.learn.multilabel_metrics import multilabel_scores

    labelled = np.flatnonzero(~(Y == UNLABELED).all(axis=1)) if Y.shape[1] else np.zeros(0, int)
    if labelled.size < MIN_SCORED or not can_fit(Y):
        return None
    folds = row_folds(labelled.size, n_folds, random_state=random_state)
    pred = np.zeros((labelled.size, Y.shape[1]), dtype=np.int64)
    for f in range(int(folds.max()) + 1):
        held = labelled[folds == f]
        train = Y.copy()
        train[held] = UNLABELED
        if not can_fit(train):  # this fold's rest says nothing: predict the empty set
            continue
        model = _new_learner(learner, random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, train)
            pred[folds == f] = np.asarray(model.predict(X[held]))
    scores = multilabel_scores(Y[labelled].astype(np.int64), pred)
    return CrossFitScores(
        micro_f1=scores.micro_f1,
        macro_f1=scores.macro_f1,
        per_label={c: float(v) for c, v in zip(classes, scores.per_label, strict=True)},
        n_items=int(labelled.size),
        n_folds=int(folds.max()) + 1,
    )


def predict_label_sets(
    X: np.ndarray,
    Y: np.ndarray,
    classes: Sequence[str],
    *,
    learner: str = "auto",
    random_state: int = 0,
) -> PoolPrediction:
    """What the multi-label learner would predict over the pool: per class, the share of
    items given it, and the share given no class (``PoolPrediction.empty_share``)."""
    if not can_fit(Y):
        return PoolPrediction(
            None,
            "",
            {},
            len(X),
            unavailable="the multi-label learner starts once 2 items are labelled and a class "
            "is in some of their sets but not all.",
            multilabel=True,
        )
    model = _new_learner(learner, random_state)
    proba = _fit(model, X, Y)
    sets = proba >= np.asarray(model.thresholds_)[None, :]
    n = max(len(X), 1)
    shares = {c: float(sets[:, k].sum()) / n for k, c in enumerate(classes)}
    return PoolPrediction(
        "learner",
        f"the multi-label learner {check_multilabel_learner(learner)!r}",
        shares,
        len(X),
        multilabel=True,
        empty_share=float((~sets.any(axis=1)).sum()) / n,
    )
