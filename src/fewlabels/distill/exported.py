"""An exported student opened for prediction: onnxruntime only, never torch.

``load_student(path)`` opens a fewlabels export (refusing anything else, see
:mod:`fewlabels.distill.export`); :func:`pool_staleness` says when a student was trained on an
older pool than its workspace holds now (after a ``fewlabels forget``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.distill.export import OUTPUT_NAME, read_export
from fewlabels.distill.image_input import ImageInput
from fewlabels.distill.multilabel import indicator_sets, label_indicator
from fewlabels.distill.table_input import TableInput
from fewlabels.distill.text_input import TextHashing, length_batches, padded_rows
from fewlabels.errors import FewlabelsError

_SPECS: dict[str, Any] = {"text": TextHashing, "image": ImageInput, "tabular": TableInput}


@dataclass
class ExportedStudent:
    """A student loaded from its ONNX export.

    Attributes
    ----------
    path : Path
    metadata : dict
        Everything the export recorded (classes, input spec, training summary, versions).
    classes : tuple of str
    modality : {"text", "image", "tabular"}
    kind : str
        ``"text-ngram"``, ``"cnn"`` or ``"mlp"``.
    spec : TextHashing, ImageInput or TableInput
        How raw inputs become the network's inputs.
    """

    path: Path
    metadata: dict[str, Any]
    session: Any
    spec: Any

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.metadata["classes"])

    @property
    def modality(self) -> str:
        return str(self.metadata["modality"])

    @property
    def kind(self) -> str:
        return str(self.metadata["student"])

    @property
    def multilabel(self) -> bool:
        """Whether the student predicts label sets (one sigmoid per label)."""
        return self.metadata.get("task", "single") == "multilabel"

    @property
    def thresholds(self) -> np.ndarray | None:
        """Multi-label only: per-label thresholds (``proba >= threshold`` takes a label)."""
        if not self.multilabel:
            return None
        return np.asarray(self.metadata["thresholds"], dtype=np.float64)

    def predict_proba(
        self, inputs: Any, *, batch_size: int = 1024, resize: bool = False
    ) -> np.ndarray:
        """Class probabilities from raw inputs.

        Parameters
        ----------
        inputs : list of str (texts or image paths), ndarray of images, or DataFrame
        batch_size : int
            Rows per onnxruntime call.
        resize : bool
            Images only: resize (and convert) images whose size or colour mode differ from
            the training images instead of refusing them.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), float32

        Raises
        ------
        UnreadableInputError
            When image files cannot be read (:meth:`predict_readable` skips them instead).
        """
        _, proba, failures = self.predict_readable(inputs, batch_size=batch_size, resize=resize)
        if failures:
            from fewlabels.encode.images import UnreadableInputError

            raise UnreadableInputError([p for p, _ in failures], [r for _, r in failures])
        return proba

    def predict_readable(
        self, inputs: Any, *, batch_size: int = 1024, resize: bool = False
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
        """Like :meth:`predict_proba`, skipping unreadable image files.

        Returns
        -------
        kept : ndarray of int
            Positions of the inputs that were read, in order.
        proba : ndarray of shape (len(kept), n_classes), float32
        failures : list of (position, reason)
        """
        from fewlabels.encode.images import UnreadableInputError

        n = len(inputs)
        if self.modality == "text":
            proba = self._text_proba([str(t) for t in _take(inputs, slice(0, n))], batch_size)
            return np.arange(n), proba, []
        out, kept, failures = [], [], []
        for start in range(0, n, batch_size):
            part = _take(inputs, slice(start, start + batch_size))
            rows = np.arange(start, min(start + batch_size, n))
            if self.modality == "image":
                try:
                    feeds = self.spec.feeds(part, resize=resize)
                except UnreadableInputError as exc:
                    bad = set(exc.positions)
                    failures += [
                        (int(rows[k]), r) for k, r in zip(exc.positions, exc.reasons, strict=True)
                    ]
                    rows = np.array([r for k, r in enumerate(rows) if k not in bad], np.int64)
                    if not rows.size:
                        continue
                    feeds = self.spec.feeds([part[k] for k in rows - start], resize=resize)
            else:
                feeds = self.spec.feeds(pd.DataFrame(part))
            out.append(self.session.run([OUTPUT_NAME], feeds)[0])
            kept.append(rows)
        if not out:
            empty = np.zeros((0, len(self.classes)), dtype=np.float32)
            return np.zeros(0, dtype=np.int64), empty, failures
        proba = np.concatenate(out).astype(np.float32, copy=False)
        return np.concatenate(kept), proba, failures

    def _text_proba(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Hash once, then run rows of similar length together (small padded batches)."""
        hashed = self.spec.hash(texts)
        out = np.zeros((len(texts), len(self.classes)), dtype=np.float32)
        for rows in length_batches(np.diff(hashed.indptr), max_rows=batch_size):
            out[rows] = self.session.run([OUTPUT_NAME], padded_rows(hashed[rows]))[0]
        return out

    def predict(self, inputs: Any, **kwargs: Any) -> np.ndarray:
        """Class codes (indices into ``classes``) of shape (n_samples,); for a multi-label
        student the 0/1 label indicator of shape (n_samples, n_classes),
        ``proba >= thresholds`` (``OneVsRest.predict``'s rule)."""
        proba = self.predict_proba(inputs, **kwargs)
        if self.multilabel:
            return label_indicator(proba, self.thresholds)  # type: ignore[arg-type]
        return proba.argmax(axis=1)

    def predict_sets(self, inputs: Any, **kwargs: Any) -> list[list[str]]:
        """Multi-label only: each row's label set (class names in class order; an empty
        list where no label reaches its threshold)."""
        if not self.multilabel:
            raise FewlabelsError(
                f"Expected a multi-label student for predict_sets, but {str(self.path)!r} "
                "predicts one class per item. Use predict(inputs)."
            )
        return indicator_sets(self.predict(inputs, **kwargs), self.classes)


