"""The workspace and its SQLite label store: items, an append-only label history, rounds."""

from fewlabels.store.config import DataSourceConfig, WorkspaceConfig
from fewlabels.store.export import ImportReport, export_labels, import_labels
from fewlabels.store.label_store import (
    CorruptStoreError,
    ItemRecord,
    LabelEvent,
    LabelStore,
    Round,
    RoundProgress,
    UndoConflictError,
)
from fewlabels.store.source import SourceChangedError, SourceCheck
from fewlabels.store.workspace import Workspace, WorkspaceStatus

__all__ = [
    "CorruptStoreError",
    "DataSourceConfig",
    "ImportReport",
    "ItemRecord",
    "LabelEvent",
    "LabelStore",
    "Round",
    "RoundProgress",
    "SourceChangedError",
    "SourceCheck",
    "UndoConflictError",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceStatus",
    "export_labels",
    "import_labels",
]
