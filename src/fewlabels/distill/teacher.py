"""The teacher: a frozen encoder plus a fitted learner, giving soft labels over a pool.

Human labels override the teacher on labelled rows (their target is one-hot).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from fewlabels.data.dataset import Dataset, MultiLabelDataset
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.typing import UNLABELED


def check_soft_labels(proba: Any, n_samples: int, n_classes: int) -> np.ndarray:
    """Teacher probabilities of shape (n_samples, n_classes), finite, rows summing to 1."""
    p = np.asarray(proba, dtype=np.float64)
    if p.shape != (n_samples, n_classes):
        raise FewlabelsError(
            f"Expected teacher probabilities of shape ({n_samples}, {n_classes}), one row per "
            f"item and one column per class, but got shape {p.shape}. Pass "
            "learner.predict_proba(X) on the same rows, or a fewlabels.distill.Teacher."
        )
    if not np.isfinite(p).all() or (p < -1e-6).any():
        raise FewlabelsError(
            "Expected finite, non-negative teacher probabilities, but some are not."
        )
    sums = p.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if bad.size:
        raise FewlabelsError(
            f"Expected teacher probability rows that sum to 1, but {bad.size} row(s) do not, e.g. "
            f"row {int(bad[0])} sums to {sums[bad[0]]:.4f}. Pass probabilities, not logits."
        )
    return np.clip(p, 0.0, None).astype(np.float32)


def check_teacher_fitted(learner: Any) -> None:
    """Refuse a teacher whose learner is not fitted or has no ``predict_proba``."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    name = type(learner).__name__
    if not callable(getattr(learner, "predict_proba", None)):
        raise InputTypeError(
            f"Expected a teacher learner with predict_proba (probabilities to distil), but "
            f"{name} has none. Use a fewlabels learner or a probabilistic classifier."
        )
    try:
        check_is_fitted(learner)
    except NotFittedError:
        raise FewlabelsError(
            f"Expected a fitted teacher, but its learner {name} is not fitted. Fit it first "
            "(Teacher(encoder, learner).fit(dataset), or learner.fit(X, y) on embeddings)."
        ) from None


