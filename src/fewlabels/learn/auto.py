"""Auto: choose a learner by cross-validation on the few labelled rows, then refit it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from fewlabels._validation import check_param
from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import EmbeddingClassifier, takes_unlabeled
from fewlabels.learn.registry import LEARNERS
from fewlabels.learn.targets import decode_targets
from fewlabels.typing import UNLABELED

#: A candidate: a registry name, or a ``(name, estimator)`` pair.
Candidate = Union[str, tuple[str, BaseEstimator]]  # noqa: UP007 - a runtime alias on 3.10

#: In order of preference: label spreading led at every budget in the benchmarks.
DEFAULT_CANDIDATES: tuple[str, ...] = ("label-spreading", "linear", "knn", "ncm")

#: Hold-out repeats stop once this many held-out predictions are made (2 repeats at least).
MIN_HELD_OUT = 100


def holdout_splits(
    y: np.ndarray, *, n_repeats: int, holdout: float, random_state: int | None
) -> list[np.ndarray]:
    """Repeated stratified hold-outs of the labelled rows.

    Each repeat holds out ``max(1, min(n_c - 1, round(holdout * n_c)))`` random rows of
    every class ``c`` (with ``n_c`` labelled rows, at least 2), so that every class keeps a
    labelled row; with 2 labels per class this is leave-one-out per class.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), ``-1`` for unlabelled rows
    n_repeats : int
    holdout : float
        Share of each class held out.
    random_state : int or None

    Returns
    -------
    list of n_repeats ndarrays of row indices (the held-out labelled rows)
    """
    rng = np.random.default_rng(random_state)
    classes = np.unique(y[y != UNLABELED])
    splits = []
    for _ in range(n_repeats):
        held = []
        for c in classes:
            rows = np.flatnonzero(y == c)
            take = max(1, min(rows.size - 1, round(holdout * rows.size)))
            held.append(rng.choice(rows, size=take, replace=False))
        splits.append(np.sort(np.concatenate(held)))
    return splits


class Auto(EmbeddingClassifier):
    """Pick the learner that predicts held-out labelled rows best, then refit it on all.

    The rule:

    1. When every class has at least 2 labelled rows, each candidate is scored by repeated
       stratified hold-out: ``n_repeats`` times, a share ``holdout`` of each class's
       labelled rows (at least one, never all; with 2 per class this is leave-one-out per
       class) is hidden. The candidate is fitted on all rows of ``X`` with the hidden labels
       set to -1, so the transductive learners still see every row, and scored by accuracy
       on the hidden rows; scores are averaged over repeats. Repeats stop early, after 2,
       once ``MIN_HELD_OUT`` (100) held-out predictions are made. A ``LinearProbe`` that
       cross-validates its ``C`` picks it once on all labelled rows and keeps it in the
       repeats (cheaper than a nested search; slightly optimistic for it). Pools larger
       than ``cv_pool`` rows are scored on the labelled rows plus a random sample of the
       unlabelled ones.
    2. The highest mean score wins. Ties (within ``tie_tol``, or within ``se_factor``
       standard errors of the paired per-row difference with the best candidate) go to
       the earlier candidate in ``candidates``, which are in order of preference. With a
       few labels, hold-out scores are coarse (10 classes x 1 hidden row x 5 repeats: a
       resolution of 2 points) and ties are common; the default order puts label
       spreading first, the strongest learner at every budget on digits and mnist5k in
       the benchmarks (docs/benchmarks.md, "Learners"), then the others from the most to
       the least accurate there. (Breiman's one-standard-error rule, ``se_factor=1``,
       kept label spreading on finefoods where the linear probe was better, and lost
       up to 7 points there; ``se_factor=0`` lost nothing on digits and mnist5k.)
    3. When some class has a single labelled row, nothing can be held out: ``fallback``
       is chosen, by default self-training around label spreading (at 1 label per class
       it led or tied on mnist5k and digits and was within 1 point elsewhere).
    4. The winner is refitted on every labelled row.

    Parameters
    ----------
    candidates : sequence of str or (name, estimator)
        Default ``("label-spreading", "linear", "knn", "ncm")``.
        Registry names (``fewlabels.learn.list_learners()``) or named estimators, in
        order of preference.
    n_repeats : int, default 5
    holdout : float, default 0.25
    tie_tol : float, default 0.0
        Score differences up to this count as ties.
    se_factor : float, default 0.0
        Differences up to this many standard errors also count as ties (1: the
        one-standard-error rule of Breiman et al., 1984).
    fallback : str, default "self-training"
        The learner chosen when cross-validation is impossible: a candidate's name or a
        registry name.
    cv_pool : int, default 20_000
        Rows given to the candidates while scoring: every labelled row plus a fixed random
        sample of the unlabelled ones, up to this many (the refit uses every row).
    random_state : int or None, default 0

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    chosen_ : str
        Name of the chosen learner.
    scores_ : dict of str to float
        Mean hold-out accuracy per candidate (empty when the fallback was used).
    standard_errors_ : dict of str to float
        Standard error of each candidate's paired per-row difference with the best one.
    cv_results_ : dict of str to list of float
        Accuracy per repeat and candidate.
    reason_ : str
        ``"cross-validation"`` or ``"fallback: a class has a single labelled row"``.
    estimator_ : estimator
        The chosen learner fitted on all rows.
    n_features_in_ : int
    """

    def __init__(
        self,
        *,
        candidates: Sequence[Candidate] = DEFAULT_CANDIDATES,
        n_repeats: int = 5,
        holdout: float = 0.25,
        tie_tol: float = 0.0,
        se_factor: float = 0.0,
        fallback: str = "self-training",
        cv_pool: int = 20_000,
        random_state: int | None = 0,
    ) -> None:
        self.candidates = candidates
        self.n_repeats = n_repeats
        self.holdout = holdout
        self.tie_tol = tie_tol
        self.se_factor = se_factor
        self.fallback = fallback
        self.cv_pool = cv_pool
        self.random_state = random_state

    def _named(self) -> list[tuple[str, BaseEstimator]]:
        # Candidates come from the registry's metadata: learners trained on labels that
        # do not themselves choose among learners.
        usable = [e.name for e in LEARNERS.select(needs_labels=True) if not e.meta.get("selector")]
        named: list[tuple[str, BaseEstimator]] = []
        for cand in self.candidates:
            if isinstance(cand, str):
                if cand in LEARNERS and cand not in usable:
                    raise FewlabelsError(
                        f"Auto cannot use {cand!r} as a candidate; choose among learners "
                        f"trained on labels: {usable}."
                    )
                named.append((cand, LEARNERS.create(cand)))
            else:
                name, est = cand
                named.append((str(name), est))
        if not named:
            raise FewlabelsError("Auto expected at least one candidate, but got none.")
        names = [n for n, _ in named]
        if self.fallback not in names:
            if self.fallback not in usable:
                raise FewlabelsError(
                    f"Auto expected fallback={self.fallback!r} to be a candidate {names} or a "
                    f"learner trained on labels: {usable}."
                )
            named.append((self.fallback, LEARNERS.create(self.fallback)))
        return named

    @staticmethod
    def _fit_one(
        est: BaseEstimator, X: np.ndarray, y: np.ndarray, graph: Any | None
    ) -> BaseEstimator:
        """Fit a clone; a learner that does not take unlabelled rows gets the labelled ones."""
        model = clone(est)
        if not takes_unlabeled(model):
            keep = y != UNLABELED
            return model.fit(X[keep], y[keep])
        if graph is not None:
            return model.fit(X, y, graph=graph)
        return model.fit(X, y)

    def fit(self, X: Any, y: Any) -> Auto:
        """Score the candidates on the labelled rows, choose one and refit it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), ``-1`` for unlabelled rows

        Returns
        -------
        self
        """
        check_param(
            "holdout", self.holdout, low=0, high=1, low_open=True, high_open=True, learner="Auto"
        )
        check_param("n_repeats", self.n_repeats, low=1, high=np.inf, learner="Auto")
        named = self._named()
        scored = named[: len(self.candidates)]
        Xa, ya = self._validate_fit(X, y)
        counts = np.bincount(ya[ya != UNLABELED], minlength=len(self.classes_))
        self.scores_: dict[str, float] = {}
        self.standard_errors_: dict[str, float] = {}
        self.cv_results_: dict[str, list[float]] = {}
        if counts.min() >= 2:
            # Large pools: score on the labelled rows plus a random sample of the others.
            rows = self._cv_rows(ya)
            Xc, yc = Xa[rows], ya[rows]
            graphs = self._graphs(scored, Xc)
            splits = holdout_splits(
                yc,
                n_repeats=int(self.n_repeats),
                holdout=float(self.holdout),
                random_state=self.random_state,
            )
            # Enough held-out predictions after >= 2 repeats: stop there (large budgets).
            per_repeat = len(splits[0])
            needed = max(2, int(np.ceil(MIN_HELD_OUT / per_repeat)))
            splits = splits[: min(len(splits), needed)]
            correct: dict[str, np.ndarray] = {}
            for name, est in scored:
                est = self._fix_regularisation(est, Xa, ya)
                accs, hits = [], []
                for held in splits:
                    y_fold = yc.copy()
                    y_fold[held] = UNLABELED
                    model = self._fit_one(est, Xc, y_fold, graphs.get(name))
                    hit = np.asarray(model.predict(Xc[held]) == yc[held], dtype=float)
                    accs.append(float(hit.mean()))
                    hits.append(hit)
                self.cv_results_[name] = accs
                self.scores_[name] = float(np.mean(accs))
                correct[name] = np.concatenate(hits)
            self.chosen_ = self._pick(scored, correct)
            self.reason_ = "cross-validation"
        else:
            self.chosen_ = self.fallback
            self.reason_ = "fallback: a class has a single labelled row"
        est = dict(named)[self.chosen_]
        # The final fit sees the user's own labels, so estimator_ predicts them too.
        self.estimator_ = self._fit_one(est, Xa, decode_targets(ya, self.classes_), None)
        return self

    def _cv_rows(self, y: np.ndarray) -> np.ndarray:
        """Every labelled row and up to ``cv_pool`` rows in all (a fixed random sample)."""
        if len(y) <= int(self.cv_pool):
            return np.arange(len(y))
        lab = np.flatnonzero(y != UNLABELED)
        rest = np.flatnonzero(y == UNLABELED)
        rng = np.random.default_rng(self.random_state)
        take = max(0, int(self.cv_pool) - lab.size)
        return np.sort(np.concatenate([lab, rng.choice(rest, min(take, rest.size), replace=False)]))

    @staticmethod
    def _graphs(named: list[tuple[str, BaseEstimator]], X: np.ndarray) -> dict[str, Any]:
        """Label-free graphs of the learners with the ``accepts_graph`` tag, built once per
        distinct setting."""
        graphs: dict[str, Any] = {}
        for name, est in named:
            if getattr(type(est), "accepts_graph", False):
                key = f"{type(est).__name__}{sorted(est.get_params().items())!r}"
                if key not in graphs:
                    graphs[key] = est.build_graph(X)
                graphs[name] = graphs[key]
        return graphs

    @staticmethod
    def _fix_regularisation(est: BaseEstimator, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        """A learner that tunes itself by an inner cross-validation (``LinearProbe``'s ``C``)
        settles it once on all labelled rows (its ``with_settled_params`` step) instead of a
        nested search in every repeat."""
        settle = getattr(est, "with_settled_params", None)
        return settle(X, y) if callable(settle) else est

    def _pick(self, named: list[tuple[str, BaseEstimator]], correct: dict[str, np.ndarray]) -> str:
        """The first candidate tied with the best (rule 2)."""
        best = max(self.scores_, key=lambda n: self.scores_[n])
        for name, _ in named:
            diff = correct[best] - correct[name]
            se = float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0
            self.standard_errors_[name] = se
        for name, _ in named:
            margin = max(float(self.se_factor) * self.standard_errors_[name], float(self.tie_tol))
            if self.scores_[name] >= self.scores_[best] - margin - 1e-12:
                return name
        return best  # pragma: no cover - the best is always within its own margin

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return np.asarray(self.estimator_.predict_proba(X))