def _take(inputs: Any, sl: slice) -> Any:
    if isinstance(inputs, pd.DataFrame):
        return inputs.iloc[sl]
    return inputs[sl]


def load_student(path: str | os.PathLike[str], *, threads: int | None = None) -> ExportedStudent:
    """Open an exported student for prediction (onnxruntime, no torch).

    ``threads`` sets onnxruntime's intra-op threads (its default, all cores, when None).

    Raises
    ------
    NotAStudentError
        When the file is not a fewlabels export; the message says what it is.
    """
    session, meta = read_export(path, threads=threads)
    spec = _SPECS[meta["modality"]].from_dict(meta["input"])
    return ExportedStudent(Path(path), meta, session, spec)


def pool_staleness(model: str | os.PathLike[str] | ExportedStudent) -> str | None:
    """Say whether a student was trained on an older pool than its workspace holds now.

    A student distilled from a workspace records the workspace's folder and the fingerprint
    of its pool (:meth:`fewlabels.store.LabelStore.pool_fingerprint`). When the workspace's
    pool differs now (items forgotten, added or changed since), the student is stale:
    ``fewlabels distill`` trains it again on the pool as it is.

    Returns
    -------
    str or None
        The message "... was trained on an older pool ...", or None when the pool is the same
        or it cannot be told (a student of a built-in dataset or from before fingerprints, a
        workspace moved, deleted or unreadable).
    """
    import sqlite3

    from fewlabels.store.label_store import LabelStore

    student = model if isinstance(model, ExportedStudent) else load_student(model)
    then, folder = student.metadata.get("pool_fingerprint"), student.metadata.get("workspace")
    if not isinstance(then, str) or not isinstance(folder, str):
        return None
    db = Path(folder) / "labels.db"  # the workspace's STORE_NAME (workspace is a floor beside)
    if not db.is_file():
        return None
    try:
        now = LabelStore(db, create=False).pool_fingerprint()
    except (FewlabelsError, sqlite3.Error, OSError):
        return None
    if now == then:
        return None
    return (
        f"{str(student.path)!r} was trained on an older pool: the workspace {folder!r} has "
        f"changed since (items forgotten, added or changed; pool fingerprint {then[:8]} then, "
        f"{now[:8]} now). Its predictions still work; retrain it on the current pool with "
        f"`fewlabels distill -w {folder}`."
    )
