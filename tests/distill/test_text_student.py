from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from fewlabels.distill import DistillConfig, TextStudent, load_student
from fewlabels.distill.text_input import TextHashing, length_batches, padded_rows

from .conftest import soft, toy_texts

SMALL = {"word_buckets": 2**10, "char_buckets": 2**11, "dim": 16}


def test_hashing_is_stable_and_round_trips() -> None:
    spec = TextHashing(word_buckets=2**10, char_buckets=2**10, text_column="review")
    m = spec.hash(["Tasty food", "tasty FOOD"])
    # lowercase: both rows hash to the same buckets; word + char parts each have norm 1/sqrt(2)
    assert (m[0] != m[1]).nnz == 0
    assert np.isclose((m[0].multiply(m[0])).sum(), 1.0, atol=1e-6)
    assert m[:, :1024].nnz > 0 and m[:, 1024:].nnz > 0
    assert TextHashing.from_dict(spec.to_dict()) == spec
    with pytest.raises(ValueError, match="Expected text hashing"):
        TextHashing.from_dict({**spec.to_dict(), "hashing": "python-hash"})


def test_padded_rows_keep_every_nonzero() -> None:
    spec = TextHashing(word_buckets=64, char_buckets=64)
    m = spec.hash(["a long text with many words here", "x", ""])
    feeds = padded_rows(m)
    assert feeds["indices"].shape == feeds["values"].shape == (3, np.diff(m.indptr).max())
    dense = np.zeros(m.shape, np.float32)
    for r in range(3):
        np.add.at(dense[r], feeds["indices"][r], feeds["values"][r])
    np.testing.assert_allclose(dense, m.toarray(), atol=1e-7)


def test_text_student_learns_toy_problem(quick: DistillConfig) -> None:
    texts, y = toy_texts()
    student = TextStudent(**SMALL, config=quick).fit(texts, soft(y), classes=("bad", "good"))
    assert (student.predict(texts) == y).mean() >= 0.95
    assert student.classes_ == ("bad", "good")
    assert student.history_ and student.best_epoch_ >= 1
    assert student.n_val_ == int(0.1 * len(texts))


def test_text_student_is_deterministic_under_a_seed(quick: DistillConfig) -> None:
    texts, y = toy_texts(60)
    a = TextStudent(**SMALL, hidden=True, config=quick).fit(texts, soft(y)).predict_proba(texts)
    b = (
        clone(TextStudent(**SMALL, hidden=True, config=quick))
        .fit(texts, soft(y))
        .predict_proba(texts)
    )
    np.testing.assert_array_equal(a, b)


def test_exported_text_student_predicts_like_python(quick: DistillConfig, tmp_path: Path) -> None:
    texts, y = toy_texts()
    student = TextStudent(**SMALL, hidden=True, config=quick).fit(texts, soft(y))
    path = student.export(tmp_path / "text.onnx")
    exported = load_student(path)
    new = ["tasty tasty food", "it was stale", "an unseen sentence entirely", ""]
    for inputs in (texts, new):
        np.testing.assert_allclose(
            exported.predict_proba(inputs, batch_size=7), student.predict_proba(inputs), atol=1e-5
        )
    assert exported.kind == "text-ngram" and exported.modality == "text"
    assert exported.spec == student.input_spec_


def test_text_student_refuses_images(quick: DistillConfig) -> None:
    with pytest.raises(TypeError, match="expected a list of texts"):
        TextStudent(config=quick).fit(np.zeros((4, 8, 8)), soft(np.array([0, 1, 0, 1])))


def test_length_batches_cover_every_row_within_budget() -> None:
    lengths = np.array([5, 1, 300, 40, 40, 2, 0, 1000, 7])
    batches = length_batches(lengths, budget=400, max_rows=3)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(lengths.size))
    for b in batches:
        assert len(b) <= 3
        assert len(b) == 1 or len(b) * max(lengths[b].max(), 1) <= 400
