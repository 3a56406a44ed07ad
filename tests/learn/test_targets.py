"""Labels at the estimator edge: which values mark unlabelled rows, codes, classes, errors."""

import os
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning

from fewlabels.errors import FewlabelsError
from fewlabels.learn.targets import align_proba, decode_targets, encode_targets, unlabeled_mask

# mutmut's trampolines put frames between a test and a warning's stacklevel, so the line a
# warning points at is checked in the ordinary suite only (mutmut sets MUTANT_UNDER_TEST).
UNDER_MUTMUT = "MUTANT_UNDER_TEST" in os.environ


@pytest.mark.parametrize(
    ("y", "mask"),
    [
        (np.array([1, -1, 0, 2]), [False, True, False, False]),
        (np.array([1.0, -1.0, np.nan, 0.5]), [False, True, True, False]),
        (
            np.array(["a", None, np.nan, -1, pd.NA, "b", 0, False, -1.0], dtype=object),
            [False, True, True, True, True, False, False, False, False],
        ),
        (np.array([True, False]), [False, False]),  # booleans have no marker
        (np.array(["a", "-1"]), [False, False]),  # nor do strings
    ],
    ids=["int", "float", "object", "bool", "str"],  # object: only the integer -1 marks
)
def test_what_marks_an_unlabelled_row(y: np.ndarray, mask: list[bool]) -> None:
    got = unlabeled_mask(y)
    assert got.dtype == np.bool_ and got.tolist() == mask


def test_a_boolean_is_a_label_not_the_minus_one_marker() -> None:
    # False == 0 and True == 1, but neither is the integer -1
    y = np.array([True, None, False, -1], dtype=object)
    assert unlabeled_mask(y).tolist() == [False, True, False, True]


def test_codes_index_the_sorted_classes() -> None:
    codes, classes = encode_targets(np.array([10, 3, -1, 7, 3]))
    assert classes.tolist() == [3, 7, 10]
    assert codes.tolist() == [2, 0, -1, 1, 0] and codes.dtype == np.int64
    np.testing.assert_array_equal(decode_targets(codes, classes), [10, 3, -1, 7, 3])


def test_nothing_labelled_gives_no_classes_of_the_same_type() -> None:
    codes, classes = encode_targets(np.array([-1, -1]))
    assert codes.tolist() == [-1, -1] and classes.size == 0 and classes.dtype.kind == "i"
    codes, classes = encode_targets(np.array([None, None], dtype=object))
    assert codes.tolist() == [-1, -1] and classes.size == 0


def test_a_column_vector_is_read_as_its_ravel_with_a_warning() -> None:
    with pytest.warns(DataConversionWarning, match=r"column-vector y .* read as y.ravel\(\)"):
        codes, classes = encode_targets(np.array([[1], [0], [1]]))
    assert codes.tolist() == [1, 0, 1] and classes.tolist() == [0, 1]


def test_a_flat_y_raises_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encode_targets(np.array([1, 0]))


def test_a_matrix_of_labels_is_refused_with_its_shape_and_the_learner() -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"^Probe expected y as a 1-d array of labels, one per row, but got "
        r"shape \(2, 2\)\. For several labels per row, use a multi-label learner\.$",
    ):
        encode_targets(np.zeros((2, 2)), learner="Probe")


def test_continuous_and_mixed_labels_are_explained() -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"^Unknown label type: Probe expected class labels .* but they are continuous "
        r"numbers \(a regression target\): \['0\.5', '1\.25'\]\. Make every label",
    ):
        encode_targets(np.array([0.5, 1.25]), learner="Probe")
    with pytest.raises(FewlabelsError, match=r"This learner expected class labels .*mix types"):
        encode_targets(np.array(["a", 1], dtype=object))


def test_decode_gives_minus_one_for_numbers_and_none_otherwise() -> None:
    codes = np.array([1, -1, 0])
    out = decode_targets(codes, np.array([2.5, 4.0]))
    assert out.dtype == np.float64 and out.tolist() == [4.0, -1.0, 2.5]
    out = decode_targets(codes, np.array(["a", "b"]))
    assert out.dtype == object and out.tolist() == ["b", None, "a"]
    out = decode_targets(codes, np.array([False, True]))  # booleans are not numbers here
    assert out.dtype == object and out.tolist() == [True, None, False]
    out = decode_targets(codes, np.array([3, 9], dtype=np.int8))
    assert out.dtype == np.int64 and out.tolist() == [9, -1, 3]


def test_align_proba_returns_the_same_columns_unchanged_and_names_a_stranger() -> None:
    p = np.array([[0.25, 0.75]], dtype=np.float32)
    same = align_proba(p, ["a", "b"], ["a", "b"])
    assert same.dtype == np.float64 and same.tolist() == [[0.25, 0.75]]
    moved = align_proba(p, ["b", "a"], ["a", "b", "c"])
    assert moved.tolist() == [[0.75, 0.25, 0.0]]
    with pytest.raises(
        FewlabelsError,
        match=r"^Expected the model's classes \['a', 'z'\] among \['a', 'b'\], but 'z'",
    ):
        align_proba(p, ["a", "z"], ["a", "b"])


