from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fakes import FakeTextEncoder
from fewlabels.distill import DistillConfig, Teacher, TextStudent, distill, make_student
from fewlabels.distill.image_student import ImageStudent
from fewlabels.distill.teacher import align_columns, override_with_human

from .conftest import soft, toy_pool, toy_texts

SMALL = {"word_buckets": 512, "char_buckets": 512, "dim": 8}
FAST = DistillConfig(epochs=10, batch_size=16, lr=2e-2, progress=False)


def test_override_with_human_and_align_columns() -> None:
    p = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    out = override_with_human(p, np.array([0, -1, 1]))
    np.testing.assert_allclose(out, [[1, 0], [0.6, 0.4], [0, 1]])
    assert out is not p and p[0, 0] == 0.2
    np.testing.assert_allclose(
        align_columns(np.array([[0.3, 0.7]]), np.array([0, 2]), 3), [[0.3, 0.0, 0.7]]
    )


def test_distill_from_probabilities_uses_the_pool() -> None:
    ds = toy_pool()
    _, y = toy_texts(80)
    student = distill(soft(y, sure=0.9), ds, student_params=SMALL, config=FAST)
    assert isinstance(student, TextStudent)
    assert (student.predict(ds.inputs) == y).mean() >= 0.95
    assert student.teacher_ == "given probabilities" and student.n_dropped_ == 0
    assert student.classes_ == ("bad", "good")


def test_drop_fraction_and_labelled_only() -> None:
    ds = toy_pool()
    _, y = toy_texts(80)
    p = soft(y, sure=0.9)
    p[10:20] = 0.5  # an unsure teacher on 10 rows
    student = distill(p, ds, student_params=SMALL, config=FAST.replace(drop_fraction=0.125))
    # per predicted class: floor(0.125 * 42) + floor(0.125 * 32) teacher rows
    assert student.n_dropped_ == 5 + 4
    only = distill(p, ds, student_params=SMALL, config=FAST.replace(labelled_only=True))
    assert only.n_train_ == 6 and only.n_val_ == 0 and "labelled rows only" in only.teacher_


def test_teacher_from_encoder_and_learner(fake_encoder: FakeTextEncoder) -> None:
    ds = toy_pool(60, 10)
    teacher = Teacher(fake_encoder, LogisticRegression(), progress=False).fit(ds)
    soft_labels = teacher.soft_labels(ds)
    assert soft_labels.proba.shape == (60, 2)
    np.testing.assert_array_equal(soft_labels.proba[:10].argmax(1), ds.labels[:10])
    assert set(np.unique(soft_labels.proba[:10])) == {0.0, 1.0}
    np.testing.assert_allclose(soft_labels.proba[10:], soft_labels.teacher_proba[10:])
    direct = teacher.predict_proba(ds.inputs, 2)
    np.testing.assert_allclose(direct, soft_labels.teacher_proba, atol=1e-5)
    student = distill(teacher, ds, student_params=SMALL, config=FAST)
    assert "fake-text" in student.teacher_ and "LogisticRegression" in student.teacher_


def test_unfitted_teacher_is_refused(fake_encoder: FakeTextEncoder) -> None:
    with pytest.raises(
        ValueError,
        match="Expected a fitted teacher, but its learner LogisticRegression is not fitted",
    ):
        distill(Teacher(fake_encoder, LogisticRegression(), progress=False), toy_pool())


def test_student_kind_must_fit_the_modality() -> None:
    with pytest.raises(
        ValueError, match="The student 'cnn' reads image data, but this dataset is text"
    ):
        distill(np.full((80, 2), 0.5), toy_pool(), student="cnn")
    with pytest.raises(ValueError, match="The student 'cnn' reads image data"):
        distill(np.full((80, 2), 0.5), toy_pool(), student=ImageStudent())
    with pytest.raises(ValueError, match="Expected a student kind among"):
        make_student("gbdt", "tabular")


def test_bad_probabilities_and_options() -> None:
    with pytest.raises(ValueError, match=r"shape \(80, 2\).*but got shape \(79, 2\)"):
        distill(np.full((79, 2), 0.5), toy_pool())
    with pytest.raises(ValueError, match="rows that sum to 1.*Pass probabilities, not logits"):
        distill(np.full((80, 2), 3.0), toy_pool())
    with pytest.raises(ValueError, match="drop_fraction in"):
        distill(np.full((80, 2), 0.5), toy_pool(), config={"drop_fraction": 1.0})
    with pytest.raises(ValueError, match="distillation temperature > 0"):
        DistillConfig(temperature=0)
