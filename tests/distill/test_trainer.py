from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from fewlabels.distill import DistillConfig, TextStudent
from fewlabels.distill.trainer import TrainData, Trainer

from .conftest import soft, toy_texts


def _data(n: int = 40) -> TrainData:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    labels = np.full(n, -1)
    labels[:4] = y[:4]
    return TrainData(x, soft(y).astype(np.float32), labels, np.ones(n, np.float32))


def test_split_keeps_human_rows_in_training() -> None:
    data = _data()
    data.weights[10] = 0.0  # a dropped row is in neither split
    train, val = Trainer(DistillConfig(val_fraction=0.25)).split(data, np.random.default_rng(0))
    assert val.size == int(0.25 * 35)
    assert not set(val) & set(train)
    assert {0, 1, 2, 3} <= set(train)
    assert 10 not in set(train) | set(val)


def test_min_epochs_delays_early_stopping() -> None:
    torch.manual_seed(0)
    cfg = DistillConfig(epochs=6, patience=1, min_epochs=6, lr=0.5, progress=False)
    result = Trainer(cfg).fit(nn.Linear(3, 2), _data())
    assert len(result.history) == 6
    with pytest.raises(ValueError, match="Expected min_epochs in"):
        DistillConfig(epochs=5, min_epochs=9)


def test_text_predictions_keep_row_order_across_length_batches() -> None:
    texts, y = toy_texts(30)
    texts = [t * (1 + i % 4) for i, t in enumerate(texts)]  # very different lengths
    cfg = DistillConfig(epochs=2, progress=False)
    student = TextStudent(word_buckets=256, char_buckets=256, dim=8, config=cfg)
    student.fit(texts, soft(y))
    together = student.predict_proba(texts)
    one_by_one = np.vstack([student.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)