def override_with_human(proba: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Teacher probabilities with human-labelled rows replaced by one-hot rows.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    labels : ndarray of shape (n_samples,)
        Class codes, -1 where there is no human label.

    Returns
    -------
    ndarray of shape (n_samples, n_classes), float32 (a copy)
    """
    out = np.array(proba, dtype=np.float32, copy=True)
    rows = np.flatnonzero(labels != UNLABELED)
    out[rows] = 0.0
    out[rows, labels[rows]] = 1.0
    return out


def align_columns(proba: np.ndarray, learner_classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Place ``predict_proba`` columns (in ``learner.classes_`` order) at their class codes.

    Classes the learner never saw get probability 0.

    Returns
    -------
    ndarray of shape (n_samples, n_classes), float32
    """
    from fewlabels.learn.targets import align_proba

    return align_proba(proba, learner_classes, np.arange(n_classes)).astype(np.float32)


@dataclass
class SoftLabels:
    """The teacher's targets over a pool.

    Attributes
    ----------
    dataset : Dataset or MultiLabelDataset
        The pool rows that could be read (aligned with ``proba``).
    teacher_proba : ndarray of shape (n_samples, n_classes)
        What the teacher predicts on every row (per-label probabilities for a multi-label
        teacher).
    proba : ndarray of shape (n_samples, n_classes)
        The targets: ``teacher_proba`` with human-labelled rows one-hot (their 0/1 label sets
        for a multi-label pool).
    skipped : list of (id, reason)
        Rows that could not be read.
    """

    dataset: Any
    teacher_proba: np.ndarray
    proba: np.ndarray
    skipped: list[tuple[str, str]]


class Teacher:
    """An encoder plus a fitted learner on its embeddings.

    Parameters
    ----------
    encoder : str or Encoder
        A registry name (``"minilm"``, ``"efficientnet-lite0"``...) or an encoder object.
    learner : estimator
        A fitted classifier on embeddings with ``predict_proba`` and integer ``classes_``
        (any fewlabels learner, or a scikit-learn classifier fitted on class codes).
        Use :meth:`fit` to fit it here.
    cache_dir : path-like, optional
        Embedding cache folder (``fewlabels.encode.embed``'s default when None).
    progress : bool
        Show progress while embedding.
    """

    def __init__(
        self,
        encoder: Any,
        learner: Any,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        progress: bool = True,
    ) -> None:
        self.encoder = encoder
        self.learner = learner
        self.cache_dir = cache_dir
        self.progress = progress

    def _encoder(self) -> Any:
        if isinstance(self.encoder, str):
            from fewlabels.encode import get_encoder

            self.encoder = get_encoder(self.encoder)
        return self.encoder

    @property
    def name(self) -> str:
        enc = self.encoder if isinstance(self.encoder, str) else getattr(self.encoder, "name", "?")
        return f"{enc} + {type(self.learner).__name__}"

    def embed(self, dataset: Dataset) -> Any:
        """Embeddings of ``dataset`` through the cache (``fewlabels.encode.embed``)."""
        from fewlabels.encode import embed

        return embed(dataset, self._encoder(), cache_dir=self.cache_dir, progress=self.progress)

    @property
    def multilabel(self) -> bool:
        """Whether the learner predicts label sets (its ``multilabel`` tag)."""
        from fewlabels.distill.multilabel import is_multilabel_learner

        return is_multilabel_learner(self.learner)

    @property
    def thresholds(self) -> np.ndarray | None:
        """A fitted multi-label learner's per-label thresholds (``thresholds_``), else None."""
        t = getattr(self.learner, "thresholds_", None) if self.multilabel else None
        return None if t is None else np.asarray(t, dtype=np.float64)

    def _embed_multilabel(self, dataset: MultiLabelDataset) -> tuple[Any, MultiLabelDataset]:
        """Embeddings of a multi-label pool and its rows that could be read."""
        emb = self.embed(dataset.pool())
        return emb, dataset.subset(dataset.positions(list(emb.dataset.ids)))

    def fit(self, dataset: Dataset | MultiLabelDataset) -> Teacher:
        """Embed ``dataset`` and fit the learner on its labels.

        fewlabels learners see every row (``-1`` = unlabelled, which transductive learners
        use); other estimators see the labelled rows only. A :class:`MultiLabelDataset`
        needs a multi-label learner (``OneVsRest``), fitted on its label sets.
        """
        from fewlabels.distill.multilabel import check_multilabel_teacher

        check_multilabel_teacher(self.learner, multilabel=isinstance(dataset, MultiLabelDataset))
        if isinstance(dataset, MultiLabelDataset):
            emb, kept = self._embed_multilabel(dataset)
            self.learner.fit(np.asarray(emb.X), kept.label_sets)
            return self
        emb = self.embed(dataset)
        X, y = np.asarray(emb.X), emb.dataset.labels
        if _is_fewlabels_learner(self.learner):
            self.learner.fit(X, y)
        else:
            mask = y != UNLABELED
            self.learner.fit(X[mask], y[mask])
        return self

    def check_fitted(self) -> None:
        """Refuse a teacher whose learner is not fitted, saying how to fit it."""

        check_teacher_fitted(self.learner)

    def predict_proba_embedded(self, X: np.ndarray, n_classes: int) -> np.ndarray:
        """Teacher probabilities from embeddings, columns at class codes ``0..n_classes-1``
        (per-label probabilities, in ``classes_`` order, for a multi-label learner)."""
        proba = np.asarray(self.learner.predict_proba(X), dtype=np.float32)
        if self.multilabel:
            from fewlabels.distill.multilabel import check_multilabel_targets

            return check_multilabel_targets(proba, proba.shape[0], n_classes)
        return align_columns(proba, np.asarray(self.learner.classes_), n_classes)

    def predict_proba(self, inputs: Any, n_classes: int) -> np.ndarray:
        """Teacher probabilities from raw inputs, encoding them now (no cache).

        This is the teacher's end-to-end cost per item (used to compare speed with a student).
        """
        self.check_fitted()
        X = self._encoder().encode(inputs)
        return self.predict_proba_embedded(X, n_classes)

    def soft_labels(self, dataset: Dataset | MultiLabelDataset) -> SoftLabels:
        """The targets over ``dataset``: teacher probabilities, one-hot on human-labelled rows
        (for a :class:`MultiLabelDataset`, per-label probabilities with human label sets
        as 0/1 rows).

        Returns
        -------
        SoftLabels
        """
        self.check_fitted()
        if isinstance(dataset, MultiLabelDataset):
            from fewlabels.distill.multilabel import (
                check_multilabel_teacher,
                override_with_label_sets,
            )

            check_multilabel_teacher(self.learner, multilabel=True)
            emb, ml = self._embed_multilabel(dataset)
            teacher = self._label(emb.X, ml.n_classes)
            return SoftLabels(
                ml, teacher, override_with_label_sets(teacher, ml.label_sets), list(emb.skipped)
            )
        emb = self.embed(dataset)
        kept = emb.dataset
        teacher = self._label(emb.X, kept.n_classes)
        return SoftLabels(
            kept, teacher, override_with_human(teacher, kept.labels), list(emb.skipped)
        )

    def _label(self, X: np.ndarray, n_classes: int, *, rows: int = 32768) -> np.ndarray:
        """Teacher probabilities over the pool in blocks, with a progress bar when asked."""
        from fewlabels.encode.blocks import iter_row_blocks

        n = int(X.shape[0])
        if n <= rows or not self.progress:
            return self.predict_proba_embedded(np.asarray(X), n_classes)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        parts = []
        with Progress(
            TextColumn("teacher labels the pool"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
        ) as bar:
            task = bar.add_task("teacher", total=n)
            for block in iter_row_blocks(X, rows=rows):
                parts.append(self.predict_proba_embedded(block, n_classes))
                bar.advance(task, block.shape[0])
        return np.concatenate(parts)


def _is_fewlabels_learner(learner: Any) -> bool:
    return type(learner).__module__.startswith("fewlabels.")
