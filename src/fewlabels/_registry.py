"""The one registry shape: a name -> ``"module:Class"`` table plus metadata.

Encoders, learners, strategies, students and bench methods each keep one :class:`Registry`
of :class:`Entry` rows. An entry names its target lazily (``"fewlabels.learn.knn:KNN"``), so
listing a registry imports nothing heavy, and registries never import each other (no circle
between ``learn/auto.py`` and ``learn/registry.py``): a consumer such as ``Auto`` asks a
registry for the entries whose metadata fit (``registry.select(needs_labels=True)``).

A name ending in ``":"`` is a prefix: ``"st:"`` matches ``"st:org/model"``, and
:meth:`Registry.create` passes the part after the prefix as the first argument.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fewlabels.errors import FewlabelsError

__all__ = ["Entry", "Registry"]


@dataclass(frozen=True)
class Entry:
    """One registered name.

    Parameters
    ----------
    name : str
        The public name (``"label-spreading"``); ending in ``":"`` makes it a prefix.
    target : str
        ``"module:attribute"``, imported only when the entry is loaded.
    description : str
        One line for listings.
    modalities : tuple of str
        The data it fits (``"text"``, ``"image"``, ``"tabular"``); empty means any.
    needs_labels : bool
        Whether it needs labelled rows (``False`` for zero-shot learners, unsupervised encoders).
    needs_text_side : bool
        Whether it needs an encoder that embeds text prompts (``encode_text``).
    extra : str or None
        The fewlabels extra that installs its dependencies (``"vision"``), None for core.
    meta : mapping
        Family-specific metadata (an encoder's output width, a learner's cost rank, ...).
    """

    name: str
    target: str
    description: str
    modalities: tuple[str, ...] = ()
    needs_labels: bool = True
    needs_text_side: bool = False
    extra: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_prefix(self) -> bool:
        """Whether the name is a prefix taking an argument (``"st:"``)."""
        return self.name.endswith(":")

    def fits(self, modality: str) -> bool:
        """Whether the entry works on data of ``modality``."""
        return not self.modalities or modality in self.modalities

    def load(self) -> Any:
        """Import and return the target (a class or a factory function).

        The part after the colon may be dotted, as in an entry point
        (``"module:Class.factory"`` for a classmethod).
        """
        module, _, attr = self.target.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj


class Registry:
    """A table of :class:`Entry` rows of one kind (``"learner"``, ``"encoder"``, ...).

    Parameters
    ----------
    kind : str
        The word used in messages: ``Unknown learner 'x'``.
    entries : iterable of Entry
        In listing order (simplest first).
    hint : str
        How a user lists the names, appended to the unknown-name message.
    plural : str, optional
        The plural of ``kind`` (default ``kind + "s"``; ``"strategies"``).
    """

    def __init__(
        self, kind: str, entries: Iterable[Entry], *, hint: str = "", plural: str | None = None
    ) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.hint = hint
        self._entries: dict[str, Entry] = {}
        for e in entries:
            if e.name in self._entries:
                raise ValueError(f"{kind} {e.name!r} is registered twice")  # a bug in fewlabels
            self._entries[e.name] = e

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def names(self) -> list[str]:
        """The registered names, in listing order."""
        return list(self._entries)

    def describe(self) -> dict[str, str]:
        """One line about each name."""
        return {e.name: e.description for e in self}

    def select(self, *, modality: str | None = None, **where: Any) -> list[Entry]:
        """The entries whose fields (or ``meta`` keys) equal ``where`` and that fit ``modality``.

        Examples
        --------
        >>> learners.select(needs_labels=True, modality="text")  # doctest: +SKIP
        """
        out = []
        for e in self:
            if modality is not None and not e.fits(modality):
                continue
            ok = all(
                (getattr(e, k) if hasattr(e, k) else e.meta.get(k)) == v for k, v in where.items()
            )
            if ok:
                out.append(e)
        return out

    def _find(self, name: str) -> tuple[Entry, str | None] | None:
        if name in self._entries and not self._entries[name].is_prefix:
            return self._entries[name], None
        for e in self:
            if e.is_prefix and name.startswith(e.name):
                return e, name[len(e.name) :]
        return None

    def entry(self, name: str) -> Entry:
        """The entry registered as ``name`` (or the prefix entry ``name`` starts with)."""
        return self.resolve(name)[0]

    def resolve(self, name: Any) -> tuple[Entry, str | None]:
        """The entry of ``name`` and the argument after its prefix (None for plain names)."""
        found = self._find(name) if isinstance(name, str) else None
        if found is None:
            known = ", ".join(e.name + ("<arg>" if e.is_prefix else "") for e in self)
            raise FewlabelsError(
                f"Unknown {self.kind} {name!r}. Known {self.plural}: {known}.{' ' + self.hint if self.hint else ''}"
            )
        entry, arg = found
        if entry.is_prefix and not arg:
            raise FewlabelsError(
                f"The {self.kind} {entry.name!r} needs a name after the colon, e.g. "
                f"{entry.name}<id>; got {name!r}."
            )
        return entry, arg

    def create(self, name: str, /, **params: Any) -> Any:
        """A new object of ``name`` built with ``params``.

        Raises
        ------
        FewlabelsError
            For an unknown name, or a parameter the target does not take.
        """
        entry, arg = self.resolve(name)
        factory = entry.load()
        args = () if arg is None else (arg,)
        try:
            return factory(*args, **params)
        except TypeError as exc:
            if "argument" not in str(exc):
                raise
            raise FewlabelsError(
                f"The {self.kind} {name!r} does not take the parameter(s) {sorted(params)}: "
                f"{exc}. See help({entry.target.replace(':', '.')})."
            ) from None
