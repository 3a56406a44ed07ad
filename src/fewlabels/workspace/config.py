"""The workspace configuration: ``fewlabels.toml`` as one validated dataclass.

This file runs past 400 lines because it is one file format: the dataclasses of its tables, their
checks with the messages that name the key, and the TOML writer; reading descriptions from a
file is here too, since they become the ``[descriptions]`` table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from fewlabels._atomic import atomic_write_text
from fewlabels._validation import check_class_names, check_known_keys
from fewlabels.errors import FewlabelsError, InputTypeError, MissingFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAME = "fewlabels.toml"
DATA_KINDS = ("builtin", "folder", "table")
#: ``task`` of a workspace: one class per item, or a set of classes (possibly empty).
TASKS = ("single", "multilabel")


def _unknown_keys(section: str, given: dict[str, Any], allowed: list[str]) -> None:
    check_known_keys(given, allowed, where=f"{section} of {CONFIG_NAME}")


def _toml_str(value: str) -> str:
    """``value`` as a TOML basic string (JSON's escapes, which TOML shares, and raw Unicode)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def check_descriptions(
    descriptions: Any, classes: Sequence[str], *, where: str = "the class descriptions"
) -> dict[str, tuple[str, ...]]:
    """Check class descriptions and return them as class name -> tuple of sentences.

    Parameters
    ----------
    descriptions : mapping of str to (str or sequence of str)
        Class name -> one description, or a list of them (prompts for
        :class:`fewlabels.learn.ZeroShot`).
    classes : sequence of str
        The workspace's classes; every key must be one of them.
    where : str
        Where they come from, for the messages.

    Returns
    -------
    dict of str to tuple of str
        In the order of ``classes``; each sentence stripped of surrounding spaces.

    Raises
    ------
    InputTypeError
        Not a mapping, or a value that is not a string or a list of strings.
    FewlabelsError
        A key that is no class (the classes are listed), or an empty description.
    """
    if not isinstance(descriptions, Mapping):
        raise InputTypeError(
            f"Expected {where} to map class names to a description (a string or a list of "
            f"strings), but got a {type(descriptions).__name__}: {descriptions!r}. Write it "
            'as a table, e.g. great = "Loved it, would buy again".'
        )
    unknown = [str(k) for k in descriptions if k not in classes]
    if unknown:
        raise FewlabelsError(
            f"Expected descriptions only for the classes {list(classes)}, but got {unknown} "
            f"in {where}, which {'is' if len(unknown) == 1 else 'are'} not among them. Fix "
            "the class name or remove its description."
        )
    out: dict[str, tuple[str, ...]] = {}
    for name in classes:
        if name not in descriptions:
            continue
        value = descriptions[name]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
            raise InputTypeError(
                f"Expected the description of class {name!r} in {where} to be a string or a "
                f"list of strings, but got {value!r} ({type(value).__name__}). Quote it: "
                f'{name} = "a sentence about {name}".'
            )
        sentences = tuple(v.strip() for v in items)
        if not sentences or not all(sentences):
            raise FewlabelsError(
                f"Expected a non-empty description for class {name!r} in {where}, but got "
                f"{value!r}. Write a sentence about the class, or remove its entry."
            )
        out[name] = sentences
    return out


def load_descriptions(path: str | Path) -> dict[str, Any]:
    """Read a file of class descriptions: ``.toml`` or ``.json``, by its extension.

    The file maps each class name to a description or a list of them, e.g. in TOML::

        great = "Loved it, would buy again."
        other = ["It was fine.", "Disappointing, stale or broken."]

    or in JSON ``{"great": "Loved it.", "other": ["It was fine.", "Disappointing."]}``.

    Returns
    -------
    dict
        The mapping as read; :func:`check_descriptions` checks it against the classes.

    Raises
    ------
    MissingFileError
        No such file.
    FewlabelsError
        Another extension, a file that does not parse, or not a table of classes.
    """
    p = Path(path).expanduser()
    kind = p.suffix.lower()
    if kind not in (".toml", ".json"):
        raise FewlabelsError(
            f"Expected a descriptions file ending in .toml or .json (class = description), but "
            f"got {str(p)!r}. Rename it, or write it in one of those formats."
        )
    if not p.is_file():
        raise MissingFileError(
            f"Expected a descriptions file at {p}, but there is none. Check the path."
        )
    text = p.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text) if kind == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        fmt = "TOML" if kind == ".toml" else "JSON"
        raise FewlabelsError(
            f"Expected valid {fmt} in the descriptions file {p} (its extension says {fmt}), but "
            f"{exc}. Fix the file."
        ) from exc
    if not isinstance(raw, dict):
        raise InputTypeError(
            f"Expected the descriptions file {p} to hold one object of class -> description, "
            f'but it holds a {type(raw).__name__}. Write e.g. {{"great": "Loved it."}}.'
        )
    return raw


