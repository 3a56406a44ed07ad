"""The label store: one SQLite file of items, an append-only label history and rounds.

Persistence only: this package imports nothing above :mod:`fewlabels.errors` (no learner,
strategy, encoder or workspace). The loop over a store lives in :mod:`fewlabels.workspace`.
"""

from fewlabels.store.label_store import (
    LABEL_SOURCES,
    CorruptStoreError,
    ItemRecord,
    LabelEvent,
    LabelStore,
    Round,
    RoundProgress,
    UndoConflictError,
    is_locked_error,
)

__all__ = [
    "LABEL_SOURCES",
    "CorruptStoreError",
    "ItemRecord",
    "LabelEvent",
    "LabelStore",
    "Round",
    "RoundProgress",
    "UndoConflictError",
    "is_locked_error",
]
