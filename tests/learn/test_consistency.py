import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.learn import ConsistencyTraining
from fewlabels.learn.consistency import ema_decay, flexmatch_thresholds, strong_view
from learn.learn_helpers import blobs, hide

FAST = {"n_steps": 60, "hidden": 16, "lr": 0.01}


@pytest.fixture(scope="module")
def data():
    X, y_true = blobs(30, 3, 8, spread=0.3)
    return X, y_true, hide(y_true, 2)


def test_same_seed_same_model_other_seed_other_model(data):
    X, _, y = data
    a = ConsistencyTraining(**FAST, random_state=3).fit(X, y).predict_proba(X)
    b = ConsistencyTraining(**FAST, random_state=3).fit(X, y).predict_proba(X)
    c = ConsistencyTraining(**FAST, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-6


@pytest.mark.parametrize("adaptive", [False, True])
def test_learns_the_clusters_and_records_its_training(adaptive, data):
    X, y_true, y = data
    model = ConsistencyTraining(**FAST, adaptive_threshold=adaptive, threshold=0.8).fit(X, y)
    assert np.mean(model.predict(X) == y_true) > 0.9
    assert model.device_ == "cpu"
    assert model.history_[0]["step"] == 0 and model.history_[-1]["step"] == 59
    # Confident pseudo-labels were used by the end.
    assert model.history_[-1]["mask_rate"] > 0.5


def test_unlabelled_loss_uses_the_pool(data):
    X, _, y = data
    off = ConsistencyTraining(**FAST, lambda_u=0.0).fit(X, y).predict_proba(X)
    on = ConsistencyTraining(**FAST, lambda_u=1.0).fit(X, y).predict_proba(X)
    assert np.abs(off - on).max() > 1e-3


def test_strong_view_drops_features_and_adds_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.ones(200, 50)
    assert torch.equal(strong_view(x, dropout=0.0, noise=0.0, generator=g), x)
    dropped = strong_view(x, dropout=0.5, noise=0.0, generator=g)
    assert 0.4 < float((dropped == 0).float().mean()) < 0.6
    assert torch.allclose(dropped[dropped != 0], torch.full_like(dropped[dropped != 0], 2.0))
    noisy = strong_view(x, dropout=0.0, noise=0.1, generator=g)
    assert 0.05 < float((noisy - x).std()) < 0.15


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 100), min_size=2, max_size=6), st.integers(0, 300), st.floats(0.5, 0.99)
)
def test_flexmatch_thresholds_stay_below_tau_and_grow_with_learning(claimed, unused, tau):
    t = flexmatch_thresholds(np.array(claimed), unused, threshold=tau)
    assert np.all((t >= 0) & (t <= tau + 1e-12))
    order = np.argsort(claimed, kind="stable")
    assert np.all(np.diff(t[order]) >= -1e-12)


def test_flexmatch_reaches_tau_once_every_row_is_claimed():
    np.testing.assert_allclose(
        flexmatch_thresholds(np.array([50, 50]), 0, threshold=0.95), [0.95, 0.95]
    )
    np.testing.assert_allclose(
        flexmatch_thresholds(np.array([0, 0]), 100, threshold=0.95), [0.0, 0.0]
    )


def test_bad_dropout_is_refused(data):
    X, _, y = data
    with pytest.raises(ValueError, match=r"dropout in \[0, 1\), but got 1.0"):
        ConsistencyTraining(dropout=1.0).fit(X, y)


def test_flexmatch_thresholds_closed_form_with_the_warm_up():
    # b_c = claimed_c / max(max claimed, n_unused, 1); tau b / (2 - b)
    t = flexmatch_thresholds(np.array([30, 10, 0]), 60, threshold=0.9)
    b = np.array([30, 10, 0]) / 60  # the unused rows dominate: warm-up
    np.testing.assert_allclose(t, 0.9 * b / (2 - b), rtol=1e-12)
    t2 = flexmatch_thresholds(np.array([30, 10]), 5, threshold=0.9)
    b2 = np.array([30, 10]) / 30  # the best-learned class sets the scale
    np.testing.assert_allclose(t2, 0.9 * b2 / (2 - b2), rtol=1e-12)
    assert t2.dtype == np.float64
    # one claimed row and nothing unused: the floor of 1 keeps b at most 1
    np.testing.assert_allclose(flexmatch_thresholds(np.array([1, 0]), 0, threshold=0.5), [0.5, 0])
    np.testing.assert_allclose(flexmatch_thresholds(np.array([0, 0]), 0, threshold=0.5), [0, 0])


def test_hidden_zero_is_a_linear_head_and_one_is_an_mlp(data):
    import torch.nn as nn

    X, _, y = data
    linear = ConsistencyTraining(hidden=0, n_steps=2).fit(X, y)
    assert isinstance(linear.model_, nn.Linear)
    assert linear.model_.in_features == X.shape[1]
    assert linear.model_.out_features == 3
    mlp = ConsistencyTraining(hidden=1, n_steps=2).fit(X, y)
    layers = [type(m) for m in mlp.model_.modules()]
    assert nn.ReLU in layers and layers.count(nn.Linear) == 2


