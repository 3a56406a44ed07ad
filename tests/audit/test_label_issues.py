"""Confident learning on cross-fitted probabilities finds flipped labels."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.audit import audit_labels, crossfit_proba, rank_label_issues
from fewlabels.errors import FewlabelsError
from learn.learn_helpers import blobs, hide


def _flipped(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y_true = blobs(n_per_class=30, n_classes=3, dim=8, spread=0.1, seed=seed)
    y = hide(y_true, 10, seed=seed)
    lab = np.flatnonzero(y >= 0)
    flips = np.random.default_rng(seed).choice(lab, 3, replace=False)
    y[flips] = (y[flips] + 1) % 3
    return X, y, flips


@pytest.mark.parametrize("learner", ["ncm", "knn", "label-spreading"])
def test_flipped_labels_on_separable_blobs_are_found_first(learner: str) -> None:
    X, y, flips = _flipped()
    fit = crossfit_proba(X, y, learner=learner)
    lab = fit.labelled
    issues = rank_label_issues(fit.proba[lab], y[lab])
    assert set(lab[issues.top(len(flips))].tolist()) == set(flips.tolist())  # precision 1
    assert set(lab[issues.flagged].tolist()) == set(flips.tolist())
    assert np.all(issues.quality[issues.flagged] < 0.5)


def test_audit_rows_name_what_was_given_and_what_the_model_thinks() -> None:
    X, y, flips = _flipped(seed=2)
    ids = [f"item{i}" for i in range(len(X))]
    audit = audit_labels(X, y, classes=("a", "b", "c"), ids=ids, top=5)
    assert len(audit.rows) == 5 and audit.n_labelled == 30 and audit.n_flagged == 3
    assert [r.rank for r in audit.rows] == [1, 2, 3, 4, 5]
    top = audit.rows[:3]
    assert {r.item_id for r in top} == {ids[i] for i in flips}
    assert all(r.flagged and r.given != r.suggested and r.p_suggested > 0.5 for r in top)
    assert not any(r.flagged for r in audit.rows[3:])
    assert audit.summary().startswith("3 of 30 label(s) look suspect")


def test_classes_without_labels_are_left_out() -> None:
    proba = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.7, 0.3, 0.0], [0.1, 0.9, 0.0]])
    issues = rank_label_issues(proba, np.array([0, 1, 1, 1]))
    assert issues.order[0] == 2 and issues.suggested.tolist() == [0, 1, 0, 1]


def test_bad_input_is_explained() -> None:
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(FewlabelsError, match="at least 2 classes"):
        rank_label_issues(p, np.array([0, 0]))
    with pytest.raises(FewlabelsError, match="NaN marks the unlabelled rows"):
        rank_label_issues(np.full((2, 2), np.nan), np.array([0, 1]))
    with pytest.raises(FewlabelsError, match=r"codes in \[0, 1\]"):
        rank_label_issues(p, np.array([0, -1]))
    with pytest.raises(FewlabelsError, match="method to be one of"):
        rank_label_issues(p, np.array([0, 1]), method="vibes")
    X, y, _ = _flipped()
    with pytest.raises(FewlabelsError, match=r"top to be a whole number >= 1.*got 0"):
        audit_labels(X, y, classes=("a", "b", "c"), top=0)


# --- is the audit's model good enough to trust? -------------------------------------------------


def test_a_strong_audit_model_is_informative_and_reports_its_agreement() -> None:
    X, y, _ = _flipped(seed=1)
    audit = audit_labels(X, y, classes=("a", "b", "c"))
    assert audit.agreement == pytest.approx(27 / 30)  # it disagrees with the 3 flips only
    assert audit.n_classes == 3 and audit.informative and audit.warning is None
    assert "agrees with 90% of the labels" in audit.summary()


def test_an_audit_model_at_chance_warns_that_its_suspicions_are_noise() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 8))
    y = np.full(120, -1)
    y[:60] = rng.integers(0, 2, size=60)  # labels unrelated to X
    audit = audit_labels(X, y, classes=("a", "b"), outliers=False)
    assert not audit.informative
    assert audit.warning is not None
    assert "barely beats chance" in audit.warning and "needs 0.62" in audit.warning


def test_the_informative_floor_is_a_quarter_of_the_way_from_chance_and_inclusive() -> None:
    from dataclasses import replace

    from fewlabels.audit.result import INFORMATIVE_LIFT, informative_floor

    assert INFORMATIVE_LIFT == 0.25
    assert informative_floor(2) == pytest.approx(0.625)
    assert informative_floor(10) == pytest.approx(0.1 + 0.25 * 0.9)
    X, y, _ = _flipped(seed=1)
    audit = audit_labels(X, y, classes=("a", "b", "c"), outliers=False)
    at = replace(audit, balanced_agreement=informative_floor(3))
    below = replace(audit, balanced_agreement=np.nextafter(informative_floor(3), 0))
    assert at.informative and not below.informative
    # nothing measured makes no claim
    assert replace(audit, balanced_agreement=float("nan")).informative
