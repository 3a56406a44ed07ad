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


# --- the estimator's rules, one at a time ----------------------------------------------------


class _ModalEncoder(BagOfWordsEncoder):
    def __init__(self, modality, dim=32):
        super().__init__(dim=dim)
        self.modality = modality


def test_class_prompts_without_descriptions_are_the_templates():
    assert class_prompts(["a", "b"], ["x {}"]) == [["x a"], ["x b"]]
    assert class_prompts(["a"], ["{}"], {"b": "other"}) == [["a"]]


def test_the_default_templates_follow_the_encoder_modality():
    X = np.eye(32, dtype=np.float32)[:4]
    image = ZeroShot(encoder=_ModalEncoder("image"), class_names=["cat", "dog"]).fit(X)
    assert image.prompts_[0] == [t.format("cat") for t in DEFAULT_TEMPLATES["image"]]
    other = ZeroShot(encoder=_ModalEncoder("audio"), class_names=["cat", "dog"]).fit(X)
    assert other.prompts_[1] == [t.format("dog") for t in DEFAULT_TEMPLATES["text"]]


def test_by_default_descriptions_replace_the_name_templates_of_their_class_only():
    X = np.eye(32, dtype=np.float32)[:4]
    model = ZeroShot(
        encoder=BagOfWordsEncoder(), class_names=["cat", "dog"], descriptions={"dog": " it barks "}
    ).fit(X)
    assert model.prompts_[0] == [t.format("cat") for t in DEFAULT_TEMPLATES["text"]]
    assert model.prompts_[1] == ["it barks"]  # stripped
    # explicit templates are used together with the descriptions
    both = ZeroShot(
        encoder=BagOfWordsEncoder(),
        class_names=["cat", "dog"],
        templates=["a {}"],
        descriptions={"dog": ["it barks", "woof"]},
    ).fit(X)
    assert both.prompts_ == [["a cat"], ["a dog", "it barks", "woof"]]


def test_the_template_and_empty_prompt_messages_in_full():
    enc = BagOfWordsEncoder(dim=8)
    X = np.eye(8, dtype=np.float32)
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=["a", "b"], templates=["{}", "none", "x"]).fit(X)
    assert str(info.value) == (
        "ZeroShot expected prompt templates each holding one '{}' for the class name, but got "
        "['none', 'x']."
    )
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=["a", "b"], templates=()).fit(X)
    assert str(info.value) == (
        "ZeroShot expected at least one prompt per class, but ['a', 'b'] have none: "
        "templates=() needs a description for every class. Add descriptions or keep the "
        "default templates."
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("temperature", 0.0, r"^ZeroShot expected temperature in \(0, inf\], but got 0\.0\.$"),
        (
            "agreement_temperature",
            0.0,
            r"^ZeroShot expected agreement_temperature in \(0, inf\], but got 0\.0\.$",
        ),
        ("cache_per_class", -1, r"^ZeroShot expected cache_per_class in \[0, inf\], but got -1\.$"),
        (
            "prompt_weighting",
            "best",
            r"^ZeroShot expected prompt_weighting to be one of 'agreement', 'uniform', but "
            r"got 'best'\.$",
        ),
        (
            "calibration",
            "x",
            r"^ZeroShot expected calibration to be one of 'center', 'shrink', 'balance', "
            r"'none', but got 'x'\.$",
        ),
        (
            "prototype_weight",
            -0.1,
            r"^ZeroShot expected prototype_weight in \[0, 1\], but got -0\.1\.$",
        ),
    ],
)
def test_out_of_range_options_are_refused(option, value, message):
    enc = BagOfWordsEncoder(dim=8)
    with pytest.raises(ValueError, match=message):
        ZeroShot(encoder=enc, class_names=NAMES, **{option: value}).fit(np.eye(8))


