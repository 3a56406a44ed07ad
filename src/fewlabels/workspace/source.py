"""A workspace's data source: loading it, hashing item contents, noticing changes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fewlabels.data.dataset import Dataset, MultiLabelDataset, take_inputs
from fewlabels.data.source import load_source
from fewlabels.errors import FewlabelsError, MissingFileError, StateError
from fewlabels.typing import UNLABELED
from fewlabels.workspace.config import DataSourceConfig


class SourceChangedError(StateError):
    """Items registered in the store are missing from the data source or their content changed."""


def _opaque_id(name: str, original: str) -> str:
    return "item-" + hashlib.sha256(f"{name}:{original}".encode()).hexdigest()[:12]


def load_label_sets(
    data: DataSourceConfig, classes: tuple[str, ...] | None = None
) -> MultiLabelDataset:
    """Load a multi-label table source with its label sets (see :func:`load_pool`).

    The label column holds a list per row (JSONL, Parquet; a JSON list such as
    ``["a", "b"]`` or ``[]`` in a CSV cell) or, with ``data.sep``, labels joined by it; a
    blank cell is an unlabelled item (:func:`fewlabels.data.from_table` with
    ``multilabel=True``, whose errors name the rows that mix lists with single values or
    hold a label outside ``classes``).

    Raises
    ------
    FewlabelsError
        A source that is not a table (built-in datasets and image folders hold one label
        per item).
    """
    from fewlabels.data.table import from_table

    if data.kind != "table":
        raise FewlabelsError(
            f"Expected a table source (.csv, .tsv, .parquet, .jsonl) for a multi-label "
            f"workspace, but {data.source!r} is a {data.kind}, whose items have one label "
            "each. Write a table with a column of label lists (or labels joined by a "
            "separator, --sep '|'), or leave --task out."
        )
    if not Path(data.source).exists():
        _missing(data)
    return from_table(
        data.source,
        text=data.text,
        features=list(data.features) if data.features is not None else None,
        label=data.label,
        id=data.id,
        classes=list(classes) if classes else None,
        multilabel=True,
        sep=data.sep,
    )


def _missing(data: DataSourceConfig) -> None:
    raise MissingFileError(
        f"Expected the workspace's data source at {data.source!r}, but it is not there (moved "
        "or deleted?). Put it back, or point `source` under [data] in fewlabels.toml to its "
        "new place."
    )


def load_pool(
    data: DataSourceConfig, classes: tuple[str, ...] | None = None, *, task: str = "single"
) -> Dataset:
    """Load the pool a workspace labels, through :func:`fewlabels.data.load_source`.

    What it adds to ``load_source``: a built-in dataset loses its labels (the workspace must
    not reveal them): its items get opaque ids and a shuffled order, so neither an id nor a
    position gives the class away. Folders and tables keep their labels, which the workspace
    imports. A folder or table that is gone is reported with the fix in ``fewlabels.toml``.

    With ``task="multilabel"`` the table is read with its label sets
    (:func:`load_label_sets`) and the pool returned without them: every label ``-1``, the
    classes those of the sets (the workspace keeps the sets in its store).

    Raises
    ------
    FileNotFoundError
        When a folder or table moved: the message names the path and how to fix it.
    """
    if data.kind != "builtin" and not Path(data.source).exists():
        _missing(data)
    if task == "multilabel":
        ml = load_label_sets(data, classes)
        return Dataset(
            ids=ml.ids,
            inputs=ml.inputs,
            labels=np.full(len(ml), UNLABELED, dtype=np.int64),
            classes=ml.classes,
            modality=ml.modality,
            name=ml.name,
        )
    dataset = load_source(
        data.source,
        kind=data.kind,
        text=data.text,
        features=data.features,
        label=data.label,
        id=data.id,
        classes=classes,
    )
    if data.kind != "builtin":
        return dataset
    new_ids = np.array([_opaque_id(data.source, str(i)) for i in dataset.ids], dtype=object)
    order = np.argsort(new_ids.astype(str), kind="stable")
    return Dataset(
        ids=new_ids[order],
        inputs=take_inputs(dataset.inputs, order),
        labels=np.full(len(dataset), UNLABELED, dtype=np.int64),
        classes=dataset.classes,
        modality=dataset.modality,
        name=data.source,
    )


def content_hashes(dataset: Dataset) -> list[str]:
    """One content hash per item: text bytes, image file bytes, array bytes or row values.

    An image file that cannot be read hashes to ``"missing"``.
    """
    inputs = dataset.inputs
    if isinstance(inputs, pd.DataFrame):
        hashed = pd.util.hash_pandas_object(inputs, index=False).to_numpy()
        return [f"{int(h):016x}" for h in hashed]
    if isinstance(inputs, np.ndarray):
        return [hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()[:32] for x in inputs]
    out = []
    for value in inputs:
        if dataset.modality == "image":
            try:
                out.append(hashlib.sha256(Path(value).read_bytes()).hexdigest()[:32])
            except OSError:
                out.append("missing")
        else:
            out.append(hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:32])
    return out


def item_sources(dataset: Dataset, data: DataSourceConfig) -> list[str]:
    """Where each item comes from (never the path of a built-in item: it names the class)."""
    if data.kind == "builtin":
        return [f"builtin:{data.source}"] * len(dataset)
    if dataset.modality == "image" and isinstance(dataset.inputs, list):
        return [str(p) for p in dataset.inputs]
    return [f"{data.source}#{i}" for i in dataset.ids]


@dataclass(frozen=True)
class SourceCheck:
    """How the data source compares with the items registered in the store.

    Attributes
    ----------
    missing : list of str
        Registered ids no longer in the source.
    changed : list of str
        Registered ids whose content hash differs.
    new : list of str
        Source ids not registered yet.
    """

    missing: list[str]
    changed: list[str]
    new: list[str]

    @property
    def ok(self) -> bool:
        """True when nothing registered is missing or changed."""
        return not (self.missing or self.changed)

    def message(self, source: str) -> str:
        """Say which items are missing or changed, and what to do."""
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} item(s) missing: {self.missing[:10]}")
        if self.changed:
            parts.append(f"{len(self.changed)} item(s) changed: {self.changed[:10]}")
        return (
            f"Expected the data source {source!r} to hold the items registered in the workspace, "
            f"but {'; '.join(parts)}. Restore the original files, or accept the new contents with "
            "`fewlabels status --accept-source-changes` (labels of changed items stay as they are)."
        )
