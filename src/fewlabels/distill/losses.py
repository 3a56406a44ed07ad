"""Distillation losses: KL divergence to the teacher at a temperature, plus cross-entropy on
human labels.

Knowledge distillation as in Hinton, Vinyals and Dean, "Distilling the Knowledge in a Neural
Network" (2015): both distributions are softened at temperature ``T`` and the KL term is
scaled by ``T**2`` so that its gradients keep their size as ``T`` changes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_EPS = 1e-12


def soften(proba: torch.Tensor, temperature: float) -> torch.Tensor:
    """Teacher probabilities at a temperature: ``softmax(log p / T)``.

    Parameters
    ----------
    proba : Tensor of shape (n_samples, n_classes)
        Probabilities (rows sum to 1).
    temperature : float > 0

    Returns
    -------
    Tensor of shape (n_samples, n_classes)
        ``p_i ** (1/T) / sum_j p_j ** (1/T)``; ``T = 1`` returns ``proba``; zeros stay zero,
        so a one-hot row (a human label) stays one-hot.
    """
    if temperature == 1.0:
        return proba
    scaled = (proba / proba.amax(dim=-1, keepdim=True).clamp_min(_EPS)).pow(1.0 / temperature)
    return scaled / scaled.sum(dim=-1, keepdim=True)


def kl_to_teacher(
    student_logits: torch.Tensor, teacher_proba: torch.Tensor, *, temperature: float = 1.0
) -> torch.Tensor:
    """Per-row ``T**2 * KL(soften(teacher, T) || softmax(logits / T))``.

    Parameters
    ----------
    student_logits : Tensor of shape (n_samples, n_classes)
    teacher_proba : Tensor of shape (n_samples, n_classes)
    temperature : float > 0

    Returns
    -------
    Tensor of shape (n_samples,), non-negative
    """
    target = soften(teacher_proba, temperature)
    log_student = F.log_softmax(student_logits / temperature, dim=-1)
    kl = (torch.xlogy(target, target) - target * log_student).sum(dim=-1)
    return kl * temperature**2


def hard_cross_entropy(student_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-row cross-entropy on human labels (``-1`` rows give 0).

    Parameters
    ----------
    student_logits : Tensor of shape (n_samples, n_classes)
    labels : Tensor of shape (n_samples,), int64, ``-1`` = no human label

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    return F.cross_entropy(student_logits, labels.clamp_min(0), reduction="none") * (
        labels >= 0
    ).to(student_logits.dtype)


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_proba: torch.Tensor,
    *,
    labels: torch.Tensor,
    weights: torch.Tensor,
    temperature: float = 2.0,
    hard_weight: float = 1.0,
) -> torch.Tensor:
    """The student's training loss on a batch.

    ``sum_i w_i KL_T(i) / sum_i w_i + hard_weight * mean_{i labelled} CE(i)``.

    Parameters
    ----------
    student_logits : Tensor of shape (n_samples, n_classes)
    teacher_proba : Tensor of shape (n_samples, n_classes)
        Targets: teacher probabilities, one-hot on human-labelled rows.
    labels : Tensor of shape (n_samples,)
        Human labels, ``-1`` where there is none.
    weights : Tensor of shape (n_samples,)
        Trust in each row (:func:`fewlabels.distill.weighting.trust_weights`).
    temperature : float > 0
    hard_weight : float >= 0
        Weight of the cross-entropy on human labels.

    Returns
    -------
    Tensor of shape ()
    """
    kl = kl_to_teacher(student_logits, teacher_proba, temperature=temperature)
    soft = (weights * kl).sum() / weights.sum().clamp_min(_EPS)
    n_hard = (labels >= 0).sum()
    if hard_weight == 0 or int(n_hard) == 0:
        return soft
    hard = hard_cross_entropy(student_logits, labels).sum() / n_hard
    return soft + hard_weight * hard


def sigmoid_distillation_loss(
    student_logits: torch.Tensor, teacher_proba: torch.Tensor
) -> torch.Tensor:
    """Per-row multi-label distillation loss: binary cross-entropy on each label's sigmoid.

    For a multi-label teacher (one probability per label, rows need not sum to 1, e.g.
    :class:`fewlabels.learn.OneVsRest`): the mean over labels of
    ``-(q log sigmoid(z) + (1 - q) log(1 - sigmoid(z)))`` with soft targets ``q`` (a human
    label set is a 0/1 row). Its minimum over ``z`` is at ``sigmoid(z) = q``.

    Parameters
    ----------
    student_logits : Tensor of shape (n_samples, n_labels)
    teacher_proba : Tensor of shape (n_samples, n_labels), in [0, 1]

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    bce = F.binary_cross_entropy_with_logits(student_logits, teacher_proba, reduction="none")
    return bce.mean(dim=-1)