def test_the_edges_of_the_option_ranges_are_accepted():
    enc = BagOfWordsEncoder(dim=8)
    X = np.eye(8, dtype=np.float32)
    for option, value in [
        ("cache_per_class", 0),
        ("prototype_weight", 0.0),
        ("prototype_weight", 1),
    ]:
        ZeroShot(encoder=enc, class_names=NAMES, **{option: value}).fit(X)


def test_the_description_messages_in_full():
    enc = BagOfWordsEncoder(dim=8)
    X = np.eye(8, dtype=np.float32)
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=NAMES, descriptions=["meow"]).fit(X)
    assert str(info.value) == (
        "ZeroShot expected descriptions as a mapping of class name -> sentence(s), but got list."
    )
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=NAMES, descriptions={"dog": ["ok", 3, None, 4, 5]}).fit(X)
    assert str(info.value) == (
        "ZeroShot expected the descriptions of class 'dog' to be sentences (str), but got "
        "[3, None, 4]."
    )
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=NAMES, descriptions={"z": "x", "b": "y"}).fit(X)
    assert str(info.value) == (
        "ZeroShot expected descriptions keyed by the class names ['cat', 'dog', 'fish'], but "
        "got unknown key(s) ['b', 'z']. Fix the class names or add those classes."
    )
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=NAMES, descriptions={"fish": ["swims", ""]}).fit(X)
    assert str(info.value) == (
        "ZeroShot expected non-empty descriptions, but class 'fish' has an empty one. "
        "Remove it or write a sentence about the class."
    )


def test_the_label_messages_in_full():
    enc = BagOfWordsEncoder(dim=8)
    X = np.eye(8, dtype=np.float32)[:4]
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=["a", "b"]).fit(X, np.array([0, 3, 2, -1]))
    assert str(info.value) == (
        "ZeroShot expected numeric labels to be positions 0..1 in class_names ['a', 'b'] (or "
        "-1 for unlabelled), but got [2, 3]. Pass the class names as labels instead."
    )
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=["a", "b"]).fit(X, np.array(["a", "c", None, "d"]))
    assert str(info.value) == (
        "ZeroShot expected labels among its class_names ['a', 'b'], but got ['c', 'd']. Add "
        "those classes to class_names or fix the labels."
    )
    with pytest.raises(ValueError) as info:
        ZeroShot(encoder=enc, class_names=["a", "b"]).fit(np.eye(5, dtype=np.float32))
    assert str(info.value) == (
        "ZeroShot expected X from the encoder's embedding space (8 features, like its text "
        "embeddings), but X has 5. Embed the data with the same encoder that embeds the "
        "prompts."
    )


def test_the_last_position_is_a_class_and_booleans_are_names():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _pool(enc, n_per_class=4)
    model = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=0).fit(X, y)
    assert model.classes_.tolist() == [0, 1, 2]
    assert model.prototype_scores_  # labels of 3 classes: leave-one-out ran
    # booleans are not positions: they are read as names, and these are not class names
    with pytest.raises(ValueError, match=r"labels among its class_names.*\[False, True\]"):
        ZeroShot(encoder=enc, class_names=NAMES).fit(X, y == 0)


def test_positions_keep_their_class_order_when_some_classes_lack_labels():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _pool(enc, n_per_class=4)
    labels = np.where(y == 2, 2, -1)  # only class 2 (fish) labelled
    model = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=0).fit(X, labels)
    assert model.classes_.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(model.predict(X), y)
    named = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=0).fit(
        X, np.where(y == 1, "dog", None)
    )
    np.testing.assert_array_equal(named.predict(X), np.array(NAMES)[y])


def test_labels_of_one_class_keep_the_text_prototypes_and_try_no_weight():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _pool(enc, n_per_class=4)
    model = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=0).fit(
        X, np.where(y == 0, 0, -1)
    )
    assert model.prototype_scores_ == {} and model.prototype_weight_ == 1.0
    np.testing.assert_allclose(model.prototypes_, model.text_embeddings_, atol=1e-6)
    # the labelled rows still enter the cache
    assert model.cache_labeled_.sum() == 4 and len(model.cache_keys_) == 4


