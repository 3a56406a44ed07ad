"""Multi-label uncertainty: per-label min(p, 1 - p), averaged or maxed over labels."""

import numpy as np
import pytest

from fewlabels.active import get_strategy
from fewlabels.active.multilabel_uncertainty import label_uncertainty_scores


def test_scores_known_answers():
    P = np.array([[0.5, 0.0], [0.9, 0.8], [0.1, 0.6]])
    np.testing.assert_allclose(label_uncertainty_scores(P), [0.25, 0.15, 0.25])
    np.testing.assert_allclose(label_uncertainty_scores(P, reduce="max"), [0.5, 0.2, 0.4])


def test_select_takes_the_least_sure_unlabelled_rows_and_rows_need_not_sum_to_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    P = np.array([[0.5, 0.5], [0.9, 0.9], [0.45, 0.6], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]])
    labelled = np.array([True, False, False, False, False, False])
    s = get_strategy("multilabel-uncertainty", dedup_threshold=None)
    picked = s.select(X, n=2, proba=P, labeled_mask=labelled, random_state=0)
    assert picked.tolist() == [5, 2]  # row 0 is as unsure but labelled
    cold = s.select(X, n=2, proba=None, labeled_mask=labelled, random_state=0)
    assert len(cold) == 2 and not labelled[cold].any()


def test_bad_probabilities_are_refused():
    X = np.zeros((2, 3)) + np.eye(2, 3)
    s = get_strategy("multilabel-uncertainty")
    with pytest.raises(ValueError, match=r"in \[0, 1\], but 1 row\(s\)"):
        s.score(X, proba=[[0.5, 1.5], [0.2, 0.1]], labeled_mask=[False, False])
    with pytest.raises(ValueError, match="reduce in"):
        get_strategy("multilabel-uncertainty", reduce="sum").score(
            X, proba=[[0.5, 0.5], [0.2, 0.1]], labeled_mask=[False, False]
        )


def test_one_label_column_is_accepted():
    from fewlabels.active.multilabel_uncertainty import check_label_proba

    P = check_label_proba([[0.2], [0.5]], 2)
    assert P.shape == (2, 1)
    s = get_strategy("multilabel-uncertainty", dedup_threshold=None)
    picked = s.select(np.eye(2), n=1, proba=[[0.2], [0.5]], labeled_mask=[False, False])
    assert picked.tolist() == [1]


def test_wrong_shapes_are_refused_with_the_fix():
    from fewlabels.active.multilabel_uncertainty import check_label_proba

    fix = (
        r"Expected per-label probabilities of shape \(2, n_labels\), one row per pool row, "
        r"but got shape {}\. Pass model\.predict_proba\(X\) of a multi-label learner "
        r"\(fewlabels\.learn\.OneVsRest\)\.$"
    )
    for proba, shape in (
        ([0.5, 0.5], r"\(2,\)"),  # 1-d, with as many entries as rows
        ([[0.5, 0.5]] * 3, r"\(3, 2\)"),  # one row too many
        (np.zeros((2, 0)), r"\(2, 0\)"),  # no label
    ):
        with pytest.raises(ValueError, match=fix.format(shape)):
            check_label_proba(proba, 2)


def test_every_bad_row_is_counted_and_the_first_shown_cut_to_six_labels():
    from fewlabels.active.multilabel_uncertainty import check_label_proba

    P = np.full((3, 8), 0.5)
    P[1, 7] = 2.0
    P[2, 0] = -0.1
    with pytest.raises(
        ValueError,
        match=r"but 2 row\(s\) hold other values, e.g. row 1: "
        r"\[0\.5, 0\.5, 0\.5, 0\.5, 0\.5, 0\.5\]\.$",
    ):
        check_label_proba(P, 3)


def test_missing_probabilities_are_refused_and_integers_read_as_floats():
    from fewlabels.active.multilabel_uncertainty import check_label_proba

    with pytest.raises(ValueError, match=r"in \[0, 1\], but 1 row\(s\)"):
        check_label_proba(np.array([[0.5, None], [0.1, 0.2]], dtype=object), 2)
    P = check_label_proba([[0, 1], [1, 0]], 2)
    assert P.dtype == np.float64


def test_the_options_reach_the_strategy():
    from fewlabels.active.multilabel_uncertainty import MultiLabelUncertainty

    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    mask = np.zeros(4, bool)
    # rows 0 and 1 are copies (their tie is broken at random); by the mean, 0 and 1 are the
    # least sure, then 3
    P = np.array([[0.5, 0.5], [0.5, 0.5], [0.5, 0.99], [0.45, 0.45]])
    for seed in range(5):
        picked = MultiLabelUncertainty().select(
            X, n=2, proba=P, labeled_mask=mask, random_state=seed
        )
        assert picked[0] in (0, 1) and picked[1] == 3
    s = MultiLabelUncertainty(dedup_threshold=None)
    assert s.dedup_threshold is None
    for seed in range(5):
        picked = s.select(X, n=2, proba=P, labeled_mask=mask, random_state=seed)
        assert sorted(picked.tolist()) == [0, 1]
    assert MultiLabelUncertainty(dedup_threshold=0.5).dedup_threshold == 0.5
    # "max": row 2's coin-flip label counts fully and ties with 0 and 1
    by_max = MultiLabelUncertainty(reduce="max", dedup_threshold=None)
    np.testing.assert_allclose(by_max.score(X, proba=P, labeled_mask=mask), [0.5, 0.5, 0.5, 0.45])
    for seed in range(5):
        picked = by_max.select(X, n=3, proba=P, labeled_mask=mask, random_state=seed)
        assert sorted(picked.tolist()) == [0, 1, 2]


def test_a_given_cold_start_strategy_is_used_without_a_model():
    from fewlabels.active.multilabel_uncertainty import MultiLabelUncertainty

    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    mask = np.zeros(30, bool)
    cold = get_strategy("random")
    s = MultiLabelUncertainty(cold_start=cold)
    assert s.cold_start is cold
    expected = cold.select(X, n=5, proba=None, labeled_mask=mask, random_state=3)
    got = s.select(X, n=5, proba=None, labeled_mask=mask, random_state=3)
    assert got.tolist() == expected.tolist()
    assert not s.score(X, proba=None, labeled_mask=mask).any()  # random scores 0
    typiclust = MultiLabelUncertainty().score(X, proba=None, labeled_mask=mask)
    assert typiclust.any()
