"""Embedding (and other row-parallel work) on a Ray cluster: an actor pool, results in order.

``embed(..., ray_address="auto" | "HOST:PORT")`` sends the rows still missing from the cache
to a pool of Ray actors and writes what comes back into the same chunked cache, in order, as
a single process would (:mod:`fewlabels.encode.cache`):

* Each actor receives the encoder once (pickled through the object store) and keeps it, so
  a model is loaded once per actor, on its first task, never once per task. There is one
  actor per GPU of the cluster when it has GPUs (``num_gpus=1`` each), else one per CPU.
* The missing rows are cut into the same ``encode`` calls as the single-process path (fixed
  steps counted from the first missing row, or the steps of each ``chunk_size`` chunk), a
  few calls per task. The embedding of a row therefore does not depend on which actor ran
  it, and the dataset's view (and ``Embeddings.X``) holds the same bytes as a single-process
  run; with ``chunk_size`` every chunk file does too.
* The driver commits whole tasks in order: with ``chunk_size`` one chunk per task, otherwise
  a chunk whenever ``commit_every_s`` passed. A killed driver leaves its committed chunks
  and the same call resumes from them; an actor that dies (its process killed, its node
  lost) has its tasks sent to another actor, and a replacement actor is started when the
  cluster has room.

A plain actor pool is used rather than Ray Data's ``map_batches``: the inputs (texts, image
paths, arrays, DataFrames) travel as they are, with no Arrow conversion; results come back
in order without a global sort; and the driver sees each actor's death and retries exactly
the tasks it held, which is what makes the cache's in-order commits and resumption simple.

An address that does not answer fails within seconds, naming it (a socket connect with a
timeout before ``ray.init``). Ray is optional: ``pip install 'fewlabels[ray]'``; the workers
of a real cluster need fewlabels (and the encoder's packages) installed too.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from fewlabels.data.dataset import take_inputs
from fewlabels.encode.ray_pool import RayPool, _given, _import_ray, ship
from fewlabels.errors import FewlabelsError

__all__ = [
    "CONNECT_TIMEOUT_S",
    "RayPool",
    "check_ray_address",
    "encode_missing_on_ray",
    "ray_encode_missing",
    "ray_session",
    "ship",
]

CONNECT_TIMEOUT_S = 3.0
"""Seconds a Ray address may take to accept a connection before it is reported dead."""


def _split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise FewlabelsError(
            f"Expected a Ray address as HOST:PORT (the head's GCS port, 6379 by default, as "
            f"printed by `ray start --head`) or 'auto', but got {address!r}."
        )
    return host.strip("[]"), int(port)


def check_ray_address(address: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
    """Resolve a Ray address and check that something answers there within ``timeout_s``.

    Parameters
    ----------
    address : str
        ``"HOST:PORT"`` (a head's GCS address) or ``"auto"``: ``$RAY_ADDRESS``, else the
        cluster last started on this machine with ``ray start``.
    timeout_s : float, default 3.0
        Seconds to wait for the TCP connection.

    Returns
    -------
    str
        The address as ``HOST:PORT``.

    Raises
    ------
    FewlabelsError
        For a malformed address, no cluster found for ``"auto"``, or an address where nothing
        accepts a connection in time (the message names it).
    """
    if not isinstance(address, str) or not address.strip():
        raise FewlabelsError(
            f"Expected a Ray address ('auto' or HOST:PORT), but got {address!r}. Pass the "
            "address `ray start --head` printed, or 'auto' for the cluster on this machine."
        )
    address = address.strip()
    if address.startswith("ray://"):
        raise FewlabelsError(
            f"Expected the GCS address of a Ray cluster (HOST:PORT), but got the Ray Client "
            f"address {address!r}. Run fewlabels on a node of the cluster and pass the head's "
            "HOST:PORT (port 6379 by default), or 'auto'."
        )
    if address == "auto":
        address = _auto_address()
    host, port = _split_address(address)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise FewlabelsError(
            f"Expected a Ray cluster at {address!r}, but nothing answers there ({why}, waited "
            f"at most {timeout_s:g} s). Start one with `ray start --head --port={port}`, check "
            "the host and port, or drop --ray / ray_address= to run in this process."
        ) from None
    return address


def _auto_address() -> str:
    """The address ``"auto"`` stands for: ``$RAY_ADDRESS``, else the last ``ray start`` here."""
    env = os.environ.get("RAY_ADDRESS", "").strip()
    if env:
        return env
    _import_ray()
    try:
        from ray._private.services import canonicalize_bootstrap_address_or_die

        with contextlib.redirect_stdout(None):
            found = canonicalize_bootstrap_address_or_die("auto")
    except Exception:  # ConnectionError, or the private helper moved in another Ray
        found = None
    if not found:
        raise FewlabelsError(
            "Expected a running Ray cluster for --ray auto, but found none ($RAY_ADDRESS is "
            "unset and no `ray start` ran on this machine). Start one with `ray start --head`, "
            "or pass its HOST:PORT."
        )
    return str(found)


@contextlib.contextmanager
def ray_session(address: str) -> Iterator[str]:
    """Connect this process to the Ray cluster at ``address`` for the block's duration.

    The address is checked first (:func:`check_ray_address`). When this process is already
    connected (``ray.init`` called by the user), that connection is used and kept; otherwise
    the connection opened here is closed at the end. Yields the resolved address.
    """
    resolved = check_ray_address(address)
    ray = _import_ray()
    if ray.is_initialized():
        yield resolved
        return
    ray.init(
        address=resolved,
        logging_level=logging.WARNING,
        log_to_driver=False,
        configure_logging=True,
    )
    try:
        yield resolved
    finally:
        ray.shutdown()


def _encode_task(encoder: Any, payload: tuple[Any, list[int]]) -> list[Any]:
    """Run one task's ``encode`` calls on a worker: (kept, embeddings, failures) per call.

    Positions are local to each call. Assumes valid input.
    """
    from fewlabels.encode.cache import _encode_readable

    inputs, sizes = payload
    out = []
    start = 0
    for size in sizes:
        kept, emb, failed = _encode_readable(encoder, inputs, np.arange(start, start + size))
        out.append((kept - start, emb, [(p - start, r) for p, r in failed]))
        start += size
    return out


def _calls(missing: np.ndarray, *, step: int, chunk_size: int | None) -> list[np.ndarray]:
    """The positions of each ``encode`` call, exactly as the single-process path cuts them."""
    rows = chunk_size if chunk_size is not None else max(step, missing.size)
    calls = []
    for c in range(0, missing.size, rows):
        chunk = missing[c : c + rows]
        calls += [chunk[s : s + step] for s in range(0, chunk.size, step)]
    return calls


def encode_missing_on_ray(
    store: Any,
    encoder: Any,
    inputs: Any,
    fps: np.ndarray,
    missing: np.ndarray,
    *,
    chunk_size: int | None,
    commit_every_s: float,
    advance: Callable[[int], Any],
    pool: RayPool,
) -> list[tuple[int, str]]:
    """The Ray twin of ``cache._encode_missing``: same calls, same commits, in order.

    Assumes valid arguments, a connected Ray and that the caller holds the cache's lock.
    With ``chunk_size`` a task is one chunk (committed as it is); otherwise a task is one to
    four steps and a chunk commits every ``commit_every_s`` (or at 4,096 rows). On Ctrl-C the
    tasks already received in order are committed before the ``KeyboardInterrupt`` goes on.
    Returns the (position, reason) of the unreadable inputs.
    """
    from fewlabels.encode.cache import MAX_CHUNK, _clock, _commit, _encode_step

    step = _encode_step(encoder) if chunk_size is None else min(_encode_step(encoder), chunk_size)
    calls = _calls(missing, step=step, chunk_size=chunk_size)
    if chunk_size is not None:
        per_task = max(1, math.ceil(chunk_size / step))
        commit_rows = chunk_size
    else:
        per_task = int(min(4, max(1, math.ceil(len(calls) / (4 * pool.n_actors)))))
        commit_rows = MAX_CHUNK // step * step
    groups = [calls[i : i + per_task] for i in range(0, len(calls), per_task)]

    def payloads() -> Iterator[tuple[Any, list[int]]]:
        for group in groups:
            yield take_inputs(inputs, np.concatenate(group)), [len(g) for g in group]

    failures: list[tuple[int, str]] = []
    keys: list[np.ndarray] = []
    embs: list[np.ndarray] = []
    rows = 0
    last = _clock()
    try:
        for group, result in zip(groups, pool.map_ordered(_encode_task, payloads()), strict=False):
            for positions, (kept, emb, failed) in zip(group, result, strict=True):
                failures.extend((int(positions[p]), r) for p, r in failed)
                if kept.size:
                    keys.append(fps[positions[kept]])
                    embs.append(emb)
                rows += positions.size
                advance(positions.size)
            if rows >= commit_rows or (chunk_size is None and _clock() - last >= commit_every_s):
                _commit(store, keys, embs)
                keys, embs, rows, last = [], [], 0, _clock()
    except KeyboardInterrupt:
        _commit(store, keys, embs)
        raise
    _commit(store, keys, embs)
    return failures


@contextlib.contextmanager
def ray_encode_missing(address: str, encoder: Any) -> Iterator[Callable[..., Any]]:
    """Connect to Ray and yield a twin of ``cache._encode_missing`` that runs on the cluster.

    The encoder is pickled into the object store on entry (so one that cannot travel fails
    at once); the actor pool starts on the first call only (nothing starts when every row
    is cached) and stops on exit, as does the connection opened here.
    """
    with ray_session(address):
        factory = ship(functools.partial(_given, encoder))
        pools: list[RayPool] = []

        def run(
            store: Any, encoder: Any, inputs: Any, fps: np.ndarray, missing: np.ndarray, **kw: Any
        ) -> list[tuple[int, str]]:
            if not missing.size:
                return []
            if not pools:
                pools.append(RayPool(factory))
            return encode_missing_on_ray(store, encoder, inputs, fps, missing, pool=pools[0], **kw)

        try:
            yield run
        finally:
            for pool in pools:
                pool.close()
