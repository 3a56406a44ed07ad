"""Labels in a workspace: one item's label (a class, or a set), undo, and labels in and out
(export and import)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from fewlabels.errors import FewlabelsError
from fewlabels.store.label_store import LabelEvent
from fewlabels.workspace.export import ImportReport, export_labels, import_labels
from fewlabels.workspace.pool import PoolMixin


class LabellingMixin(PoolMixin):
    """Labelling, undo, export and import (part of :class:`fewlabels.workspace.Workspace`)."""

    def label(self, item_id: str, labels: Sequence[str], *, who: str) -> LabelEvent:
        """Label one item: a set of classes (possibly empty) in a multi-label workspace,
        exactly one class in a single-label one. Returns the new history row.

        Raises
        ------
        FewlabelsError
            A class outside the workspace's classes (they are listed), or a single-label
            workspace given other than one class.
        MissingKeyError
            An item that is not in the workspace.
        """
        if isinstance(labels, str):
            raise FewlabelsError(
                f"Expected the labels of item {item_id!r} as a list of class names, but got the "
                f"single str {labels!r}. Pass [{labels!r}] (or [] for none of the labels)."
            )
        names = list(dict.fromkeys(str(c) for c in labels))
        outside = [c for c in names if c not in self.config.classes]
        if outside:
            raise FewlabelsError(
                f"Expected classes among {list(self.config.classes)}, but got {outside} for "
                f"item {item_id!r}. Fix the class name(s); nothing was written."
            )
        if self.multilabel:
            seq = self.store.add_label_sets([(item_id, names)], who=who)[0]
        else:
            if len(names) != 1:
                raise FewlabelsError(
                    f"Expected exactly one class for item {item_id!r} in a single-label "
                    f"workspace, but got {names}. Pass one class, or create a workspace with "
                    "--task multilabel for sets of classes."
                )
            seq = self.store.add_label(item_id, names[0], who=who)
        return next(e for e in reversed(self.store.history(item_id)) if e.seq == seq)

    def undo(self, *, item_id: str | None = None, who: str | None = None) -> LabelEvent:
        """Undo a label: the latest human label (of ``who`` when given), or the current label
        of ``item_id``; the item gets its previous label (or set) back.

        Raises
        ------
        UndoConflictError
            Nothing to undo, or the item's current label is no human label to undo.
        """
        if item_id is None:
            return self.store.undo(None, who=who)
        from fewlabels.store.label_store import UndoConflictError

        current = self.store.current().get(str(item_id))
        if current is None or current.source != "human":
            raise UndoConflictError(
                f"Expected item {item_id!r} to carry a human label to undo, but it has "
                f"{'none' if current is None else 'an imported one'}."
            )
        return self.store.undo(current.seq)

    def export(
        self,
        path: str | Path | None = None,
        *,
        format: str | None = None,
        history: bool = False,
        with_excluded: bool = True,
    ) -> Path:
        """Write the current labels (or history) to CSV/JSONL (default ``labels.csv`` here).

        Every row says whether its item is excluded now (column ``excluded``); with
        ``with_excluded=False`` the rows of excluded items are left out (see
        :func:`fewlabels.workspace.export_labels`).
        """
        out = Path(path) if path is not None else self.root / "labels.csv"
        export_labels(
            self.store,
            out,
            format=format,  # type: ignore[arg-type]
            history=history,
            with_excluded=with_excluded,
        )
        return out

    def import_labels(
        self,
        path: str | Path,
        *,
        on_conflict: Literal["keep", "overwrite"] = "keep",
        id_column: str = "id",
        label_column: str = "label",
    ) -> ImportReport:
        """Import labels from CSV or JSONL (an :meth:`export` imports as it is); see
        :func:`fewlabels.workspace.import_labels`."""
        return import_labels(
            self.store,
            path,
            on_conflict=on_conflict,
            id_column=id_column,
            label_column=label_column,
        )
