"""The Strategy base class: validate once, then score or select over arrays."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from fewlabels._validation import _preview, check_batch_size, check_embeddings, check_unit_interval
from fewlabels.active.dedup import DEFAULT_DEDUP_THRESHOLD, suppress_near_duplicates
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.typing import BoolArray, FloatArray, IntArray, SeedLike


def check_labeled_mask(labeled_mask: Any, n_samples: int) -> np.ndarray:
    """Return a boolean mask of shape ``(n_samples,)`` marking the labelled rows.

    Accepts a boolean mask, or integer positions of the labelled rows.
    """
    mask = np.asarray(labeled_mask)
    if mask.dtype == np.bool_:
        if mask.shape != (n_samples,):
            raise FewlabelsError(
                f"Expected labeled_mask as a boolean array of shape ({n_samples},), one entry "
                f"per row of X, but got shape {mask.shape}."
            )
        return mask
    if mask.size and not np.issubdtype(mask.dtype, np.integer):
        raise InputTypeError(
            f"Expected labeled_mask as a boolean array of shape ({n_samples},) (or integer "
            f"positions of the labelled rows), but got dtype {mask.dtype}."
        )
    pos = mask.astype(np.int64).ravel()
    bad = pos[(pos < 0) | (pos >= n_samples)]
    if bad.size:
        raise FewlabelsError(
            f"Expected labelled positions in [0, {n_samples - 1}], "
            f"but got {_preview(bad.tolist())}."
        )
    out = np.zeros(n_samples, dtype=bool)
    out[pos] = True
    return out


def check_pool_proba(proba: Any, n_samples: int, *, name: str = "proba") -> np.ndarray:
    """Return predicted probabilities of shape ``(n_samples, n_classes)`` as float64.

    Rows must be finite, non-negative and sum to 1 (within 1e-3).
    """
    arr = np.asarray(proba)
    if arr.ndim != 2 or arr.shape[0] != n_samples or arr.shape[1] < 1:
        raise FewlabelsError(
            f"Expected {name} of shape ({n_samples}, n_classes), one row of class "
            f"probabilities per row of X, but got shape {arr.shape}. Pass "
            "learner.predict_proba(X) for the whole pool, or None before any model exists."
        )
    if not np.issubdtype(arr.dtype, np.number):
        raise InputTypeError(f"Expected numeric {name}, but got dtype {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all() or (arr < -1e-9).any():
        raise FewlabelsError(f"Expected finite, non-negative probabilities in {name}.")
    sums = arr.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if off.size:
        raise FewlabelsError(
            f"Expected each row of {name} to sum to 1, but {off.size} row(s) do not, e.g. row "
            f"{int(off[0])} sums to {sums[off[0]]:.4g}. Pass probabilities "
            "(predict_proba), not decision scores."
        )
    return arr


def check_pool_not_exhausted(labeled_mask: np.ndarray) -> int:
    """Return how many rows are unlabelled; refuse a pool where every row is labelled."""
    n_free = int((~labeled_mask).sum())
    if n_free == 0:
        raise FewlabelsError(
            f"Expected unlabelled rows to select from, but all {labeled_mask.size} rows are "
            "already labelled: the pool is exhausted. Add unlabelled items or stop the loop."
        )
    return n_free


def rank_unlabeled(
    scores: FloatArray, labeled_mask: BoolArray, rng: np.random.Generator
) -> IntArray:
    """Order the unlabelled rows by descending score, breaking ties at random.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
    labeled_mask : ndarray of shape (n_samples,), bool
    rng : numpy Generator

    Returns
    -------
    ndarray of shape (n_unlabeled,), int64
        Positions of the unlabelled rows, most wanted first.
    """
    free = np.flatnonzero(~labeled_mask)
    tiebreak = rng.random(free.size)
    order = np.lexsort((tiebreak, -np.asarray(scores, dtype=np.float64)[free]))
    return free[order].astype(np.int64)


class Strategy:
    """An acquisition strategy: score the pool, select a batch to label.

    Subclasses implement ``_score`` (and ``_select`` when the batch is not simply the
    top of the score ranking). The public ``score`` and ``select`` validate once and
    call them with clean arrays.

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
        Cosine similarity at or above which two candidates of one batch count as
        near-duplicates; the lower-ranked one is skipped (:mod:`fewlabels.active.dedup`).
        None switches suppression off.
    """

    #: Registry name.
    name: ClassVar[str] = ""
    #: Whether the strategy uses ``proba`` when one is given.
    uses_proba: ClassVar[bool] = False

    def __init__(self, *, dedup_threshold: float | None = DEFAULT_DEDUP_THRESHOLD) -> None:
        self.dedup_threshold = dedup_threshold

    # -- public edge -------------------------------------------------------------------
    def score(self, X: Any, *, proba: Any = None, labeled_mask: Any) -> FloatArray:
        """Score every row of the pool; higher means more wanted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Embeddings of the whole pool.
        proba : array-like of shape (n_samples, n_classes) or None
            Predicted probabilities of the current learner for every row; None before
            any model exists.
        labeled_mask : array-like of shape (n_samples,), bool
            True for rows that already have a label (or their integer positions).

        Returns
        -------
        ndarray of shape (n_samples,), float64
        """
        Xc, P, mask = self._check(X, proba, labeled_mask)
        return np.asarray(self._score(Xc, P, mask), dtype=np.float64)

    def select(
        self,
        X: Any,
        *,
        n: int,
        proba: Any = None,
        labeled_mask: Any,
        random_state: SeedLike = None,
    ) -> IntArray:
        """Select up to ``n`` unlabelled rows to label next.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Embeddings of the whole pool.
        n : int
            Batch size, >= 1. Fewer rows come back when fewer are unlabelled.
        proba : array-like of shape (n_samples, n_classes) or None
            Predicted probabilities for every row; None before any model exists.
        labeled_mask : array-like of shape (n_samples,), bool
            True for rows that already have a label (or their integer positions).
        random_state : int, numpy Generator or None
            Seeds tie-breaking and any sampling.

        Returns
        -------
        ndarray of shape (min(n, n_unlabeled),), int64
            Unique positions of unlabelled rows, in the order they were chosen.
        """
        Xc, P, mask = self._check(X, proba, labeled_mask)
        n = check_batch_size(n)
        n = min(n, check_pool_not_exhausted(mask))
        rng = np.random.default_rng(random_state)
        picked = np.asarray(self._select(Xc, P, mask, n, rng), dtype=np.int64)
        if picked.size != n or mask[picked].any() or np.unique(picked).size != picked.size:
            # The contract every strategy keeps; reaching this is a bug in the strategy.
            raise RuntimeError(
                f"Strategy {self.name!r} broke its contract: expected {n} unique unlabelled "
                f"positions, but it returned {picked.tolist()}. Please report this."
            )
        return picked

    # -- steps subclasses override -----------------------------------------------------
    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        """Per-row scores; assumes valid input."""
        raise NotImplementedError

    def _select(
        self,
        X: FloatArray,
        proba: FloatArray | None,
        labeled_mask: BoolArray,
        n: int,
        rng: np.random.Generator,
    ) -> IntArray:
        """Top of the score ranking, near-duplicates skipped; assumes valid input."""
        order = rank_unlabeled(self._score(X, proba, labeled_mask), labeled_mask, rng)
        return suppress_near_duplicates(X, order, n, threshold=self.dedup_threshold)

    # -- helpers -----------------------------------------------------------------------
    def _check(
        self, X: Any, proba: Any, labeled_mask: Any
    ) -> tuple[FloatArray, FloatArray | None, BoolArray]:
        Xc = check_embeddings(X)
        mask = check_labeled_mask(labeled_mask, Xc.shape[0])
        P = None if proba is None else self._check_proba(proba, Xc.shape[0])
        if self.dedup_threshold is not None:
            check_unit_interval(self.dedup_threshold, name="dedup_threshold", low=-1.0)
        return Xc, P, mask

    def _check_proba(self, proba: Any, n_samples: int) -> FloatArray:
        """Check a given ``proba``: class distributions (:func:`check_pool_proba`) by default."""
        return check_pool_proba(proba, n_samples)

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments of this strategy, by name."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p) for p in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
