"""Gradient-boosted trees inside self-training: a learner for tables.

scikit-learn's ``HistGradientBoostingClassifier`` (Ke et al., 2017, "LightGBM"; its
histogram trees) fitted on the labelled rows, then rounds of confident pseudo-labels over
the pool (Yarowsky, 1995; the curriculum of Cascante-Bonilla et al., 2021; class-balanced
selection of Zou et al., 2018), with the pure functions of
:mod:`fewlabels.learn.pseudo_labels`.

Trees read raw tables: a pandas DataFrame keeps its columns (numbers, and categories as
HGB's native categorical splits); missing values (NaN) pass through to HGB's native
missing-value handling. Infinite values are refused.

This file runs past 400 lines because it is one estimator: most of it is the checks of a
table (a DataFrame with categoricals, or an array) at its edge; the pseudo-label round it
shares with :class:`~fewlabels.learn.self_training.SelfTraining` lives in ``pseudo_labels.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted, validate_data

from fewlabels._validation import check_param
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.learn.base import EmbeddingClassifier, _hint
from fewlabels.learn.pseudo_labels import (
    confidence_weights,
    pseudo_label_round,
)
from fewlabels.typing import UNLABELED

_CRITERIA = ("threshold", "curriculum")

#: HGB bins a categorical column into at most this many categories (its ``max_bins``).
MAX_CATEGORIES = 255

#: ``early_stopping="auto"``: on from this many training rows (HGB's own rule), if every
#: class also has at least :data:`_MIN_PER_CLASS_TO_STOP` rows for the validation split.
EARLY_STOPPING_ROWS = 10_000
_MIN_PER_CLASS_TO_STOP = 20


def training_weights(
    codes: np.ndarray, confidence: np.ndarray, class_weight: np.ndarray
) -> np.ndarray:
    """Per-row weights of one fit: the class weight times the row's confidence weight.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,), int
        Class code of each row; ``-1`` for rows without a label (weight 0).
    confidence : ndarray of shape (n_samples,), float
        1 for given labels, the pseudo-label's confidence weight otherwise.
    class_weight : ndarray of shape (n_classes,), float

    Returns
    -------
    ndarray of shape (n_samples,), float64
    """
    labelled = codes != UNLABELED
    out = np.zeros(codes.shape[0], dtype=np.float64)
    out[labelled] = class_weight[codes[labelled]] * confidence[labelled]
    return out


def _take(X: Any, rows: np.ndarray) -> Any:
    """Rows of an array or a DataFrame."""
    return X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]


def _refuse_infinite(values: np.ndarray, *, where: str) -> None:
    inf = np.isinf(values)
    if inf.any():
        rows = np.flatnonzero(inf.reshape(inf.shape[0], -1).any(axis=1))
        raise FewlabelsError(
            f"Expected finite numbers or NaN (missing) in {where}, but {rows.size} row(s) hold "
            f"infinity, e.g. rows {rows[:10].tolist()}. Clip them, or set them to NaN to let "
            "the trees treat them as missing."
        )


class TreeSelfTraining(EmbeddingClassifier):
    """Histogram gradient boosting trained on the labelled rows, then on confident pseudo-labels.

    Round 0 fits ``HistGradientBoostingClassifier`` on the given labels. Each round then
    predicts the pool, adds the confident unlabelled rows with their predicted class (their
    label never changes afterwards, nor does a given label) and refits a fresh model on
    all labels so far. The loop stops after ``max_rounds`` rounds, when a round adds
    nothing, or when every row has a label.

    Inputs. ``X`` is a 2-d array of numbers (embeddings or a numeric table) or a pandas
    DataFrame. A DataFrame's ``category`` columns, and its string columns (made
    ``category``), are split natively (``categorical_features="from_dtype"``); a category
    unseen at fit time is treated as missing at predict time. Numeric NaN (and missing
    categories) go to HGB's native missing-value handling: each split learns on which side
    missing values go; a feature without missing values at fit time sends them to the
    child with more rows. Infinite values are refused.

    The defaults are chosen for few labels, measured on the ``tabular`` encoder's embeddings
    of breast_cancer, wine and default at 1, 4 and 16 labels per class, 3 seeds
    (``benchmarks/tables.py``, ``benchmarks/results/tables.json``): leaves of one row (HGB's
    default 20, or even 2, makes no split at all on 1 label per class: it predicts the
    class shares), 50 boosting iterations of trees of 8 leaves. Self-training adds little
    (0 to +2.5 points of accuracy over ``max_rounds=0``, -2.5 on wine at 4 per class).
    Measured there, trees trail ``LogisticRegression(class_weight="balanced")`` on
    breast_cancer and wine (wine at 1 per class: 0.685 against 0.824), and lead it on
    ``default`` in accuracy and macro-F1 (16 per class: macro-F1 0.559 against 0.527) but
    not in balanced accuracy at 4 and 16 per class: prefer them for tables with
    interactions, categories or missing values, not as a blanket replacement.

    Parameters
    ----------
    max_rounds : int, default 5
        Self-training rounds at most; ``0`` is exactly HGB on the labelled rows.
    criterion : {"threshold", "curriculum"}, default "curriculum"
        ``"threshold"``: a row is confident when its top probability is ``>= threshold``.
        ``"curriculum"``: round ``r`` admits the rows above the ``100 - r * step``
        percentile of the confidences over the originally unlabelled rows.
    threshold : float, default 0.9
        For ``criterion="threshold"``.
    step : float, default 20.0
        Percent of the unlabelled pool admitted per round, for ``criterion="curriculum"``.
    class_balanced : bool, default True
        Take the same share of each predicted class (see ``select_pseudo_labels``).
    weight_power : float or None, default 1.0
        A pseudo-label weighs ``confidence ** weight_power`` (None or 0: 1). Given labels
        weigh 1.
    class_weight : None, "balanced" or dict, default None
        Class weights, resolved once on the given labels
        (:func:`fewlabels.learn.imbalance.resolve_class_weight`: ``"balanced"`` is
        scikit-learn's ``n / (K * count)`` over the labelled rows; a dict is keyed by label
        values) and multiplied into every row's weight, pseudo-labels included. They are
        passed to HGB as ``sample_weight``, not as its ``class_weight`` (which would count
        the pseudo-labels too).
    max_iter : int, default 50
        Boosting iterations of each HGB fit.
    learning_rate : float, default 0.1
    max_leaf_nodes : int, default 8
    min_samples_leaf : int, default 1
    l2_regularization : float, default 0.0
    early_stopping : "auto" or bool, default "auto"
        ``"auto"``: on when a fit has at least 10,000 rows and every class at least 20
        (HGB's validation split needs them); off below, where it would hold out labels
        that few-label data cannot spare.
    random_state : int or None, default 0
        For HGB's validation split (early stopping) only.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    base_estimator_ : HistGradientBoostingClassifier
        The model fitted on the final labels (trained on class codes ``0..n_classes-1``).
    categorical_features_ : tuple of str
        The DataFrame columns split as categories (empty for arrays).
    input_columns_ : list or None
        The columns of the fitted DataFrame (None when fitted on an array): predict then
        expects a DataFrame with them (or an array, when none is a category column).
    class_weight_ : ndarray of shape (n_classes,)
        The resolved class weights, in ``classes_`` order.
    class_shares_, labelled_shares_ : ndarray of shape (n_classes,)
        Shares of the predicted classes over the fitted pool (from ``fit_proba_``) and of
        the given labels (see ``fewlabels.learn.imbalance.warn_if_collapsed``).
    transduction_ : ndarray of shape (n_samples,)
        The label of every fitted row: given, pseudo, or predicted by ``base_estimator_``.
    fit_proba_ : ndarray of shape (n_samples, n_classes)
        ``base_estimator_``'s probabilities for the fitted rows.
    labeled_iter_ : ndarray of shape (n_samples,)
        The round in which each row got its label: 0 for given labels, ``r`` for round
        ``r``, -1 for rows never pseudo-labelled.
    pseudo_weight_ : ndarray of shape (n_samples,)
        The weight each row had in the last fit (0 for rows without a label).
    history_ : list of dict
        Per round that added labels: ``round``, ``threshold``, ``n_new``,
        ``n_new_per_class`` (list, in ``classes_`` order) and ``n_labeled``.
    n_rounds_ : int
        Rounds that added pseudo-labels.
    termination_condition_ : {"max_rounds", "no_change", "all_labeled"}
    n_iter_ : int
        Boosting iterations of ``base_estimator_`` (fewer than ``max_iter`` when early
        stopping stopped it).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when fitted on a DataFrame with string column names.
    """

    transductive = True
    categorical_features_: tuple[str, ...]  # declared for the type checker, set by fit
    input_columns_: list[Any] | None

    def __init__(
        self,
        *,
        max_rounds: int = 5,
        criterion: str = "curriculum",
        threshold: float = 0.9,
        step: float = 20.0,
        class_balanced: bool = True,
        weight_power: float | None = 1.0,
        class_weight: str | dict[Any, float] | None = None,
        max_iter: int = 50,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 8,
        min_samples_leaf: int = 1,
        l2_regularization: float = 0.0,
        early_stopping: str | bool = "auto",
        random_state: int | None = 0,
    ) -> None:
        self.max_rounds = max_rounds
        self.criterion = criterion
        self.threshold = threshold
        self.step = step
        self.class_balanced = class_balanced
        self.weight_power = weight_power
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.early_stopping = early_stopping
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # HGB's native missing values
        return tags

    # --- validation ------------------------------------------------------------------

    def _check_params(self) -> None:
        name = type(self).__name__
        if self.criterion not in _CRITERIA:
            raise FewlabelsError(
                f"{name} expected criterion in {_CRITERIA}, but got {self.criterion!r}."
            )
        if not (self.early_stopping == "auto" or isinstance(self.early_stopping, bool)):
            raise FewlabelsError(
                f"{name} expected early_stopping 'auto', True or False, but got "
                f"{self.early_stopping!r}."
            )
        check_param("max_rounds", self.max_rounds, low=0, high=np.inf, learner=name)
        check_param("threshold", self.threshold, low=0, high=1, learner=name)
        check_param("step", self.step, low=0, high=100, low_open=True, learner=name)
        check_param("max_iter", self.max_iter, low=1, high=np.inf, learner=name)
        check_param("learning_rate", self.learning_rate, low=0, high=np.inf, low_open=True,
                    learner=name)  # fmt: skip
        check_param("max_leaf_nodes", self.max_leaf_nodes, low=2, high=np.inf, learner=name)
        check_param("min_samples_leaf", self.min_samples_leaf, low=1, high=np.inf, learner=name)
        check_param("l2_regularization", self.l2_regularization, low=0, high=np.inf,
                    learner=name)  # fmt: skip
        if self.weight_power is not None:
            check_param("weight_power", self.weight_power, low=0, high=np.inf, learner=name)

    def _check_X(self, X: Any, *, reset: bool) -> Any:
        """``X`` as a float64 array (NaN kept, infinity refused) or a converted DataFrame.

        At fit time (``reset``) the kind of input is recorded; at predict time a DataFrame
        is expected when the fit had category columns.
        """
        name = type(self).__name__
        if reset:
            self.input_columns_ = list(X.columns) if isinstance(X, pd.DataFrame) else None
        if getattr(self, "input_columns_", None) is not None:
            return self._check_frame(X, reset=reset)
        try:
            Xa = validate_data(self, X, reset=reset, dtype=np.float64, ensure_all_finite=False)
        except ValueError as exc:
            raise _hint(exc, learner=name) from None
        Xa = np.asarray(Xa)
        _refuse_infinite(Xa, where="X")
        return Xa

    def _check_frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """A DataFrame with numeric columns as float64 and text columns as ``category``."""
        name = type(self).__name__
        columns = self.input_columns_
        assert columns is not None
        if not isinstance(X, pd.DataFrame):
            if self.categorical_features_:
                raise InputTypeError(
                    f"{name} was fitted on a DataFrame with the category columns "
                    f"{list(self.categorical_features_)}, but got {type(X).__name__}. Pass a "
                    f"DataFrame with the columns {columns}."
                )
            try:
                Xa = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
            except ValueError as exc:
                raise _hint(exc, learner=name) from None
            X = pd.DataFrame(np.asarray(Xa), columns=columns)
        else:
            try:
                validate_data(self, X, reset=reset, skip_check_array=True)
            except ValueError as exc:
                raise _hint(exc, learner=name) from None
            if X.shape[0] == 0:
                raise FewlabelsError(f"{name}: got a DataFrame with 0 rows. Pass at least one row.")
        out: dict[Any, Any] = {}
        categorical: list[str] = []
        for col in columns:
            s = X[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                out[col] = s
                categorical.append(str(col))
            elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
                values = s.to_numpy(dtype=np.float64, na_value=np.nan)
                _refuse_infinite(values, where=f"column {col!r}")
                out[col] = values
            elif pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s):
                text = s.astype(object).where(s.isna(), s.astype(str))
                out[col] = text.astype("category")
                categorical.append(str(col))
            else:
                raise InputTypeError(
                    f"{name} expected numeric, boolean, string or category columns, but column "
                    f"{col!r} holds {s.dtype} values. Convert it to numbers (e.g. a timestamp) "
                    "or to strings."
                )
        frame = pd.DataFrame(out, index=X.index)
        if reset:
            self.categorical_features_ = tuple(categorical)
            wide = {
                c: len(frame[c].cat.categories)
                for c in categorical
                if len(frame[c].cat.categories) > MAX_CATEGORIES
            }
            if wide:
                raise FewlabelsError(
                    f"{name} splits at most {MAX_CATEGORIES} categories per column, but got "
                    f"(categories per column) {wide}. Group the rare values, drop the column, "
                    "or encode it with the 'tabular' encoder and pass the embeddings."
                )
        return frame

    # --- fitting ----------------------------------------------------------------------

    def _early_stopping(self, codes: np.ndarray) -> bool:
        if isinstance(self.early_stopping, bool):
            return self.early_stopping
        counts = np.bincount(codes[codes != UNLABELED], minlength=len(self.classes_))
        return bool(counts.sum() >= EARLY_STOPPING_ROWS and counts.min() >= _MIN_PER_CLASS_TO_STOP)

    def _new_model(self, codes: np.ndarray) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            learning_rate=float(self.learning_rate),
            max_iter=int(self.max_iter),
            max_leaf_nodes=int(self.max_leaf_nodes),
            min_samples_leaf=int(self.min_samples_leaf),
            l2_regularization=float(self.l2_regularization),
            categorical_features="from_dtype",
            early_stopping=self._early_stopping(codes),
            random_state=self.random_state,
        )

    def _fit_model(self, X: Any, codes: np.ndarray, w: np.ndarray) -> Any:
        """A fresh HGB fitted on the rows labelled so far (given or pseudo), on codes.

        Assumes checked inputs. Weights that are all 1 are left out, so that 0 rounds is
        exactly HGB on the labelled rows.
        """
        keep = np.flatnonzero(codes != UNLABELED)
        model = self._new_model(codes)
        weights = w[keep]
        sample_weight = None if np.all(weights == 1.0) else weights
        return model.fit(_take(X, keep), codes[keep], sample_weight=sample_weight)

    def fit(self, X: Any, y: Any) -> TreeSelfTraining:
        """Fit HGB on the labelled rows, then run the self-training rounds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            Every row of the pool; NaN marks a missing value.
        y : array-like of shape (n_samples,)
            Labels of any type, ``-1`` (numbers) or ``None`` (objects) for unlabelled rows.

        Returns
        -------
        self
        """
        self._check_params()
        self.categorical_features_ = ()
        Xc, codes = self._validate_fit(X, y)
        n_classes = len(self.classes_)
        self._class_weights(codes)  # sets class_weight_
        y_cur = codes.copy()
        originally_unlabeled = y_cur == UNLABELED
        self.labeled_iter_ = np.where(originally_unlabeled, -1, 0).astype(np.int64)
        confidence = np.where(originally_unlabeled, 0.0, 1.0)
        power = 0.0 if self.weight_power is None else float(self.weight_power)
        self.history_: list[dict[str, Any]] = []
        w = training_weights(y_cur, confidence, self.class_weight_)
        model = self._fit_model(Xc, y_cur, w)
        self.termination_condition_ = "max_rounds"
        self.n_rounds_ = 0
        for r in range(1, int(self.max_rounds) + 1):
            cand = np.flatnonzero(y_cur == UNLABELED)
            if cand.size == 0:
                self.termination_condition_ = "all_labeled"
                break
            proba = np.asarray(model.predict_proba(Xc))
            chosen, thr = pseudo_label_round(
                proba,
                cand,
                originally_unlabeled,
                round_=r,
                criterion=self.criterion,
                threshold=self.threshold,
                step=self.step,
                class_balanced=bool(self.class_balanced),
            )
            if chosen.size == 0:
                self.termination_condition_ = "no_change"
                break
            y_cur[chosen] = proba[chosen].argmax(axis=1)
            confidence[chosen] = confidence_weights(proba[chosen], power=power)
            self.labeled_iter_[chosen] = r
            self.n_rounds_ = r
            self.history_.append(
                {
                    "round": r,
                    "threshold": thr,
                    "n_new": int(chosen.size),
                    "n_new_per_class": np.bincount(y_cur[chosen], minlength=n_classes).tolist(),
                    "n_labeled": int((y_cur != UNLABELED).sum()),
                }
            )
            w = training_weights(y_cur, confidence, self.class_weight_)
            model = self._fit_model(Xc, y_cur, w)
        if not (y_cur == UNLABELED).any():
            self.termination_condition_ = "all_labeled"
        self.base_estimator_ = model
        self.n_iter_ = int(model.n_iter_)
        self.pseudo_weight_ = w
        self.fit_proba_ = np.asarray(model.predict_proba(Xc))
        final = self.fit_proba_.argmax(axis=1)
        self.transduction_ = self.classes_[np.where(y_cur == UNLABELED, final, y_cur)]
        self._record_shares(Xc, codes, proba=self.fit_proba_)
        return self

    def _predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "base_estimator_")
        return np.asarray(self.base_estimator_.predict_proba(X))
