from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fewlabels.distill.weighting import drop_least_trusted, teacher_confidence, trust_weights


@st.composite
def probas(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(1, 30))
    k = draw(st.integers(2, 5))
    raw = draw(arrays(np.float64, (n, k), elements=st.floats(0.0, 1.0)))
    raw = raw + 1e-9
    return raw / raw.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("measure", ["max", "margin", "entropy"])
def test_confidence_is_zero_for_uniform_and_one_for_one_hot(measure: str) -> None:
    p = np.array([[0.25] * 4, [0, 1.0, 0, 0]])
    np.testing.assert_allclose(teacher_confidence(p, measure=measure), [0.0, 1.0], atol=1e-12)


def test_confidence_closed_forms() -> None:
    p = np.array([[0.6, 0.3, 0.1]])
    assert teacher_confidence(p, measure="max")[0] == pytest.approx((0.6 - 1 / 3) / (2 / 3))
    assert teacher_confidence(p, measure="margin")[0] == pytest.approx(0.3)
    h = -(p * np.log(p)).sum()
    assert teacher_confidence(p, measure="entropy")[0] == pytest.approx(1 - h / np.log(3))


@settings(max_examples=60, deadline=None)
@given(p=probas(), measure=st.sampled_from(["max", "margin", "entropy"]))
def test_confidence_in_unit_interval_and_invariant_to_class_order(
    p: np.ndarray, measure: str
) -> None:
    c = teacher_confidence(p, measure=measure)  # type: ignore[arg-type]
    assert ((c >= 0) & (c <= 1)).all()
    perm = np.random.default_rng(0).permutation(p.shape[1])
    np.testing.assert_allclose(teacher_confidence(p[:, perm], measure=measure), c, atol=1e-12)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    conf=arrays(np.float64, st.integers(1, 40), elements=st.floats(0, 1)),
    fraction=st.floats(0, 0.99),
    seed=st.integers(0, 100),
    n_groups=st.integers(1, 3),
)
def test_drop_removes_exactly_the_least_confident_unprotected_of_each_group(
    conf: np.ndarray, fraction: float, seed: int, n_groups: int
) -> None:
    rng = np.random.default_rng(seed)
    protected = rng.random(conf.size) < 0.3
    groups = rng.integers(0, n_groups, conf.size)
    keep = drop_least_trusted(conf, fraction=fraction, protected=protected, groups=groups)
    assert keep[protected].all()
    for g in range(n_groups):
        in_g = (groups == g) & ~protected
        assert int((~keep & in_g).sum()) == int(np.floor(fraction * in_g.sum()))
        dropped, kept = conf[~keep & in_g], conf[keep & in_g]
        if dropped.size and kept.size:
            assert dropped.max() <= kept.min()


@settings(max_examples=60, deadline=None)
@given(
    p=probas(),
    weighting=st.sampled_from(["none", "max", "margin", "entropy"]),
    fraction=st.floats(0, 0.9),
    seed=st.integers(0, 100),
    balance=st.booleans(),
)
def test_trust_weights_properties(
    p: np.ndarray, weighting: str, fraction: float, seed: int, balance: bool
) -> None:
    human = np.random.default_rng(seed).random(p.shape[0]) < 0.3
    w = trust_weights(
        p,
        human_mask=human,
        weighting=weighting,  # type: ignore[arg-type]
        drop_fraction=fraction,
        balance_classes=balance,
    )
    assert w.shape == (p.shape[0],) and w.dtype == np.float32
    assert ((w >= 0) & (w <= 1)).all()
    assert (w[human] == 1).all()
    groups = p.argmax(1) if balance else np.zeros(p.shape[0], dtype=int)
    n_drop = sum(
        int(np.floor(fraction * ((groups == g) & ~human).sum())) for g in np.unique(groups)
    )
    assert int((w[~human] == 0).sum()) >= n_drop
    if weighting == "none":
        assert int((w[~human] == 0).sum()) == n_drop
        assert set(np.unique(w[~human])) <= {0.0, 1.0}


def test_trust_weights_drops_the_unsure_rows() -> None:
    p = np.array([[0.98, 0.02], [0.5, 0.5], [0.9, 0.1], [0.55, 0.45]])
    w = trust_weights(p, drop_fraction=0.5)
    np.testing.assert_array_equal(w, [1, 0, 1, 0])
    w = trust_weights(p, weighting="margin", balance_classes=False)
    np.testing.assert_allclose(w, [0.96, 0.0, 0.8, 0.1], atol=1e-6)
    w = trust_weights(p, weighting="margin")  # one class: same ranking, scaled to max 1
    np.testing.assert_allclose(w, np.array([0.96, 0.0, 0.8, 0.1]) / 0.96, atol=1e-6)


def test_balanced_trust_keeps_classes_the_teacher_finds_hard() -> None:
    # The teacher is sure on class-0 rows and unsure on class-1 rows.
    sure = np.tile([[0.95, 0.05]], (6, 1))
    unsure = np.tile([[0.4, 0.6]], (6, 1))
    p = np.vstack([sure, unsure])
    w_global = trust_weights(p, drop_fraction=0.5, balance_classes=False)
    assert (w_global[6:] == 0).all()  # class 1 silenced
    w = trust_weights(p, weighting="max", drop_fraction=0.5)
    assert int((w[:6] > 0).sum()) == int((w[6:] > 0).sum()) == 3
    np.testing.assert_allclose(w[:6].sum(), w[6:].sum(), rtol=1e-6)
