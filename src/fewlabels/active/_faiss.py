"""Run small faiss calls on one thread.

faiss parallelises with OpenMP; on small problems the threads' start-up and spin-waits
cost more than the work, and on a busy machine far more (a 160-point k-means took 0.7 s
on 2 loaded cores and 0.3 ms on one). Calls whose work is below a threshold run with one
thread; the previous setting is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fewlabels.errors import MissingExtraError

#: Below this many multiply-adds a faiss call runs on one thread.
SMALL_WORK: float = 2e10


def import_faiss() -> Any:
    """Import faiss (a core dependency) or say how to install it."""
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a core dependency
        raise MissingExtraError(
            "fewlabels.active needs faiss for nearest neighbours and k-means: pip install faiss-cpu"
        ) from exc
    return faiss


@contextmanager
def threads_for(work: float) -> Iterator[Any]:
    """Yield the faiss module, limited to one thread while ``work`` is small."""
    faiss = import_faiss()
    if work >= SMALL_WORK:
        yield faiss
        return
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield faiss
    finally:
        faiss.omp_set_num_threads(previous)
