"""The students by name: a :class:`~fewlabels._registry.Registry` of ``"module:Class"`` rows.

Each row names the one modality its student reads and the extra that installs torch for it;
``"auto"`` picks the first student registered for the data's modality. Listing or checking a name imports nothing (no torch);
:func:`make_student` imports the student's module.
"""

from __future__ import annotations

from typing import Any

from fewlabels._registry import Entry, Registry
from fewlabels.errors import FewlabelsError

__all__ = ["STUDENTS", "check_student_kind", "list_students", "make_student"]

STUDENTS = Registry(
    "student",
    [
        Entry(
            "text-ngram",
            "fewlabels.distill.text_student:TextStudent",
            "hashed word and character n-grams into a small head (fastText-like)",
            modalities=("text",),
            extra="text",
        ),
        Entry(
            "cnn",
            "fewlabels.distill.image_student:ImageStudent",
            "a small CNN on pixels, with shifts and optional flips",
            modalities=("image",),
            extra="vision",
        ),
        Entry(
            "mlp",
            "fewlabels.distill.tabular_student:TabularStudent",
            "a small MLP on standardised numbers and one-hot categories",
            modalities=("tabular",),
            extra="vision",  # torch only; the text extra installs it too
        ),
    ],
    hint="See fewlabels.distill.list_students().",
)


def list_students() -> list[str]:
    """Student kinds: ``"text-ngram"``, ``"cnn"``, ``"mlp"``."""
    return STUDENTS.names()


def auto_student(modality: str) -> str:
    """The student ``"auto"`` picks for data of ``modality``."""
    for entry in STUDENTS.select(modality=modality):
        if entry.modalities:
            return entry.name
    raise FewlabelsError(
        f"Expected data of a modality some student reads ({_modalities()}), but got {modality!r}."
    )


def _modalities() -> str:
    return ", ".join(sorted({m for e in STUDENTS for m in e.modalities}))


def check_student_kind(kind: str, modality: str) -> str:
    """Resolve ``"auto"`` and refuse a student that does not fit the data's modality.

    Returns
    -------
    str
        The registered student name.
    """
    if kind == "auto":
        return auto_student(modality)
    if kind not in STUDENTS.names():
        raise FewlabelsError(
            f"Expected a student kind among {['auto', *STUDENTS.names()]}, but got {kind!r}."
        )
    entry = STUDENTS.entry(kind)
    if not entry.fits(modality):
        reads = " or ".join(entry.modalities)
        raise FewlabelsError(
            f"The student {kind!r} reads {reads} data, but this dataset is {modality}. Use "
            f"student={auto_student(modality)!r} (or 'auto') for {modality} data."
        )
    return kind


def make_student(kind: str, modality: str, **params: Any) -> Any:
    """Build an unfitted student of ``kind`` (or ``"auto"``) for data of ``modality``.

    Parameters
    ----------
    kind : {"auto", "text-ngram", "cnn", "mlp"}
    modality : {"text", "image", "tabular"}
    **params
        Parameters of the student (``config=DistillConfig(...)``, ``flip=True``...).

    Raises
    ------
    FewlabelsError
        For an unknown kind or one that does not fit the modality.
    """
    return STUDENTS.create(check_student_kind(kind, modality), **params)
