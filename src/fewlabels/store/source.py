"""A workspace's data source: loading it, hashing item contents, noticing changes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fewlabels.data.dataset import Dataset, take_inputs
from fewlabels.errors import FewlabelsError, MissingFileError, StateError
from fewlabels.store.config import DataSourceConfig
from fewlabels.typing import UNLABELED


class SourceChangedError(StateError):
    """Items registered in the store are missing from the data source or their content changed."""


def builtin_names() -> list[str]:
    """The names of the built-in datasets."""
    from fewlabels.data import list_builtin

    return [info.name for info in list_builtin()]


def detect_kind(source: str) -> str:
    """Whether ``source`` names a built-in dataset, an image folder or a table file."""
    if source in builtin_names():
        return "builtin"
    path = Path(source).expanduser()
    if path.is_dir():
        return "folder"
    if path.is_file():
        return "table"
    raise MissingFileError(
        f"Expected --data to be a built-in dataset ({builtin_names()}), an image folder or a "
        f"table file (.csv, .tsv, .parquet, .jsonl), but {source!r} is none of these."
    )


def _opaque_id(name: str, original: str) -> str:
    return "item-" + hashlib.sha256(f"{name}:{original}".encode()).hexdigest()[:12]


def load_source(data: DataSourceConfig, classes: tuple[str, ...] | None = None) -> Dataset:
    """Load the pool a workspace labels.

    A built-in dataset loses its labels (the workspace must not reveal them): its items get
    opaque ids and a shuffled order, so neither an id nor a position gives the class away.
    Folders and tables keep their labels, which the workspace imports.

    Raises
    ------
    FileNotFoundError
        When a folder or table moved: the message names the path and how to fix it.
    """
    if data.kind == "builtin":
        from fewlabels.data import load_builtin

        train = load_builtin(data.source).train
        if classes and tuple(classes) != train.classes:
            raise FewlabelsError(
                f"Expected the classes of the built-in dataset {data.source!r}, "
                f"{list(train.classes)}, but got {list(classes)}. Leave --classes out for a "
                "built-in dataset, or give exactly these."
            )
        new_ids = np.array([_opaque_id(data.source, str(i)) for i in train.ids], dtype=object)
        order = np.argsort(new_ids.astype(str), kind="stable")
        return Dataset(
            ids=new_ids[order],
            inputs=take_inputs(train.inputs, order),
            labels=np.full(len(train), UNLABELED, dtype=np.int64),
            classes=classes or train.classes,
            modality=train.modality,
            name=data.source,
        )
    path = Path(data.source)
    if not path.exists():
        raise MissingFileError(
            f"Expected the workspace's data source at {str(path)!r}, but it is not there (moved or "
            "deleted?). Put it back, or point `source` under [data] in fewlabels.toml to its "
            "new place."
        )
    if data.kind == "folder":
        from fewlabels.data import from_folder

        return from_folder(path, classes=list(classes) if classes else None)
    from fewlabels.data import from_table

    return from_table(
        path,
        text=data.text,
        features=list(data.features) if data.features is not None else None,
        label=data.label,
        id=data.id,
        classes=list(classes) if classes else None,
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
