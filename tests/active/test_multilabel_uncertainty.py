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
