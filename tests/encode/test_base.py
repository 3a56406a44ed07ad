"""The shared helpers of encode/base.py: unit rows, the text-side check."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.encode import check_text_side, get_encoder, has_text_side, l2_normalize
from fewlabels.errors import InputTypeError


def test_l2_normalize_gives_unit_rows_and_keeps_zero_rows() -> None:
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]])
    out = l2_normalize(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]], rtol=1e-6)


class _TextSide:
    name = "fake"

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        return np.ones((len(prompts), 2), dtype=np.float32)


def test_check_text_side_names_the_learner_and_the_fix() -> None:
    assert has_text_side(_TextSide()) and check_text_side(_TextSide()) is None
    pixels = get_encoder("pixels")
    assert not has_text_side(pixels)
    with pytest.raises(
        InputTypeError, match=r"ZeroShot needs an encoder with a text side.*'pixels'"
    ):
        check_text_side(pixels)
    with pytest.raises(TypeError, match=r"^Prompts needs .*'clip:<model-id>' for images"):
        check_text_side(object(), learner="Prompts")


def test_model_encoders_are_shared_not_copied_by_deepcopy():
    import copy

    from fewlabels.encode.clip import ClipEncoder
    from fewlabels.encode.efficientnet import EfficientNetLite0Encoder
    from fewlabels.encode.hf_image import HFImageEncoder
    from fewlabels.encode.onnx_minilm import OnnxMiniLMEncoder
    from fewlabels.encode.sentence_transformer import SentenceTransformerEncoder
    from fewlabels.encode.use_int8 import UseInt8Encoder

    # sklearn.clone deep-copies a learner's encoder parameter: a loaded model (or an ONNX
    # session, which cannot be pickled) must be shared instead.
    for cls in (
        ClipEncoder,
        EfficientNetLite0Encoder,
        HFImageEncoder,
        OnnxMiniLMEncoder,
        SentenceTransformerEncoder,
        UseInt8Encoder,
    ):
        enc = object.__new__(cls)
        assert copy.deepcopy(enc) is enc, cls.__name__
