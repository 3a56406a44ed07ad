"""The tags read from a learner's class, and the row-wise softmax."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.learn.base import is_transductive, softmax, takes_unlabeled


class _Tagged:
    takes_unlabeled = True
    transductive = True


class _Untagged:
    pass


class _Falsy:
    takes_unlabeled = 0
    transductive = ""


def test_tags_are_read_from_the_class_not_the_instance():
    assert takes_unlabeled(_Tagged()) is True and is_transductive(_Tagged()) is True
    assert takes_unlabeled(_Untagged()) is False and is_transductive(_Untagged()) is False
    assert takes_unlabeled(_Falsy()) is False and is_transductive(_Falsy()) is False
    obj = _Untagged()
    obj.takes_unlabeled = True  # an instance attribute is not a tag
    obj.transductive = True
    assert takes_unlabeled(obj) is False and is_transductive(obj) is False


def test_softmax_is_row_wise_and_shift_invariant():
    logits = np.array([[0.0, np.log(3.0)], [1000.0, 1000.0], [-5.0, -5.0 + np.log(4.0)]])
    p = softmax(logits)
    assert p.dtype == np.float64
    np.testing.assert_allclose(p, [[0.25, 0.75], [0.5, 0.5], [0.2, 0.8]], rtol=1e-12)
    np.testing.assert_allclose(softmax(logits.astype(np.float32) + 7), p, rtol=1e-6)


def test_softmax_of_large_logits_has_no_overflow():
    p = softmax(np.array([[1e4, 0.0, -1e4]]))
    np.testing.assert_array_equal(p, [[1.0, 0.0, 0.0]])
    assert np.isfinite(p).all()


@pytest.mark.parametrize("k", [1, 3])
def test_softmax_rows_sum_to_one(k):
    rng = np.random.default_rng(k)
    np.testing.assert_allclose(softmax(rng.normal(size=(5, k))).sum(axis=1), 1.0)
