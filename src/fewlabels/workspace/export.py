"""Export labels to CSV or JSONL; import them back from either, with a conflict report.

An export of the current labels imports as it is (``export -> import`` round-trips for both
formats); a history export is refused by ``import`` (its rows are events, not labels).

In a multi-label store (``task = "multilabel"``) a label is a set of classes: JSONL writes it
as a JSON list (``"label": ["a", "b"]``, ``[]`` for the empty set), CSV as the same JSON
text in the cell; import reads both back, and a label outside the classes in a set is
reported with its item like any unknown class.

Excluded items
--------------
Every export has an ``excluded`` column: ``true`` for an item taken out of the pool ("none
of these", ``fewlabels exclude``) now, ``false`` otherwise (CSV writes the words, JSONL
booleans). An excluded item's label stays in the store (``include`` brings the item back with
it), so its row is kept by default, marked, and a training script elsewhere can drop those
rows; ``with_excluded=False`` leaves them out. ``import`` honours the column: a row marked
``true`` is not imported as a label (it is counted in :attr:`ImportReport.excluded_rows`);
a file without the column imports every row.

This file runs just past 400 lines: it is one file format in both directions (the writers and
the reader with its conflict report), single-label and label sets, with the messages that name
the row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fewlabels.errors import FewlabelsError, MissingFileError, MissingKeyError
from fewlabels.store.label_store import LabelStore, decode_label_set, encode_label_set

ExportFormat = Literal["csv", "jsonl"]
_COLUMNS = ("id", "label", "source", "who", "time", "excluded")
#: The column that marks an item excluded from the pool now.
EXCLUDED_COLUMN = "excluded"


def _format_of(path: Path, fmt: str | None) -> str:
    chosen = fmt or path.suffix.lstrip(".").lower()
    if chosen not in ("csv", "jsonl"):
        raise FewlabelsError(
            "Expected an export format 'csv' or 'jsonl' (or a path ending in .csv/.jsonl), "
            "but got "
            f"{chosen!r} from {str(path)!r}. Pass format='csv' or format='jsonl'."
        )
    return chosen


def export_labels(
    store: LabelStore,
    path: str | Path,
    *,
    format: ExportFormat | None = None,
    history: bool = False,
    sources: Sequence[str] = ("human", "imported"),
    with_excluded: bool = True,
) -> int:
    """Write the current labels (or the full history) to CSV or JSONL.

    Parameters
    ----------
    store : LabelStore
    path : str or Path
        The file to write; its suffix picks the format unless ``format`` is given.
    format : {"csv", "jsonl"}, optional
    history : bool, default False
        Write every history row (with ``seq`` and ``undoes``) instead of the current labels.
    sources : sequence of str, default ("human", "imported")
        Which label sources to include in a current-labels export.
    with_excluded : bool, default True
        Keep the rows of items excluded now, marked ``excluded`` true; False leaves them out.
        Every row has the ``excluded`` column either way.

    Returns
    -------
    int
        The number of rows written.
    """
    out = Path(path)
    fmt = _format_of(out, format)
    excluded = set(store.excluded())
    if history:
        columns: tuple[str, ...] = ("seq", *_COLUMNS, "undoes")
        rows: list[dict[str, Any]] = [
            {
                "seq": e.seq,
                "id": e.item_id,
                "label": e.label,
                "source": e.source,
                "who": e.who,
                "time": e.time,
                "excluded": e.item_id in excluded,
                "undoes": e.undoes,
            }
            for e in store.history()
        ]
    else:
        columns = _COLUMNS
        rows = [
            {
                "id": e.item_id,
                "label": e.label,
                "source": e.source,
                "who": e.who,
                "time": e.time,
                "excluded": e.item_id in excluded,
            }
            for e in store.current().values()
            if e.source in sources
        ]
    if not with_excluded:
        rows = [r for r in rows if not r["excluded"]]
    if store.multilabel and fmt == "jsonl":  # a set as a JSON list, not the text of one
        for r in rows:
            if r["label"] is not None:
                r["label"] = list(decode_label_set(str(r["label"])))
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns))
            writer.writeheader()
            for r in rows:
                writer.writerow({k: _cell(r[k]) for k in columns})
    else:
        with open(out, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(rows)


def _cell(value: object) -> object:
    """A CSV cell: blank for None, ``true``/``false`` for booleans (as JSONL writes them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


@dataclass
class ImportReport:
    """What an import did, or why it wrote nothing.

    Attributes
    ----------
    written : int
        History rows appended.
    unchanged : int
        Rows whose label equals the item's current label (nothing appended).
    conflicts : list of (id, current label, imported label)
        Items that already had another label. Kept unless ``on_conflict="overwrite"``.
    unknown_items : list of str
        Ids that are not registered in the store (nothing is written when any).
    unknown_classes : list of (id, label)
        Labels outside the store's classes (nothing is written when any).
    duplicates : list of str
        Ids given twice with different labels in the file (nothing is written when any).
    overwritten : int
        Conflicts replaced by the imported label (``on_conflict="overwrite"``).
    excluded_rows : list of str
        Ids of rows marked ``excluded`` true (an export of items out of the pool): not
        imported as labels.
    """

    written: int = 0
    unchanged: int = 0
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    unknown_items: list[str] = field(default_factory=list)
    unknown_classes: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    overwritten: int = 0
    excluded_rows: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file was valid (no unknown item, class or duplicate)."""
        return not (self.unknown_items or self.unknown_classes or self.duplicates)

    def summary(self) -> str:
        """One paragraph for people."""
        if not self.ok:
            parts = []
            if self.unknown_items:
                parts.append(
                    f"{len(self.unknown_items)} unknown item id(s) {self.unknown_items[:10]}"
                )
            if self.unknown_classes:
                parts.append(
                    f"{len(self.unknown_classes)} label(s) outside the classes "
                    f"{self.unknown_classes[:10]}"
                )
            if self.duplicates:
                parts.append(
                    f"{len(self.duplicates)} id(s) with two different labels {self.duplicates[:10]}"
                )
            return (
                "Nothing was written: the file has "
                + "; ".join(parts)
                + ". Fix the file and import again."
            )
        text = f"Wrote {self.written} label(s); {self.unchanged} already matched."
        if self.excluded_rows:
            text += (
                f" {len(self.excluded_rows)} row(s) marked excluded were not imported "
                f"{self.excluded_rows[:10]}: their items were out of the pool where they were "
                "exported (`fewlabels exclude` takes them out here too)."
            )
        if self.conflicts:
            text += (
                f" {len(self.conflicts)} conflict(s) with current labels (id, current, imported): "
                f"{self.conflicts[:10]}."
            )
            if self.kept_conflicts:
                text += (
                    " Their current labels were kept: import again with --overwrite "
                    "(on_conflict='overwrite' in Python) to replace them."
                )
        return text

    @property
    def kept_conflicts(self) -> bool:
        """True when conflicting labels were kept (``on_conflict="keep"``)."""
        return bool(self.conflicts) and self.overwritten == 0

    @property
    def only_conflicts(self) -> bool:
        """True when nothing was written because every new label conflicted (and was kept)."""
        return self.ok and self.written == 0 and self.kept_conflicts


def import_labels(
    store: LabelStore,
    path: str | Path,
    *,
    who: str = "import",
    on_conflict: Literal["keep", "overwrite"] = "keep",
    id_column: str = "id",
    label_column: str = "label",
) -> ImportReport:
    """Import labels from a CSV or JSONL file with ``id`` and ``label`` fields (source ``imported``).

    Both formats of :func:`export_labels` import as written (the suffix ``.jsonl`` or ``.json``
    means one JSON object a line; anything else is read as CSV). Ids and labels are read as
    text, exactly as written. The file is checked whole first: labels for unknown items or classes, or an id given two
    different labels, are reported and nothing is written. Rows with a blank label are ignored,
    and so are rows whose ``excluded`` column (when the file has one) is true: they are the
    labels of items out of the pool where they were exported (see the module docstring).

    Parameters
    ----------
    store : LabelStore
    path : str or Path
    who : str, default "import"
        Recorded as who labelled.
    on_conflict : {"keep", "overwrite"}, default "keep"
        What to do where an item already has another label: keep it (and report the conflict)
        or append the imported one (also reported).
    id_column, label_column : str, default "id" and "label"
        The columns (or JSON keys) holding item ids and labels.

    Returns
    -------
    ImportReport
    """
    if on_conflict not in ("keep", "overwrite"):
        raise FewlabelsError(
            f"Expected on_conflict 'keep' or 'overwrite', but got {on_conflict!r}."
        )
    report = ImportReport()
    rows = []
    for item_id, label, excluded in _read_rows(Path(path), id_column, label_column):
        if label and excluded:
            report.excluded_rows.append(item_id)
        elif label:
            rows.append((item_id, label))
    known = {it.id for it in store.items()}
    classes = store.classes
    wanted: dict[str, str] = {}
    for n, (item_id, label) in enumerate(rows):
        if item_id not in known:
            report.unknown_items.append(item_id)
        if store.multilabel:
            labels = _label_set(label, path, item_id)
            outside = [c for c in labels if classes is not None and c not in classes]
            report.unknown_classes.extend((item_id, c) for c in outside)
            label = encode_label_set([c for c in labels if c not in outside], classes)
            rows[n] = (item_id, label)
        elif classes is not None and label not in classes:
            report.unknown_classes.append((item_id, label))
        if item_id in wanted and wanted[item_id] != label and item_id not in report.duplicates:
            report.duplicates.append(item_id)
        wanted[item_id] = label
    if not report.ok:
        return report
    current = store.current_labels()
    to_write: list[tuple[str, str]] = []
    for item_id, label in wanted.items():
        now = current.get(item_id)
        if now == label:
            report.unchanged += 1
            continue
        if now is not None:
            report.conflicts.append((item_id, now, label))
            if on_conflict == "keep":
                continue
            report.overwritten += 1
        to_write.append((item_id, label))
    if to_write:
        store.add_labels(to_write, who=who, source="imported")
    report.written = len(to_write)
    return report


def _label_set(text: str, path: str | Path, item_id: str) -> tuple[str, ...]:
    """A multi-label cell (a JSON list of class names) as a tuple; errors name the item."""
    try:
        return decode_label_set(text)
    except FewlabelsError:
        raise FewlabelsError(
            f"Expected each label in {str(path)!r} to be a set of classes written as a JSON "
            f'list (e.g. ["a", "b"], or [] for none) for a multi-label workspace, but item '
            f"{item_id!r} has {text!r}. Write its labels as a list."
        ) from None


def _text(value: object) -> str:
    """A cell as text: None (a JSON null) is blank; numbers are written as JSON writes them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _read_rows(path: Path, id_column: str, label_column: str) -> list[tuple[str, str, bool]]:
    """``(id, label, excluded)`` of each row of a CSV or JSONL file, id and label as text;
    errors name the file."""
    if not path.is_file():
        raise MissingFileError(
            f"Expected a CSV or JSONL file of labels at {str(path)!r}, but it does not exist."
        )
    jsonl = path.suffix.lower() in (".jsonl", ".json", ".ndjson")
    records: list[dict[str, object]] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            if jsonl:
                for n, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise FewlabelsError(
                            f"Expected one JSON object a line in {str(path)!r}, but line {n} is "
                            f"not valid JSON ({exc.msg}). Fix the line, or export the labels "
                            "again with `fewlabels export`."
                        ) from None
                    if not isinstance(record, dict):
                        raise FewlabelsError(
                            f"Expected one JSON object a line in {str(path)!r}, but line {n} is "
                            f"a {type(record).__name__}. Write e.g. "
                            '{"id": "item-1", "label": "cat"}.'
                        )
                    records.append(record)
                fields = sorted({k for r in records for k in r})
            else:
                reader = csv.DictReader(fh)
                fields = list(reader.fieldnames or [])
                records = list(reader)
    except UnicodeDecodeError as exc:
        raise FewlabelsError(
            f"Expected a UTF-8 text file of labels at {str(path)!r}, but byte {exc.start} is not "
            "UTF-8. Save it as UTF-8 (or export it again with `fewlabels export`)."
        ) from None
    if "seq" in fields and "undoes" in fields:
        raise FewlabelsError(
            f"Expected current labels in {str(path)!r}, but it is a history export (columns seq "
            "and undoes: every label event, undos included). Export the current labels with "
            "`fewlabels export` (without --history) and import that file."
        )
    missing = [c for c in (id_column, label_column) if c not in fields]
    if missing and (records or not jsonl):  # an empty JSONL file has no keys to check
        raise MissingKeyError(
            f"Expected the columns {[id_column, label_column]} in {str(path)!r}, but it has "
            f"{fields}. Rename the columns or name them with --id-column/--label-column "
            "(id_column=/label_column= in Python)."
        )
    rows = []
    for n, r in enumerate(records, start=1):
        item_id, label = _text(r.get(id_column)), _text(r.get(label_column))
        if label and not item_id:
            where = f"line {n}" if jsonl else f"row {n + 1}"
            raise FewlabelsError(
                f"Expected an item id on every labelled row of {str(path)!r}, but {where} has "
                f"the label {label!r} and a blank {id_column!r}. Fill in the id or remove the row."
            )
        where = f"line {n}" if jsonl else f"row {n + 1}"
        rows.append((item_id, label, _excluded(r.get(EXCLUDED_COLUMN), path, where)))
    return rows


def _excluded(value: object, path: Path, where: str) -> bool:
    """The ``excluded`` cell of a row: true/false (JSON booleans, or the words in CSV); a
    blank or missing cell is false."""
    if value is None or value is False or value == "":
        return False
    if value is True:
        return True
    text = str(value).strip().lower()
    if text in ("true", "false", ""):
        return text == "true"
    raise FewlabelsError(
        f"Expected the column {EXCLUDED_COLUMN!r} of {str(path)!r} to hold true or false, but "
        f"{where} has {value!r}. Write true or false, or leave the cell blank (false)."
    )
