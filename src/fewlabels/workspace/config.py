"""The workspace configuration: ``fewlabels.toml`` as one validated dataclass."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from fewlabels._validation import check_known_keys
from fewlabels.errors import FewlabelsError, InputTypeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAME = "fewlabels.toml"
DATA_KINDS = ("builtin", "folder", "table")


def _unknown_keys(section: str, given: dict[str, Any], allowed: list[str]) -> None:
    check_known_keys(given, allowed, where=f"{section} of {CONFIG_NAME}")


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
    """

    kind: str
    source: str
    text: str | None = None
    features: tuple[str, ...] | None = None
    label: str | None = None
    id: str | None = None

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
        }
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
class WorkspaceConfig:
    """``fewlabels.toml``: data source, classes, encoder, learner and seed.

    An unknown key is an error, never a silent new option.
    """

    data: DataSourceConfig
    classes: tuple[str, ...]
    encoder: str
    learner: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        from fewlabels._validation import check_class_names

        object.__setattr__(self, "classes", check_class_names(self.classes))
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
        return cls(
            data=DataSourceConfig(**data),
            classes=tuple(raw["classes"]),
            encoder=str(raw["encoder"]),
            learner=str(raw.get("learner", "auto")),
            seed=raw.get("seed", 0),
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
        q = json.dumps
        lines = [
            "# fewlabels workspace (see `fewlabels init --help`)",
            f"classes = [{', '.join(q(c) for c in self.classes)}]",
            f"encoder = {q(self.encoder)}",
            f"learner = {q(self.learner)}",
            f"seed = {self.seed}",
            "",
            "[data]",
            f"kind = {q(self.data.kind)}",
            f"source = {q(self.data.source)}",
        ]
        for key in ("text", "label", "id"):
            value = getattr(self.data, key)
            if value is not None:
                lines.append(f"{key} = {q(value)}")
        if self.data.features is not None:
            lines.append(f"features = [{', '.join(q(c) for c in self.data.features)}]")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> None:
        """Write ``fewlabels.toml``."""
        Path(path).write_text(self.to_toml(), encoding="utf-8")
