"""Shared fixtures of the learner tests."""

import numpy as np
import pytest

from learn.learn_helpers import blobs, hide


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 rows of 3 well-separated blobs in 8-d: X, the true classes, 3 labels per class."""
    X, y_true = blobs(20, 3, 8)
    return X, y_true, hide(y_true, 3)
