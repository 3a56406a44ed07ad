"""Image folders: one sub-folder per class, ``unlabeled/`` and loose files for the pool."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from fewlabels.data.dataset import Dataset
from fewlabels.data.labels import encode_labels
from fewlabels.errors import FewlabelsError, MissingFileError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
UNLABELED_DIRS = ("unlabeled", "unlabelled")


def _images_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def _inside_only(
    root: Path, labelled: dict[str, list[Path]], unlabelled: list[Path]
) -> tuple[dict[str, list[Path]], list[Path]]:
    """Drop the files that resolve (symbolic links followed) outside ``root``, with a warning
    that lists them: a link such as ``unlabeled/x.png -> /etc/passwd`` would otherwise be
    registered, hashed and served by the labelling page. Links to files inside stay."""
    real_root = root.resolve()
    outside: list[str] = []

    def inside(p: Path) -> bool:
        if p.resolve().is_relative_to(real_root):
            return True
        outside.append(p.relative_to(root).as_posix())
        return False

    kept = {cls: [p for p in files if inside(p)] for cls, files in labelled.items()}
    pool = [p for p in unlabelled if inside(p)]
    if outside:
        shown = ", ".join(outside[:10]) + (
            f" and {len(outside) - 10} more" if len(outside) > 10 else ""
        )
        warnings.warn(
            f"Skipped {len(outside)} file(s) of {str(root)!r} that are links to places outside "
            f"the folder: {shown}. Copy those images into the folder to use them.",
            UserWarning,
            stacklevel=3,
        )
    return {cls: files for cls, files in kept.items() if files}, pool


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
    skipped and reported when it is embedded. A symbolic link that resolves outside ``path``
    is skipped with a warning listing it (a link to another file inside ``path`` is kept).

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
    labelled, unlabelled = _inside_only(root, labelled, unlabelled)
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
    # A flat folder (no class sub-folders) is an unlabelled pool with no classes yet.
    names = classes if classes is not None else sorted(labelled)
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
