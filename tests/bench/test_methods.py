from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fewlabels._registry import Registry
from fewlabels.bench import peers
from fewlabels.bench.methods import (
    PEERS,
    MethodContext,
    expand_methods,
    get_method,
    list_methods,
    peer_names,
)


def _ctx(modality: str = "tabular", encoder: object = None) -> MethodContext:
    return MethodContext(
        dataset="d",
        modality=modality,
        classes=("a", "b"),
        encoder_name="enc",
        encoder=encoder,
        seed=3,
    )


def test_groups_expand_to_learners_and_peers() -> None:
    names = expand_methods(["@learners", "@peers", "linear"])
    for name in ("ncm", "knn", "linear", "label-spreading", "self-training", "zero-shot", "auto"):
        assert name in names
    assert names[-len(peer_names()) :] == peer_names()
    assert names.count("linear") == 1
    assert {
        "sklearn-label-spreading",
        "sklearn-self-training",
        "sklearn-self-training-hgb",
        "logreg-labelled",
        "logreg-balanced",
        "hgb-labelled",
        "setfit",
        "ceiling",
    } == set(peer_names())


def test_peers_are_rows_of_a_registry() -> None:
    assert isinstance(PEERS, Registry) and PEERS.names() == peer_names()
    assert PEERS.entry("setfit").modalities == ("text",)
    assert "setfit" not in {e.name for e in PEERS.select(modality="image")}
    assert get_method("setfit").inputs == "raw" and get_method("ceiling").kind == "ceiling"
    assert get_method("logreg-labelled").reason_not_applicable(_ctx("image")) is None
    assert isinstance(get_method("logreg-labelled").factory(_ctx()), peers.LabelledOnly)
    assert get_method("ceiling").factory(_ctx()).estimator.random_state == 3


def test_unknown_names_list_the_known() -> None:
    with pytest.raises(
        ValueError, match=r"Unknown method\(s\) \['lienar'\]. Known methods: .*linear"
    ):
        expand_methods(["lienar"])
    with pytest.raises(ValueError, match="Unknown method group '@all'"):
        expand_methods(["@all"])
    with pytest.raises(ValueError, match="Known methods: .*ceiling"):
        get_method("nope")


def test_not_applicable_reasons() -> None:
    assert "needs texts" in (get_method("setfit").reason_not_applicable(_ctx("image")) or "")
    assert get_method("setfit").reason_not_applicable(_ctx("text")) is None

    class NoText:
        pass

    class WithText:
        def encode_text(self, prompts: list[str]) -> np.ndarray:
            return np.zeros((len(prompts), 2))

    zs = get_method("zero-shot")
    assert "text side" in (zs.reason_not_applicable(_ctx(encoder=NoText())) or "")
    assert zs.reason_not_applicable(_ctx("text", WithText())) is None


def test_seed_reaches_estimators_that_take_one() -> None:
    est = get_method("sklearn-self-training").factory(_ctx())
    assert est.estimator.random_state == 3
    linear = get_method("linear").factory(_ctx())
    if "random_state" in linear.get_params(deep=False):
        assert linear.get_params()["random_state"] == 3
    assert get_method("ceiling").labels == "all"
    assert "ceiling" in list_methods()


def test_labelled_only_ignores_unlabelled_rows() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y_full = (X[:, 0] > 0).astype(np.int64)
    y = np.full(40, -1)
    keep = np.r_[np.flatnonzero(y_full == 0)[:3], np.flatnonzero(y_full == 1)[:3]]
    y[keep] = y_full[keep]
    peer = peers.LabelledOnly().fit(X, y)
    ref = LogisticRegression(max_iter=1000).fit(X[keep], y_full[keep])
    np.testing.assert_array_equal(peer.predict(X), ref.predict(X))
    assert peer.n_labelled_ == 6
    # the semi-supervised sklearn peers accept -1 rows and keep the labelled ones right
    for est in (peers.sklearn_label_spreading(), peers.sklearn_self_training(random_state=0)):
        pred = est.fit(X, y).predict(X[keep])
        assert (pred == y_full[keep]).mean() >= 5 / 6


def test_table_peers_fit_on_tiny_data_with_unlabelled_rows() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y_full = (X[:, 0] > 0).astype(np.int64)
    y = np.full(80, -1)
    # 6 labels of class 0, 2 of class 1: "balanced" weighs class 1 three times more.
    keep = np.r_[np.flatnonzero(y_full == 0)[:6], np.flatnonzero(y_full == 1)[:2]]
    y[keep] = y_full[keep]
    est = get_method("logreg-balanced").factory(_ctx())
    assert isinstance(est, peers.LabelledOnly) and est.estimator.random_state == 3
    ref = LogisticRegression(class_weight="balanced", max_iter=1000).fit(X[keep], y_full[keep])
    np.testing.assert_allclose(est.fit(X, y).predict_proba(X), ref.predict_proba(X))
    assert est.n_labelled_ == 8 and est.classes_.tolist() == [0, 1]

    hgb = get_method("hgb-labelled").factory(_ctx())
    assert hgb.estimator.random_state == 3 and hgb.fit(X, y).n_labelled_ == 8
    plain = HistGradientBoostingClassifier().fit(X[keep], y_full[keep])
    np.testing.assert_allclose(hgb.predict_proba(X), plain.predict_proba(X))

    st = get_method("sklearn-self-training-hgb").factory(_ctx())
    assert st.estimator.random_state == 3
    st.fit(X, y)
    assert st.classes_.tolist() == [0, 1]  # -1 is the unlabelled marker, not a class
    assert (st.transduction_[keep] == y_full[keep]).all()
    assert set(st.predict(X).tolist()) <= {0, 1}

    for name in ("hgb-labelled", "sklearn-self-training-hgb"):
        reason = get_method(name).reason_not_applicable(_ctx("image")) or ""
        assert "needs tables" in reason
        assert get_method(name).reason_not_applicable(_ctx("tabular")) is None
    assert get_method("logreg-balanced").reason_not_applicable(_ctx("text")) is None
