"""The label store: one SQLite file of items, an append-only label history and rounds.

Persistence only: this package imports nothing above :mod:`fewlabels.errors` (no learner,
strategy, encoder or workspace). The loop over a store lives in :mod:`fewlabels.workspace`.
"""

from fewlabels.store.label_store import (
    LABEL_SOURCES,
    MAX_ANNOTATOR,
    REVIEW_ACTIONS,
    BatchUndo,
    BatchWrite,
    CorruptStoreError,
    ExclusionRecord,
    ForgetRecord,
    ItemRecord,
    ItemVotes,
    LabelEvent,
    LabelStore,
    Round,
    RoundProgress,
    Tombstone,
    UndoConflictError,
    check_annotator,
    decode_label_set,
    encode_label_set,
    is_locked_error,
)

__all__ = [
    "LABEL_SOURCES",
    "MAX_ANNOTATOR",
    "REVIEW_ACTIONS",
    "BatchUndo",
    "BatchWrite",
    "CorruptStoreError",
    "ExclusionRecord",
    "ForgetRecord",
    "ItemRecord",
    "ItemVotes",
    "LabelEvent",
    "LabelStore",
    "Round",
    "RoundProgress",
    "Tombstone",
    "UndoConflictError",
    "check_annotator",
    "decode_label_set",
    "encode_label_set",
    "is_locked_error",
]
