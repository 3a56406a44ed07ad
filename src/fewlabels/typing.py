"""Type aliases shared across fewlabels."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

#: Embeddings or any float matrix, ``ndarray of shape (n_samples, n_features)``.
FloatArray = npt.NDArray[np.floating]
#: Integer labels, ``-1`` marks an unlabelled row.
IntArray = npt.NDArray[np.integer]
#: Boolean masks.
BoolArray = npt.NDArray[np.bool_]
#: Something that seeds a random generator.
SeedLike = int | np.random.Generator | None
#: The kinds of data fewlabels reads.
Modality = Literal["text", "image", "tabular"]
#: Where torch work runs; ``"auto"`` picks CUDA when present.
DeviceLike = str | None

UNLABELED: int = -1
"""The label value that marks a row without a label."""
