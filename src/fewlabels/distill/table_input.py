"""How the tabular student reads a table: standardised numbers and one-hot categories, as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.errors import FewlabelsError, MissingKeyError

_MAX_CATEGORIES = 50


@dataclass(frozen=True)
class TableInput:
    """Raw table columns in, a float matrix out.

    Numbers are standardised with the training mean and standard deviation (missing values
    become the mean); each category column is one-hot encoded over its most frequent
    training values (an unseen value gives all zeros).

    Parameters
    ----------
    numeric : tuple of str
        Numeric columns, in order.
    means, stds : tuple of float
        Training statistics of the numeric columns.
    categories : tuple of (str, tuple of str)
        Category columns and their known values, in order.
    """

    numeric: tuple[str, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]
    categories: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    input_names = ("features",)

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> TableInput:
        """Learn column kinds and statistics from a training table (labels are never read)."""
        numeric, means, stds, cats = [], [], [], []
        for col in table.columns:
            s = table[col]
            if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
                v = s.astype(np.float64)
                numeric.append(str(col))
                mean = float(np.nanmean(v)) if v.notna().any() else 0.0
                std = float(np.nanstd(v)) if v.notna().any() else 1.0
                means.append(mean)
                stds.append(std if std > 1e-12 else 1.0)
            else:
                top = s.dropna().astype(str).value_counts(sort=True).index[:_MAX_CATEGORIES]
                cats.append((str(col), tuple(sorted(str(t) for t in top))))
        return cls(tuple(numeric), tuple(means), tuple(stds), tuple(cats))

    @property
    def columns(self) -> list[str]:
        """Every column the student reads."""
        return list(self.numeric) + [c for c, _ in self.categories]

    @property
    def n_features(self) -> int:
        return len(self.numeric) + sum(len(v) for _, v in self.categories)

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        """The feature matrix of shape (n, n_features), float32.

        Raises
        ------
        KeyError
            When the table lacks a column the student was trained on.
        """
        present = [str(c) for c in table.columns]
        missing = [c for c in self.columns if c not in present]
        if missing:
            raise MissingKeyError(
                f"Expected the columns {self.columns} that the student was trained on, but the "
                f"table lacks {missing} (it has {present}). Rename or add those columns."
            )
        t = table.rename(columns=str)
        parts = []
        if self.numeric:
            num = t[list(self.numeric)].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
            num = (num - np.asarray(self.means)) / np.asarray(self.stds)
            parts.append(np.nan_to_num(num, nan=0.0))
        for col, values in self.categories:
            s = t[col].astype(str).where(t[col].notna(), None).to_numpy(object)
            parts.append(
                (s[:, None] == np.asarray(values, dtype=object)[None, :]).astype(np.float64)
            )
        if not parts:
            return np.zeros((len(t), 0), dtype=np.float32)
        return np.hstack(parts).astype(np.float32)

    def feeds(self, table: pd.DataFrame) -> dict[str, np.ndarray]:
        """The ONNX inputs for a raw table (checked with :meth:`check_values` first)."""
        self.check_values(table)
        return {"features": self.transform(table)}

    def check_values(self, table: pd.DataFrame) -> None:
        """Refuse missing, infinite or unseen feature values, as ``fewlabels init`` does.

        One policy for both: a missing (NaN) or infinite number and a category the student
        never saw are refused, with one message that counts them per column. (A category
        column with ``_MAX_CATEGORIES`` known values was cut to its most frequent values in
        training, where the rest read as "other"; there an unseen value is "other" too.)

        Raises
        ------
        FewlabelsError
            Naming each column and how many rows are bad in it.
        """
        t = table.rename(columns=str)
        problems: list[str] = []
        n_bad = np.zeros(len(t), dtype=bool)
        for col in self.numeric:
            if col not in t.columns:
                continue
            v = pd.to_numeric(t[col], errors="coerce").to_numpy(np.float64)
            bad = ~np.isfinite(v)
            if bad.any():
                n_bad |= bad
                problems.append(f"column {col!r}: {int(bad.sum())} missing or infinite")
        for col, values in self.categories:
            if col not in t.columns:
                continue
            s = t[col]
            missing = s.isna().to_numpy()
            text = s.astype(str).to_numpy(object)
            unseen = ~missing & ~np.isin(text, np.asarray(values, dtype=object))
            if len(values) >= _MAX_CATEGORIES:
                unseen[:] = False
            if missing.any():
                n_bad |= missing
                problems.append(f"column {col!r}: {int(missing.sum())} missing")
            if unseen.any():
                n_bad |= unseen
                example = str(text[np.flatnonzero(unseen)[0]])
                known = ", ".join(values[:10]) + (", ..." if len(values) > 10 else "")
                problems.append(
                    f"column {col!r}: {int(unseen.sum())} unseen categor"
                    f"{'y' if unseen.sum() == 1 else 'ies'} (e.g. {example!r}; known: {known})"
                )
        if problems:
            raise FewlabelsError(
                f"Expected a known value in every feature column, as when the workspace was "
                f"made (`fewlabels init` refuses missing values), but {int(n_bad.sum())} of "
                f"{len(t)} row(s) have none: {'; '.join(problems)}. Fill, map or drop those "
                "rows before predicting."
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "means": list(self.means),
            "stds": list(self.stds),
            "categories": [[c, list(v)] for c, v in self.categories],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableInput:
        return cls(
            tuple(d["numeric"]),
            tuple(float(v) for v in d["means"]),
            tuple(float(v) for v in d["stds"]),
            tuple((str(c), tuple(str(x) for x in v)) for c, v in d["categories"]),
        )
