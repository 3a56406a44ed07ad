"""Held-out human labels for an honest score of a distillation, and its progress lines.

Agreement with the teacher on the pool says how well the student copies the teacher, not
whether either is right. When every class has at least two human labels, a share of them
(at least one per class, never a class's last) is hidden from the teacher and the student;
both are then scored against those labels (:class:`HeldOut`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from fewlabels.typing import UNLABELED

__all__ = ["HeldOut", "Stages", "holdout_rows"]


def holdout_rows(labels: np.ndarray, *, fraction: float, random_state: int) -> np.ndarray:
    """Positions of human-labelled rows to hide: ``max(1, round(fraction * n_c))`` per class.

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        Class codes, -1 where unlabelled.
    fraction : float in [0, 0.5]
    random_state : int

    Returns
    -------
    ndarray of int, sorted; empty when ``fraction`` is 0 or some class has fewer than 2 labels.
    """
    codes = np.asarray(labels)
    present = np.unique(codes[codes != UNLABELED])
    if fraction <= 0 or present.size < 2:
        return np.zeros(0, dtype=np.int64)
    rows_by_class = [np.flatnonzero(codes == c) for c in present]
    if min(r.size for r in rows_by_class) < 2:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(random_state)
    picked = [
        rng.choice(
            rows, size=max(1, min(rows.size - 1, round(fraction * rows.size))), replace=False
        )
        for rows in rows_by_class
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


@dataclass
class HeldOut:
    """Teacher and student against human labels they never saw.

    Attributes
    ----------
    n : int
        Held-out labelled rows scored (readable ones).
    student_accuracy, teacher_accuracy : float
        Top-1 accuracy against the human labels.
    agreement : float
        Share of these rows where student and teacher agree.
    """

    n: int
    student_accuracy: float
    teacher_accuracy: float
    agreement: float

    @classmethod
    def score(cls, student: np.ndarray, teacher: np.ndarray, truth: np.ndarray) -> HeldOut:
        """From predicted class codes of student and teacher and the true codes."""
        return cls(
            int(truth.size),
            float((student == truth).mean()),
            float((teacher == truth).mean()),
            float((student == teacher).mean()),
        )


class Stages:
    """One line on stderr per stage of a long run, with the time since the start (or nothing)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()
        self._console: Any = None

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        from rich.markup import escape

        took = time.perf_counter() - self.start
        self._console.print(f"[dim]distill {took:6.1f}s[/] {escape(message)}")
