"""Benchmark protocols as data: TOML files loaded into validated, frozen dataclasses.

A protocol names the datasets (each with the encoder that embeds it), the label budgets
(k labelled rows per class, or a fraction of each class), the seeds and the methods. The
packaged protocols live in ``fewlabels/bench/protocols/*.toml``; any other TOML file with the
same keys works too. Unknown keys are errors, never silent new options.

Example::

    name = "quick"
    description = "A few small datasets, 3 seeds."
    seeds = [0, 1, 2]
    budgets = [1, 4, 16]          # integers: labels per class; floats: fraction of each class
    methods = ["@learners", "@peers"]   # groups, or names such as "linear", "setfit"

    [[datasets]]
    name = "digits"
    encoder = "pixels"

    [[datasets]]
    name = "cifar10"              # an image folder: <data_root>/cifar10/{train,test}/<class>/*
    folder = "cifar10"
    encoder = "hf-image:facebook/dinov2-small"
    budgets = [4, 25, 400]        # overrides the protocol's budgets for this dataset

    [limits.setfit]               # run this method only on these budgets / seeds / datasets
    budgets = [4]
    seeds = [0]
    datasets = ["finefoods"]
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fewlabels._validation import check_known_keys
from fewlabels.bench.budget import Budget
from fewlabels.errors import FewlabelsError, MissingFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Method groups a protocol may name; expanded by :mod:`fewlabels.bench.methods`.
METHOD_GROUPS = ("@learners", "@peers")

_TOP_KEYS = (
    "name",
    "description",
    "seeds",
    "budgets",
    "methods",
    "datasets",
    "limits",
    "published",
)
_DATASET_KEYS = ("name", "encoder", "folder", "budgets", "methods")
_LIMIT_KEYS = ("budgets", "seeds", "datasets")


def _unknown_keys(given: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    check_known_keys(given, allowed, where=where)


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset of a protocol, with the encoder that embeds it.

    Parameters
    ----------
    name : str
        A built-in dataset (``fewlabels.data.list_builtin()``) or, with ``folder``, the name
        of an image folder dataset.
    encoder : str
        An encoder registry name (``fewlabels.encode.list_encoders()``).
    folder : str, optional
        An image folder holding ``train/<class>/*`` and ``test/<class>/*`` (and optionally
        ``train/unlabeled/``); relative paths are read under the run's ``data_root``.
    budgets : tuple of Budget, optional
        Overrides the protocol's budgets for this dataset.
    methods : tuple of str, optional
        Overrides the protocol's methods for this dataset.
    """

    name: str
    encoder: str
    folder: str | None = None
    budgets: tuple[Budget, ...] | None = None
    methods: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for attr in ("name", "encoder"):
            value = getattr(self, attr)
            if not isinstance(value, str) or not value.strip():
                raise FewlabelsError(
                    f"Expected a non-empty string for the dataset entry's {attr!r}, but got "
                    f"{value!r}."
                )
        if self.budgets is not None and not self.budgets:
            raise FewlabelsError(f"Expected at least one budget for dataset {self.name!r}.")
        if self.methods is not None and not self.methods:
            raise FewlabelsError(f"Expected at least one method for dataset {self.name!r}.")

    @property
    def key(self) -> str:
        return f"{self.name}/{self.encoder}"


@dataclass(frozen=True)
class Limit:
    """Run a method only on some budgets, seeds and datasets (each None = all)."""

    budgets: tuple[Budget, ...] | None = None
    seeds: tuple[int, ...] | None = None
    datasets: tuple[str, ...] | None = None

    def allows(self, *, dataset: str, budget: Budget, seed: int) -> bool:
        return (
            (self.budgets is None or budget in self.budgets)
            and (self.seeds is None or seed in self.seeds)
            and (self.datasets is None or dataset in self.datasets)
        )


