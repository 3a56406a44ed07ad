"""Image folders: one sub-folder per class, ``unlabeled/`` and loose files for the pool."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fewlabels._validation import encode_labels
from fewlabels.data.dataset import Dataset
from fewlabels.errors import FewlabelsError, MissingFileError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
UNLABELED_DIRS = ("unlabeled", "unlabelled")


def _images_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def from_folder(
    path: str | os.PathLike[str],
    *,
    classes: list[str] | None = None,
    name: str | None = None,
) -> Dataset:
    """Load an image folder.

    Layout::

        path/
          cat/*.png            labelled "cat"
          dog/*.jpg            labelled "dog"
          unlabeled/**         unlabelled (also "unlabelled/")
          *.png                loose files: unlabelled

    Ids are paths relative to ``path`` (with ``/``), so they stay stable when the folder moves.
    Suffixes read: png, jpg, jpeg, webp, bmp. Files are not decoded here: a corrupt image is
    skipped and reported when it is embedded.

    Parameters
    ----------
    path : path-like
    classes : list of str, optional
        Class names in order; by default the sub-folder names, sorted. Naming classes lets
        a class that has no labelled image yet exist.
    name : str, optional
        Dataset name; the folder name by default.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise MissingFileError(
            f"Expected an image folder at {str(root)!r}, but there is no such folder."
        )
    labelled: dict[str, list[Path]] = {}
    unlabelled: list[Path] = []
    for child in sorted(root.iterdir()):
        if child.is_dir():
            files = _images_in(child)
            if child.name.lower() in UNLABELED_DIRS:
                unlabelled.extend(files)
            elif files:
                labelled[child.name] = files
        elif child.is_file() and child.suffix.lower() in IMAGE_SUFFIXES:
            unlabelled.append(child)
    n_files = sum(len(v) for v in labelled.values()) + len(unlabelled)
    if n_files == 0:
        found = sorted(p.name for p in root.iterdir())[:10]
        raise FewlabelsError(
            f"Expected images ({', '.join(IMAGE_SUFFIXES)}) in {str(root)!r}: one sub-folder per "
            f"class and unlabeled/ for the pool, but found no image among {found}."
        )
    paths: list[Path] = []
    raw: list[str | None] = []
    for cls, files in labelled.items():
        paths.extend(files)
        raw.extend([cls] * len(files))
    paths.extend(unlabelled)
    raw.extend([None] * len(unlabelled))
    names = classes if classes is not None else sorted(labelled)
    if classes is None and len(names) < 2:
        raise FewlabelsError(
            f"Expected at least 2 class sub-folders in {str(root)!r}, but found {names}. "
            "Add a sub-folder per class, or pass classes=[...] to name them."
        )
    labels, class_names = encode_labels(raw, names)
    ids = [p.relative_to(root).as_posix() for p in paths]
    return Dataset(
        ids=np.asarray(ids, dtype=object),
        inputs=[str(p) for p in paths],
        labels=labels,
        classes=class_names,
        modality="image",
        name=name or root.name,
        meta={"source": str(root)},
    )