def test_the_column_vector_warning_text() -> None:
    with pytest.warns(DataConversionWarning) as record:
        encode_targets(np.array([[1], [0]]))
    assert str(record[0].message) == (
        "A column-vector y was passed when a 1d array was expected: it is read as y.ravel()."
    )


def test_one_labelled_row_is_one_class() -> None:
    codes, classes = encode_targets(np.array([5, -1]))
    assert codes.tolist() == [0, -1] and classes.tolist() == [5]


def test_float32_labels_mark_nan_as_unlabelled() -> None:
    y = np.array([1.0, np.nan, -1.0], dtype=np.float32)
    assert unlabeled_mask(y).tolist() == [False, True, True]


def test_the_label_type_messages_in_full() -> None:
    with pytest.raises(FewlabelsError) as info:
        encode_targets(np.array([0.5, 1.5, 2.25, 3.5, 4.5, 5.5, 6.5]))
    assert str(info.value) == (
        "Unknown label type: This learner expected class labels (integers, strings or "
        "booleans; -1 or None for unlabelled rows), but they are continuous numbers (a "
        "regression target): ['0.5', '1.5', '2.25', '3.5', '4.5']. Make every label one class "
        "value of one type, e.g. y.astype(str)."
    )
    with pytest.raises(FewlabelsError) as info:
        encode_targets(np.array(["a", 1], dtype=object), learner="P")
    assert str(info.value) == (
        "Unknown label type: P expected class labels (integers, strings or booleans; -1 or "
        "None for unlabelled rows), but they mix types (e.g. strings and numbers): "
        "[\"'a'\", '1']. Make every label one class value of one type, e.g. y.astype(str)."
    )


def test_booleans_beside_none_in_an_object_array_are_labels():
    # Found by the mutation work: True/False with None for unlabelled rows was refused as
    # "mixed types", although booleans are valid labels.
    codes, classes = encode_targets(np.array([True, False, None, True], dtype=object), learner="X")
    assert classes.tolist() == [False, True]
    assert codes.tolist() == [1, 0, -1, 1]


def test_booleans_beside_none_stay_booleans_in_the_classes() -> None:
    # classes_ holds the user's values: True and False, not the numbers 1.0 and 0.0
    codes, classes = encode_targets(np.array([True, None, False], dtype=object))
    assert classes.dtype == np.bool_ and codes.tolist() == [1, -1, 0]
    decoded = decode_targets(codes, classes)
    assert [type(v) for v in decoded.tolist()] == [bool, type(None), bool]


def test_strings_beside_none_in_an_object_array_are_labels() -> None:
    y = np.array(["b", None, "a", np.nan, "b"], dtype=object)
    codes, classes = encode_targets(y)
    assert classes.tolist() == ["a", "b"] and codes.tolist() == [1, -1, 0, -1, 1]
    assert decode_targets(codes, classes).tolist() == ["b", None, "a", None, "b"]


def test_integers_beside_none_in_an_object_array_are_labels() -> None:
    # Found by the mutation work: integers with None for unlabelled rows (an object array,
    # as a pandas column of ints with gaps gives) were refused as "mixed types".
    y = np.array([7, None, 2, np.int64(7), -1], dtype=object)
    codes, classes = encode_targets(y)
    assert classes.dtype == np.int64 and classes.tolist() == [2, 7]
    assert codes.tolist() == [1, -1, 0, 1, -1]


def test_integers_beside_a_boolean_still_mix_types() -> None:
    with pytest.raises(FewlabelsError, match=r"they mix types .*\['3', 'True'\]"):
        encode_targets(np.array([3, None, True], dtype=object))


def test_align_proba_hands_back_aligned_float64_probabilities_without_a_copy() -> None:
    p = np.array([[0.25, 0.75], [1.0, 0.0]])
    assert align_proba(p, ["a", "b"], ["a", "b"]) is p
    # the same classes in another order are moved, not passed through
    assert align_proba(p, ["b", "a"], ["a", "b"]).tolist() == [[0.75, 0.25], [0.0, 1.0]]


@pytest.mark.parametrize(
    "learner", ["NearestClassMean", "KNN", "LinearProbe", "LabelSpreading", "SelfTraining"]
)
def test_the_column_vector_warning_points_at_the_users_line(learner: str) -> None:
    # A user found it pointing at fewlabels' own fit (a fixed stacklevel=3 counted one frame
    # too few for fit -> _validate_fit -> encode_targets): it must name the caller's line.
    import fewlabels.learn as learn

    X = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    y = np.array([[0], [1], [0], [1], [-1], [-1]])
    model = getattr(learn, learner)()
    with pytest.warns(DataConversionWarning, match="column-vector") as record:
        line = sys._getframe().f_lineno + 1
        model.fit(X, y)
    assert UNDER_MUTMUT or (record[0].filename, record[0].lineno) == (__file__, line)


def test_a_direct_call_points_at_its_own_line() -> None:
    with pytest.warns(DataConversionWarning) as record:
        line = sys._getframe().f_lineno + 1
        encode_targets(np.array([[1], [0]]))
    assert UNDER_MUTMUT or (record[0].filename, record[0].lineno) == (__file__, line)