@dataclass(frozen=True)
class Protocol:
    """A benchmark protocol: which cells to run.

    Parameters
    ----------
    name : str
    seeds : tuple of int
        Seeds of the label splits and of the methods.
    budgets : tuple of Budget
    methods : tuple of str
        Method names or the groups ``"@learners"`` (every fewlabels learner) and
        ``"@peers"`` (every peer).
    datasets : tuple of DatasetEntry
    limits : dict of str to Limit
        Per method: the only budgets, seeds and datasets it runs on.
    description : str
    published : str, optional
        A key into :data:`fewlabels.bench.standard_settings.PUBLISHED` whose numbers the
        report shows beside ours.
    """

    name: str
    seeds: tuple[int, ...]
    budgets: tuple[Budget, ...]
    methods: tuple[str, ...]
    datasets: tuple[DatasetEntry, ...]
    limits: dict[str, Limit] = field(default_factory=dict)
    description: str = ""
    published: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise FewlabelsError(f"Expected a protocol name, but got {self.name!r}.")
        empty = [k for k in ("seeds", "budgets", "methods", "datasets") if not getattr(self, k)]
        if empty:
            raise FewlabelsError(
                f"Protocol {self.name!r} is empty: it needs at least one entry in {empty}. "
                "A protocol names datasets, budgets, seeds and methods."
            )
        if any(isinstance(s, bool) or not isinstance(s, int) for s in self.seeds):
            raise FewlabelsError(f"Expected integer seeds, but got {list(self.seeds)}.")
        for what, items in (
            ("seeds", self.seeds),
            ("budgets", self.budgets),
            ("methods", self.methods),
        ):
            if len(set(items)) != len(items):
                raise FewlabelsError(
                    f"Expected distinct {what} in protocol {self.name!r}, but got {list(items)}."
                )
        keys = [d.key for d in self.datasets]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise FewlabelsError(
                f"Expected each (dataset, encoder) pair once in protocol {self.name!r}, but "
                f"{dup} repeat."
            )

    # -- views ---------------------------------------------------------------------------
    def budgets_for(self, entry: DatasetEntry) -> tuple[Budget, ...]:
        return entry.budgets if entry.budgets is not None else self.budgets

    def methods_for(self, entry: DatasetEntry) -> tuple[str, ...]:
        return entry.methods if entry.methods is not None else self.methods

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict that :func:`protocol_from_dict` reads back."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "seeds": list(self.seeds),
            "budgets": [b.to_value() for b in self.budgets],
            "methods": list(self.methods),
            "datasets": [],
        }
        for d in self.datasets:
            item: dict[str, Any] = {"name": d.name, "encoder": d.encoder}
            if d.folder is not None:
                item["folder"] = d.folder
            if d.budgets is not None:
                item["budgets"] = [b.to_value() for b in d.budgets]
            if d.methods is not None:
                item["methods"] = list(d.methods)
            out["datasets"].append(item)
        if self.limits:
            out["limits"] = {
                m: {
                    k: v
                    for k, v in (
                        (
                            "budgets",
                            None if lim.budgets is None else [b.to_value() for b in lim.budgets],
                        ),
                        ("seeds", None if lim.seeds is None else list(lim.seeds)),
                        ("datasets", None if lim.datasets is None else list(lim.datasets)),
                    )
                    if v is not None
                }
                for m, lim in sorted(self.limits.items())
            }
        if self.published is not None:
            out["published"] = self.published
        return out

    @property
    def fingerprint(self) -> str:
        """A short hash of everything that decides which cells run (not the description)."""
        body = {k: v for k, v in self.to_dict().items() if k != "description"}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def _budgets(value: Any, where: str) -> tuple[Budget, ...]:
    if not isinstance(value, list):
        raise FewlabelsError(f"Expected a list of budgets in {where}, but got {value!r}.")
    return tuple(sorted((Budget.parse(v, where=where) for v in value), key=Budget.sort_key))


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FewlabelsError(f"Expected a list of strings in {where}, but got {value!r}.")
    return tuple(value)