def test_a_numeric_prototype_weight_is_used_as_given_and_fuses_the_class_means():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _pool(enc, n_per_class=4)
    model = ZeroShot(encoder=enc, class_names=NAMES, prototype_weight=0.0, cache_per_class=0)
    model.fit(X, y)
    assert model.prototype_weight_ == 0.0 and model.prototype_scores_ == {}
    Z = X - model.mean_
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    for c in range(3):
        mean = Z[y == c].mean(axis=0)
        np.testing.assert_allclose(model.prototypes_[c], mean / np.linalg.norm(mean), atol=1e-5)


def test_center_and_none_calibrations_add_no_biases_and_none_keeps_no_mean():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _pool(enc)
    none = ZeroShot(encoder=enc, class_names=NAMES, calibration="none").fit(X)
    assert none.mean_ is None and none.biases_.tolist() == [0.0, 0.0, 0.0]
    center = ZeroShot(encoder=enc, class_names=NAMES).fit(X)
    np.testing.assert_allclose(center.mean_, X.mean(axis=0), atol=1e-6)
    assert center.biases_.tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(center.prior_, [1 / 3] * 3)


def test_balance_biases_are_fitted_to_the_prior_and_shrink_records_its_prior():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _two_topic_pool(enc, n=(30, 10))
    desc = {"first": "meow", "second": "bark"}
    common = dict(encoder=enc, class_names=["first", "second"], templates=(), descriptions=desc)
    balance = ZeroShot(**common, calibration="balance", prior={"first": 0.6}, cache_per_class=0)
    balance.fit(X)
    np.testing.assert_allclose(balance.prior_, [0.6, 0.4])
    assert balance.biases_[0] < 0 < balance.biases_[1] and abs(balance.biases_.sum()) < 1e-9
    np.testing.assert_allclose(softmax(balance._logits(X)).mean(axis=0), [0.6, 0.4], atol=1e-3)
    shrink = ZeroShot(**common, calibration="shrink", cache_per_class=0).fit(X)
    # half-way between the raw 75/25 predictions and the uniform prior
    np.testing.assert_allclose(shrink.prior_, [0.625, 0.375])


def test_the_cache_holds_the_most_confident_unlabelled_rows_of_each_class():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _pool(enc, n_per_class=6, noise=0.2)
    labels = np.full(len(y), -1)
    labels[0] = 0  # one labelled row of one class: no fusion, and it enters the cache
    model = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=2).fit(X, labels)
    assert model.cache_labeled_.tolist() == [True] + [False] * 6
    np.testing.assert_allclose(
        model.cache_keys_[0], (lambda z: z / np.linalg.norm(z))(X[0] - model.mean_), atol=1e-5
    )
    assert model.cache_values_.argmax(axis=1).tolist() == [0, 0, 0, 1, 1, 2, 2]
    # the keys of each class are its most confident unlabelled rows, most confident first
    Z = X - model.mean_
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    proba = softmax((Z @ model.prototypes_.T) / model.temperature)
    for c, keys in [(0, model.cache_keys_[1:3]), (1, model.cache_keys_[3:5])]:
        rows = [i for i in range(len(y)) if proba[i].argmax() == c and labels[i] == -1]
        best = sorted(rows, key=lambda i: -proba[i, c])[:2]
        np.testing.assert_allclose(keys, Z[best], atol=1e-5)


def test_cache_weight_zero_turns_the_vote_off():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _pool(enc, noise=0.3)
    on = ZeroShot(encoder=enc, class_names=NAMES, cache_weight=1.0).fit(X)
    off = ZeroShot(encoder=enc, class_names=NAMES, cache_weight=0.0).fit(X)
    bare = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=0).fit(X)
    assert len(off.cache_keys_) == len(on.cache_keys_) > 0
    np.testing.assert_allclose(off.decision_function(X), bare.decision_function(X))
    assert not np.allclose(on.decision_function(X), bare.decision_function(X))
    Z = X - on.mean_
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    vote = cache_logits(Z, on.cache_keys_, on.cache_values_, sharpness=5.5)
    np.testing.assert_allclose(on.decision_function(X), bare.decision_function(X) + vote, rtol=1e-5)


