"""Auto: choose a learner by cross-validation on the few labelled rows, then refit it.

This file runs past 400 lines because it is one estimator whose selection steps (candidates,
scoring, the collapse fallback, the summary) are its methods, each short; the splits it scores
are the one pure function here (:func:`holdout_splits`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.utils.validation import check_is_fitted

from fewlabels._validation import check_choice, check_param
from fewlabels.encode.base import has_text_side
from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import EmbeddingClassifier, takes_unlabeled
from fewlabels.learn.imbalance import collapse_message, estimate_priors
from fewlabels.learn.registry import LEARNERS
from fewlabels.learn.selection_rule import (
    paired_standard_error,
    pick_by_margin,
    pool_class_weights,
)
from fewlabels.learn.targets import decode_targets
from fewlabels.typing import UNLABELED

#: Held-out scores Auto can rank candidates by: name -> ``score(y_true, y_pred)``.
#: Each takes ``sample_weight`` (the pool weights of rule 1; balanced accuracy is unchanged by
#: per-class weights).
SCORINGS: dict[str, Callable[..., float]] = {
    "accuracy": lambda t, p, w=None: float(accuracy_score(t, p, sample_weight=w)),
    "balanced_accuracy": lambda t, p, w=None: float(balanced_accuracy_score(t, p, sample_weight=w)),
    "macro_f1": lambda t, p, w=None: float(
        f1_score(t, p, average="macro", zero_division=0, sample_weight=w)
    ),
}

#: Candidates added in front of ``candidates`` when the encoder has a text side and class
#: names are given (zero-shot led at 0 to 16 labels per class on finefoods).
TEXT_CANDIDATES: tuple[str, ...] = ("zero-shot",)

#: What replaces a fallback whose predictions collapse to one class (rule 3).
COLLAPSE_FALLBACK = "linear"

#: Candidates added after ``candidates`` for tables (the encoder's modality is "tabular").
TABLE_CANDIDATES: tuple[str, ...] = ("trees",)

#: A candidate: a registry name, or a ``(name, estimator)`` pair.
Candidate = Union[str, tuple[str, BaseEstimator]]  # noqa: UP007 - a runtime alias on 3.10

#: In order of preference: label spreading led at every budget in the benchmarks.
DEFAULT_CANDIDATES: tuple[str, ...] = ("label-spreading", "linear", "knn", "ncm", "self-training")

#: Rule 2's order of preference per encoder modality (``prior_order="auto"``), measured on
#: the learning-core protocol (docs/benchmarks.md, "Learners and peers side by side"):
#: candidates not listed follow in the order of ``candidates``.
PRIOR_ORDERS: dict[str, tuple[str, ...]] = {
    "tabular": ("trees", "self-training", "label-spreading", "linear", "knn", "ncm"),
}

#: Rule 2's margin, in standard errors, per encoder modality (``prior_order="auto"``; the
#: larger of this and ``se_factor`` applies). Breiman's one standard error on tables, where
#: 2 to 32 held-out labels cannot separate the candidates (measured: 5 of the 9 table cells
#: within 1 point of the best candidate, against 3 with the plain maximum and 3 with 0.5 or
#: 1.5 standard errors).
PRIOR_SE_FACTORS: dict[str, float] = {"tabular": 1.0}

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


#: The family-wise rate at which chance may displace zero-shot (``prior_se="bonferroni"``).
PRIOR_ALPHA = 0.05


def prior_margin(prior_se: Any, *, n_challengers: int) -> float:
    """The standard errors by which a challenger must beat zero-shot (see ``Auto.prior_se``).

    ``"bonferroni"`` gives the one-sided critical value at :data:`PRIOR_ALPHA` split over
    ``n_challengers`` (at least 1): ``Phi^-1(1 - PRIOR_ALPHA / m)``; a number >= 0 is used as
    given.

    Raises
    ------
    FewlabelsError
        Anything else.
    """
    if prior_se == "bonferroni":
        from scipy.stats import norm

        return float(norm.ppf(1.0 - PRIOR_ALPHA / max(int(n_challengers), 1)))
    if isinstance(prior_se, str):
        raise FewlabelsError(
            f"Auto expected prior_se to be a number >= 0 or 'bonferroni', but got {prior_se!r}."
        )
    check_param("prior_se", prior_se, low=0, high=np.inf, learner="Auto")
    return float(prior_se)


class Auto(EmbeddingClassifier):
    """Pick the learner that predicts held-out labelled rows best, then refit it on all.

    The rule:

    1. When every class has at least 2 labelled rows, each candidate is scored by repeated
       stratified hold-out: ``n_repeats`` times, a share ``holdout`` of each class's
       labelled rows (at least one, never all; with 2 per class this is leave-one-out per
       class) is hidden. The candidate is fitted on all rows of ``X`` with the hidden labels
       set to -1, so the transductive learners still see every row, and scored by accuracy
       on the hidden rows by ``scoring`` (accuracy, balanced accuracy or macro-F1);
       scores are averaged over repeats. Repeats stop early, after 2,
       once ``MIN_HELD_OUT`` (100) held-out predictions are made. A ``LinearProbe`` that
       cross-validates its ``C`` picks it once on all labelled rows and keeps it in the
       repeats (cheaper than a nested search; slightly optimistic for it). Pools larger
       than ``cv_pool`` rows are scored on the labelled rows plus a random sample of the
       unlabelled ones.
       With ``weight_to_pool``, each held-out row is weighted by its class's estimated pool
       share over its labelled share (:mod:`fewlabels.learn.selection_rule`), so that the
       hold-out estimates the score on the pool rather than on a per-class label budget
       (off by default: with priors estimated from 8 to 32 labels it lost on the imbalanced
       ``default`` table, 4 of 9 table cells within 1 point against 5 without).
    2. The highest mean score wins, unless an earlier candidate in the order of preference
       is within its margin: ``tie_tol``, or ``se_factor`` standard errors of the paired
       per-row difference with the best candidate (on tables, ``prior_order="auto"`` gives
       1, ``PRIOR_SE_FACTORS``), or ``prior_se`` for zero-shot
       (:func:`~fewlabels.learn.selection_rule.pick_by_margin`; a candidate exactly at
       the margin is kept). The order is ``PRIOR_ORDERS`` for the encoder's modality
       (tables: trees, self-training, label spreading, linear, kNN, NCM) followed by
       ``candidates``, else ``candidates`` as given. With a
       few labels, hold-out scores are coarse (10 classes x 1 hidden row x 5 repeats: a
       resolution of 2 points) and ties are common; the default order puts label
       spreading first, the strongest learner at every budget on digits and mnist5k in
       the benchmarks (docs/benchmarks.md, "Learners"), then the others from the most to
       the least accurate there. (Breiman's one-standard-error rule, ``se_factor=1``,
       kept label spreading on finefoods where the linear probe was better, and lost
       up to 7 points there; ``se_factor=0`` lost nothing on digits and mnist5k.)
    3. When some class has a single labelled row, nothing can be held out: ``fallback``
       is chosen; ``"auto"`` means zero-shot when it is a candidate (an encoder with a text
       side and class names were given), else self-training around label spreading (at 1
       label per class it led or tied on mnist5k and digits and was within 1 point
       elsewhere). A fallback whose predictions on the pool collapse to one class
       (:func:`~fewlabels.learn.imbalance.collapse_message`) is replaced by the linear
       probe (self-training did so on one seed of breast_cancer).
    4. The winner is refitted on every labelled row.

    The candidates: ``candidates``, plus zero-shot in front (``TEXT_CANDIDATES``; the
    fused, calibrated :class:`~fewlabels.learn.ZeroShot`) when ``encoder`` has a text side
    and ``class_names`` are given, plus the tree learner after them (``TABLE_CANDIDATES``)
    when the encoder's modality is ``"tabular"``. ``time_budget_s`` bounds the scoring:
    candidates are scored in order, each after its first fit is timed; a candidate whose
    estimated scoring time (first fit x repeats) does not fit in what is left of the
    budget is skipped (``skipped_`` says why). When not even the first candidate can be
    scored, ``fit`` fails and says how long it needs.

    Parameters
    ----------
    candidates : sequence of str or (name, estimator)
        Default ``("label-spreading", "linear", "knn", "ncm", "self-training")``
        (self-training, the 1-label fallback, is also scored: it led breast_cancer and wine
        at 4 labels per class).
        Registry names (``fewlabels.learn.list_learners()``) or named estimators, in
        order of preference.
    n_repeats : int, default 5
    holdout : float, default 0.25
    tie_tol : float, default 0.0
        Score differences up to this count as ties.
    se_factor : float, default 0.0
        Differences up to this many standard errors also count as ties (1: the
        one-standard-error rule of Breiman et al., 1984).
    prior_se : float or "bonferroni", default "bonferroni"
        Zero-shot (``TEXT_CANDIDATES``, a prior that learns almost nothing from the labels)
        keeps its place unless the best beats it by more than this many standard errors
        of the paired per-row difference: with 8 labels the best of six noisy hold-out
        scores is mostly luck. ``"bonferroni"``: the one-sided 5 % critical value corrected
        for the number ``m`` of challengers, ``Phi^-1(1 - 0.05 / m)`` (2.24 for the four
        default challengers), so that zero-shot is displaced by chance in at most 5 % of fits
        whichever challenger wins; recorded as ``prior_se_``. (Applied to label spreading, the first candidate
        elsewhere, it cost up to 9 points on the tables, so it is for zero-shot only; see
        docs/benchmarks.md, "Learning core".)
    fallback : str, default "auto"
        The learner chosen when cross-validation is impossible: ``"auto"`` (rule 3), a
        candidate's name or a registry name.
    cv_pool : int, default 20_000
        Rows given to the candidates while scoring: every labelled row plus a fixed random
        sample of the unlabelled ones, up to this many (the refit uses every row).
    random_state : int or None, default 0
    scoring : {"accuracy", "balanced_accuracy", "macro_f1"}, default "accuracy"
        The held-out score candidates are ranked by. (The standard errors of rule 2 are
        those of the per-row accuracy whatever the scoring.)
    time_budget_s : float or None, default None
        Seconds the scoring may take (None: no limit). The refit of the winner is not
        counted.
    encoder : object, optional
        The encoder that embedded ``X``; with a text side and ``class_names``, zero-shot
        joins the candidates; a ``"tabular"`` encoder adds the tree learner.
    class_names : sequence of str, optional
        The classes, for zero-shot (as in :class:`~fewlabels.learn.ZeroShot`).
    descriptions : mapping of class name to str or list of str, optional
        Class descriptions for zero-shot.
    weight_to_pool : bool, default False
        Weight held-out rows to the pool's class shares estimated by EM (rule 1).
    prior_order : "auto", sequence of str or None, default "auto"
        Rule 2's order of preference: ``"auto"`` takes ``PRIOR_ORDERS`` and
        ``PRIOR_SE_FACTORS`` for the encoder's modality; a sequence puts those names first;
        None keeps ``candidates``' order. Candidates are scored in this order, so a time
        budget leaves out the least preferred.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    chosen_ : str
        Name of the chosen learner.
    scores_ : dict of str to float
        Mean held-out score per scored candidate (empty when the fallback was used).
    prior_se_ : float
        The margin zero-shot kept, in standard errors (NaN when no candidates were compared).
    order_ : list of str
        The scored candidates in rule 2's order of preference (empty for the fallback).
    pool_priors_ : ndarray of shape (n_classes,)
        The class shares held-out rows were weighted to (the labelled shares unless
        ``weight_to_pool``).
    standard_errors_ : dict of str to float
        Standard error of each candidate's paired per-row difference with the best one.
    cv_results_ : dict of str to list of float
        Score per repeat and candidate.
    fit_times_ : dict of str to float
        Seconds each scored candidate took to score (all its repeats).
    skipped_ : dict of str to str
        Candidates left out by the time budget, with the reason.
    summary_ : str
        One line that explains the choice (what the CLI prints).
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
        prior_se: float | str = "bonferroni",
        fallback: str = "auto",
        cv_pool: int = 20_000,
        random_state: int | None = 0,
        scoring: str = "accuracy",
        time_budget_s: float | None = None,
        encoder: Any = None,
        class_names: Sequence[str] | None = None,
        descriptions: Mapping[str, Any] | None = None,
        weight_to_pool: bool = False,
        prior_order: Sequence[str] | str | None = "auto",
    ) -> None:
        self.candidates = candidates
        self.n_repeats = n_repeats
        self.holdout = holdout
        self.tie_tol = tie_tol
        self.se_factor = se_factor
        self.prior_se = prior_se
        self.fallback = fallback
        self.cv_pool = cv_pool
        self.random_state = random_state
        self.scoring = scoring
        self.time_budget_s = time_budget_s
        self.encoder = encoder
        self.class_names = class_names
        self.descriptions = descriptions
        self.weight_to_pool = weight_to_pool
        self.prior_order = prior_order

    def _with_text(self) -> bool:
        return bool(self.class_names) and has_text_side(self.encoder)

    def _create(self, name: str) -> BaseEstimator:
        if LEARNERS.entry(name).needs_text_side:
            return LEARNERS.create(
                name,
                encoder=self.encoder,
                class_names=list(self.class_names or ()),
                descriptions=self.descriptions,
            )
        return LEARNERS.create(name)

    def _named(self) -> list[tuple[str, BaseEstimator]]:
        """The scored candidates, in order of preference, then the fallback if not among them."""
        usable = [e.name for e in LEARNERS.select(needs_labels=True) if not e.meta.get("selector")]
        text_ok = self._with_text()
        named: list[tuple[str, BaseEstimator]] = []
        extra_front = [n for n in TEXT_CANDIDATES if text_ok]
        tabular = getattr(self.encoder, "modality", None) == "tabular"
        extra_back = [n for n in TABLE_CANDIDATES if tabular and n in LEARNERS]
        given = list(self.candidates)
        for cand in [*extra_front, *given, *extra_back]:
            if isinstance(cand, str):
                if any(n == cand for n, _ in named):
                    continue
                entry = LEARNERS.entry(cand) if cand in LEARNERS else None
                if entry is not None and entry.needs_text_side:
                    if not text_ok:
                        raise FewlabelsError(
                            f"Auto cannot use {cand!r} as a candidate without an encoder with a "
                            "text side and class_names; pass encoder= and class_names=, or "
                            f"choose among {usable}."
                        )
                elif cand in LEARNERS and cand not in usable:
                    raise FewlabelsError(
                        f"Auto cannot use {cand!r} as a candidate; choose among learners "
                        f"trained on labels: {usable}."
                    )
                named.append((cand, self._create(cand)))
            else:
                name, est = cand
                named.append((str(name), est))
        if not named:
            raise FewlabelsError("Auto expected at least one candidate, but got none.")
        self.n_scored_ = len(named)
        fallback = self._fallback_name(named)
        names = [n for n, _ in named]
        if fallback not in names:
            if fallback not in usable:
                raise FewlabelsError(
                    f"Auto expected fallback={self.fallback!r} to be 'auto', a candidate {names} "
                    f"or a learner trained on labels: {usable}."
                )
            named.append((fallback, self._create(fallback)))
        return named

    def _fallback_name(self, named: list[tuple[str, BaseEstimator]]) -> str:
        if self.fallback != "auto":
            return self.fallback
        names = [n for n, _ in named]
        zero_shot = [n for n in TEXT_CANDIDATES if n in names]
        return zero_shot[0] if zero_shot else "self-training"

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
        check_choice("scoring", self.scoring, tuple(SCORINGS), learner="Auto")
        prior_margin(self.prior_se, n_challengers=1)  # refuses a bad value before any work
        if self.time_budget_s is not None:
            check_param(
                "time_budget_s",
                self.time_budget_s,
                low=0,
                high=np.inf,
                low_open=True,
                learner="Auto",
            )
        named = self._named()
        by_name = dict(named[: self.n_scored_])
        # Scored in order of preference, so that a time budget drops the least preferred.
        scored = [(n, by_name[n]) for n in self._order(list(by_name))]
        Xa, ya = self._validate_fit(X, y)
        counts = np.bincount(ya[ya != UNLABELED], minlength=len(self.classes_))
        self.scores_: dict[str, float] = {}
        self.standard_errors_: dict[str, float] = {}
        self.prior_se_ = float("nan")  # set when the candidates are compared
        self.order_: list[str] = []
        self.pool_priors_ = np.bincount(ya[ya != UNLABELED], minlength=len(self.classes_)) / max(
            int((ya != UNLABELED).sum()), 1
        )
        self.cv_results_: dict[str, list[float]] = {}
        self.fit_times_: dict[str, float] = {}
        self.skipped_: dict[str, str] = {}
        if counts.min() >= 2:
            self._score_candidates(scored, Xa, ya)
            ranked = [(n, e) for n, e in scored if n in self.scores_]
            self.chosen_ = self._pick(ranked, self._correct)
            self.reason_ = "cross-validation"
        else:
            self.chosen_ = self._fallback_name(named)
            self.reason_ = "fallback: a class has a single labelled row"
        est = dict(named)[self.chosen_]
        # The final fit sees the user's own labels, so estimator_ predicts them too.
        y_user = decode_targets(ya, self.classes_)
        self.estimator_ = self._fit_one(est, Xa, y_user, None)
        if self.reason_.startswith("fallback") and self._collapsed(self.estimator_):
            # A fallback that answers one class for (almost) everything is no choice: the
            # linear probe, which cannot collapse on balanced labels, takes its place.
            self.reason_ += f"; {self.chosen_!r} collapsed to one class, so 'linear'"
            self.chosen_ = COLLAPSE_FALLBACK
            self.estimator_ = self._fit_one(self._create(COLLAPSE_FALLBACK), Xa, y_user, None)
        self.summary_ = self._summary(int((ya != UNLABELED).sum()))
        self._record_shares(Xa, ya)
        return self

    def _score_candidates(
        self, scored: list[tuple[str, BaseEstimator]], Xa: np.ndarray, ya: np.ndarray
    ) -> None:
        """Rule 1 within the time budget: fill ``scores_``, ``cv_results_``, ``fit_times_``."""
        score = SCORINGS[self.scoring]
        budget = None if self.time_budget_s is None else float(self.time_budget_s)
        start = time.perf_counter()
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
        self._correct: dict[str, np.ndarray] = {}
        self.pool_priors_ = self._pool_priors(Xc, yc)
        class_w = pool_class_weights(yc[yc != UNLABELED], self.pool_priors_)
        self._row_weights = np.concatenate([class_w[yc[held]] for held in splits])
        first_need: tuple[str, float] | None = None
        for name, est in scored:
            t0 = time.perf_counter()
            est = self._fix_regularisation(est, Xa, ya)
            results, hits = [], []
            for i, held in enumerate(splits):
                y_fold = yc.copy()
                y_fold[held] = UNLABELED
                # Candidates see the user's own labels (zero-shot reads them as class names
                # or positions in class_names, not as Auto's internal codes).
                y_user = decode_targets(y_fold, self.classes_)
                model = self._fit_one(est, Xc, y_user, graphs.get(name))
                pred = np.asarray(model.predict(Xc[held]))
                truth = self.classes_[yc[held]]
                results.append(score(truth, pred, class_w[yc[held]]))
                hits.append(np.asarray(pred == truth, dtype=float))
                if i == 0 and budget is not None:
                    one = time.perf_counter() - t0
                    left = budget - (time.perf_counter() - start) + one
                    need = one * len(splits)
                    if need > left:
                        self.skipped_[name] = (
                            f"needs about {need:.1f} s ({one:.2f} s a fit x {len(splits)} "
                            f"repeats), {max(left, 0.0):.1f} s of time_budget_s was left"
                        )
                        first_need = first_need or (name, need)
                        break
            if name in self.skipped_:
                continue
            self.fit_times_[name] = time.perf_counter() - t0
            self.cv_results_[name] = results
            self.scores_[name] = float(np.mean(results))
            self._correct[name] = np.concatenate(hits)
        if not self.scores_:
            name, need = first_need or (scored[0][0], float("nan"))
            raise FewlabelsError(
                f"Auto's time_budget_s={self.time_budget_s} is too small to score one "
                f"candidate: {name!r} needs about {need:.1f} s ({self.skipped_.get(name, '')}). "
                f"Raise time_budget_s to at least {np.ceil(need * 1.2):.0f}, or pass fewer, "
                "faster candidates."
            )

    @staticmethod
    def _collapsed(model: Any) -> bool:
        shares = getattr(model, "class_shares_", None)
        if shares is None:
            return False
        return (
            collapse_message(
                shares,
                np.arange(len(shares)),
                labelled_shares=getattr(model, "labelled_shares_", None),
            )
            is not None
        )

    def _summary(self, n_labelled: int) -> str:
        if not self.scores_:
            return f"auto chose {self.chosen_!r} ({self.reason_}; {n_labelled} labels)"
        others = ", ".join(
            f"{n} {v:.3f}"
            for n, v in sorted(self.scores_.items(), key=lambda kv: -kv[1])
            if n != self.chosen_
        )
        line = (
            f"auto chose {self.chosen_!r}: held-out {self.scoring} "
            f"{self.scores_[self.chosen_]:.3f} over {n_labelled} labels"
        )
        line += f" (others: {others})" if others else ""
        if self.skipped_:
            line += f"; skipped for time: {', '.join(self.skipped_)}"
        return line

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

    def _pool_priors(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The pool's class shares that rule 1 weights the held-out rows to.

        The labelled shares when ``weight_to_pool`` is off; else the EM estimate of Saerens
        et al. (2002, :func:`~fewlabels.learn.imbalance.estimate_priors`) on the posteriors
        of a linear probe fitted on the labelled rows (a logistic model: the most nearly
        calibrated of the candidates), from the priors it was trained at (its class weights
        times the labelled shares).
        """
        counts = np.bincount(y[y != UNLABELED], minlength=len(self.classes_)).astype(float)
        shares = counts / counts.sum()
        if not self.weight_to_pool or not (y == UNLABELED).any():
            return shares
        probe = self._create("linear")
        keep = y != UNLABELED
        probe.fit(X[keep], decode_targets(y[keep], self.classes_))
        proba = np.clip(np.asarray(probe.predict_proba(X[~keep]), dtype=np.float64), 1e-9, None)
        weights = np.asarray(getattr(probe, "class_weight_", np.ones(len(shares))), dtype=float)
        trained = shares * weights
        return estimate_priors(proba, train_priors=trained / trained.sum())

    def _order(self, names: list[str]) -> list[str]:
        """The candidates in order of preference for rule 2 (see ``prior_order``)."""
        order = self.prior_order
        if isinstance(order, str) and order == "auto":
            order = PRIOR_ORDERS.get(str(getattr(self.encoder, "modality", None)), ())
        if order is None:
            return names
        pref = [n for n in order if n in names]
        return [*pref, *(n for n in names if n not in pref)]

    def _pick(self, named: list[tuple[str, BaseEstimator]], correct: dict[str, np.ndarray]) -> str:
        """The first candidate, in order of preference, within its margin of the best (rule 2)."""
        best = max(self.scores_, key=lambda n: self.scores_[n])
        names = [n for n, _ in named]
        for name in names:
            self.standard_errors_[name] = paired_standard_error(
                correct[best], correct[name], self._row_weights
            )
        self.prior_se_ = prior_margin(self.prior_se, n_challengers=len(named) - 1)
        modality_se = (
            PRIOR_SE_FACTORS.get(str(getattr(self.encoder, "modality", None)), 0.0)
            if isinstance(self.prior_order, str) and self.prior_order == "auto"
            else 0.0
        )
        margins = {
            n: max(
                float(self.se_factor), modality_se, self.prior_se_ if n in TEXT_CANDIDATES else 0.0
            )
            for n in names
        }
        self.order_ = self._order(names)
        return pick_by_margin(
            self.scores_,
            self.standard_errors_,
            self.order_,
            margins=margins,
            tie_tol=float(self.tie_tol),
        )

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return np.asarray(self.estimator_.predict_proba(X))
