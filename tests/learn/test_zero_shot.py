import os

import numpy as np
import pytest

from fewlabels.learn import ZeroShot
from fewlabels.learn.base import softmax
from fewlabels.learn.zero_shot import (
    DEFAULT_TEMPLATES,
    agreement_weights,
    balance_biases,
    cache_logits,
    class_prompts,
    fuse_prototypes,
    loo_prototype_scores,
    pick_prototype_weight,
    prompt_agreement,
    prompt_ensemble,
    resolve_prior,
    shrunk_prior,
)
from learn.learn_helpers import BagOfWordsEncoder, ImageOnlyEncoder

NAMES = ["cat", "dog", "fish"]


def _pool(enc, n_per_class=10, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    X = np.stack([enc.word_vector(NAMES[c]) for c in y])
    X = X + noise * rng.normal(size=X.shape)
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), y


def test_class_prompts_fill_templates_then_add_descriptions():
    prompts = class_prompts(
        ["cat", "dog"],
        ["a {}", "the {} here"],
        {"cat": "a small feline", "dog": ["a hound", "a puppy"]},
    )
    assert prompts == [
        ["a cat", "the cat here", "a small feline"],
        ["a dog", "the dog here", "a hound", "a puppy"],
    ]


def test_prompt_ensemble_is_the_normalised_mean():
    e = prompt_ensemble([np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 3.0]])])
    np.testing.assert_allclose(e, [[np.sqrt(0.5), np.sqrt(0.5)], [0.0, 1.0]], rtol=1e-6)


def test_cache_vote_is_an_exponential_affinity():
    Z = np.array([[1.0, 0.0]])
    keys = np.array([[1.0, 0.0], [0.0, 1.0]])
    values = np.eye(2)
    np.testing.assert_allclose(cache_logits(Z, keys, values, sharpness=2.0), [[1.0, np.exp(-2.0)]])


def test_classes_from_names_alone():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _pool(enc)
    model = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=0).fit(X)
    # Without labels, the classes are the names and predict answers with them.
    assert np.mean(model.predict(X) == np.array(NAMES)[y]) == 1.0
    np.testing.assert_array_equal(model.classes_, NAMES)
    # Numeric labels are positions in class_names (a Dataset's codes): classes_ 0..K-1.
    coded = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=0).fit(X, np.full(len(X), -1))
    np.testing.assert_array_equal(coded.classes_, [0, 1, 2])
    assert np.mean(coded.predict(X) == y) == 1.0
    assert model.class_names_ == tuple(NAMES)
    # The text templates were used, every one with every name.
    assert model.prompts_[0] == [t.format("cat") for t in DEFAULT_TEMPLATES["text"]]
    assert len(model.cache_keys_) == 0


def test_descriptions_and_templates_reach_the_encoder():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _pool(enc)
    ZeroShot(
        encoder=enc,
        class_names=NAMES,
        templates=["a photo of {}"],
        descriptions={"fish": "it swims"},
    ).fit(X)
    assert "a photo of dog" in enc.prompts and "it swims" in enc.prompts


def test_labels_and_confident_rows_fill_the_cache_and_correct_zero_shot():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _pool(enc, n_per_class=12)
    # Name class 2 misleadingly: zero-shot alone gets it wrong.
    names = ["cat", "dog", "bird"]
    alone = ZeroShot(encoder=enc, class_names=names, cache_per_class=0).fit(X)
    assert np.mean(alone.predict(X)[y == 2] == 2) < 0.5
    labels = np.full(len(y), -1)
    labels[[24, 25, 26]] = 2
    with_labels = ZeroShot(
        encoder=enc, class_names=names, cache_per_class=4, cache_weight=20.0
    ).fit(X, labels)
    assert with_labels.cache_labeled_.sum() == 3
    assert len(with_labels.cache_keys_) <= 3 + 3 * 4
    assert np.mean(with_labels.predict(X) == y) > 0.9


def test_an_encoder_without_text_side_is_refused_with_the_fix():
    X = np.eye(4, dtype=np.float32)
    with pytest.raises(
        TypeError,
        match=r"needs an encoder with a text side.*'pixels' has none"
        r".*'minilm'.*'clip:<model-id>'",
    ):
        ZeroShot(encoder=ImageOnlyEncoder(), class_names=["a", "b"]).fit(X)