def test_an_empty_cache_votes_zero_in_every_column():
    out = cache_logits(np.ones((3, 2)), np.zeros((0, 2)), np.zeros((0, 4)), sharpness=1.0)
    assert out.shape == (3, 4) and not out.any()


def test_two_classes_give_one_decision_column_positive_for_the_second():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc, n=(5, 5))
    model = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": "meow", "second": "bark"},
    ).fit(X)
    d = model.decision_function(X)
    assert d.shape == (10,)
    np.testing.assert_array_equal(d > 0, y == 1)


def test_the_default_temperature_and_sharpness():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _pool(enc, noise=0.3)
    default = ZeroShot(encoder=enc, class_names=NAMES).fit(X)
    given = ZeroShot(encoder=enc, class_names=NAMES, temperature=0.01, sharpness=5.5).fit(X)
    np.testing.assert_array_equal(default.decision_function(X), given.decision_function(X))
    other = ZeroShot(encoder=enc, class_names=NAMES, temperature=0.02, sharpness=5.0).fit(X)
    assert not np.allclose(default.decision_function(X), other.decision_function(X))


def test_a_negative_position_other_than_minus_one_is_refused():
    enc = BagOfWordsEncoder(dim=8)
    X = np.eye(8, dtype=np.float32)[:3]
    with pytest.raises(ValueError, match=r"positions 0\.\.1 .* but got \[-2\]\."):
        ZeroShot(encoder=enc, class_names=["a", "b"]).fit(X, np.array([0, -2, -1]))


def test_a_cache_of_one_key_votes():
    Z = np.array([[1.0, 0.0], [0.0, 1.0]])
    out = cache_logits(Z, np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), sharpness=2.0)
    np.testing.assert_allclose(out, [[0.0, 1.0], [0.0, np.exp(-2.0)]])


def test_the_cache_defaults_by_behaviour():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _pool(enc, n_per_class=20)
    default = ZeroShot(encoder=enc, class_names=NAMES).fit(X)
    # 16 rows per class (each class predicts 20 of the pool), weighed 1 against the logits
    assert len(default.cache_keys_) == 3 * 16
    given = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=16, cache_weight=1.0).fit(X)
    np.testing.assert_array_equal(default.decision_function(X), given.decision_function(X))
    heavier = ZeroShot(encoder=enc, class_names=NAMES, cache_weight=2.0).fit(X)
    assert not np.allclose(default.decision_function(X), heavier.decision_function(X))


def test_the_default_agreement_temperature_by_behaviour():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc, n=(10, 10))
    common = dict(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": ["meow", "bark", "meow bark"], "second": "bark"},
        prompt_weighting="agreement",
    )
    labels = np.array(["first", "second"])[y]
    default = ZeroShot(**common).fit(X, labels)
    given = ZeroShot(**common, agreement_temperature=0.2).fit(X, labels)
    softer = ZeroShot(**common, agreement_temperature=1.0).fit(X, labels)
    np.testing.assert_array_equal(default.prompt_weights_[0], given.prompt_weights_[0])
    assert not np.allclose(default.prompt_weights_[0], softer.prompt_weights_[0])


class _NaNTextEncoder(BagOfWordsEncoder):
    def encode_text(self, prompts):
        out = super().encode_text(prompts)
        out[0, 0] = np.nan
        return out


def test_broken_text_embeddings_are_named_in_the_error():
    with pytest.raises(ValueError, match=r"^Expected finite values in the text embeddings, but"):
        ZeroShot(encoder=_NaNTextEncoder(dim=8), class_names=NAMES).fit(np.eye(8))


