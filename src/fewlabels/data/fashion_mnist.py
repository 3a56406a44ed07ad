"""Fashion-MNIST read from Debian's ``dataset-fashion-mnist`` package (idx.gz files).

Xiao, Rasul and Vollgraf (2017), "Fashion-MNIST: a Novel Image Dataset for Benchmarking
Machine Learning Algorithms", arXiv:1708.07747. 60,000 training and 10,000 test grey 28x28
images of 10 kinds of clothing, MIT licence. Nothing is downloaded: the files come from the
Debian package, found at its usual path or, failing that, through ``dpkg -L``.
"""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import numpy as np

from fewlabels.errors import FewlabelsError, MissingFileError

#: The Debian package that carries the files.
PACKAGE = "dataset-fashion-mnist"

#: The class names, in the order of the label codes 0..9 of the idx files.
CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Folders searched first, in order; ``dpkg -L`` is asked only when none holds the files.
SEARCH_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets/fashion-mnist"),)

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_IDX_DTYPES = {0x08: np.dtype(np.uint8)}


def read_idx(path: Path) -> np.ndarray:
    """Read one (gzipped) idx file: the format of MNIST and Fashion-MNIST.

    The header is two zero bytes, a type code (``0x08``: unsigned bytes), the number of
    dimensions ``d`` and then ``d`` big-endian 32-bit sizes; the values follow.

    Parameters
    ----------
    path : Path
        An ``*-idx?-ubyte.gz`` (or uncompressed) file.

    Returns
    -------
    ndarray of shape given by the header, dtype uint8
        ``(n, 28, 28)`` for an images file, ``(n,)`` for a labels file.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = bytearray(fh.read())  # a bytearray, so the array is writeable like mnist5k's
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise FewlabelsError(
            f"Expected an idx file of unsigned bytes (header 00 00 08 <ndim>) at {path}, but "
            f"it starts with {bytes(raw[:4]).hex(' ') or 'nothing'}. Reinstall the package: "
            f"sudo apt-get install --reinstall {PACKAGE}"
        )
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    size = int(np.prod(shape))
    if len(raw) - offset != size:
        raise FewlabelsError(
            f"Expected {size} values of shape {shape} in {path}, but it holds "
            f"{len(raw) - offset}: the file is truncated. Reinstall the package: "
            f"sudo apt-get install --reinstall {PACKAGE}"
        )
    return np.frombuffer(raw, dtype=_IDX_DTYPES[raw[2]], offset=offset).reshape(shape)


def _dpkg_files(package: str) -> list[Path]:
    """The files ``dpkg -L`` lists for an installed package (none if dpkg is absent)."""
    try:
        done = subprocess.run(
            ["dpkg", "-L", package], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    return [Path(line.strip()) for line in done.stdout.splitlines() if line.strip()]


def find_files() -> Path:
    """The folder holding the four Fashion-MNIST idx.gz files.

    Looks in :data:`SEARCH_DIRS`, then asks ``dpkg -L dataset-fashion-mnist``.

    Raises
    ------
    MissingFileError
        When neither finds them; the message gives the command that installs them.
    """
    names = [n for pair in _FILES.values() for n in pair]
    for folder in SEARCH_DIRS:
        if all((folder / n).is_file() for n in names):
            return folder
    listed = {p.name: p for p in _dpkg_files(PACKAGE) if p.name in names}
    if len(listed) == len(names):
        folders = {p.parent for p in listed.values()}
        if len(folders) == 1 and all(p.is_file() for p in listed.values()):
            return folders.pop()
    searched = ", ".join(str(d) for d in SEARCH_DIRS)
    raise MissingFileError(
        f"The Fashion-MNIST datasets need the Debian package {PACKAGE}, whose idx.gz files "
        f"were found neither in {searched} nor through 'dpkg -L {PACKAGE}'. Install it with: "
        f"sudo apt-get install {PACKAGE} (or run 'make datasets', which does it)."
    )


def load_part(part: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and label codes of one part of Fashion-MNIST.

    Parameters
    ----------
    part : {"train", "test"}

    Returns
    -------
    images : ndarray of shape (n, 28, 28), dtype uint8
        60,000 for ``"train"``, 10,000 for ``"test"``; 0 is black.
    labels : ndarray of shape (n,), dtype int64
        Codes 0..9 into :data:`CLASSES`.
    """
    if part not in _FILES:
        raise FewlabelsError(f"Expected part 'train' or 'test', but got {part!r}.")
    folder = find_files()
    images_name, labels_name = _FILES[part]
    images = read_idx(folder / images_name)
    labels = read_idx(folder / labels_name).astype(np.int64)
    if images.ndim != 3 or images.shape[0] != labels.shape[0]:
        raise FewlabelsError(
            f"Expected n images of 28x28 and n labels in {folder}, but got images of shape "
            f"{images.shape} and {labels.shape[0]} labels. Reinstall the package: "
            f"sudo apt-get install --reinstall {PACKAGE}"
        )
    return images, labels


def fixed_subset(labels: np.ndarray, per_class: int) -> np.ndarray:
    """A fixed stratified subset: ``per_class`` positions of each class (seed 0), sorted.

    Parameters
    ----------
    labels : ndarray of shape (n,)
        Integer class codes.
    per_class : int
        How many positions of each class; every class must have that many.

    Returns
    -------
    ndarray of shape (n_classes * per_class,)
        Ascending positions into ``labels``. Uses only ``numpy.random.default_rng(0)``'s
        permutation (PCG64, stable across platforms), like the built-in test splits.
    """
    rng = np.random.default_rng(0)
    chosen: list[np.ndarray] = []
    for code in np.unique(labels):
        pos = np.flatnonzero(labels == code)
        if pos.size < per_class:
            raise FewlabelsError(
                f"Expected at least {per_class} items of class {code}, but it has {pos.size}."
            )
        chosen.append(pos[rng.permutation(pos.size)[:per_class]])
    return np.sort(np.concatenate(chosen))