def test_embeddings_of_another_space_are_refused():
    enc = BagOfWordsEncoder(dim=32)
    with pytest.raises(ValueError, match=r"32 features.*but X has 5"):
        ZeroShot(encoder=enc, class_names=NAMES).fit(np.eye(5, dtype=np.float32))


def test_bad_class_names_templates_and_labels_are_refused():
    enc = BagOfWordsEncoder(dim=8)
    X = np.eye(8, dtype=np.float32)
    with pytest.raises(ValueError, match=r"at least 2 classes"):
        ZeroShot(encoder=enc, class_names=["only"]).fit(X)
    with pytest.raises(ValueError, match=r"templates each holding one '\{\}'.*'no slot'"):
        ZeroShot(encoder=enc, class_names=NAMES, templates=["no slot"]).fit(X)
    with pytest.raises(ValueError, match=r"descriptions keyed by the class names.*\['cow'\]"):
        ZeroShot(encoder=enc, class_names=NAMES, descriptions={"cow": "moo"}).fit(X)
    with pytest.raises(ValueError, match=r"positions 0\.\.2 in class_names.*got \[5\]"):
        ZeroShot(encoder=enc, class_names=NAMES).fit(X, np.array([5, -1, -1, -1, -1, -1, -1, -1]))


@pytest.mark.slow
def test_real_minilm_classifies_sentences_by_class_name():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from fewlabels.encode import get_encoder

    enc = get_encoder("minilm", device="cpu")
    texts = [
        "The pasta was delicious and the sauce rich.",
        "I loved this chocolate cake, so sweet.",
        "The striker scored twice in the final minutes of the match.",
        "The goalkeeper saved a penalty and the team won the league.",
        "The new phone has a faster processor and a bright screen.",
        "This laptop's battery lasts all day and the keyboard is great.",
    ]
    y = np.array([0, 0, 1, 1, 2, 2])
    X = enc.encode(texts)
    model = ZeroShot(
        encoder=enc, class_names=["food", "sports", "technology"], cache_per_class=0
    ).fit(X)
    assert np.mean(model.predict(X) == np.array(model.class_names_)[y]) >= 5 / 6


# --- descriptions, calibration and fusion (issue 11) ---------------------------------------


