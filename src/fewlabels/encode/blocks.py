"""Read large (memory-mapped) embedding matrices block by block in bounded memory."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
from collections.abc import Iterator

import numpy as np

from fewlabels.errors import FewlabelsError

_MADV_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


def _libc_madvise() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    if name is None or _MADV_DONTNEED is None:
        return None
    fn = ctypes.CDLL(name, use_errno=True).madvise
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def _release(X: np.ndarray, start: int, stop: int) -> None:
    """Drop the whole pages of rows ``[start, stop)`` of a memmap from this process."""
    madvise = _libc_madvise()
    if madvise is None:
        return
    page = mmap.PAGESIZE
    lo = X.ctypes.data + start * X.strides[0]
    hi = X.ctypes.data + stop * X.strides[0]
    lo_page = -(-lo // page) * page  # only pages wholly inside the range
    hi_page = (hi // page) * page
    if hi_page > lo_page:
        madvise(ctypes.c_void_p(lo_page), ctypes.c_size_t(hi_page - lo_page), _MADV_DONTNEED)


def iter_row_blocks(X: np.ndarray, *, rows: int = 65536) -> Iterator[np.ndarray]:
    """Yield consecutive row blocks of ``X`` as in-memory copies.

    For a read-only ``numpy.memmap`` (what :func:`fewlabels.encode.embed` returns), each
    block's pages are released from this process once copied (``madvise(MADV_DONTNEED)``; the
    data stays in the file and the OS page cache), so reading a cache larger than memory keeps
    resident memory near one block.

    Parameters
    ----------
    X : ndarray of shape (n_samples, dim)
    rows : int, default 65536
        Rows per block.

    Yields
    ------
    ndarray of shape (<= rows, dim)
    """
    if rows < 1:
        raise FewlabelsError(f"Expected rows >= 1, but got {rows}.")
    release = isinstance(X, np.memmap) and not X.flags.writeable and X.flags.c_contiguous
    for start in range(0, X.shape[0], rows):
        stop = min(start + rows, X.shape[0])
        block = np.array(X[start:stop])
        if release:
            _release(X, start, stop)
        yield block
