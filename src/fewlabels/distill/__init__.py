"""Distillation: a small, fast student trained on a teacher's soft labels, exported to ONNX.

Names that need torch (the students, the trainer, ``distill``) load on first use, so that
``fewlabels.distill.predict`` (onnxruntime only) never imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fewlabels.distill.comparison import Comparison, compare
    from fewlabels.distill.distillation import distill, list_students, make_student
    from fewlabels.distill.end_to_end import (
        DistillReport,
        distill_and_compare,
        distill_builtin,
        distill_workspace,
    )
    from fewlabels.distill.export import NotAStudentError
    from fewlabels.distill.image_student import ImageStudent
    from fewlabels.distill.predict import ExportedStudent, load_student, predict_file
    from fewlabels.distill.student import Student
    from fewlabels.distill.tabular_student import TabularStudent
    from fewlabels.distill.teacher import SoftLabels, Teacher
    from fewlabels.distill.text_student import TextStudent
    from fewlabels.distill.trainer import TrainConfig
    from fewlabels.distill.weighting import teacher_confidence, trust_weights

_WHERE = {
    "Comparison": "comparison",
    "compare": "comparison",
    "DistillReport": "end_to_end",
    "distill_and_compare": "end_to_end",
    "distill_builtin": "end_to_end",
    "distill_workspace": "end_to_end",
    "distill": "distillation",
    "list_students": "distillation",
    "make_student": "distillation",
    "NotAStudentError": "export",
    "ImageStudent": "image_student",
    "ExportedStudent": "predict",
    "load_student": "predict",
    "predict_file": "predict",
    "Student": "student",
    "TabularStudent": "tabular_student",
    "SoftLabels": "teacher",
    "Teacher": "teacher",
    "TextStudent": "text_student",
    "TrainConfig": "trainer",
    "teacher_confidence": "weighting",
    "trust_weights": "weighting",
}

__all__ = [
    "Comparison",
    "DistillReport",
    "ExportedStudent",
    "ImageStudent",
    "NotAStudentError",
    "SoftLabels",
    "Student",
    "TabularStudent",
    "Teacher",
    "TextStudent",
    "TrainConfig",
    "compare",
    "distill",
    "distill_and_compare",
    "distill_builtin",
    "distill_workspace",
    "list_students",
    "load_student",
    "make_student",
    "predict_file",
    "teacher_confidence",
    "trust_weights",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"fewlabels.distill.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'fewlabels.distill' has no attribute {name!r}")
