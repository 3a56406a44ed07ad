"""The Dataset: ids, inputs, labels (-1 = unlabelled), class names and modality."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, cast

import numpy as np
import pandas as pd

from fewlabels._validation import _preview
from fewlabels.data.labels import check_dataset_classes
from fewlabels.errors import FewlabelsError, InputTypeError, MissingKeyError
from fewlabels.typing import UNLABELED, Modality

#: What a Dataset's inputs can be: texts or file paths (list of str), a table
#: (DataFrame), or in-memory images (ndarray of shape (n, height, width[, channels])).
Inputs = list[str] | pd.DataFrame | np.ndarray

_MODALITIES = ("text", "image", "tabular")


def check_unique_ids(ids: Sequence[str]) -> np.ndarray:
    """Return ``ids`` as an array of str, refusing duplicates and empty datasets."""
    arr = np.asarray([str(i) for i in ids], dtype=object)
    if arr.size == 0:
        raise FewlabelsError(
            "Expected a dataset with at least one item, but it is empty. "
            "Check the path, the folder layout or the table you passed."
        )
    uniq, counts = np.unique(arr.astype(str), return_counts=True)
    dup = uniq[counts > 1]
    if dup.size:
        raise FewlabelsError(
            f"Expected unique ids, but {dup.size} id(s) occur more than once: "
            f"{_preview(dup.tolist())}. "
            "Give every item its own id (or leave the id column out to number rows)."
        )
    return arr


def check_label_codes(labels: Any, n_samples: int, n_classes: int) -> np.ndarray:
    """Check integer label codes in ``[-1, n_classes)`` of length ``n_samples``."""
    y = np.asarray(labels)
    if y.shape != (n_samples,):
        raise FewlabelsError(
            f"Expected labels of shape ({n_samples},), one per item, but got shape {y.shape}."
        )
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise InputTypeError(
            f"Expected integer label codes (-1 = unlabelled), but got dtype {y.dtype}. "
            "Map class names to codes with fewlabels.data.encode_labels."
        )
    bad = np.unique(y[(y < UNLABELED) | (y >= n_classes)])
    if bad.size and n_classes == 0:
        raise FewlabelsError(
            f"Expected no labels (every code -1) in a dataset without classes, but found the "
            f"codes {_preview(bad.tolist())}. Pass the class names the codes index into."
        )
    if bad.size:
        raise FewlabelsError(
            f"Expected label codes in [-1, {n_classes - 1}] for {n_classes} classes, "
            f"but found {_preview(bad.tolist())}."
        )
    return y.astype(np.int64)


_ItemsT = TypeVar("_ItemsT", bound="_Items")


class _Items:
    """What :class:`Dataset` and :class:`MultiLabelDataset` share: ids, inputs, classes.

    Each subclass is a frozen dataclass and names its label field in ``_label_field``
    (``"labels"`` or ``"label_sets"``, with one row per item).
    """

    ids: np.ndarray
    inputs: Inputs
    classes: tuple[str, ...]
    modality: Modality
    name: str
    meta: dict[str, Any]
    _label_field: ClassVar[str]

    def _check_items(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """Check ids, modality and inputs; return the checked ids and classes."""
        ids = check_unique_ids(list(self.ids))
        n = len(ids)
        if self.modality not in _MODALITIES:
            raise FewlabelsError(f"Expected modality in {_MODALITIES}, but got {self.modality!r}.")
        n_inputs = len(self.inputs)
        if n_inputs != n:
            raise FewlabelsError(
                f"Expected one input per id, but got {n} ids and {n_inputs} inputs."
            )
        return ids, check_dataset_classes(self.classes)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def _rebuild(self: _ItemsT, **changes: Any) -> _ItemsT:
        """The same items with ``changes`` to the fields (``meta`` copied), re-checked."""
        return cast(_ItemsT, dataclasses.replace(cast(Any, self), meta=dict(self.meta), **changes))

    def subset(self: _ItemsT, index: Sequence[int] | np.ndarray) -> _ItemsT:
        """Return the items at ``index`` (integer positions or a boolean mask), in that order."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        labels = getattr(self, self._label_field)
        return self._rebuild(
            ids=self.ids[idx],
            inputs=take_inputs(self.inputs, idx),
            **{self._label_field: labels[idx]},
        )


