"""The one training loop's helpers."""

import pytest

from fewlabels.adapt.training import weighted_mean


def test_weighted_mean_weighs_each_batch_by_its_size():
    assert weighted_mean([(1.0, 3), (4.0, 1)]) == pytest.approx(7 / 4)
    assert weighted_mean([(2.5, 2)]) == 2.5
    assert weighted_mean([]) == 0.0
    assert weighted_mean(iter([(1.0, 1), (3.0, 1)])) == 2.0  # any iterable, read once
