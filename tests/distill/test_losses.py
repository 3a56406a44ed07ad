from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fewlabels.distill.losses import (
    distillation_loss,
    hard_cross_entropy,
    kl_to_teacher,
    soften,
)


def _rand(n: int = 7, k: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=g, dtype=torch.float64)
    teacher = torch.softmax(torch.randn(n, k, generator=g, dtype=torch.float64) * 2, dim=-1)
    return logits, teacher


def test_kl_at_t1_equals_cross_entropy_minus_entropy() -> None:
    logits, p = _rand()
    ce = -(p * F.log_softmax(logits, dim=-1)).sum(-1)
    entropy = -(p * p.log()).sum(-1)
    assert torch.allclose(kl_to_teacher(logits, p, temperature=1.0), ce - entropy, atol=1e-12)


def test_kl_is_zero_when_student_matches_and_positive_otherwise() -> None:
    logits, p = _rand()
    for t in (1.0, 2.0, 5.0):
        assert torch.allclose(
            kl_to_teacher(p.log(), p, temperature=t),
            torch.zeros(7, dtype=torch.float64),
            atol=1e-10,
        )
        assert (kl_to_teacher(logits, p, temperature=t) > 0).all()


def test_kl_at_temperature_is_t_squared_times_kl_of_softened_distributions() -> None:
    logits, p = _rand()
    t = 3.0
    q = soften(p, t)
    s = torch.softmax(logits / t, dim=-1)
    expected = t**2 * (q * (q.log() - s.log())).sum(-1)
    assert torch.allclose(kl_to_teacher(logits, p, temperature=t), expected, atol=1e-10)


def test_soften_closed_form_and_limits() -> None:
    p = torch.tensor([[0.7, 0.2, 0.1]], dtype=torch.float64)
    assert torch.equal(soften(p, 1.0), p)
    expected = p**0.5 / (p**0.5).sum()
    assert torch.allclose(soften(p, 2.0), expected, atol=1e-12)
    assert torch.allclose(soften(p, 1e6), torch.full((1, 3), 1 / 3, dtype=torch.float64), atol=1e-5)
    one_hot = torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(soften(one_hot, 4.0), one_hot, atol=1e-12)


def test_hard_cross_entropy_ignores_unlabelled_rows() -> None:
    logits, _ = _rand()
    labels = torch.tensor([0, -1, 3, -1, 1, 2, -1])
    ce = hard_cross_entropy(logits, labels)
    mask = labels >= 0
    assert torch.allclose(ce[mask], F.cross_entropy(logits[mask], labels[mask], reduction="none"))
    assert torch.equal(ce[~mask], torch.zeros(3, dtype=torch.float64))


def test_distillation_loss_weights_and_hard_term() -> None:
    logits, p = _rand()
    labels = torch.full((7,), -1)
    w = torch.tensor([1.0, 0, 2, 0, 1, 1, 0], dtype=torch.float64)
    kl = kl_to_teacher(logits, p, temperature=2.0)
    soft_only = distillation_loss(logits, p, labels=labels, weights=w, temperature=2.0)
    assert soft_only.item() == pytest.approx(float((w * kl).sum() / w.sum()))
    # zero-weight rows do not matter at all
    p2 = p.clone()
    p2[w == 0] = torch.softmax(torch.randn(3, 4, dtype=torch.float64), -1)
    assert distillation_loss(logits, p2, labels=labels, weights=w).item() == pytest.approx(
        distillation_loss(logits, p, labels=labels, weights=w).item()
    )
    labels[[0, 2]] = torch.tensor([1, 3])
    both = distillation_loss(logits, p, labels=labels, weights=w, temperature=2.0, hard_weight=0.5)
    hard = F.cross_entropy(logits[[0, 2]], labels[[0, 2]])
    assert both.item() == pytest.approx(soft_only.item() + 0.5 * hard.item())


def test_loss_gradient_pulls_student_towards_teacher() -> None:
    _, p = _rand()
    logits = torch.zeros(7, 4, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([logits], lr=5.0)
    w = torch.ones(7, dtype=torch.float64)
    for _ in range(300):
        opt.zero_grad()
        distillation_loss(
            logits, p, labels=torch.full((7,), -1), weights=w, temperature=2.0
        ).backward()
        opt.step()
    np.testing.assert_allclose(torch.softmax(logits, -1).detach().numpy(), p.numpy(), atol=1e-3)


# --- rules pinned by mutation testing (benchmarks/mutation.py) ------------------------


def _explicit_kl(logits: torch.Tensor, proba: torch.Tensor, t: float) -> torch.Tensor:
    target = proba ** (1.0 / t)
    target = target / target.sum(dim=1, keepdim=True)
    log_q = torch.log_softmax(logits / t, dim=1)
    return (target * (torch.log(target) - log_q)).sum(dim=1) * t**2


def test_kl_to_teacher_defaults_to_temperature_one() -> None:
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 1.0]])
    proba = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    torch.testing.assert_close(kl_to_teacher(logits, proba), _explicit_kl(logits, proba, 1.0))


def test_distillation_loss_defaults_are_temperature_two_and_hard_weight_one() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    proba = torch.tensor([[1.0, 0.0], [0.3, 0.7], [0.5, 0.5]])
    labels = torch.tensor([0, -1, -1])
    weights = torch.ones(3)
    got = distillation_loss(logits, proba, labels=labels, weights=weights)
    soft = _explicit_kl(logits[1:], proba[1:], 2.0)
    # Row 0 is one-hot: its KL term at T=2 is computed with 0 log 0 = 0.
    row0 = -torch.log_softmax(logits[:1] / 2.0, dim=1)[0, 0] * 4.0
    soft_mean = (row0 + soft.sum()) / 3
    hard = torch.nn.functional.cross_entropy(logits[:1], labels[:1])
    torch.testing.assert_close(got, soft_mean + 1.0 * hard)


def test_the_hard_term_averages_over_labelled_rows_class_zero_included() -> None:
    # Labels of class 0 are labels: the mean runs over rows with labels >= 0.
    logits = torch.tensor([[0.0, 2.0], [1.0, 0.0], [0.0, 0.0], [3.0, 0.0]])
    proba = torch.full((4, 2), 0.5)
    labels = torch.tensor([0, -1, -1, 0])
    weights = torch.ones(4)
    with_hard = distillation_loss(
        logits, proba, labels=labels, weights=weights, temperature=1.0, hard_weight=1.0
    )
    soft_only = distillation_loss(
        logits, proba, labels=labels, weights=weights, temperature=1.0, hard_weight=0.0
    )
    ce = torch.nn.functional.cross_entropy(logits[[0, 3]], labels[[0, 3]])
    torch.testing.assert_close(with_hard - soft_only, ce)


def test_sigmoid_distillation_loss_is_smallest_at_the_teacher_probabilities():
    import torch

    from fewlabels.distill.losses import sigmoid_distillation_loss

    q = torch.tensor([[0.9, 0.2, 0.5], [0.0, 1.0, 0.3]])
    at_teacher = torch.logit(q.clamp(1e-6, 1 - 1e-6))
    best = sigmoid_distillation_loss(at_teacher, q)
    assert best.shape == (2,)
    for shift in (0.5, -0.5):
        assert (sigmoid_distillation_loss(at_teacher + shift, q) > best).all()
    # Known value: one label, logit 0, target 1 -> log 2.
    one = sigmoid_distillation_loss(torch.zeros(1, 1), torch.ones(1, 1))
    assert torch.allclose(one, torch.log(torch.tensor([2.0])))