@dataclass(frozen=True, eq=False)
class Dataset(_Items):
    """A pool of items, some labelled.

    Parameters
    ----------
    ids : sequence of str of length n_samples
        Unique item ids.
    inputs : list of str, DataFrame or ndarray
        Texts (``modality="text"``), image file paths or an image array of shape
        ``(n_samples, height, width[, channels])`` (``"image"``), or a table with one row
        per item (``"tabular"``).
    labels : ndarray of shape (n_samples,)
        Integer codes into ``classes``; ``-1`` marks an unlabelled item.
    classes : sequence of str
        Class names; ``labels`` index into them. Any number, none included: a pool nobody
        has labelled yet has no classes (every label -1), and embedding needs none. Learners
        and workspaces check that they get two or more.
    modality : {"text", "image", "tabular"}
    name : str
        A short name for reports and caches.
    """

    ids: np.ndarray
    inputs: Inputs
    labels: np.ndarray
    classes: tuple[str, ...]
    modality: Modality
    name: str = "dataset"
    meta: dict[str, Any] = field(default_factory=dict)
    _label_field: ClassVar[str] = "labels"

    def __post_init__(self) -> None:
        ids, classes = self._check_items()
        labels = check_label_codes(self.labels, len(ids), len(classes))
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "labels", labels)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, modality={self.modality!r}, n={len(self)}, "
            f"labelled={int(self.labeled_mask.sum())}, classes={list(self.classes)})"
        )

    @property
    def labeled_mask(self) -> np.ndarray:
        """ndarray of shape (n_samples,): True where the item has a label."""
        return self.labels != UNLABELED

    def class_counts(self) -> dict[str, int]:
        """Labelled items per class name."""
        counts = np.bincount(self.labels[self.labeled_mask], minlength=self.n_classes)
        return {c: int(k) for c, k in zip(self.classes, counts, strict=False)}

    def with_labels(self, labels: np.ndarray) -> Dataset:
        """Return the same items with other labels (codes into ``classes``, -1 = unlabelled)."""
        return self._rebuild(labels=np.asarray(labels))

    def unlabeled(self) -> Dataset:
        """Return the same items with every label removed."""
        return self.with_labels(np.full(len(self), UNLABELED, dtype=np.int64))

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Integer positions of ``ids``; unknown ids raise a KeyError that lists them."""
        lookup = {str(i): k for k, i in enumerate(self.ids)}
        missing = [i for i in ids if str(i) not in lookup]
        if missing:
            shown = missing[:10]
            raise MissingKeyError(
                f"Expected ids of items in dataset {self.name!r}, but {len(missing)} are not "
                "there: "
                f"{shown}{' ...' if len(missing) > 10 else ''}."
            )
        return np.array([lookup[str(i)] for i in ids], dtype=np.int64)


def take_inputs(inputs: Inputs, idx: np.ndarray) -> Inputs:
    """Select rows of any kind of inputs by integer positions (assumes valid positions)."""
    if isinstance(inputs, pd.DataFrame):
        return inputs.iloc[idx].reset_index(drop=True)
    if isinstance(inputs, np.ndarray):
        return inputs[idx]
    return [inputs[int(i)] for i in idx]


def check_label_indicator(label_sets: Any, n_samples: int, n_classes: int) -> np.ndarray:
    """Check a label-set indicator matrix: rows of 0/1, or of -1 for unlabelled items.

    Parameters
    ----------
    label_sets : array-like of shape (n_samples, n_classes)
        ``label_sets[i, k] == 1`` when item ``i`` has class ``k``; a row of zeros is a
        labelled item with the empty set; a row of ``-1`` is an unlabelled item.
    n_samples, n_classes : int

    Returns
    -------
    ndarray of shape (n_samples, n_classes), int8
    """
    Y = np.asarray(label_sets)
    if Y.ndim == 1 and Y.size == 0:
        Y = Y.reshape(n_samples, n_classes)
    if Y.shape != (n_samples, n_classes):
        raise FewlabelsError(
            f"Expected label sets of shape ({n_samples}, {n_classes}), one row per item and "
            f"one column per class, but got shape {Y.shape}."
        )
    if Y.size and not (np.issubdtype(Y.dtype, np.integer) or Y.dtype == bool):
        raise InputTypeError(
            f"Expected an integer 0/1 indicator matrix (rows of -1 = unlabelled), but got "
            f"dtype {Y.dtype}. Build it with fewlabels.data.encode_label_sets."
        )
    Y = Y.astype(np.int8)
    bad = np.flatnonzero(~np.isin(Y, (-1, 0, 1)).all(axis=1))
    if bad.size:
        raise FewlabelsError(
            f"Expected label-set entries 0 or 1 (or a whole row of -1 for an unlabelled "
            f"item), but {bad.size} row(s) hold other values, e.g. rows {bad[:10].tolist()}."
        )
    unl = Y == UNLABELED
    mixed = np.flatnonzero(unl.any(axis=1) & ~unl.all(axis=1))
    if mixed.size:
        raise FewlabelsError(
            f"Expected each row of the label sets to be all 0/1 (labelled) or all -1 "
            f"(unlabelled), but {mixed.size} row(s) mix -1 with 0/1, e.g. rows "
            f"{mixed[:10].tolist()}. Mark an unlabelled item with a whole row of -1."
        )
    return Y


@dataclass(frozen=True, eq=False)
class MultiLabelDataset(_Items):
    """A pool of items, some labelled, each label a set of classes (possibly empty).

    The multi-label twin of :class:`Dataset`: the same ids, inputs, classes and modality,
    with ``label_sets`` in place of ``labels``. :meth:`pool` gives the items as an unlabelled
    :class:`Dataset` (what an encoder embeds).

    Parameters
    ----------
    ids : sequence of str of length n_samples
    inputs : list of str, DataFrame or ndarray
        As in :class:`Dataset`.
    label_sets : ndarray of shape (n_samples, n_classes), int8
        ``1`` where the item has the class, else ``0``; a row of zeros is a labelled item
        whose set is empty; a row of ``-1`` marks an unlabelled item (the convention of
        :class:`fewlabels.learn.OneVsRest`).
    classes : sequence of str
    modality : {"text", "image", "tabular"}
    name : str
    """

    ids: np.ndarray
    inputs: Inputs
    label_sets: np.ndarray
    classes: tuple[str, ...]
    modality: Modality
    name: str = "dataset"
    meta: dict[str, Any] = field(default_factory=dict)
    _label_field: ClassVar[str] = "label_sets"

    def __post_init__(self) -> None:
        ids, classes = self._check_items()
        Y = check_label_indicator(self.label_sets, len(ids), len(classes))
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "label_sets", Y)

    def __repr__(self) -> str:
        return (
            f"MultiLabelDataset(name={self.name!r}, modality={self.modality!r}, n={len(self)}, "
            f"labelled={int(self.labeled_mask.sum())}, classes={list(self.classes)})"
        )

    @property
    def labeled_mask(self) -> np.ndarray:
        """ndarray of shape (n_samples,): True where the item has a label set (empty too)."""
        if self.n_classes == 0:
            return np.zeros(len(self), dtype=bool)
        return ~(self.label_sets == UNLABELED).all(axis=1)

    def class_counts(self) -> dict[str, int]:
        """Labelled items per class name (an item counts once for each class in its set)."""
        counts = self.label_sets[self.labeled_mask].sum(axis=0)
        return {c: int(k) for c, k in zip(self.classes, counts, strict=True)}

    def sets(self) -> list[tuple[str, ...] | None]:
        """Each item's label set as class names (in class order), None when unlabelled."""
        names = np.asarray(self.classes, dtype=object)
        mask = self.labeled_mask
        return [
            tuple(names[row == 1].tolist()) if lab else None
            for row, lab in zip(self.label_sets, mask, strict=True)
        ]

    def with_label_sets(self, label_sets: np.ndarray) -> MultiLabelDataset:
        """Return the same items with other label sets (rows of -1 = unlabelled)."""
        return self._rebuild(label_sets=np.asarray(label_sets))

    def unlabeled(self) -> MultiLabelDataset:
        """Return the same items with every label set removed."""
        return self.with_label_sets(np.full(self.label_sets.shape, UNLABELED, dtype=np.int8))

    def pool(self) -> Dataset:
        """The items as an unlabelled :class:`Dataset` with the same ids, inputs and name.

        Embedding caches key on ids and inputs, so the pool's embeddings are those of any
        single-label dataset with the same items.
        """
        return Dataset(
            ids=self.ids,
            inputs=self.inputs,
            labels=np.full(len(self), UNLABELED, dtype=np.int64),
            classes=(),
            modality=self.modality,
            name=self.name,
            meta=dict(self.meta),
        )

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Integer positions of ``ids`` (see :meth:`Dataset.positions`)."""
        return self.pool().positions(ids)
