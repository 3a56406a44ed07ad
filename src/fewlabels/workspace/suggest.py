"""One round of suggestions: fit the learner, score the model, pick what to label next.

Before two classes have labels there is no learner to fit; with an encoder that has a text
side, :class:`fewlabels.learn.ZeroShot` (class names and the workspace's descriptions) gives
the guesses shown for the items and the predictions of ``status``. The items themselves are
still chosen by the cold-start strategy.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fewlabels.store import LabelStore
from fewlabels.typing import UNLABELED
from fewlabels.workspace.status import PoolPrediction

#: The strategy at cold start (fewer than two classes labelled) and once a model exists.
COLD_START_STRATEGY = "typiclust"
WARM_STRATEGY = "badge"


@dataclass
class RoundPlan:
    """What :func:`plan_round` decided.

    Attributes
    ----------
    positions : ndarray of shape (n_selected,)
        Rows of ``X`` to label next, most wanted first.
    strategy : str
    guesses : list of (int or None)
        The model's predicted class code for each selected row (None without a model):
        the learner's, or the zero-shot model's before two classes have labels.
    confidences : list of (float or None)
    metrics : dict
        ``n_labelled``, ``labelled_per_class``, ``cv_accuracy`` (None when too few labels),
        ``learner``, ``guesses_from`` (``"zero-shot"``, the learner's name, or None); with
        ``Auto`` also ``chosen_learner`` and its ``holdout_accuracy``.
    model : estimator or None
        The fitted learner.
    guess_model : estimator or None
        The fitted model behind ``guesses``: ``model``, or the zero-shot model.
    """

    positions: np.ndarray
    strategy: str
    guesses: list[int | None]
    confidences: list[float | None]
    metrics: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    guess_model: Any = None


def cv_accuracy(X: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> float | None:
    """Cross-validated accuracy of a fast linear model (ridge classifier) on the labelled rows.

    A ridge classifier with weak regularisation (alpha=0.1) suits L2-normalised embeddings and
    fits in milliseconds; measured on digits/pixels it tracks a weakly regularised logistic
    regression within a few points (a logistic regression with C=1 underfits unit-length
    features: 0.35 held-out accuracy at 20 labels against 0.68).

    Uses stratified k-fold with ``k = min(5, largest class count)``, repeated 5 times with
    fixed shuffles (so the same labels always give the same number); a class with a single
    label counts as an error when it is held out (a pessimistic estimate). None with fewer than
    4 labels, fewer than 2 classes, or no class with 2 labels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class codes, -1 for unlabelled (ignored).
    """
    from sklearn.linear_model import RidgeClassifier
    from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score

    mask = y != UNLABELED
    _, counts = np.unique(y[mask], return_counts=True)
    if counts.size < 2 or counts.max() < 2 or mask.sum() < 4:
        return None
    k = int(min(5, counts.max()))
    cv = RepeatedStratifiedKFold(n_splits=k, n_repeats=5, random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = cross_val_score(RidgeClassifier(alpha=0.1), X[mask], y[mask], cv=cv)
    return float(np.mean(scores))


def _get_learner(name: str, seed: int, zero_shot: Any = None) -> Any:
    """A new learner by name, seeded when it takes a ``random_state`` (KNN, NCM do not).

    A learner that takes an encoder and class names (``Auto``, which then scores zero-shot
    among its candidates) gets those of ``zero_shot``.
    """
    from fewlabels.learn import get_learner

    model = get_learner(name)
    params = model.get_params(deep=False)
    if "random_state" in params:
        model.set_params(random_state=seed)
    if zero_shot is not None and {"encoder", "class_names", "descriptions"} <= set(params):
        model.set_params(
            encoder=zero_shot.encoder,
            class_names=list(zero_shot.class_names),
            descriptions=zero_shot.descriptions,
        )
    return model


def zero_shot_learner(
    encoder: Any,
    class_names: Sequence[str],
    descriptions: Mapping[str, Sequence[str]] | None = None,
) -> Any:
    """A new (unfitted) :class:`fewlabels.learn.ZeroShot` over ``encoder``'s text side.

    Parameters
    ----------
    encoder : Encoder
        The encoder that embeds the pool; it needs ``encode_text``.
    class_names : sequence of str
    descriptions : mapping of class name to sequence of str, optional
        Extra prompts per class (a workspace's ``[descriptions]``).

    Raises
    ------
    InputTypeError
        When the encoder has no text side (the message says which encoders have one).
    """
    from fewlabels.encode.base import check_text_side
    from fewlabels.learn.zero_shot import ZeroShot

    check_text_side(encoder, learner="Zero-shot guessing")
    return ZeroShot(
        encoder=encoder,
        class_names=tuple(class_names),
        descriptions={k: list(v) for k, v in descriptions.items()} if descriptions else None,
    )


def zero_shot_name(model: Any) -> str:
    """Which zero-shot model, in words: from class names, or from names and descriptions."""
    described = bool(getattr(model, "descriptions", None))
    return "zero-shot from class names" + (" and descriptions" if described else "")


def _fit_proba(model: Any, X: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Fit ``model`` on the pool and return its probabilities over every class code.

    Assumes valid input; ``model.classes_`` must be class codes (the learners fit on codes,
    ``ZeroShot`` fits on numeric codes as positions in its class names).
    """
    from fewlabels.learn.targets import align_proba

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
        proba = np.asarray(model.predict_proba(X))
    # columns follow model.classes_ (the codes labelled so far): spread them to every code
    return align_proba(proba, model.classes_, np.arange(n_classes))


def plan_round(
    X: np.ndarray,
    y: np.ndarray,
    *,
    n: int,
    n_classes: int,
    strategy: str | None = None,
    learner: str = "auto",
    random_state: int = 0,
    cv_seed: int = 0,
    zero_shot: Any = None,
) -> RoundPlan:
    """Fit the learner on the labelled rows (when two classes have labels) and pick ``n`` rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Embeddings of the pool.
    y : ndarray of shape (n_samples,)
        Class codes, -1 for unlabelled.
    n : int
        How many rows to select (fewer when fewer are unlabelled).
    n_classes : int
    strategy : str, optional
        A name for :func:`fewlabels.active.get_strategy`; by default ``"typiclust"`` at cold
        start (Hacohen et al., 2022, "Active learning on a budget") and ``"badge"`` after
        (Ash et al., 2020, "Deep batch active learning by diverse, uncertain gradient lower
        bounds"), a hybrid of uncertainty and diversity. On digits it reached random's final
        accuracy with a quarter of the labels against half for margin
        (benchmarks/results/active_summary_digits.csv), and margin's batches piled up on
        one or two confusable classes.
    learner : str, default "auto"
        A name for :func:`fewlabels.learn.get_learner`.
    random_state : int, default 0
        Seeds the learner and the strategy.
    cv_seed : int, default 0
        Seeds the folds of :func:`cv_accuracy` (keep it fixed across rounds).
    zero_shot : estimator, optional
        An unfitted model that needs no labels (:func:`zero_shot_learner`): while fewer
        than two classes have labels it is fitted on the pool and gives the guesses. It does
        not change which items are chosen (the cold-start strategy ranks without a model).
    """
    from fewlabels.active import get_strategy

    labeled_mask = y != UNLABELED
    present = np.unique(y[labeled_mask])
    model = guess_model = None
    proba_full: np.ndarray | None = None
    proba_guess: np.ndarray | None = None
    if present.size >= 2:
        model = guess_model = _get_learner(learner, random_state, zero_shot)
        proba_full = proba_guess = _fit_proba(model, X, y, n_classes)
    elif zero_shot is not None:
        guess_model = zero_shot
        proba_guess = _fit_proba(zero_shot, X, y, n_classes)
    name = strategy or (COLD_START_STRATEGY if proba_full is None else WARM_STRATEGY)
    n_take = int(min(n, int((~labeled_mask).sum())))
    if n_take == 0:
        positions = np.zeros(0, dtype=np.int64)
    else:
        positions = np.asarray(
            get_strategy(name).select(
                X, n=n_take, proba=proba_full, labeled_mask=labeled_mask, random_state=random_state
            ),
            dtype=np.int64,
        )
    guesses: list[int | None] = [None] * len(positions)
    confidences: list[float | None] = [None] * len(positions)
    if proba_guess is not None and len(positions):
        sel = proba_guess[positions]
        guesses = [int(g) for g in sel.argmax(axis=1)]
        confidences = [float(c) for c in sel.max(axis=1)]
    counts = np.bincount(y[labeled_mask], minlength=n_classes)
    guesses_from = "zero-shot" if guess_model is not None else None
    metrics: dict[str, Any] = {
        "n_labelled": int(labeled_mask.sum()),
        "labelled_per_class": [int(c) for c in counts],
        "cv_accuracy": cv_accuracy(X, y, random_state=cv_seed),
        "learner": learner if model is not None else None,
        "guesses_from": learner if model is not None else guesses_from,
    }
    chosen = getattr(model, "chosen_", None)
    if chosen is not None:  # Auto: which learner won its hold-out selection, and its score
        metrics["chosen_learner"] = str(chosen)
        score = getattr(model, "scores_", {}).get(chosen)
        metrics["holdout_accuracy"] = None if score is None else float(score)
    return RoundPlan(positions, name, guesses, confidences, metrics, model, guess_model)


def predict_pool(
    X: np.ndarray,
    y: np.ndarray,
    *,
    class_names: Sequence[str],
    learner: str = "auto",
    random_state: int = 0,
    zero_shot: Any = None,
    zero_shot_unavailable: str | None = None,
) -> PoolPrediction:
    """What the model would predict over the pool: the learner, or zero-shot before labels.

    The same model as :func:`plan_round` picks: the learner once two classes have labels,
    else ``zero_shot`` (fitted on the pool here).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class codes into ``class_names``, -1 for unlabelled.
    class_names : sequence of str of length n_classes
    learner : str, default "auto"
    random_state : int, default 0
    zero_shot : estimator, optional
        An unfitted :func:`zero_shot_learner`; None when there is none.
    zero_shot_unavailable : str, optional
        Why there is no zero-shot model, said when it would have been needed.

    Returns
    -------
    PoolPrediction
        Per class, the share of the ``n_samples`` rows predicted as it.
    """
    K = len(class_names)
    labeled = y != UNLABELED
    if np.unique(y[labeled]).size >= 2:
        model = _get_learner(learner, random_state, zero_shot)
        what = f"the learner {learner!r}"
        proba = _fit_proba(model, X, y, K)
        chosen = getattr(model, "chosen_", None)
        if chosen is not None:
            what += f" (chose {str(chosen)!r})"
        kind = "learner"
    elif zero_shot is not None:
        proba = _fit_proba(zero_shot, X, y, K)
        what, kind = zero_shot_name(zero_shot), "zero-shot"
    else:
        reason = zero_shot_unavailable or "no zero-shot model was given"
        return PoolPrediction(
            None,
            "",
            {},
            len(X),
            unavailable=f"zero-shot is unavailable. {reason} The learner starts once 2 classes "
            "have labels.",
        )
    counts = np.bincount(proba.argmax(axis=1), minlength=K) if len(X) else np.zeros(K)
    shares = {c: float(counts[k]) / max(len(X), 1) for k, c in enumerate(class_names)}
    return PoolPrediction(kind, what, shares, len(X))


def close_previous_round(store: LabelStore) -> dict[str, Any] | None:
    """Close the current round of ``store`` before a new one is recorded, and say what it left.

    Its unlabelled items (an item that fits no class, one skipped again and again) return to
    the pool, where the new round may pick them again; nothing is dropped silently.

    Returns
    -------
    dict or None
        ``{"round": id, "left": n, "left_ids": [...]}`` (at most 20 ids listed), None before
        the first round.
    """
    previous = store.latest_round()
    if previous is None:
        return None
    if previous.closed is not None:
        left = list(previous.left_ids)
    else:
        left = store.close_round(previous.id)
    return {"round": previous.id, "left": len(left), "left_ids": left[:20]}


def leftover_message(metrics: dict[str, Any]) -> str | None:
    """One line on the previous round's unlabelled items (from a round's metrics), or None."""
    info = metrics.get("previous_round")
    if not isinstance(info, dict) or not info.get("left"):
        return None
    return (
        f"round {info['round']} closed with {int(info['left'])} item(s) unlabelled: they "
        "returned to the pool (the new round may pick them again)."
    )
