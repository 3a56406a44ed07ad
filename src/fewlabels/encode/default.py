"""The encoder used when none is named: one rule, for every caller.

The workspace (``fewlabels init``), the simulations (``fewlabels simulate``), the demo and the
distillation teacher all ask :func:`default_encoder`; none keeps a table of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fewlabels.errors import FewlabelsError

if TYPE_CHECKING:
    from fewlabels.data.dataset import Dataset

#: Text: MiniLM as int8 ONNX. Its embeddings match the fp32 ``minilm`` (cosine 0.9995 on
#: average), it runs about twice as fast on a CPU and needs no torch (docs/benchmarks.md).
TEXT_ENCODER = "minilm-int8"
#: Image files: the packaged ImageNet EfficientNet-Lite0 (offline, 1280-d).
IMAGE_FILE_ENCODER = "efficientnet-lite0"
#: Images held in memory as one array (digits, mnist5k: small grey images): raw pixels.
IMAGE_ARRAY_ENCODER = "pixels"
#: Table rows: standardised numbers and one-hot categories.
TABULAR_ENCODER = "tabular"


def default_encoder(
    dataset: Dataset | None = None,
    *,
    modality: str | None = None,
    inputs: Any = None,
) -> str:
    """The registry name of the encoder to use when none is given.

    The rule, by modality:

    * ``text`` -> ``"minilm-int8"``;
    * ``image`` given as files (paths) -> ``"efficientnet-lite0"``;
    * ``image`` held in memory as one ndarray (small images such as ``digits``) -> ``"pixels"``;
    * ``tabular`` -> ``"tabular"``.

    Parameters
    ----------
    dataset : Dataset, optional
        The data to embed; its ``modality`` and ``inputs`` decide.
    modality : {"text", "image", "tabular"}, optional
        Instead of ``dataset``.
    inputs : optional
        With ``modality``: the inputs (an ndarray of images means in-memory images). Without
        them an image modality means image files.

    Returns
    -------
    str
        A name for :func:`fewlabels.encode.get_encoder`.
    """
    if (dataset is None) == (modality is None):
        raise FewlabelsError(
            "Expected either a dataset or modality=..., but got "
            f"{'both' if dataset is not None else 'neither'}. Pass one of them."
        )
    if dataset is not None:
        modality, inputs = dataset.modality, dataset.inputs
    if modality == "text":
        return TEXT_ENCODER
    if modality == "image":
        return IMAGE_ARRAY_ENCODER if isinstance(inputs, np.ndarray) else IMAGE_FILE_ENCODER
    if modality == "tabular":
        return TABULAR_ENCODER
    raise FewlabelsError(
        f"Expected a modality 'text', 'image' or 'tabular', but got {modality!r}. Name an "
        "encoder yourself (see `fewlabels encoders`)."
    )