def test_without_torch_the_error_names_the_learner_and_the_extra(data, monkeypatch):
    import sys

    from fewlabels.errors import MissingExtraError

    X, _, y = data
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(MissingExtraError) as err:
        ConsistencyTraining(**FAST).fit(X, y)
    assert str(err.value) == (
        "ConsistencyTraining need(s) packages that are not installed (torch): "
        "pip install 'fewlabels[text]'"
    )


def test_the_history_has_a_row_every_50_steps_and_at_the_last(data):
    X, _, y = data
    model = ConsistencyTraining(n_steps=120, hidden=8, lr=0.01).fit(X, y)
    assert [h["step"] for h in model.history_] == [0, 50, 100, 119]
    assert all(set(h) == {"step", "loss_x", "loss_u", "mask_rate"} for h in model.history_)
    assert all(h["loss_x"] >= 0.0 and h["loss_u"] >= 0.0 for h in model.history_)


def test_prediction_runs_in_blocks_of_65536_rows_and_keeps_every_row(data):
    X, _, y = data
    model = ConsistencyTraining(n_steps=2, hidden=8).fit(X, y)
    big = np.repeat(X[:1], 65_537, axis=0)  # one row past a block
    P = model.predict_proba(big)
    assert P.shape == (65_537, 3)
    np.testing.assert_allclose(P, np.repeat(model.predict_proba(X[:1]), 65_537, axis=0), atol=1e-6)


def test_class_weights_and_weight_decay_reach_the_training(data):
    X, y_true, _ = data
    y = np.full(len(y_true), -1)
    idx0, idx1, idx2 = (np.flatnonzero(y_true == c) for c in range(3))
    y[idx0[:6]], y[idx1[:1]], y[idx2[:1]] = 0, 1, 2  # 6 / 1 / 1 labels
    plain = ConsistencyTraining(**FAST).fit(X, y).predict_proba(X)
    weighted = ConsistencyTraining(**FAST, class_weight="balanced").fit(X, y).predict_proba(X)
    assert np.abs(plain - weighted).max() > 1e-4
    decayed = ConsistencyTraining(**FAST, weight_decay=0.5).fit(X, y).predict_proba(X)
    assert np.abs(plain - decayed).max() > 1e-4


def test_strong_view_noise_is_relative_to_the_rms_of_the_features():
    g = torch.Generator().manual_seed(0)
    x = torch.full((200, 50), 10.0)  # RMS 10: noise 0.1 has a standard deviation of 1
    noisy = strong_view(x, dropout=0.0, noise=0.1, generator=g)
    assert 0.9 < float((noisy - x).std()) < 1.1


def _flexmatch_calls(monkeypatch, data, **settings):
    import importlib

    module = importlib.import_module("fewlabels.learn.consistency")
    calls = []
    real = module.flexmatch_thresholds

    def spy(claimed, n_unused, *, threshold):
        calls.append((np.array(claimed), int(n_unused)))
        return real(claimed, n_unused, threshold=threshold)

    monkeypatch.setattr(module, "flexmatch_thresholds", spy)
    X, _, y = data
    ConsistencyTraining(**{**FAST, "n_steps": 30}, adaptive_threshold=True, **settings).fit(X, y)
    return calls, len(X)


def test_flexmatch_counts_each_rows_latest_confident_class_and_the_rows_never_confident(
    monkeypatch, data
):
    calls, n = _flexmatch_calls(monkeypatch, data, threshold=0.34)  # 3 classes: most rows
    assert len(calls) == 30
    first_counts, first_unused = calls[0]
    assert first_counts.tolist() == [0, 0, 0] and first_unused == n  # nothing claimed yet
    for counts, unused in calls:  # every row either claims one class or is unused
        assert len(counts) == 3 and counts.sum() + unused == n
    last_counts, last_unused = calls[-1]
    assert (last_counts > 0).all() and last_unused < n  # class 0 claims are counted too
    assert [u for _, u in calls] == sorted((u for _, u in calls), reverse=True)


def test_flexmatch_claims_only_rows_confident_at_tau(monkeypatch, data):
    calls, n = _flexmatch_calls(monkeypatch, data, threshold=1.0)
    assert all(counts.sum() == 0 and unused == n for counts, unused in calls)


def test_the_teacher_warms_up_from_a_tenth_towards_its_decay():
    assert ema_decay(0, 0.99) == pytest.approx(0.1)
    assert ema_decay(1, 0.99) == pytest.approx(2 / 11)
    assert ema_decay(2, 0.99) == pytest.approx(3 / 12)
    assert ema_decay(10_000, 0.99) == 0.99  # settled
    assert ema_decay(0, 0.05) == 0.05  # a decay below the warm-up is used from the start
    steps = [ema_decay(s, 0.99) for s in range(2000)]
    assert steps == sorted(steps) and all(0 < d <= 0.99 for d in steps)


def test_an_explicit_cpu_device_is_kept_when_a_gpu_is_seen(data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    X, _, y = data
    model = ConsistencyTraining(**{**FAST, "n_steps": 2}, device="cpu").fit(X, y)
    assert model.device_ == "cpu"
