"""The base of every student: fit on soft labels, predict, export to ONNX.

A student is a small scikit-learn-style estimator over raw inputs. Subclasses fill in named
steps (``_fit_spec``, ``_features``, ``_build``, ``_trainer``, ``_example``); the training
loop lives once in :class:`fewlabels.distill.trainer.Trainer`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch import nn

from fewlabels._validation import check_class_names
from fewlabels.data.dataset import check_label_codes
from fewlabels.distill.config import DistillConfig
from fewlabels.distill.teacher import check_soft_labels
from fewlabels.distill.trainer import TrainData, Trainer
from fewlabels.errors import FewlabelsError, InputTypeError, NotFittedError
from fewlabels.typing import UNLABELED


def check_student_fit(
    inputs: Any,
    targets: Any,
    labels: Any,
    sample_weight: Any,
    classes: Any,
    *,
    modality: str,
    student: str,
    multilabel: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Check a student's ``fit`` arguments; return targets, labels, weights and class names.

    With ``multilabel``, ``targets`` are per-label probabilities (rows need not sum to 1),
    ``labels`` the human label sets (an indicator with rows of -1), and the returned labels
    are ``0`` on human-labelled rows and ``-1`` elsewhere (the trainer's row marks), with
    the targets of human-labelled rows replaced by their 0/1 sets.
    """
    import pandas as pd

    kinds = {
        "text": "a list of texts",
        "image": "an array of images (n, height, width[, channels]) or a list of image paths",
        "tabular": "a DataFrame of feature columns",
    }
    ok = {
        "text": isinstance(inputs, (list, tuple)) and all(isinstance(t, str) for t in inputs[:100]),
        "image": (isinstance(inputs, np.ndarray) and inputs.ndim in (3, 4))
        or (isinstance(inputs, (list, tuple)) and all(isinstance(t, str) for t in inputs[:100])),
        "tabular": isinstance(inputs, pd.DataFrame),
    }[modality]
    if not ok:
        what = type(inputs).__name__ + (
            f" of shape {inputs.shape}" if hasattr(inputs, "shape") else ""
        )
        raise InputTypeError(f"{student} expected {kinds[modality]}, but got {what}.")
    n = len(inputs)
    if multilabel:
        return _check_multilabel_fit(n, targets, labels, sample_weight, classes)
    t = np.asarray(targets, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != n or t.shape[1] < 2:
        raise FewlabelsError(
            f"Expected targets of shape ({n}, n_classes) with n_classes >= 2 (teacher "
            f"probabilities, one row per input), but got shape {t.shape}."
        )
    t = check_soft_labels(t, n, t.shape[1])
    k = t.shape[1]
    y = np.full(n, UNLABELED, dtype=np.int64) if labels is None else check_label_codes(labels, n, k)
    return t, y, _check_weights(sample_weight, n), _check_names(classes, k)


def _check_weights(sample_weight: Any, n: int) -> np.ndarray:
    w = (
        np.ones(n, dtype=np.float32)
        if sample_weight is None
        else np.asarray(sample_weight, np.float32)
    )
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
        raise FewlabelsError(f"Expected sample_weight of shape ({n},) with finite values >= 0.")
    if not (w > 0).any():
        raise FewlabelsError("Expected some rows with sample_weight > 0, but every weight is 0.")
    return w


def _check_names(classes: Any, k: int) -> tuple[str, ...]:
    names = tuple(str(i) for i in range(k)) if classes is None else check_class_names(classes)
    if len(names) != k:
        raise FewlabelsError(
            f"Expected {k} class names (one per target column), but got {len(names)}."
        )
    return names


def _check_multilabel_fit(
    n: int, targets: Any, labels: Any, sample_weight: Any, classes: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """:func:`check_student_fit` for a multi-label student (see there)."""
    from fewlabels.distill.multilabel import (
        check_label_set_rows,
        check_multilabel_classes,
        check_multilabel_targets,
        override_with_label_sets,
    )

    t = check_multilabel_targets(targets, n, None)
    k = t.shape[1]
    names = check_multilabel_classes(_check_names(classes, k))
    rows = np.full(n, UNLABELED, dtype=np.int64)
    if labels is not None:
        Y = check_label_set_rows(labels, n, k)
        t = override_with_label_sets(t, Y)
        rows[~(Y == UNLABELED).all(axis=1)] = 0
    return t, rows, _check_weights(sample_weight, n), names


class _Probabilities(nn.Module):
    """Wrap a logits module so that it returns probabilities (what is exported)."""

    def __init__(self, net: nn.Module, *, sigmoid: bool = False) -> None:
        super().__init__()
        self.net = net
        self.sigmoid = sigmoid

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        logits = self.net(*inputs)
        return torch.sigmoid(logits) if self.sigmoid else torch.softmax(logits, dim=-1)


class Student(BaseEstimator):
    """Common fit/predict/export of the students.

    Parameters
    ----------
    config : DistillConfig, optional
        Training options (its training fields; ``weighting``, ``drop_fraction`` and
        ``labelled_only`` act in :func:`fewlabels.distill.distill`, which computes the
        ``sample_weight`` given to ``fit``); defaults to ``DistillConfig()``.

    Attributes
    ----------
    input_spec_ : TextHashing, ImageInput or TableInput
        How raw inputs become features (exported as JSON).
    module_ : torch.nn.Module
        The trained network (inputs -> logits).
    classes_ : tuple of str
    n_classes_ : int
    history_ : list of dict
        Per-epoch ``train_loss``, ``val_loss`` and ``val_agreement`` (with the teacher).
    best_epoch_ : int
    stop_reason_ : str
        Why training stopped.
    n_train_, n_val_ : int
        Rows trained on and held out for early stopping.
    multilabel_ : bool
        Whether it was fitted as a multi-label student (one sigmoid per label).
    thresholds_ : ndarray of shape (n_classes,) or None
        Multi-label only: a row has label ``k`` when its probability is >= ``thresholds_[k]``.
    """

    kind: ClassVar[str] = ""
    modality: ClassVar[str] = ""

    def __init__(self, *, config: DistillConfig | None = None) -> None:
        self.config = config

    # --- named steps ---------------------------------------------------------------------
    def _fit_spec(self, inputs: Any) -> Any:
        raise NotImplementedError

    def _features(self, inputs: Any, spec: Any, *, training: bool) -> Any:
        raise NotImplementedError

    def _build(self, spec: Any, n_classes: int) -> nn.Module:
        raise NotImplementedError

    def _trainer(self, config: DistillConfig) -> Trainer:
        return Trainer(config)

    def check_inputs(self, inputs: Any) -> None:
        """Refuse raw inputs this student cannot train on, cheaply, before any long work.

        :func:`fewlabels.distill.distill` calls it before the teacher labels the pool (the
        image student checks the image sizes from the file headers). Default: nothing.
        """

    def _example(self) -> tuple[dict[str, np.ndarray], dict[str, dict[int, str]]]:
        """A small input batch for export, and its dynamic axes."""
        raise NotImplementedError

    # --- public --------------------------------------------------------------------------
    def fit(
        self,
        inputs: Any,
        targets: np.ndarray,
        *,
        labels: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        classes: tuple[str, ...] | list[str] | None = None,
        multilabel: bool = False,
        thresholds: Any = None,
    ) -> Student:
        """Train on soft labels.

        Parameters
        ----------
        inputs : list of str, ndarray of images, or DataFrame, of length n_samples
            Raw inputs of this student's modality.
        targets : ndarray of shape (n_samples, n_classes)
            Teacher probabilities (one-hot where a human label overrides).
        labels : ndarray of shape (n_samples,), optional
            Human labels as class codes, -1 where none; they get a cross-entropy term.
        sample_weight : ndarray of shape (n_samples,), optional
            Trust in each row (0 drops it), see :func:`fewlabels.distill.weighting.trust_weights`.
        classes : sequence of str, optional
            Class names (default ``"0"``, ``"1"``...).
        multilabel : bool, default False
            Train a multi-label student: ``targets`` are per-label probabilities (rows need
            not sum to 1), ``labels`` the human label sets (an indicator of shape
            (n_samples, n_classes), 0/1 on labelled rows, rows of -1 elsewhere), and the head
            is one sigmoid per label trained with binary cross-entropy on the soft targets
            (:class:`fewlabels.distill.sigmoid_head.SigmoidObjective`).
        thresholds : float or array-like of shape (n_classes,), optional
            Multi-label only: per-label thresholds (default 0.5), usually the teacher's
            ``OneVsRest.thresholds_``; recorded in ``thresholds_`` and the export.

        Returns
        -------
        self
        """

        config = self.config if self.config is not None else DistillConfig()
        targets, labels, weights, names = check_student_fit(
            inputs,
            targets,
            labels,
            sample_weight,
            classes,
            modality=self.modality,
            student=type(self).__name__,
            multilabel=bool(multilabel),
        )
        cuts = None
        if multilabel:
            from fewlabels.distill.multilabel import check_thresholds

            cuts = check_thresholds(thresholds, targets.shape[1])
        elif thresholds is not None:
            raise FewlabelsError(
                "Expected thresholds only with multilabel=True (a single-label student takes "
                "the most probable class), but got thresholds for a single-label fit."
            )
        spec = self._fit_spec(inputs)
        features = self._features(inputs, spec, training=True)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.random_state)
            module = self._build(spec, targets.shape[1])
            trainer = self._trainer(config)
            if cuts is not None:
                from fewlabels.distill.sigmoid_head import SigmoidObjective

                trainer.objective = SigmoidObjective(cuts, hard_weight=config.hard_weight)
            result = trainer.fit(module, TrainData(features, targets, labels, weights))
        self.input_spec_ = spec
        self.module_ = module.cpu().eval()
        self.classes_ = names
        self.n_classes_ = len(names)
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.stop_reason_ = result.stop_reason
        self.n_train_, self.n_val_ = result.n_train, result.n_val
        self.device_ = result.device
        self.config_ = config
        self.multilabel_ = cuts is not None
        self.thresholds_ = cuts
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(inputs, targets) or "
                "fewlabels.distill.distill(teacher, dataset) first."
            )

    def predict_proba(self, inputs: Any) -> np.ndarray:
        """Class probabilities from raw inputs, in torch.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), float32
            Rows sum to 1; for a multi-label student, column ``k`` is P(row has label ``k``)
            (a sigmoid) and rows need not sum to 1.
        """
        self._check_fitted()
        features = self._features(inputs, self.input_spec_, training=False)
        trainer = self._trainer(self.config_)
        n = features.shape[0]
        logits = trainer.logits(self.module_, features, np.arange(n), torch.device("cpu"))
        if getattr(self, "multilabel_", False):
            return torch.sigmoid(logits).numpy()
        return torch.softmax(logits, dim=-1).numpy()

    def predict(self, inputs: Any) -> np.ndarray:
        """Class codes (indices into ``classes_``) of shape (n_samples,); for a multi-label
        student, the 0/1 label indicator of shape (n_samples, n_classes),
        ``predict_proba >= thresholds_`` (``OneVsRest.predict``'s rule)."""
        proba = self.predict_proba(inputs)
        if getattr(self, "multilabel_", False):
            from fewlabels.distill.multilabel import label_indicator

            return label_indicator(proba, np.asarray(self.thresholds_))
        return proba.argmax(axis=1)

    def predict_sets(self, inputs: Any) -> list[list[str]]:
        """Multi-label only: each row's label set (class names in class order; empty lists
        kept)."""
        from fewlabels.distill.multilabel import indicator_sets

        self._check_fitted()
        if not self.multilabel_:
            raise FewlabelsError(
                f"Expected a multi-label student for predict_sets, but this "
                f"{type(self).__name__} was fitted on single labels. Use predict(inputs)."
            )
        return indicator_sets(self.predict(inputs), self.classes_)

    def export(self, path: str | os.PathLike[str], *, extra: dict[str, Any] | None = None) -> Path:
        """Write the student as an ONNX file with fewlabels metadata.

        Parameters
        ----------
        path : path-like
            Target file (``.onnx``).
        extra : dict, optional
            More JSON-serialisable facts to record (teacher, dataset...).

        Returns
        -------
        Path of the file; load it with :func:`fewlabels.distill.load_student`.
        """
        from fewlabels.distill.export import export_onnx

        self._check_fitted()
        example, axes = self._example()
        metadata = {
            "student": self.kind,
            "modality": self.modality,
            "classes": list(self.classes_),
            "input": self.input_spec_.to_dict(),
            "inputs": list(example),
            "training": {
                "temperature": self.config_.temperature,
                "hard_weight": self.config_.hard_weight,
                "best_epoch": self.best_epoch_,
                "stop_reason": self.stop_reason_,
                "n_train": self.n_train_,
                "n_val": self.n_val_,
            },
            "versions": _versions(),
            **(extra or {}),
        }
        multilabel = bool(getattr(self, "multilabel_", False))
        if multilabel:
            metadata["task"] = "multilabel"
            metadata["thresholds"] = [float(t) for t in np.asarray(self.thresholds_)]
            metadata["training"]["loss"] = "sigmoid binary cross-entropy per label"
        return export_onnx(
            _Probabilities(self.module_, sigmoid=multilabel),
            example,
            path,
            metadata=metadata,
            dynamic_axes=axes,
        )


def _versions() -> dict[str, str]:
    import sklearn

    from fewlabels._version import __version__

    return {
        "fewlabels": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
    }