def parse_description_pairs(pairs: Sequence[str]) -> dict[str, list[str]]:
    """Descriptions from ``"class=sentence"`` strings (a class may come back several times).

    Raises
    ------
    FewlabelsError
        A string without ``=`` or with nothing before it.
    """
    out: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, sentence = pair.partition("=")
        if not sep or not name.strip():
            raise FewlabelsError(
                f"Expected a class description as 'class=sentence', but got {pair!r}. Write "
                "e.g. --describe-class 'great=Loved it, would buy again'."
            )
        out.setdefault(name.strip(), []).append(sentence)
    return out


def merge_descriptions(*parts: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Join descriptions: the sentences of a class from each part, in order (unchecked)."""
    out: dict[str, list[Any]] = {}
    for part in parts:
        for name, value in part.items():
            out.setdefault(name, []).extend([value] if isinstance(value, str) else list(value))
    return out


@dataclass(frozen=True)
class DataSourceConfig:
    """Where the pool comes from.

    Parameters
    ----------
    kind : {"builtin", "folder", "table"}
    source : str
        A built-in dataset name, an image folder or a table file (absolute path).
    text, features, label, id : optional
        Column options of a table (see :func:`fewlabels.data.from_table`).
    sep : str, optional
        The separator of labels in a multi-label table's label cells (``"|"`` for
        ``"Comedy|Drama"``); without it a multi-label cell is a list (a JSON list in a CSV).
    """

    kind: str
    source: str
    text: str | None = None
    features: tuple[str, ...] | None = None
    label: str | None = None
    id: str | None = None
    sep: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in DATA_KINDS:
            raise FewlabelsError(f"Expected [data] kind in {DATA_KINDS}, but got {self.kind!r}.")
        if not self.source:
            raise FewlabelsError(
                "Expected [data] source (a built-in name, folder or table), but it is empty."
            )
        table_opts = {
            "text": self.text,
            "features": self.features,
            "label": self.label,
            "id": self.id,
            "sep": self.sep,
        }
        if self.sep is not None and (not isinstance(self.sep, str) or not self.sep):
            raise FewlabelsError(
                f"Expected [data] sep to be a non-empty separator such as '|', but got "
                f"{self.sep!r}."
            )
        if self.kind != "table":
            given = [k for k, v in table_opts.items() if v is not None]
            if given:
                raise FewlabelsError(
                    f"Expected the column options {given} only for a table source, but the source "
                    f"is a {self.kind} ({self.source!r}). Remove them."
                )
        elif (self.text is None) == (self.features is None):
            raise FewlabelsError(
                "Expected exactly one of text='column' or features=[...] for a table source, but "
                f"got text={self.text!r} and features={self.features!r}."
            )
        if self.features is not None:
            object.__setattr__(self, "features", tuple(str(f) for f in self.features))


@dataclass(frozen=True)
class LabellingConfig:
    """The ``[labelling]`` table of ``fewlabels.toml``: how rounds are shared by annotators.

    Parameters
    ----------
    double_label_share : float, default 0
        The share (0 to 1) of each round's items sent to a second annotator: items labelled
        once by someone are offered to a different annotator first, and the agreement of the
        two shows in ``status`` (``fewlabels suggest --double SHARE`` for one round).
    """

    double_label_share: float = 0.0

    def __post_init__(self) -> None:
        share = self.double_label_share
        if (
            isinstance(share, bool)
            or not isinstance(share, int | float)
            or not 0.0 <= float(share) <= 1.0
        ):
            raise FewlabelsError(
                "Expected [labelling] double_label_share (or --double) to be a number from 0 "
                f"to 1 (the share of a round sent to a second annotator), but got {share!r}. "
                "Pass e.g. 0.2."
            )
        object.__setattr__(self, "double_label_share", float(share))


@dataclass(frozen=True)
class PageConfig:
    """The ``[page]`` table of ``fewlabels.toml``: what the labelling page shows.

    Parameters
    ----------
    context : tuple of str, default ()
        Other columns of a table source shown beside each item (``context = ["title",
        "author"]``); the page checks they are columns of the table when it starts.
    preselect_guess : bool, default False
        Highlight the model's guess among the class buttons (``fewlabels label
        --preselect-guess``). Off by default: a highlighted guess invites anchoring.
    """

    context: tuple[str, ...] = ()
    preselect_guess: bool = False

    def __post_init__(self) -> None:
        cols = self.context
        if isinstance(cols, str) or not all(isinstance(c, str) and c for c in cols):
            raise InputTypeError(
                "Expected [page] context to be a list of column names, but got "
                f'{cols!r}. Write e.g. context = ["title", "author"].'
            )
        object.__setattr__(self, "context", tuple(cols))
        if not isinstance(self.preselect_guess, bool):
            raise InputTypeError(
                f"Expected [page] preselect_guess to be true or false, but got "
                f"{self.preselect_guess!r}."
            )


@dataclass(frozen=True)
class WorkspaceConfig:
    """``fewlabels.toml``: data source, classes, encoder, learner, seed and class descriptions.

    ``descriptions`` (the optional ``[descriptions]`` table) maps a class name to a sentence
    or a list of them; zero-shot guesses (:class:`fewlabels.learn.ZeroShot`) use them beside
    the class names. They are checked against the classes and kept as tuples.

    ``task`` is ``"single"`` (the default: one class per item) or ``"multilabel"`` (each
    item gets a set of classes, possibly empty; the label store keeps each set as one
    history row). It is written to the file only when it is not the default.

    An unknown key is an error, never a silent new option.
    """

    data: DataSourceConfig
    classes: tuple[str, ...]
    encoder: str
    learner: str = "auto"
    seed: int = 0
    descriptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    labelling: LabellingConfig = field(default_factory=LabellingConfig)
    page: PageConfig = field(default_factory=PageConfig)
    task: str = "single"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise FewlabelsError(
                f"Expected task in {list(TASKS)} in {CONFIG_NAME}, but got {self.task!r}. Write "
                'task = "multilabel" for label sets, or leave it out for one label per item.'
            )
        if self.data.sep is not None and self.task != "multilabel":
            raise FewlabelsError(
                f"Expected [data] sep (labels joined by {self.data.sep!r} in a cell) only in a "
                'multi-label workspace, but task is "single". Add task = "multilabel" '
                "(--task multilabel), or remove sep."
            )
        object.__setattr__(self, "classes", check_class_names(self.classes))
        object.__setattr__(
            self, "descriptions", check_descriptions(self.descriptions, self.classes)
        )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InputTypeError(f"Expected an integer seed, but got {self.seed!r}.")
        if not self.encoder:
            raise FewlabelsError(
                "Expected an encoder name (see `fewlabels encoders`), but it is empty."
            )

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> WorkspaceConfig:
        """Build from the parsed TOML, refusing unknown keys."""
        top = [f.name for f in fields(cls)]
        _unknown_keys("the top level", raw, top)
        missing = [k for k in ("data", "classes", "encoder") if k not in raw]
        if missing:
            raise FewlabelsError(
                f"Expected the key(s) {missing} in {CONFIG_NAME}, but they are missing."
            )
        data = raw["data"]
        if not isinstance(data, dict):
            raise InputTypeError(f"Expected a [data] table in {CONFIG_NAME}, but got {data!r}.")
        _unknown_keys("[data]", data, [f.name for f in fields(DataSourceConfig)])
        classes = check_class_names(tuple(raw["classes"]))
        descriptions = check_descriptions(
            raw.get("descriptions", {}), classes, where=f"[descriptions] of {CONFIG_NAME}"
        )
        labelling = raw.get("labelling", {})
        if not isinstance(labelling, dict):
            raise InputTypeError(
                f"Expected a [labelling] table in {CONFIG_NAME}, but got {labelling!r}."
            )
        _unknown_keys("[labelling]", labelling, [f.name for f in fields(LabellingConfig)])
        page = raw.get("page", {})
        if not isinstance(page, dict):
            raise InputTypeError(f"Expected a [page] table in {CONFIG_NAME}, but got {page!r}.")
        _unknown_keys("[page]", page, [f.name for f in fields(PageConfig)])
        return cls(
            page=PageConfig(**page),
            labelling=LabellingConfig(**labelling),
            data=DataSourceConfig(**data),
            classes=classes,
            encoder=str(raw["encoder"]),
            learner=str(raw.get("learner", "auto")),
            seed=raw.get("seed", 0),
            descriptions=descriptions,
            task=raw.get("task", "single"),
        )

    @classmethod
    def load(cls, path: str | Path) -> WorkspaceConfig:
        """Read ``fewlabels.toml``."""
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise FewlabelsError(f"Expected valid TOML in {p}, but {exc}. Fix the file.") from exc
        return cls.from_dict(raw)

    def to_toml(self) -> str:
        """The file text (strings written as JSON strings, which TOML accepts)."""
        q = _toml_str
        lines = [
            "# fewlabels workspace (see `fewlabels init --help`)",
            f"classes = [{', '.join(q(c) for c in self.classes)}]",
            f"encoder = {q(self.encoder)}",
            f"learner = {q(self.learner)}",
            f"seed = {self.seed}",
            *([f"task = {q(self.task)}"] if self.task != "single" else []),
            "",
            "[data]",
            f"kind = {q(self.data.kind)}",
            f"source = {q(self.data.source)}",
        ]
        for key in ("text", "label", "id", "sep"):
            value = getattr(self.data, key)
            if value is not None:
                lines.append(f"{key} = {q(value)}")
        if self.data.features is not None:
            lines.append(f"features = [{', '.join(q(c) for c in self.data.features)}]")
        if self.descriptions:
            lines += ["", "# class = a description or a list of them (zero-shot prompts)"]
            lines.append("[descriptions]")
            for name, sentences in self.descriptions.items():
                value = q(sentences[0]) if len(sentences) == 1 else _toml_list(sentences)
                lines.append(f"{q(name)} = {value}")
        if self.labelling != LabellingConfig():
            lines += ["", "[labelling]"]
            lines.append(f"double_label_share = {self.labelling.double_label_share!r}")
        if self.page != PageConfig():
            lines += ["", "[page]"]
            lines.append(f"context = {_toml_list(self.page.context)}")
            lines.append(f"preselect_guess = {'true' if self.page.preselect_guess else 'false'}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> None:
        """Write ``fewlabels.toml`` atomically (a reader sees the old file or the new one)."""
        atomic_write_text(path, self.to_toml())


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"
