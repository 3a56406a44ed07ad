"""Teacher against student on a held-out split: accuracy, macro-F1, balanced accuracy and
end-to-end speed (CPU, same run)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fewlabels.data.dataset import Dataset
from fewlabels.distill.predict import ExportedStudent
from fewlabels.distill.teacher import Teacher


@dataclass
class Comparison:
    """Scores and throughput of a teacher and its exported student on one test split.

    Accuracy, macro-F1 and balanced accuracy (the mean recall over the classes of the split)
    of each, their top-1 agreement, and items per second.

    Throughput is items per second from raw inputs: the teacher encodes them (no cache) and
    runs its learner; the student runs its ONNX export in onnxruntime, preprocessing included.
    """

    n_test: int
    teacher_accuracy: float
    student_accuracy: float
    teacher_macro_f1: float
    student_macro_f1: float
    agreement: float
    teacher_items_per_s: float
    student_items_per_s: float
    teacher_balanced_accuracy: float = float("nan")
    student_balanced_accuracy: float = float("nan")

    @property
    def accuracy_ratio(self) -> float:
        """Student accuracy over teacher accuracy."""
        return self.student_accuracy / max(self.teacher_accuracy, 1e-12)

    @property
    def speedup(self) -> float:
        """Student throughput over teacher throughput."""
        return self.student_items_per_s / max(self.teacher_items_per_s, 1e-12)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "accuracy_ratio": self.accuracy_ratio, "speedup": self.speedup}


def _macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, labels=np.arange(k), average="macro", zero_division=0))


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y``."""
    from sklearn.metrics import recall_score

    present = np.unique(y)
    return float(recall_score(y, pred, labels=present, average="macro", zero_division=0))


def timed(fn: Any, *, repeats: int = 1) -> tuple[Any, float]:
    """Run ``fn()`` ``repeats`` times; return its last result and the best wall time (s)."""
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, float(best)


def compare(
    teacher: Teacher, student: ExportedStudent, test: Dataset, *, repeats: int = 1
) -> Comparison:
    """Measure teacher and student on ``test`` (fully labelled).

    Parameters
    ----------
    teacher : Teacher
        Fitted.
    student : ExportedStudent
        From :func:`fewlabels.distill.load_student`.
    test : Dataset
        The held-out split, every row labelled.
    repeats : int
        Timing repeats (best is kept); 1 is enough for large splits.
    """
    k = test.n_classes
    y = test.labels
    t_proba, t_time = timed(lambda: teacher.predict_proba(test.inputs, k), repeats=repeats)
    s_proba, s_time = timed(lambda: student.predict_proba(test.inputs), repeats=repeats)
    t_pred, s_pred = t_proba.argmax(1), s_proba.argmax(1)
    n = len(test)
    return Comparison(
        n_test=n,
        teacher_accuracy=float((t_pred == y).mean()),
        student_accuracy=float((s_pred == y).mean()),
        teacher_macro_f1=_macro_f1(y, t_pred, k),
        student_macro_f1=_macro_f1(y, s_pred, k),
        agreement=float((t_pred == s_pred).mean()),
        teacher_items_per_s=n / t_time,
        student_items_per_s=n / s_time,
        teacher_balanced_accuracy=_balanced_accuracy(y, t_pred),
        student_balanced_accuracy=_balanced_accuracy(y, s_pred),
    )
