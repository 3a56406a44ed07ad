"""Tabular rows: standardised numbers and one-hot categories, fitted without labels."""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.data.table import check_finite_features
from fewlabels.encode.base import l2_normalize
from fewlabels.errors import InputTypeError, MissingKeyError, NotFittedError
from fewlabels.typing import Modality

#: The category a missing (NaN or None) categorical value becomes.
MISSING_CATEGORY = "(missing)"

#: Unseen values named per column in the warning of one encode call.
_UNSEEN_SHOWN = 5


class UnseenCategoryWarning(UserWarning):
    """An encoded table holds categories the encoder was not fitted on (encoded as zeros)."""


def _is_numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _category_text(s: pd.Series) -> np.ndarray:
    """The cells of a categorical column as text, missing cells as ``MISSING_CATEGORY``."""
    text = s.astype(object).where(s.notna(), MISSING_CATEGORY)
    return np.asarray([str(v) for v in text.tolist()], dtype=object)


class TabularEncoder:
    """Standardise numeric columns and one-hot encode categorical ones, imputing missing values.

    Statistics (means, standard deviations, categories) come from the rows passed to
    :meth:`fit` and never from labels.

    Missing values are imputed, not refused:

    * a missing number (NaN) becomes its column's fitted **mean** (0 after standardising;
      the mean and standard deviation are those of the column's present values, 0 and 1
      for a column that is all missing), and every numeric column that had missing values
      at fit time gets a missing-indicator column (1 where the value was missing). A column
      without missing values at fit time gets no indicator, so that ``dim`` stays fixed
      after fit: a value missing there only at encode time is imputed with the mean alone;
    * a missing categorical value (NaN or None) is its own category, ``"(missing)"``.

    A category unseen at fit time encodes as all zeros in its column's one-hot block; each
    :meth:`encode` call records them in ``unseen_categories_`` and warns once
    (:class:`UnseenCategoryWarning`), naming the columns and up to 5 values each. Infinite
    numbers are refused at fit and encode time, naming the columns: impute or clip them.

    Parameters
    ----------
    normalize : bool, default True
        L2-normalise each encoded row, like every other encoder.

    Attributes
    ----------
    unseen_categories_ : dict of str to set of str
        Every category met by :meth:`encode` but not seen by :meth:`fit`, per column
        (accumulated over the encode calls since the last fit).
    missing_indicators_ : list of str
        The numeric columns with a missing-indicator output column.
    """

    name = "tabular"
    modality: Modality = "tabular"

    def __init__(self, *, normalize: bool = True) -> None:
        self.normalize = normalize
        self._numeric: dict[str, tuple[float, float]] | None = None
        self._categorical: dict[str, list[str]] = {}
        self.missing_indicators_: list[str] = []
        self.unseen_categories_: dict[str, set[str]] = {}

    @property
    def is_fitted(self) -> bool:
        return self._numeric is not None

    def fit(self, inputs: Any) -> TabularEncoder:
        """Learn column statistics from a DataFrame of shape (n_rows, n_columns)."""
        frame = _as_frame(inputs)
        check_finite_features(frame, allow_missing=True)
        numeric: dict[str, tuple[float, float]] = {}
        categorical: dict[str, list[str]] = {}
        indicators: list[str] = []
        for col in frame.columns:
            s = frame[col]
            if _is_numeric(s):
                values = s.to_numpy(dtype=np.float64, na_value=np.nan)
                present = values[~np.isnan(values)]
                if present.size < values.size:
                    indicators.append(str(col))
                mean = float(present.mean()) if present.size else 0.0
                std = float(present.std()) if present.size else 0.0
                numeric[str(col)] = (mean, std if std > 0 else 1.0)
            else:
                categorical[str(col)] = sorted(set(_category_text(s).tolist()))
        self._numeric, self._categorical = numeric, categorical
        self.missing_indicators_ = indicators
        self.unseen_categories_ = {}
        return self

    @property
    def dim(self) -> int:
        if self._numeric is None:
            raise NotFittedError("TabularEncoder is not fitted: call fit(table) first.")
        n_cats = sum(len(v) for v in self._categorical.values())
        return len(self._numeric) + len(self.missing_indicators_) + n_cats

    @property
    def identity(self) -> str:
        state: dict[str, Any] = {
            "num": self._numeric,
            "cat": self._categorical,
            "l2": self.normalize,
        }
        if self.missing_indicators_:  # absent without missing values: older caches stay valid
            state["missing"] = {"impute": "mean", "indicators": self.missing_indicators_}
        text = json.dumps(state, sort_keys=True)
        return "tabular/" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def encode(self, inputs: Any) -> np.ndarray:
        """Encode rows: ndarray of shape (n, dim), float32.

        Columns: the standardised numbers, then the missing indicators, then the one-hot
        categories, each in fitted column order.
        """
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
        check_finite_features(frame[[*self._numeric, *self._categorical]], allow_missing=True)
        parts = []
        absent: dict[str, np.ndarray] = {}
        for col, (mean, std) in self._numeric.items():
            try:
                values = frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                raise InputTypeError(
                    f"Expected numbers in column {col!r}, as when the encoder was fitted, but it "
                    f"holds {frame[col].dtype} values such as {frame[col].iloc[0]!r}. Convert "
                    "the column to numbers."
                ) from None
            absent[col] = np.isnan(values)
            parts.append(np.where(absent[col], 0.0, (values - mean) / std)[:, None])
        for col in self.missing_indicators_:
            parts.append(absent[col].astype(np.float64)[:, None])
        unseen: dict[str, list[str]] = {}
        for col, cats in self._categorical.items():
            values = _category_text(frame[col])
            known = np.asarray(cats, dtype=object)
            parts.append((values[:, None] == known[None, :]).astype(np.float64))
            new = sorted(set(values.tolist()) - set(cats))
            if new:
                unseen[col] = new
                self.unseen_categories_.setdefault(col, set()).update(new)
        if unseen:
            shown = "; ".join(
                f"{col!r}: {vals[:_UNSEEN_SHOWN]}"
                + (f" and {len(vals) - _UNSEEN_SHOWN} more" if len(vals) > _UNSEEN_SHOWN else "")
                for col, vals in unseen.items()
            )
            warnings.warn(
                f"TabularEncoder: categories not seen at fit time encode as all zeros in their "
                f"column's block: {shown}. Refit the encoder on a table holding them to give "
                "them their own columns (the encoder's identity, and so the cache, changes).",
                UnseenCategoryWarning,
                stacklevel=2,
            )
        out = (
            np.hstack(parts).astype(np.float32) if parts else np.zeros((len(frame), 0), np.float32)
        )
        return l2_normalize(out) if self.normalize else out


def _as_frame(inputs: Any) -> pd.DataFrame:
    if isinstance(inputs, pd.DataFrame):
        return inputs
    return pd.DataFrame(inputs)