def protocol_from_dict(data: Mapping[str, Any], *, source: str = "the protocol") -> Protocol:
    """Build a :class:`Protocol` from parsed TOML (or :meth:`Protocol.to_dict` output)."""
    if not isinstance(data, Mapping) or not data:
        raise FewlabelsError(
            f"Protocol {source} is empty. It needs name, seeds, budgets, methods and at least "
            "one datasets entry."
        )
    _unknown_keys(data, _TOP_KEYS, source)
    missing = [k for k in ("name", "seeds", "budgets", "methods", "datasets") if k not in data]
    if missing:
        raise FewlabelsError(
            f"Protocol {source} lacks the key(s) {missing}. It needs name, seeds, budgets, "
            "methods and at least one datasets entry."
        )
    raw_datasets = data["datasets"]
    if not isinstance(raw_datasets, list):
        raise FewlabelsError(
            f"Expected datasets entries (a list of tables) in {source}, but got "
            f"{type(raw_datasets).__name__}."
        )
    entries = []
    for i, item in enumerate(raw_datasets):
        where = f"{source}, datasets entry {i + 1}"
        if not isinstance(item, Mapping):
            raise FewlabelsError(f"Expected a table in {where}, but got {item!r}.")
        _unknown_keys(item, _DATASET_KEYS, where)
        for req in ("name", "encoder"):
            if req not in item:
                raise FewlabelsError(f"Expected the key {req!r} in {where}, but it is missing.")
        entries.append(
            DatasetEntry(
                name=item["name"],
                encoder=item["encoder"],
                folder=item.get("folder"),
                budgets=_budgets(item["budgets"], where) if "budgets" in item else None,
                methods=_strings(item["methods"], where) if "methods" in item else None,
            )
        )
    limits: dict[str, Limit] = {}
    raw_limits = data.get("limits", {})
    if not isinstance(raw_limits, Mapping):
        raise FewlabelsError(f"Expected limits.<method> tables in {source}, got {raw_limits!r}.")
    for method, lim in raw_limits.items():
        where = f"{source}, limits.{method}"
        if not isinstance(lim, Mapping):
            raise FewlabelsError(f"Expected a table in {where}, but got {lim!r}.")
        _unknown_keys(lim, _LIMIT_KEYS, where)
        seeds = lim.get("seeds")
        if seeds is not None and (
            not isinstance(seeds, list) or not all(isinstance(s, int) for s in seeds)
        ):
            raise FewlabelsError(f"Expected a list of integer seeds in {where}, but got {seeds!r}.")
        limits[str(method)] = Limit(
            budgets=_budgets(lim["budgets"], where) if "budgets" in lim else None,
            seeds=tuple(seeds) if seeds is not None else None,
            datasets=_strings(lim["datasets"], where) if "datasets" in lim else None,
        )
    seeds = data["seeds"]
    if not isinstance(seeds, list):
        raise FewlabelsError(f"Expected a list of integer seeds in {source}, but got {seeds!r}.")
    return Protocol(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        seeds=tuple(seeds),
        budgets=_budgets(data["budgets"], source),
        methods=_strings(data["methods"], f"{source} methods"),
        datasets=tuple(entries),
        limits=limits,
        published=data.get("published"),
    )


def list_protocols() -> list[str]:
    """Names of the packaged protocols (``quick``, ``standard``, the standard settings...)."""
    folder = resources.files("fewlabels.bench") / "protocols"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_protocol(name_or_path: str | os.PathLike[str]) -> Protocol:
    """Load a packaged protocol by name (``"quick"``) or any protocol TOML file by path."""
    text: str
    source: str
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise MissingFileError(
                f"Expected a protocol TOML file at {str(candidate)!r}, but there is no such file."
            )
        text, source = candidate.read_text(encoding="utf-8"), str(candidate)
    else:
        name = str(name_or_path)
        if name not in list_protocols():
            raise FewlabelsError(
                f"Unknown protocol {name!r}. Packaged protocols: {', '.join(list_protocols())}; "
                "or pass the path of a .toml file."
            )
        res = resources.files("fewlabels.bench") / "protocols" / f"{name}.toml"
        text, source = res.read_text(encoding="utf-8"), f"protocol {name!r}"
    return parse_protocol(text, source=source)


def parse_protocol(text: str, *, source: str = "the protocol") -> Protocol:
    """Parse protocol TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FewlabelsError(f"Expected valid TOML in {source}, but: {exc}.") from exc
    return protocol_from_dict(data, source=source)


def protocol_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields of two :meth:`Protocol.to_dict` dicts that differ (the description ignored)."""
    keys = sorted((set(a) | set(b)) - {"description"})
    return {k: (a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)}
