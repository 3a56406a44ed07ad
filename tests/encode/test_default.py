"""``default_encoder``: the one rule for the encoder used when none is named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fewlabels.data import Dataset
from fewlabels.encode import default_encoder, list_encoders
from fewlabels.errors import FewlabelsError


def _dataset(modality: str, inputs: object, n: int = 2) -> Dataset:
    return Dataset(
        ids=np.array([f"x{i}" for i in range(n)], dtype=object),
        inputs=inputs,  # type: ignore[arg-type]
        labels=np.full(n, -1, dtype=np.int64),
        classes=("a", "b"),
        modality=modality,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("modality", "inputs", "expected"),
    [
        ("text", ["good", "bad"], "minilm-int8"),
        ("image", ["a.png", "b.jpg"], "efficientnet-lite0"),
        ("image", np.zeros((2, 8, 8), dtype=np.uint8), "pixels"),
        ("tabular", pd.DataFrame({"x": [1.0, 2.0]}), "tabular"),
    ],
)
def test_the_rule_per_modality(modality: str, inputs: object, expected: str) -> None:
    assert default_encoder(_dataset(modality, inputs)) == expected
    assert default_encoder(modality=modality, inputs=inputs) == expected


def test_an_image_modality_without_inputs_means_files() -> None:
    assert default_encoder(modality="image") == "efficientnet-lite0"


def test_every_default_is_a_registered_offline_encoder() -> None:
    offline = {info.name for info in list_encoders() if info.offline}
    chosen = {
        default_encoder(modality="text"),
        default_encoder(modality="image"),
        default_encoder(modality="image", inputs=np.zeros((1, 4, 4))),
        default_encoder(modality="tabular"),
    }
    assert chosen <= offline


def test_callers_share_the_rule() -> None:
    from fewlabels.data import load_builtin
    from fewlabels.distill.end_to_end import default_teacher_encoder

    digits = load_builtin("digits").train
    assert default_teacher_encoder(digits) == default_encoder(digits) == "pixels"


def test_wrong_arguments_are_explained() -> None:
    with pytest.raises(FewlabelsError, match="either a dataset or modality=.*neither"):
        default_encoder()
    with pytest.raises(FewlabelsError, match="modality 'text', 'image' or 'tabular'.*'audio'"):
        default_encoder(modality="audio")
