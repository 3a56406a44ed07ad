"""Tabular rows: standardised numbers and one-hot categories, fitted without labels."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.data.table import check_finite_features
from fewlabels.encode.base import l2_normalize
from fewlabels.errors import InputTypeError, MissingKeyError, NotFittedError
from fewlabels.typing import Modality


class TabularEncoder:
    """Standardise numeric columns and one-hot encode categorical ones.

    Statistics (means, standard deviations, categories) come from the rows passed to
    :meth:`fit` and never from labels. A category unseen at fit time encodes as all zeros.
    Missing (NaN) and infinite values are refused at fit and encode time, naming the
    columns: they would make NaN embeddings.

    Parameters
    ----------
    normalize : bool, default True
        L2-normalise each encoded row, like every other encoder.
    """

    name = "tabular"
    modality: Modality = "tabular"

    def __init__(self, *, normalize: bool = True) -> None:
        self.normalize = normalize
        self._numeric: dict[str, tuple[float, float]] | None = None
        self._categorical: dict[str, list[str]] = {}

    @property
    def is_fitted(self) -> bool:
        return self._numeric is not None

    def fit(self, inputs: Any) -> TabularEncoder:
        """Learn column statistics from a DataFrame of shape (n_rows, n_columns)."""
        frame = _as_frame(inputs)
        check_finite_features(frame)
        numeric: dict[str, tuple[float, float]] = {}
        categorical: dict[str, list[str]] = {}
        for col in frame.columns:
            s = frame[col]
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                values = s.to_numpy(dtype=np.float64)
                std = float(values.std())
                numeric[str(col)] = (float(values.mean()), std if std > 0 else 1.0)
            else:
                categorical[str(col)] = sorted({str(v) for v in s.tolist()})
        self._numeric, self._categorical = numeric, categorical
        return self

    @property
    def dim(self) -> int:
        if self._numeric is None:
            raise NotFittedError("TabularEncoder is not fitted: call fit(table) first.")
        return len(self._numeric) + sum(len(v) for v in self._categorical.values())

    @property
    def identity(self) -> str:
        state = json.dumps(
            {"num": self._numeric, "cat": self._categorical, "l2": self.normalize},
            sort_keys=True,
        )
        return "tabular/" + hashlib.blake2b(state.encode(), digest_size=16).hexdigest()

    def encode(self, inputs: Any) -> np.ndarray:
        """Encode rows: ndarray of shape (n, n_numeric + n_categories), float32."""
        if self._numeric is None:
            self.fit(inputs)
        assert self._numeric is not None
        frame = _as_frame(inputs)
        missing = [c for c in [*self._numeric, *self._categorical] if c not in frame.columns]
        if missing:
            raise MissingKeyError(
                f"Expected the columns the encoder was fitted on, but {missing} are missing; "
                f"the table has {list(frame.columns)}."
            )
        check_finite_features(frame[[*self._numeric, *self._categorical]])
        parts = []
        for col, (mean, std) in self._numeric.items():
            try:
                values = frame[col].to_numpy(dtype=np.float64)
            except (TypeError, ValueError):
                raise InputTypeError(
                    f"Expected numbers in column {col!r}, as when the encoder was fitted, but it "
                    f"holds {frame[col].dtype} values such as {frame[col].iloc[0]!r}. Convert "
                    "the column to numbers."
                ) from None
            parts.append(((values - mean) / std)[:, None])
        for col, cats in self._categorical.items():
            values = frame[col].astype(str).to_numpy()
            parts.append((values[:, None] == np.asarray(cats)[None, :]).astype(np.float64))
        out = (
            np.hstack(parts).astype(np.float32) if parts else np.zeros((len(frame), 0), np.float32)
        )
        return l2_normalize(out) if self.normalize else out


def _as_frame(inputs: Any) -> pd.DataFrame:
    if isinstance(inputs, pd.DataFrame):
        return inputs
    return pd.DataFrame(inputs)
