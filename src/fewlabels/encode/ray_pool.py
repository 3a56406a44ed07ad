"""A pool of Ray actors that each build a state once (an encoder, a model) and run calls on it,
results in order; an actor that dies is replaced and its tasks retried.

Used by :mod:`fewlabels.encode.ray_embed` (embedding) and :mod:`fewlabels.distill.predict`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fewlabels.errors import FewlabelsError, StateError, missing_extra

_START_TIMEOUT_S = 120.0  # the first actor must be up by then (cluster full or broken)
_MAX_TRIES = 3  # tries of one task whose actor died each time
_PER_ACTOR = 2  # tasks queued per actor: one running, one waiting (hides the round trip)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise missing_extra("Embedding and predicting on a Ray cluster", "ray", exc) from exc
    return ray


class _Worker:
    """A Ray actor's state: what ``factory()`` built once, and the calls run on it."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._state = factory()

    def ping(self) -> int:
        return os.getpid()

    def run(self, fn: Callable[[Any, Any], Any], payload: Any) -> Any:
        return fn(self._state, payload)


@dataclass
class _Task:
    index: int
    payload: Any
    tries: int = 0


@dataclass
class _Actor:
    handle: Any
    running: dict[Any, _Task] = field(default_factory=dict)  # ObjectRef -> task


def _given(value: Any) -> Any:
    return value


def ship(factory: Callable[[], Any]) -> Any:
    """Put an actor factory into the object store once; returns its ``ObjectRef``.

    Assumes a connected Ray. Pickling happens here, so an object that cannot travel fails
    before any work starts.

    Raises
    ------
    FewlabelsError
        When the factory (an encoder or a model it holds) cannot be pickled.
    """
    ray = _import_ray()
    try:
        return ray.put(factory)
    except Exception as exc:  # TypeError / PicklingError from cloudpickle
        raise FewlabelsError(
            f"Expected an encoder (or model) that can be sent to Ray workers, but it cannot be "
            f"pickled ({type(exc).__name__}: {str(exc)[:200]}). Pass a fresh one from "
            "get_encoder(name): encoders load their model lazily, on the workers."
        ) from None


