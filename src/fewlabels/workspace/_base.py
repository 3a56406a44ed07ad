"""The state every part of a :class:`fewlabels.workspace.Workspace` shares: its folder, its
config and its store (the mixins of ``pool``, ``labelling``, ``curation`` and ``rounds`` build
on it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fewlabels.data.dataset import Dataset
from fewlabels.store.label_store import LabelStore
from fewlabels.workspace.config import WorkspaceConfig

STORE_NAME = "labels.db"


class WorkspaceBase:
    """A workspace's folder, config and store, and what it caches (the pool, the encoder).

    Parameters
    ----------
    root : Path
    config : WorkspaceConfig
    store : LabelStore
    """

    def __init__(self, root: Path, config: WorkspaceConfig, store: LabelStore) -> None:
        self.root = root
        self.config = config
        self.store = store
        self._dataset: Dataset | None = None
        self._encoder: Any = None
