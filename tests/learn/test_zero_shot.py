import os

import numpy as np
import pytest

from fewlabels.learn import ZeroShot
from fewlabels.learn.zero_shot import (
    DEFAULT_TEMPLATES,
    cache_logits,
    class_prompts,
    prompt_ensemble,
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