def test_uniform_prompt_weights_are_used_with_labels_too_and_sum_to_one():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc, n=(10, 10))
    model = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": ["meow", "bark", "meow bark", "hum"], "second": "bark"},
    ).fit(X, np.array(["first", "second"])[y])
    assert model.prompt_weights_[0].tolist() == [0.25] * 4
    assert model.prompt_weights_[1].tolist() == [1.0]


def test_shrink_fits_biases_to_its_prior_and_keeps_every_class():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _pool(enc, n_per_class=10)
    # a third class that no row is near: the raw predictions give it no row at all
    model = ZeroShot(
        encoder=enc, class_names=["cat", "dog", "zebra"], calibration="shrink", cache_per_class=0
    ).fit(X[:20])
    assert model.prior_.shape == (3,) and (model.prior_ > 0).all()
    np.testing.assert_allclose(model.prior_, [0.5 * 0.5 + 0.5 / 3] * 2 + [0.5 / 3])
    assert (model.biases_ != 0).all()
    np.testing.assert_allclose(softmax(model._logits(X[:20])).mean(axis=0), model.prior_, atol=1e-3)


def test_balance_with_labels_scores_the_weights_with_the_pool_biases():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc, n=(30, 10), noise=0.3)
    labels = np.full(len(y), None, dtype=object)
    labels[[0, 1, 30, 31]] = np.array(["first", "second"])[y[[0, 1, 30, 31]]]
    model = ZeroShot(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": "meow hum", "second": "bark"},
        calibration="balance",
        cache_per_class=0,
    ).fit(X, labels)
    Z = X - model.mean_
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    lab = np.flatnonzero(labels != None)  # noqa: E711 - an object array
    codes = np.array([0 if v == "first" else 1 for v in labels[lab]])
    expected = loo_prototype_scores(
        Z,
        Z[lab],
        codes,
        model.text_embeddings_,
        grid=(1.0, 0.75, 0.5, 0.25, 0.0),
        temperature=0.01,
        prior=model.prior_,
    )
    assert model.prototype_scores_ == expected


def test_labelled_rows_join_the_cache_unless_leave_one_out_kept_the_text():
    enc = BagOfWordsEncoder(dim=32)
    X, y = _two_topic_pool(enc, n=(12, 12))
    picked = [0, 1, 2, 3, 12, 13, 14, 15]
    labels = np.full(len(y), None, dtype=object)
    labels[picked] = np.array(["first", "second"])[y[picked]]
    common = dict(encoder=enc, class_names=["first", "second"], templates=(), cache_per_class=2)
    swapped = ZeroShot(**common, descriptions={"first": "bark", "second": "meow"}).fit(X, labels)
    assert swapped.prototype_weight_ < 1.0 and swapped.cache_labeled_.sum() == 8
    assert swapped.cache_labeled_[:8].all() and len(swapped.cache_keys_) == 8 + 2 * 2
    right = ZeroShot(**common, descriptions={"first": "meow", "second": "bark"}).fit(X, labels)
    assert right.prototype_weight_ == 1.0 and right.cache_labeled_.sum() == 0
    assert len(right.cache_keys_) == 2 * 2


def test_one_cached_row_per_class():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _pool(enc)
    model = ZeroShot(encoder=enc, class_names=NAMES, cache_per_class=1).fit(X)
    assert model.cache_values_.argmax(axis=1).tolist() == [0, 1, 2]


def test_the_cache_takes_classes_from_the_calibrated_predictions():
    enc = BagOfWordsEncoder(dim=32)
    X, _ = _two_topic_pool(enc, n=(30, 10), noise=0.3)
    common = dict(
        encoder=enc,
        class_names=["first", "second"],
        templates=(),
        descriptions={"first": "meow hum", "second": "bark"},
        calibration="balance",
    )
    model = ZeroShot(**common, cache_per_class=100).fit(X)
    calibrated = ZeroShot(**common, cache_per_class=0).fit(X).predict(X)
    counts = np.bincount(model.cache_values_.argmax(axis=1), minlength=2)
    assert counts.tolist() == [np.sum(calibrated == "first"), np.sum(calibrated == "second")]
