"""A label budget of a protocol: k labels per class, or a fraction of each class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fewlabels.errors import FewlabelsError


@dataclass(frozen=True, order=True)
class Budget:
    """A label budget: ``per_class`` labelled rows in every class, or a ``fraction`` of each.

    Parameters
    ----------
    per_class : int, optional
    fraction : float in (0, 1], optional
        Exactly one of the two is given.
    """

    per_class: int | None = None
    fraction: float | None = None

    def __post_init__(self) -> None:
        if (self.per_class is None) == (self.fraction is None):
            raise FewlabelsError(
                f"Expected a budget with exactly one of per_class or fraction, but got "
                f"per_class={self.per_class!r}, fraction={self.fraction!r}."
            )
        if self.per_class is not None and (
            isinstance(self.per_class, bool)
            or int(self.per_class) != self.per_class
            or self.per_class < 1
        ):
            raise FewlabelsError(
                f"Expected a per-class budget to be a whole number >= 1, but got "
                f"{self.per_class!r}."
            )
        if self.fraction is not None and not 0.0 < float(self.fraction) <= 1.0:
            raise FewlabelsError(
                f"Expected a fractional budget in (0, 1], but got {self.fraction!r}. Write "
                "labels per class as integers (4) and fractions as floats (0.01)."
            )

    @classmethod
    def parse(cls, value: Any, *, where: str = "budgets") -> Budget:
        """An int is labels per class, a float in (0, 1] a fraction, ``"10%"`` a percentage."""
        if isinstance(value, bool):
            raise FewlabelsError(f"Expected a budget number in {where}, but got {value!r}.")
        if isinstance(value, int):
            return cls(per_class=value)
        if isinstance(value, float):
            return cls(fraction=value)
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return cls(fraction=float(value.strip()[:-1]) / 100.0)
            except ValueError:
                pass
        raise FewlabelsError(
            f"Expected a budget in {where} as an integer (labels per class, e.g. 4), a float "
            f"fraction (0.01) or a percentage string ('1%'), but got {value!r}."
        )

    @property
    def label(self) -> str:
        """``"4/class"``, ``"1%"``, or ``"all"`` for a fraction of 1."""
        if self.per_class is not None:
            return f"{self.per_class}/class"
        assert self.fraction is not None
        return "all" if self.fraction == 1.0 else f"{self.fraction * 100:g}%"

    def to_value(self) -> int | float:
        return self.per_class if self.per_class is not None else float(self.fraction or 0.0)

    def sort_key(self) -> tuple[int, float]:
        return (
            (0, float(self.per_class))
            if self.per_class is not None
            else (1, float(self.fraction or 0.0))
        )
