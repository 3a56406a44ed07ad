"""One entry point for a data source given as a string: a built-in name, a folder or a table.

Every caller that starts from such a string goes through :func:`load_source`: the ``embed``
command, the workspace (which wraps it to hide a built-in dataset's labels, see
:func:`fewlabels.workspace.source.load_pool`) and the benchmark runner (which loads a built-in
dataset's two splits, or an image folder's ``train/`` and ``test/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from fewlabels.data.builtin import _BUILTIN, load_builtin
from fewlabels.data.dataset import Dataset
from fewlabels.data.folder import from_folder
from fewlabels.data.table import from_table
from fewlabels.errors import FewlabelsError, MissingFileError

SourceKind = Literal["builtin", "folder", "table"]
#: The kinds of data source, in the order :func:`detect_kind` tries them.
SOURCE_KINDS: tuple[str, ...] = ("builtin", "folder", "table")
#: The table file types :func:`fewlabels.data.from_table` reads.
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl")


def builtin_names() -> list[str]:
    """The names of the built-in datasets."""
    return list(_BUILTIN)


def detect_kind(source: str) -> str:
    """Whether ``source`` names a built-in dataset, an image folder or a table file.

    Returns
    -------
    {"builtin", "folder", "table"}

    Raises
    ------
    FileNotFoundError
        When ``source`` is no built-in name and no file or folder exists there.
    """
    if source in _BUILTIN:
        return "builtin"
    path = Path(source).expanduser()
    if path.is_dir():
        return "folder"
    if path.is_file():
        return "table"
    what = "is not a file or a folder" if path.exists() else "does not exist"
    raise MissingFileError(
        f"Expected a built-in dataset name ({', '.join(_BUILTIN)}), an image folder or a table "
        f"file ({', '.join(TABLE_SUFFIXES)}), but {source!r} {what}. Check the path, or see "
        "`fewlabels datasets` for the built-in names."
    )


def load_source(
    source: str,
    *,
    kind: str | None = None,
    text: str | None = None,
    features: Sequence[str] | None = None,
    label: str | None = None,
    id: str | None = None,
    classes: Sequence[str] | None = None,
    split: Literal["train", "test"] = "train",
    name: str | None = None,
) -> Dataset:
    """Load ``source``: a built-in dataset name (one split), an image folder, or a table.

    Parameters
    ----------
    source : str
        ``"digits"``, ``"finefoods"``... (see ``fewlabels datasets``), a folder of images, or a
        ``.csv``/``.tsv``/``.parquet``/``.jsonl`` file.
    kind : {"builtin", "folder", "table"}, optional
        What ``source`` is; detected by default (:func:`detect_kind`). A workspace stores it.
    text, features, label, id
        Column options of a table (:func:`fewlabels.data.from_table`); exactly one of ``text``
        and ``features`` is needed there, and none of them is allowed for other sources.
    classes : sequence of str, optional
        Class names: the order of a folder's or table's classes (needed for a table whose
        labels are all blank). For a built-in dataset they must equal its own.
    split : {"train", "test"}, default "train"
        Which split of a built-in dataset (the pool, or the fixed held-out test split). A
        folder or a table has no splits: load its test part as a source of its own.
    name : str, optional
        The dataset's name for a folder or table (default: the folder or file name).

    Returns
    -------
    Dataset
        A built-in split keeps its labels and ids; a folder or table keeps the labels it holds.

    Raises
    ------
    FileNotFoundError
        When ``source`` is not a built-in name, a folder or a file.
    """
    chosen = detect_kind(source) if kind is None else kind
    if chosen not in SOURCE_KINDS:
        raise FewlabelsError(
            f"Expected the kind of a data source in {SOURCE_KINDS}, but got {chosen!r}. Leave "
            "kind out to detect it."
        )
    if split not in ("train", "test"):
        raise FewlabelsError(f"Expected split 'train' or 'test', but got {split!r}.")
    columns = {"text": text, "features": features, "label": label, "id": id}
    if chosen != "table":
        given = [k for k, v in columns.items() if v is not None]
        if given:
            raise FewlabelsError(
                f"Expected the column options {given} only for a table source, but "
                f"{source!r} is a {chosen}. Remove them."
            )
    if chosen == "builtin":
        return _builtin_split(source, split=split, classes=classes)
    if split != "train":
        raise FewlabelsError(
            f"Expected split='train' for a {chosen} ({source!r}): only built-in datasets have a "
            "test split. Load the folder or table of your test items as its own source."
        )
    path = Path(source).expanduser()
    if chosen == "folder":
        if not path.is_dir():
            raise MissingFileError(
                f"Expected an image folder at {str(path)!r}, but it does not exist. Check the path."
            )
        return from_folder(path, classes=list(classes) if classes else None, name=name)
    if not path.is_file():
        raise MissingFileError(
            f"Expected a table file at {str(path)!r}, but it does not exist. Check the path."
        )
    if text is None and features is None:
        raise FewlabelsError(
            f"Expected the text column or the feature columns of the table {source!r} (--text "
            "COLUMN for texts, or --features A,B for table rows, on the command line; text= or "
            "features=[...] in Python), but got neither."
        )
    return from_table(
        path,
        text=text,
        features=list(features) if features is not None else None,
        label=label,
        id=id,
        classes=list(classes) if classes else None,
        name=name,
    )


def _builtin_split(
    source: str, *, split: Literal["train", "test"], classes: Sequence[str] | None
) -> Dataset:
    """One split of a built-in dataset, checking ``classes`` against its own."""
    splits = load_builtin(source)
    ds = splits.train if split == "train" else splits.test
    if classes and tuple(classes) != ds.classes:
        raise FewlabelsError(
            f"Expected the classes of the built-in dataset {source!r}, {list(ds.classes)}, but "
            f"got {list(classes)}. Leave --classes out for a built-in dataset, or give exactly "
            "these."
        )
    return ds
