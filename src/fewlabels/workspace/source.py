"""A workspace's data source: loading it, hashing item contents, noticing changes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fewlabels.data.dataset import Dataset, take_inputs
from fewlabels.data.source import load_source
from fewlabels.errors import MissingFileError, StateError
from fewlabels.typing import UNLABELED
from fewlabels.workspace.config import DataSourceConfig


class SourceChangedError(StateError):
    """Items registered in the store are missing from the data source or their content changed."""


def _opaque_id(name: str, original: str) -> str:
    return "item-" + hashlib.sha256(f"{name}:{original}".encode()).hexdigest()[:12]


def load_pool(data: DataSourceConfig, classes: tuple[str, ...] | None = None) -> Dataset:
    """Load the pool a workspace labels, through :func:`fewlabels.data.load_source`.

    What it adds to ``load_source``: a built-in dataset loses its labels (the workspace must
    not reveal them): its items get opaque ids and a shuffled order, so neither an id nor a
    position gives the class away. Folders and tables keep their labels, which the workspace
    imports. A folder or table that is gone is reported with the fix in ``fewlabels.toml``.

    Raises
    ------
    FileNotFoundError
        When a folder or table moved: the message names the path and how to fix it.
    """
    if data.kind != "builtin" and not Path(data.source).exists():
        raise MissingFileError(
            f"Expected the workspace's data source at {data.source!r}, but it is not there (moved "
            "or deleted?). Put it back, or point `source` under [data] in fewlabels.toml to its "
            "new place."
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