def _two_topic_pool(enc, n=(30, 10), noise=0.05, seed=0):
    """Rows around the words 'meow' (class 0) and 'bark' (class 1), imbalanced n[0]:n[1]."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n)
    words = ["meow", "bark"]
    X = np.stack([enc.word_vector(words[c]) for c in y]) + noise * rng.normal(
        size=(sum(n), enc.dim)
    )
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), y


def test_zero_labels_and_perfect_descriptions_recover_a_separable_task():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc)
    # Names that say nothing; descriptions that do. templates=() uses the descriptions alone.
    model = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": ["meow", "meow meow"], "second": "bark"},
    ).fit(X)
    np.testing.assert_array_equal(model.predict(X), np.array(["first", "second"])[y])
    # Without the descriptions the same names are a coin toss at best.
    plain = ZeroShot(encoder=enc, class_names=["first", "second"]).fit(X)
    assert np.mean(plain.predict(X) == np.array(["first", "second"])[y]) < 1.0


def test_balance_biases_match_the_prior_on_the_pool():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(500, 3)) + np.array([2.0, 0.0, -1.0])
    prior = np.array([0.2, 0.3, 0.5])
    b = balance_biases(logits, prior=prior)
    shares = softmax(logits + b).mean(axis=0)
    np.testing.assert_allclose(shares, prior, atol=1e-3)
    assert abs(b.mean()) < 1e-9
    # Already balanced scores need no bias.
    np.testing.assert_allclose(balance_biases(np.zeros((4, 2)), prior=np.array([0.5, 0.5])), 0)


def test_shrink_and_balance_force_shares_even_on_a_separable_pool():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _two_topic_pool(enc, n=(30, 10))
    desc = {"first": "meow", "second": "bark"}
    fitted = {
        cal: ZeroShot(
            encoder=enc,
            class_names=["first", "second"],
            templates=(),
            descriptions=desc,
            cache_per_class=0,
            calibration=cal,
        ).fit(X)
        for cal in ("center", "balance")
    }
    # Centring keeps the true 75/25 split; balancing forces 50/50 (why it is not the default).
    np.testing.assert_allclose(fitted["center"].class_shares_, [0.75, 0.25])
    assert abs(fitted["balance"].class_shares_[0] - 0.5) < 0.05


def test_shrunk_prior_is_half_way_and_floored():
    np.testing.assert_allclose(shrunk_prior(np.array([0.9, 0.1]), np.array([0.5, 0.5])), [0.7, 0.3])
    out = shrunk_prior(np.array([1.0, 0.0, 0.0, 0.0]), np.full(4, 0.25), weight=1.0)
    # Floored at 1 / (10 K) before renormalising: no class is calibrated to nothing.
    assert out.min() > 0 and np.isclose(out.sum(), 1.0)
    np.testing.assert_allclose(out[1:], 0.025 / (1 + 3 * 0.025))


@pytest.mark.parametrize("calibration", ["center", "shrink", "balance"])
def test_calibration_keeps_a_class_from_swallowing_the_pool(calibration):
    enc = BagOfWordsEncoder(dim=512)
    X, y = _two_topic_pool(enc, n=(20, 20))
    # Every row shares a direction ('hum') that only class 0's prototype holds: raw
    # zero-shot swallows the pool.
    shared = enc.word_vector("hum")
    X = X + 2.0 * shared[None, :]
    X = (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)
    descriptions = {"first": "meow hum", "second": "bark"}
    raw = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions=descriptions,
        calibration="none",
        cache_per_class=0,
    ).fit(X)
    shrink = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions=descriptions,
        cache_per_class=0,
    ).fit(X)
    assert raw.class_shares_.max() >= 0.9
    assert shrink.class_shares_.max() <= 0.8
    assert np.mean(shrink.predict(X) == np.array(["first", "second"])[y]) > np.mean(
        raw.predict(X) == np.array(["first", "second"])[y]
    )


def test_fuse_prototypes_keeps_text_where_a_class_has_no_labels():
    text = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    means = np.array([[0.0, 1.0], [0.0, 0.0]], dtype=np.float32)
    fused = fuse_prototypes(text, means, 0.5)
    np.testing.assert_allclose(fused[0], [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)
    np.testing.assert_allclose(fused[1], [0.0, 1.0])
    np.testing.assert_allclose(fuse_prototypes(text, means, 1.0), text)


def test_leave_one_out_picks_the_labels_when_the_text_is_wrong_and_text_on_ties():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc, n=(12, 12))
    labels = np.full(len(y), -1)
    labels[[0, 1, 2, 3, 12, 13, 14, 15]] = y[[0, 1, 2, 3, 12, 13, 14, 15]]
    swapped = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": "bark", "second": "meow"},
        cache_per_class=0,
    ).fit(X, np.where(labels >= 0, np.array(["first", "second"])[labels], None))
    assert swapped.prototype_scores_[0.0] == 1.0
    assert swapped.prototype_scores_[1.0] == 0.0
    assert swapped.prototype_weight_ < 1.0
    right = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": "meow", "second": "bark"},
        cache_per_class=0,
    ).fit(X, np.where(labels >= 0, np.array(["first", "second"])[labels], None))
    # Every weight is perfect: the tie goes to the text (the first in PROTOTYPE_GRID).
    assert set(right.prototype_scores_.values()) == {1.0}
    assert right.prototype_weight_ == 1.0


def test_pick_prototype_weight_needs_a_gain_beyond_two_standard_errors():
    # 8 labels: 0.75 against 0.5 is within 2 x sqrt(.75 x .25 / 8) = 0.31: keep the text.
    assert pick_prototype_weight({1.0: 0.5, 0.5: 0.75}, n_labelled=8) == 1.0
    # 100 labels: the same lead is far beyond 2 x 0.043: the labels win.
    assert pick_prototype_weight({1.0: 0.5, 0.5: 0.75}, n_labelled=100) == 0.5
    # A perfect score has no spread: the first weight that reaches it.
    assert pick_prototype_weight({1.0: 0.9, 0.75: 1.0, 0.5: 1.0}, n_labelled=4) == 0.75


def test_loo_scores_use_the_class_mean_without_the_row():
    # One labelled row per class: nothing to leave out, the text prototype answers.
    Z = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    text = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)  # swapped
    scores = loo_prototype_scores(
        Z, Z, np.array([0, 1]), text, grid=(1.0, 0.0), temperature=0.01, prior=None
    )
    assert scores[1.0] == 0.0
    # Weight 0 with the row left out: row 0 ties its text [0, 1] with class 1's mean [0, 1]
    # (the tie goes to class 0, a hit); row 1 ties class 0's mean with its text [1, 0] (a
    # miss). Had a row's own label leaked into its class mean, both would be hits.
    assert scores[0.0] == 0.5


def test_agreement_weights_favour_the_prompt_that_fits_the_labels():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc, n=(10, 10))
    P = [enc.encode_text(["meow", "bark"]), enc.encode_text(["bark"])]
    agreement = prompt_agreement(P, X, y)
    assert agreement[0][0] > agreement[0][1]
    w = agreement_weights(agreement, temperature=0.05)
    assert w[0][0] > 0.9 and np.isclose(w[0].sum(), 1.0) and w[1].tolist() == [1.0]
    # A class without labelled rows keeps uniform weights.
    w_none = agreement_weights([np.array([np.nan, np.nan])], temperature=0.05)
    assert w_none[0].tolist() == [0.5, 0.5]
    model = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": ["meow", "bark"], "second": "bark"},
        prompt_weighting="agreement",
        agreement_temperature=0.05,
        cache_per_class=0,
    ).fit(X, np.array(["first", "second"])[y])
    assert model.prompt_weights_[0][0] > 0.9


def test_bad_descriptions_calibration_and_prior_are_refused():
    enc = BagOfWordsEncoder(dim=8)
    X = np.eye(8, dtype=np.float32)
    with pytest.raises(ValueError, match=r"non-empty descriptions.*class 'dog'"):
        ZeroShot(encoder=enc, class_names=NAMES, descriptions={"dog": "  "}).fit(X)
    with pytest.raises(ValueError, match=r"non-empty descriptions.*class 'dog'"):
        ZeroShot(encoder=enc, class_names=NAMES, descriptions={"dog": []}).fit(X)
    with pytest.raises(ValueError, match=r"calibration to be one of 'center'.*got 'sinkhorn'"):
        ZeroShot(encoder=enc, class_names=NAMES, calibration="sinkhorn").fit(X)
    with pytest.raises(ValueError, match=r"prior keyed by the class names.*\['cow'\]"):
        ZeroShot(encoder=enc, class_names=NAMES, prior={"cow": 0.5}).fit(X)
    with pytest.raises(ValueError, match=r"prior shares > 0"):
        ZeroShot(encoder=enc, class_names=NAMES, prior={"cat": 0.0}).fit(X)
    with pytest.raises(ValueError, match=r"prototype_weight='auto' or a number"):
        ZeroShot(encoder=enc, class_names=NAMES, prototype_weight="text").fit(X)
    with pytest.raises(ValueError, match=r"prototype_weight in \[0, 1\]"):
        ZeroShot(encoder=enc, class_names=NAMES, prototype_weight=1.5).fit(X)
    with pytest.raises(ValueError, match=r"at least one prompt per class.*\['dog', 'fish'\]"):
        ZeroShot(encoder=enc, class_names=NAMES, templates=(), descriptions={"cat": "x"}).fit(X)


def test_resolve_prior_fills_missing_classes_and_normalises():
    np.testing.assert_allclose(resolve_prior({"a": 0.6}, ["a", "b", "c"]), [0.6, 0.2, 0.2])
    np.testing.assert_allclose(resolve_prior({"a": 2, "b": 2}, ["a", "b"]), [0.5, 0.5])
    np.testing.assert_allclose(resolve_prior("uniform", ["a", "b"]), [0.5, 0.5])
