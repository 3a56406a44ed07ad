"""Self-training: rounds of pseudo-labelling around any learner with ``predict_proba``.

Yarowsky (1995); scikit-learn's ``SelfTrainingClassifier`` for the fitted state
(``labeled_iter_``, ``termination_condition_``); the curriculum of Cascante-Bonilla et al.
(2021, "Curriculum Labeling"); class-balanced selection of Zou et al. (2018, CBST);
confidence-weighted pseudo-labels of Xu et al. (2021, "Soft Teacher").
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from fewlabels._validation import check_param
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.learn.base import EmbeddingClassifier, is_transductive, takes_unlabeled
from fewlabels.learn.pseudo_labels import (
    confidence_weights,
    pseudo_label_round,
)
from fewlabels.learn.targets import align_proba, decode_targets
from fewlabels.typing import UNLABELED

_CRITERIA = ("threshold", "curriculum")


class SelfTraining(EmbeddingClassifier):
    """Pseudo-label the unlabelled rows round by round and refit the base learner.

    Each round fits a fresh clone of ``base`` on the labelled and pseudo-labelled rows,
    predicts the rows still unlabelled and adds the confident ones (their label never
    changes afterwards, nor does a given label). The loop stops after ``max_iter`` rounds,
    when a round adds nothing, or when every row has a label.

    Parameters
    ----------
    base : estimator with ``predict_proba``, default ``LabelSpreading(class_mass=False)``
        (class mass normalisation would rescale to the proportions of the pseudo-labels
        and let a drifting class grow round by round: without it, self-training gained
        2 to 9 points on mnist5k and finefoods).
        Fitted with ``fit(X, y)`` where ``y == -1`` marks rows still unlabelled.
    criterion : {"threshold", "curriculum"}, default "curriculum"
        ``"threshold"``: a row is confident when its top probability is ``>= threshold``.
        ``"curriculum"``: round ``r`` admits the rows above the ``100 - r * step``
        percentile of the confidences over the originally unlabelled rows.
    threshold : float, default 0.9
        For ``criterion="threshold"``.
    step : float, default 20.0
        Percent of the unlabelled pool admitted per round, for ``criterion="curriculum"``.
    max_iter : int, default 5
        Rounds at most; ``0`` fits ``base`` once and is then exactly the base learner.
    class_balanced : bool, default True
        Take the same share of each predicted class (see ``select_pseudo_labels``).
    weight_power : float or None, default 1.0
        Pseudo-labels get the weight ``confidence ** weight_power`` when ``base.fit``
        accepts ``sample_weight`` (None or 0: weight 1). Given labels weigh 1.
    seeder : estimator or None, default None
        A learner that needs no labels (``ZeroShot``): when ``y`` has no labelled row, it is
        fitted on ``X`` and its ``seed_per_class`` most confident rows per predicted class
        start the loop (recorded as round 0).
    seed_per_class : int, default 10
    class_weight : None, "balanced" or dict, default None
        Passed as it is to each fit of the base learner when the base has a
        ``class_weight`` option (every fewlabels learner, scikit-learn's
        ``LogisticRegression``), which reads it its own way (``"balanced"`` is then counted
        on the given and pseudo labels of that round; see the base's docstring: the
        default base, label spreading without class mass normalisation, already balances
        its seeds). Otherwise, when the base takes ``sample_weight``, each row's weight is
        multiplied by its class's weight, resolved on the given labels (``"balanced"``:
        ``n_labelled / (K count_c)``; a dict ``{class: weight}`` in the user's values).
        ``None`` leaves the base as it is. The selection of pseudo-labels is balanced per
        class by ``class_balanced`` (the same share of each predicted class).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_weight_ : ndarray of shape (n_classes,)
        The class weights resolved on the given labels (used for ``sample_weight``).
    class_shares_ : ndarray of shape (n_classes,)
        Shares of the predicted classes (argmax of ``fit_proba_``) over the fitted rows.
    labelled_shares_ : ndarray of shape (n_classes,)
        Class shares of the given (or seeded) labels.
    base_estimator_ : estimator
        The base learner fitted on the final labels.
    transduction_ : ndarray of shape (n_samples,)
        The label of every fitted row: given, pseudo, or predicted by ``base_estimator_``.
    fit_proba_ : ndarray of shape (n_samples, n_classes)
        The final base learner's probabilities for the fitted rows (its ``fit_proba_``
        when it is transductive).
    labeled_iter_ : ndarray of shape (n_samples,)
        The round in which each row got its label: 0 for given labels (and seeds), ``r``
        for round ``r``, -1 for rows never pseudo-labelled.
    pseudo_weight_ : ndarray of shape (n_samples,)
        The weight each row had in the last fit (0 for rows without a label).
    history_ : list of dict
        Per round: ``round``, ``threshold``, ``n_new``, ``n_labeled``.
    n_iter_ : int
        Rounds that added pseudo-labels.
    termination_condition_ : {"max_iter", "no_change", "all_labeled"}
    seeder_ : estimator or None
        The fitted seeder, when it was used.
    index_recall_ : float or None
        Recall@10 of the neighbour index behind a graph base's kNN graph (pools of more than
        ``fewlabels.learn.knn_graph.ANN_ABOVE`` rows), else None.
    graph_recall_ : float or None
        Recall@10 against exact search of the neighbour search behind a graph base's kNN
        graph (the inverted-file graph above ``fewlabels.learn.knn_graph.EXACT_UP_TO`` rows),
        else None.
    n_features_in_ : int
    """

    transductive = True

    def __init__(
        self,
        base: BaseEstimator | None = None,
        *,
        criterion: str = "curriculum",
        threshold: float = 0.9,
        step: float = 20.0,
        max_iter: int = 5,
        class_balanced: bool = True,
        weight_power: float | None = 1.0,
        seeder: BaseEstimator | None = None,
        seed_per_class: int = 10,
        class_weight: Any = None,
    ) -> None:
        self.base = base
        self.criterion = criterion
        self.threshold = threshold
        self.step = step
        self.max_iter = max_iter
        self.class_balanced = class_balanced
        self.weight_power = weight_power
        self.seeder = seeder
        self.seed_per_class = seed_per_class
        self.class_weight = class_weight

    def _check_params(self) -> None:
        if self.criterion not in _CRITERIA:
            raise FewlabelsError(
                f"SelfTraining expected criterion in {_CRITERIA}, but got {self.criterion!r}."
            )
        check_param("threshold", self.threshold, low=0, high=1, learner="SelfTraining")
        check_param("step", self.step, low=0, high=100, low_open=True, learner="SelfTraining")
        check_param("max_iter", self.max_iter, low=0, high=np.inf, learner="SelfTraining")
        check_param(
            "seed_per_class", self.seed_per_class, low=1, high=np.inf, learner="SelfTraining"
        )
        base = self._base()
        if not hasattr(base, "predict_proba"):
            raise InputTypeError(
                f"SelfTraining needs a base learner with predict_proba, but "
                f"{type(base).__name__} has none. Use a probabilistic learner such as "
                "fewlabels.learn.LinearProbe."
            )

    def _base(self) -> BaseEstimator:
        if self.base is not None:
            return self.base
        from fewlabels.learn.label_spreading import LabelSpreading

        return LabelSpreading(class_mass=False)

    def _fit_base(
        self, X: np.ndarray, codes: np.ndarray, w: np.ndarray, *, graph: Any = None
    ) -> Any:
        """A fresh clone of ``base`` fitted on the rows labelled so far (given or pseudo).

        The base sees the user's label values (so ``base_estimator_`` predicts them); a base
        that does not take unlabelled rows (the ``takes_unlabeled`` tag) gets only the
        labelled ones.
        """
        model = clone(self._base())
        y = decode_targets(codes, self.classes_)
        kwargs: dict[str, Any] = {}
        by_rows = False
        if self.class_weight is not None:
            if "class_weight" in model.get_params(deep=False):
                model.set_params(class_weight=self.class_weight)
            else:
                by_rows = has_fit_parameter(model, "sample_weight")
        if by_rows:
            w = w * np.where(codes == UNLABELED, 0.0, self.class_weight_[np.maximum(codes, 0)])
        if (by_rows or self.weight_power not in (None, 0)) and has_fit_parameter(
            model, "sample_weight"
        ):
            kwargs["sample_weight"] = w
        if not takes_unlabeled(model):
            keep = codes != UNLABELED
            if "sample_weight" in kwargs:
                kwargs["sample_weight"] = w[keep]
            return model.fit(X[keep], y[keep], **kwargs)
        if graph is not None:
            kwargs["graph"] = graph
        return model.fit(X, y, **kwargs)

    def _seed(self, X: np.ndarray, y: Any) -> np.ndarray:
        """Codes from the seeder's most confident rows per predicted class; sets ``classes_``."""
        self.seeder_ = clone(self.seeder).fit(X, y)
        self.classes_ = np.asarray(self.seeder_.classes_)
        proba = self.seeder_.predict_proba(X)
        pred = proba.argmax(axis=1)
        conf = proba.max(axis=1)
        seeded = np.full(len(X), UNLABELED, dtype=np.int64)
        for c in range(proba.shape[1]):
            rows = np.flatnonzero(pred == c)
            top = rows[np.argsort(-conf[rows], kind="stable")[: int(self.seed_per_class)]]
            seeded[top] = c
        return seeded

    def fit(self, X: Any, y: Any) -> SelfTraining:
        """Run the self-training rounds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Every row of the pool.
        y : array-like of shape (n_samples,)
            Labels of any type, ``-1`` (numbers) or ``None`` (objects) for unlabelled rows.
            May have no labelled row only when a ``seeder`` is given.

        Returns
        -------
        self
        """
        self._check_params()
        Xa, ya = self._validate_fit(X, y, require_labels=self.seeder is None)
        self.seeder_ = None
        if self.seeder is not None and bool(np.all(ya == UNLABELED)):
            ya = self._seed(Xa, y)
        elif self.seeder is not None and len(self.classes_) < 2:
            self._validate_fit(X, y)  # raises: labels given, but of a single class
        self._class_weights(ya)
        # A graph learner (LabelSpreading) builds its label-free graph once for all rounds.
        build = getattr(self._base(), "build_graph", None)
        graph = build(Xa) if callable(build) else None
        y_cur = ya.copy()
        originally_unlabeled = y_cur == UNLABELED
        self.labeled_iter_ = np.where(originally_unlabeled, -1, 0).astype(np.int64)
        w = np.where(originally_unlabeled, 0.0, 1.0)
        self.history_: list[dict[str, float]] = []
        model = self._fit_base(Xa, y_cur, w, graph=graph)
        self.termination_condition_ = "max_iter"
        self.n_iter_ = 0
        for r in range(1, int(self.max_iter) + 1):
            cand = np.flatnonzero(y_cur == UNLABELED)
            if cand.size == 0:
                self.termination_condition_ = "all_labeled"
                break
            proba = self._pool_proba(model, Xa)
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
            power = 0.0 if self.weight_power is None else float(self.weight_power)
            w[chosen] = confidence_weights(proba[chosen], power=power)
            self.labeled_iter_[chosen] = r
            self.n_iter_ = r
            self.history_.append(
                {
                    "round": r,
                    "threshold": thr,
                    "n_new": int(chosen.size),
                    "n_labeled": int((y_cur != UNLABELED).sum()),
                }
            )
            model = self._fit_base(Xa, y_cur, w, graph=graph)
        if not (y_cur == UNLABELED).any():
            self.termination_condition_ = "all_labeled"
        self.base_estimator_ = model
        # Recall@10 of the neighbour index under a graph base above ANN_ABOVE rows, else None.
        self.index_recall_ = getattr(graph, "index_recall", None)
        self.graph_recall_ = getattr(graph, "graph_recall", None)
        self.pseudo_weight_ = w
        self.fit_proba_ = self._pool_proba(model, Xa)
        final = self.fit_proba_.argmax(axis=1)
        self.transduction_ = self.classes_[np.where(y_cur == UNLABELED, final, y_cur)]
        self._record_shares(Xa, ya)
        return self

    def _pool_proba(self, model: Any, X: np.ndarray) -> np.ndarray:
        """The base's probabilities for the fitted pool, columns aligned to ``classes_``.

        A transductive base (the ``transductive`` tag) was fitted on exactly these rows, so
        its own answer for them (``fit_proba_``) is used.
        """
        if is_transductive(model) and takes_unlabeled(model):
            proba = np.asarray(model.fit_proba_)
        else:
            proba = np.asarray(model.predict_proba(X))
        return align_proba(proba, model.classes_, self.classes_)

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "base_estimator_")
        model = self.base_estimator_
        return align_proba(np.asarray(model.predict_proba(X)), model.classes_, self.classes_)
