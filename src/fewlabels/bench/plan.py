"""Plan a protocol run: load and check every dataset, then list its cells.

A cell is one (dataset, encoder, budget, seed, method). Planning loads each dataset (train
and test), checks its encoder, budgets and the protocol's limits before anything runs, so
that a bad protocol fails in seconds, not after an hour of embedding.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fewlabels.bench.methods import expand_methods, get_method
from fewlabels.bench.protocol import Budget, DatasetEntry, Protocol
from fewlabels.errors import FewlabelsError, MissingFileError

#: The budget of methods that see every training label (the ceiling): one cell per seed.
ALL_LABELS = Budget(fraction=1.0)


@dataclass(frozen=True)
class Cell:
    """One unit of work: a method on one labelled subset of one embedded dataset."""

    dataset: str
    encoder: str
    budget: Budget
    seed: int
    method: str

    @property
    def cell_id(self) -> str:
        return f"{self.dataset}|{self.encoder}|{self.budget.label}|seed={self.seed}|{self.method}"


@dataclass
class PlannedDataset:
    """A protocol dataset entry, loaded, with its cells."""

    entry: DatasetEntry
    train: Any
    test: Any
    cells: list[Cell] = field(default_factory=list)


def _load_dataset(entry: DatasetEntry, data_root: str | os.PathLike[str] | None) -> tuple[Any, Any]:
    """The entry's train and test splits, through :func:`fewlabels.data.load_source`."""
    from fewlabels.data.source import builtin_names, load_source

    if entry.folder is None:
        known = builtin_names()
        if entry.name not in known:
            raise FewlabelsError(
                f"Unknown dataset {entry.name!r}. Built-in datasets: {', '.join(known)}; for "
                "an image folder add folder = '<path>' to the dataset entry."
            )
        return (
            load_source(entry.name, kind="builtin", split="train"),
            load_source(entry.name, kind="builtin", split="test"),
        )
    root = Path(entry.folder).expanduser()
    if not root.is_absolute():
        if data_root is None:
            raise FewlabelsError(
                f"Dataset {entry.name!r} reads the image folder {entry.folder!r} relative to a "
                "data root, but none was given. Pass --data-root DIR (the folder holding "
                f"{entry.folder}/train and {entry.folder}/test)."
            )
        root = Path(data_root).expanduser() / root
    for part in ("train", "test"):
        if not (root / part).is_dir():
            raise MissingFileError(
                f"Expected the image folder of dataset {entry.name!r} at {str(root)!r} with "
                f"sub-folders train/<class>/ and test/<class>/, but {part}/ is missing."
            )
    train = load_source(str(root / "train"), kind="folder", name=entry.name)
    test = load_source(str(root / "test"), kind="folder", classes=train.classes, name=entry.name)
    return train, test


def _check_encoder(entry: DatasetEntry, modality: str) -> None:
    from fewlabels.encode import list_encoders

    infos = {info.name.split(":")[0]: info for info in list_encoders()}
    key = entry.encoder.split(":")[0]
    if key not in infos:
        known = ", ".join(info.name for info in list_encoders())
        raise FewlabelsError(
            f"Unknown encoder {entry.encoder!r} for dataset {entry.name!r}. Known encoders: "
            f"{known}."
        )
    enc_modality = infos[key].modality
    if enc_modality not in (modality, "any"):  # "any": adapted:<folder> takes its base's
        fitting = [i.name for i in list_encoders() if i.modality == modality]
        raise FewlabelsError(
            f"Encoder {entry.encoder!r} embeds {enc_modality} data, but dataset {entry.name!r} "
            f"holds {modality} data. Pick one of: {', '.join(fitting)}."
        )


def _check_budgets(entry: DatasetEntry, budgets: tuple[Budget, ...], train: Any) -> None:
    counts = train.class_counts()
    smallest = min(counts.values())
    too_big = [b.per_class for b in budgets if b.per_class is not None and b.per_class > smallest]
    if too_big:
        small = {c: n for c, n in counts.items() if n == smallest}
        raise FewlabelsError(
            f"Budget(s) {too_big} labels per class exceed the smallest class of dataset "
            f"{entry.name!r} ({small}). Use budgets of at most {smallest} per class there "
            "(set budgets in its datasets entry) or a fraction."
        )


def _check_limits(protocol: Protocol, methods_used: set[str]) -> None:
    stray = sorted(set(protocol.limits) - methods_used)
    if stray:
        raise FewlabelsError(
            f"Protocol {protocol.name!r} has limits for method(s) {stray} that it does not "
            f"run. Its methods: {sorted(methods_used)}."
        )


def plan(
    protocol: Protocol, *, data_root: str | os.PathLike[str] | None = None
) -> list[PlannedDataset]:
    """Check every name, load every dataset and list the cells, before any work starts.

    Raises a ValueError (or FileNotFoundError) for unknown dataset, encoder or method names,
    an encoder of the wrong modality, a budget larger than a dataset's smallest class, or
    limits on methods the protocol does not run.
    """
    methods_used: set[str] = set()
    expanded: dict[str, list[str]] = {}
    for entry in protocol.datasets:
        expanded[entry.key] = expand_methods(protocol.methods_for(entry))
        methods_used.update(expanded[entry.key])
    _check_limits(protocol, methods_used)
    planned = []
    for entry in protocol.datasets:
        train, test = _load_dataset(entry, data_root)
        _check_encoder(entry, train.modality)
        budgets = protocol.budgets_for(entry)
        _check_budgets(entry, budgets, train)
        item = PlannedDataset(entry=entry, train=train, test=test)
        for budget in budgets:
            for seed in protocol.seeds:
                for method in expanded[entry.key]:
                    limit = protocol.limits.get(method)
                    if limit is not None and not limit.allows(
                        dataset=entry.name, budget=budget, seed=seed
                    ):
                        continue
                    if get_method(method).labels == "all":
                        continue  # the ceiling ignores the budget: one cell per seed, below
                    item.cells.append(Cell(entry.name, entry.encoder, budget, seed, method))
        for seed in protocol.seeds:
            for method in expanded[entry.key]:
                limit = protocol.limits.get(method)
                if get_method(method).labels == "all" and (
                    limit is None or limit.seeds is None or seed in limit.seeds
                ):
                    item.cells.append(Cell(entry.name, entry.encoder, ALL_LABELS, seed, method))
        planned.append(item)
    return planned


def with_encoder(protocol: Protocol, encoder: str) -> Protocol:
    """The protocol with every dataset embedded by ``encoder`` (a CLI override)."""
    entries = tuple(dataclasses.replace(d, encoder=encoder) for d in protocol.datasets)
    return dataclasses.replace(protocol, datasets=entries)
