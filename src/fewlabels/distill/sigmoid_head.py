"""The multi-label objective of the trainer: per-label sigmoid outputs, binary cross-entropy
on the teacher's soft targets, and early stopping on set agreement with the teacher.

:class:`fewlabels.distill.trainer.Trainer` asks its ``objective`` (when one is set) for the
batch loss and the validation record, so that every student's trainer (the text student's
padding, the image student's shifts) trains a multi-label head unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fewlabels.distill.losses import sigmoid_distillation_loss

__all__ = ["SigmoidObjective", "set_micro_f1"]

_EPS = 1e-12


def set_micro_f1(pred: torch.Tensor, truth: torch.Tensor) -> float:
    """Micro-F1 of two 0/1 (bool) indicators of the same shape; 1 when both are all 0."""
    tp = float((pred & truth).sum())
    denom = float(pred.sum() + truth.sum())
    return 2.0 * tp / denom if denom > 0 else 1.0


@dataclass(frozen=True)
class SigmoidObjective:
    """Loss and validation of a multi-label student (one sigmoid per label).

    Parameters
    ----------
    thresholds : ndarray of shape (n_labels,)
        A row has a label when its probability is >= the label's threshold.
    hard_weight : float >= 0
        Extra weight of the human-labelled rows' cross-entropy (their 0/1 sets).

    Notes
    -----
    The distillation temperature does not apply: a sigmoid target is matched exactly at its
    minimum (``sigmoid(z) = q``), with no softmax to soften.
    """

    thresholds: np.ndarray
    hard_weight: float = 1.0

    def proba(self, logits: torch.Tensor) -> torch.Tensor:
        """Per-label probabilities from logits."""
        return torch.sigmoid(logits)

    def loss(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        labels: torch.Tensor,
        weights: torch.Tensor,
    ) -> torch.Tensor:
        """``sum_i w_i BCE(i) / sum_i w_i + hard_weight * mean_{i labelled} BCE(i)``.

        Parameters
        ----------
        logits, targets : Tensor of shape (n, n_labels)
            Targets are teacher probabilities, 0/1 on human-labelled rows.
        labels : Tensor of shape (n,)
            ``>= 0`` on human-labelled rows, ``-1`` elsewhere.
        weights : Tensor of shape (n,)
        """
        bce = sigmoid_distillation_loss(logits, targets)
        soft = (weights * bce).sum() / weights.sum().clamp_min(_EPS)
        human = labels >= 0
        if self.hard_weight == 0 or not bool(human.any()):
            return soft
        return soft + self.hard_weight * bce[human].mean()

    def validate(
        self, logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor
    ) -> dict[str, float]:
        """Weighted BCE to the teacher and the micro-F1 of the student's label sets against
        the teacher's (both at ``thresholds``): ``val_loss`` and ``val_agreement``."""
        bce = sigmoid_distillation_loss(logits, targets)
        t = torch.as_tensor(self.thresholds, dtype=torch.float32)
        agree = set_micro_f1(self.proba(logits) >= t, targets >= t)
        return {
            "val_loss": float((weights * bce).sum() / weights.sum().clamp_min(_EPS)),
            "val_agreement": agree,
        }