class RayPool:
    """Actors that each build a state once and run ``fn(state, payload)`` calls in order.

    Assumes this process is connected to Ray (:func:`ray_session`).

    Parameters
    ----------
    factory : callable, or the ObjectRef of one from :func:`ship`
        Called once in each actor (picklable: a module-level function, a
        ``functools.partial``); its result is the state every call of that actor gets. Use
        :meth:`of` to ship an object that is already built.
    n_actors : int, optional
        Actors to start; by default one per GPU of the cluster when it has GPUs, else one
        per CPU.
    max_tries : int, default 3
        Tries of a task whose actor dies each time before the run fails.

    Attributes
    ----------
    n_actors : int
    uses_gpu : bool
    n_replaced : int
        Actors that died and were replaced during this pool's life.
    """

    def __init__(
        self, factory: Any, *, n_actors: int | None = None, max_tries: int = _MAX_TRIES
    ) -> None:
        ray = _import_ray()
        self._ray = ray
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
        self.uses_gpu = gpus > 0
        default = gpus if self.uses_gpu else max(1, cpus)
        self.n_actors = int(n_actors) if n_actors is not None else default
        options = {"num_gpus": 1, "num_cpus": 0} if self.uses_gpu else {"num_cpus": 1}
        self._remote = ray.remote(max_restarts=0, max_concurrency=1, **options)(_Worker)
        self._factory = factory if isinstance(factory, ray.ObjectRef) else ship(factory)
        self.max_tries = max_tries
        self.n_replaced = 0
        self._starting: dict[Any, Any] = {}  # ping ObjectRef -> actor handle
        self._ready: list[_Actor] = []
        for _ in range(self.n_actors):
            self._start_actor()

    @classmethod
    def of(cls, state: Any, **kwargs: Any) -> RayPool:
        """A pool whose actors each receive ``state`` (pickled once into the object store)."""
        return cls(functools.partial(_given, state), **kwargs)

    def _start_actor(self) -> None:
        handle = self._remote.remote(self._factory)
        self._starting[handle.ping.remote()] = handle

    def close(self) -> None:
        """Stop every actor of the pool (their resources go back to the cluster)."""
        for handle in [*self._starting.values(), *(a.handle for a in self._ready)]:
            with contextlib.suppress(Exception):
                self._ray.kill(handle)
        self._starting.clear()
        self._ready.clear()

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def map_ordered(self, fn: Callable[[Any, Any], Any], payloads: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(state, payload)`` for each payload, in the payloads' order.

        ``fn`` must be importable by the workers (a module-level function). At most two
        tasks per actor are in flight, and payloads are drawn lazily, so a long stream keeps
        bounded memory. A task whose actor dies is run again on another actor (up to
        ``max_tries`` times); an exception raised by ``fn`` is raised here as itself.

        Raises
        ------
        StateError
            When a task's actors died ``max_tries`` times, or no actor is left or can start.
        """
        from ray.exceptions import ObjectLostError, RayActorError, RayTaskError

        source = iter(payloads)
        exhausted = False
        retry: deque[_Task] = deque()
        results: dict[int, Any] = {}
        by_ref: dict[Any, _Actor] = {}
        next_index = 0
        next_out = 0
        waiting_since = time.monotonic()
        while True:
            # hand out work: retried tasks first, then new payloads, to the least busy actors
            window = _PER_ACTOR * max(1, len(self._ready)) + len(self._ready)
            for actor in sorted(self._ready, key=lambda a: len(a.running)):
                while len(actor.running) < _PER_ACTOR and len(results) < window:
                    if retry:
                        task = retry.popleft()
                    elif not exhausted:
                        try:
                            task = _Task(next_index, next(source))
                        except StopIteration:
                            exhausted = True
                            break
                        next_index += 1
                    else:
                        break
                    ref = actor.handle.run.remote(fn, task.payload)
                    actor.running[ref] = task
                    by_ref[ref] = actor
            while next_out in results:
                yield results.pop(next_out)
                next_out += 1
            if exhausted and not retry and not by_ref:
                return
            if not self._ready and not self._starting:
                raise StateError(
                    "Expected Ray workers to run the tasks, but every worker died and none "
                    "could be started again. The results written so far are kept: run the "
                    "same command again to resume."
                )
            pending = [*by_ref, *self._starting]
            done, _ = self._ray.wait(pending, num_returns=1, timeout=5.0)
            if not done:
                if not self._ready and time.monotonic() - waiting_since > _START_TIMEOUT_S:
                    raise StateError(
                        f"Expected a Ray worker to start within {_START_TIMEOUT_S:g} s, but none "
                        f"did (cluster resources {self._ray.available_resources()} free of "
                        f"{self._ray.cluster_resources()}). Free the cluster, or add nodes."
                    )
                continue
            ref = done[0]
            if ref in self._starting:
                handle = self._starting.pop(ref)
                try:
                    self._ray.get(ref)
                except RayActorError:
                    continue  # could not start (its node died): another may
                self._ready.append(_Actor(handle))
                continue
            actor = by_ref.pop(ref)
            task = actor.running.pop(ref)
            try:
                results[task.index] = self._ray.get(ref)
            except RayTaskError as exc:
                raise exc.as_instanceof_cause() from None
            except (RayActorError, ObjectLostError):
                self._actor_died(actor, task, retry, by_ref)
                waiting_since = time.monotonic()

    def _actor_died(
        self, actor: _Actor, task: _Task, retry: deque[_Task], by_ref: dict[Any, _Actor]
    ) -> None:
        """Requeue the dead actor's tasks (oldest first) and start a replacement."""
        lost = [task, *actor.running.values()]
        for ref in actor.running:
            by_ref.pop(ref, None)
        actor.running.clear()
        with contextlib.suppress(ValueError):
            self._ready.remove(actor)
        with contextlib.suppress(Exception):
            self._ray.kill(actor.handle)
        for t in sorted(lost, key=lambda t: t.index):
            t.tries += 1
            if t.tries >= self.max_tries:
                raise StateError(
                    f"Expected task {t.index} to finish on a Ray worker, but the worker running "
                    f"it died {t.tries} times (killed, out of memory, or its node lost). The "
                    "results written so far are kept: run the same command again to resume."
                )
        retry.extendleft(sorted(lost, key=lambda t: -t.index))
        if self.n_replaced < 4 * self.n_actors:
            self.n_replaced += 1
            self._start_actor()
