"""Multi-label targets at the edge: which inputs are indicators, codes, dtypes, messages."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.learn.multilabel_targets import encode_label_targets, indicator_to_sets


def test_a_list_of_equal_length_integer_rows_is_an_indicator():
    Y, classes = encode_label_targets([[0, 1], [1, 1], [-1, -1]])
    np.testing.assert_array_equal(Y, [[0, 1], [1, 1], [-1, -1]])
    np.testing.assert_array_equal(classes, [0, 1])
    assert Y.dtype == np.int8
    Yb, _ = encode_label_targets(np.array([[True, False]]))
    np.testing.assert_array_equal(Yb, [[1, 0]])
    assert Yb.dtype == np.int8


def test_equal_length_rows_of_strings_or_floats_are_label_sets():
    Y, classes = encode_label_targets([["a", "b"], ["b", "c"]])
    assert classes.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(Y, [[1, 1, 0], [0, 1, 1]])
    Yf, cf = encode_label_targets([[0.5, 2.0]])
    assert cf.tolist() == [0.5, 2.0]
    np.testing.assert_array_equal(Yf, [[1, 1]])


def test_numeric_label_sets_keep_their_values_in_an_object_array():
    Y, classes = encode_label_targets([[3, 1], [], None, (3,)])
    assert classes.dtype == object and classes.tolist() == [1, 3]
    assert all(type(c) is int for c in classes)
    np.testing.assert_array_equal(Y, [[1, 1], [0, 0], [-1, -1], [0, 1]])
    assert Y.dtype == np.int8
    assert indicator_to_sets(Y, classes) == [(1, 3), (), None, (3,)]


def test_string_label_sets_come_back_as_python_strings():
    Y, classes = encode_label_targets([np.array(["x", "y"]), ["y"]])
    assert classes.dtype == object and all(type(c) is str for c in classes)
    assert indicator_to_sets(Y, classes) == [("x", "y"), ("y",)]


def test_a_float_indicator_matrix_is_refused_in_full():
    with pytest.raises(InputTypeError) as err:
        encode_label_targets(np.array([[0.0, 1.0]]))
    assert str(err.value) == (
        "OneVsRest expected a 0/1 label indicator matrix (rows of -1 for unlabelled rows), "
        "but got dtype float64. Pass integers, or one list of labels per row."
    )


def test_the_bad_indicator_rows_are_named():
    with pytest.raises(
        FewlabelsError,
        match=r"^OneVsRest expected each row.* 1 row\(s\) are neither, e\.g\. rows \[2\]",
    ):
        encode_label_targets(np.array([[0, 1], [1, 0], [0, 2]]))
    with pytest.raises(FewlabelsError, match=r"2 row\(s\) are neither, e\.g\. rows \[0, 2\]"):
        encode_label_targets(np.array([[-1, 1], [1, 0], [0, 3]]), learner="X")


def test_labels_of_mixed_types_are_refused_with_their_type_names():
    with pytest.raises(FewlabelsError) as err:
        encode_label_targets([[1, "a"]], learner="L")
    assert str(err.value) == (
        "L expected labels of one kind (all strings or all numbers), but they mix types: "
        "['int', 'str']."
    )


def test_an_all_unlabelled_row_of_zero_labels_is_an_empty_set():
    assert indicator_to_sets(np.zeros((2, 0), dtype=np.int8), []) == [(), ()]
