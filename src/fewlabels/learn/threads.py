"""Thread limits for small linear-algebra work.

BLAS and OpenMP thread pools pay off on large matrices; on the small ones of a few-label
problem (a logistic regression on a few hundred rows) their start-up and spin-waiting
dominate, and on a busy machine they make a fit 10-100 times slower. Work below a size
runs on one thread; larger work keeps the library defaults.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

#: Below this many matrix elements a fit runs with one BLAS/OpenMP thread.
SMALL_WORK = 2_000_000


@contextlib.contextmanager
def limit_threads_if_small(n_elements: int, *, small: int = SMALL_WORK) -> Iterator[None]:
    """Run the block with one BLAS/OpenMP thread when ``n_elements < small``.

    Parameters
    ----------
    n_elements : int
        Size of the data the block works on (rows times features).
    small : int, default 2,000,000
    """
    if n_elements >= small:
        yield
        return
    with _controller().limit(limits=1):
        yield


_CONTROLLER: list[Any] = []


def _controller() -> Any:
    """One ``threadpoolctl.ThreadpoolController`` per process (finding the libraries is slow)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


@contextlib.contextmanager
def limit_torch_threads_if_small(n_elements: int, *, small: int = 200_000_000) -> Iterator[None]:
    """Run the block with one torch intra-op thread when one step's work is small.

    A step of a small head (a 512 x 384 batch through a 256-wide layer) is too small to
    split across threads; on a busy 2-core machine one thread was 10 times faster. The
    previous setting is restored afterwards.

    Parameters
    ----------
    n_elements : int
        Multiply-adds of one training step.
    small : int, default 200,000,000
    """
    import torch

    before = torch.get_num_threads()
    if n_elements >= small or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
