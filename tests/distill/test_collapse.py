"""A collapsed teacher or student is told, and the comparison scores beyond accuracy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from fakes import FakeTextEncoder
from fewlabels.data import Dataset
from fewlabels.distill import Teacher
from fewlabels.distill.end_to_end import collapse_warnings, distill_and_compare
from fewlabels.learn.imbalance import CollapseWarning

from .conftest import toy_pool, toy_texts
from .test_distill import FAST, SMALL


def test_collapse_warnings_name_the_model_that_collapsed() -> None:
    labels = np.array([0, 1, 0, 1])
    spread = np.arange(100) % 2
    constant = np.zeros(100, dtype=np.int64)
    assert collapse_warnings(spread, spread, labels, ["no", "yes"], teacher="t") == []
    (msg,) = collapse_warnings(constant, spread, labels, ["no", "yes"], teacher="enc + Lin")
    assert msg.startswith("The teacher enc + Lin predicts class 'no' for 100.0% of the rows")
    assert "labelled rows give it 50%" in msg
    both = collapse_warnings(constant, constant, labels, ["no", "yes"], teacher="t")
    assert len(both) == 2 and both[1].startswith("The student predicts class 'no'")
    # the labels themselves are that imbalanced: not a collapse
    skewed = np.array([0] * 19 + [1])
    assert collapse_warnings(constant, constant, skewed, ["no", "yes"], teacher="t") == []


def test_a_constant_teacher_is_warned_and_scored_at_chance(
    fake_encoder: FakeTextEncoder, tmp_path: Path
) -> None:
    pool = toy_pool(60, 10)
    texts, y = toy_texts(40)
    test = Dataset(
        ids=np.array([f"t{i}" for i in range(40)], dtype=object),
        inputs=texts,
        labels=y,
        classes=("bad", "good"),
        modality="text",
        name="toy-test",
    )
    teacher = Teacher(
        fake_encoder, DummyClassifier(strategy="constant", constant=0), progress=False
    )
    with pytest.warns(CollapseWarning, match=r"teacher .* predicts class 'bad' for 100\.0%"):
        report = distill_and_compare(
            teacher,
            pool,
            test,
            out=tmp_path / "s.onnx",
            config=FAST,
            student_params=SMALL,
        )
    assert report.collapse_warnings[0].startswith("The teacher ")
    c = report.comparison
    assert c is not None
    # always 'bad' on a balanced test split: recall 1 and 0, F1 2/3 and 0
    assert c.teacher_accuracy == pytest.approx(0.5)
    assert c.teacher_balanced_accuracy == pytest.approx(0.5)
    assert c.teacher_macro_f1 == pytest.approx(1 / 3)
    assert 0.0 <= c.student_balanced_accuracy <= 1.0
    assert "teacher_balanced_accuracy" in c.to_dict()
