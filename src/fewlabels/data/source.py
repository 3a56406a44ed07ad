"""One entry point for a data source given as a string: a built-in name, a folder or a table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fewlabels.data.builtin import _BUILTIN, load_builtin
from fewlabels.data.dataset import Dataset
from fewlabels.data.folder import from_folder
from fewlabels.data.table import from_table
from fewlabels.errors import FewlabelsError, MissingFileError


def load_source(
    source: str,
    *,
    text: str | None = None,
    features: Sequence[str] | None = None,
    label: str | None = None,
    id: str | None = None,
    classes: Sequence[str] | None = None,
) -> Dataset:
    """Load ``source``: a built-in dataset name (its train split), an image folder, or a table.

    Parameters
    ----------
    source : str
        ``"digits"``, ``"finefoods"``... (see ``fewlabels datasets``), a folder of images, or a
        ``.csv``/``.tsv``/``.parquet``/``.jsonl`` file.
    text, features, label, id, classes
        Passed to :func:`fewlabels.data.from_table` for a table.
    """
    if source in _BUILTIN:
        return load_builtin(source).train
    path = Path(source).expanduser()
    if path.is_dir():
        return from_folder(path, classes=list(classes) if classes else None)
    if path.is_file():
        if text is None and features is None:
            raise FewlabelsError(
                f"Expected --text COLUMN (texts) or --features A,B,... (table rows) for the table "
                f"{source!r}, but got neither."
            )
        return from_table(path, text=text, features=features, label=label, id=id, classes=classes)
    raise MissingFileError(
        f"Expected a built-in dataset name ({', '.join(_BUILTIN)}), an image folder or a table "
        f"file, but {source!r} is none of these."
    )
