"""Distillation: a small, fast student trained on a teacher's soft labels, exported to ONNX.

Names that need torch (the students, the trainer) load on first use, so that
``fewlabels.distill.predict`` (onnxruntime only) never imports torch, and neither do
``fewlabels.distill.config`` (:class:`DistillConfig`, the settings of a distillation) and
``fewlabels.distill.students`` (the students' registry).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fewlabels.distill.comparison import Comparison, compare
    from fewlabels.distill.config import DistillConfig, TrainConfig
    from fewlabels.distill.distillation import distill
    from fewlabels.distill.end_to_end import (
        DistillReport,
        distill_and_compare,
        distill_builtin,
        distill_workspace,
    )
    from fewlabels.distill.export import NotAStudentError
    from fewlabels.distill.image_student import ImageStudent
    from fewlabels.distill.multilabel_report import (
        MultiLabelComparison,
        compare_multilabel,
        distill_multilabel_builtin,
    )
    from fewlabels.distill.predict import ExportedStudent, load_student, predict_file
    from fewlabels.distill.student import Student
    from fewlabels.distill.students import list_students, make_student
    from fewlabels.distill.tabular_student import TabularStudent
    from fewlabels.distill.teacher import SoftLabels, Teacher
    from fewlabels.distill.text_student import TextStudent
    from fewlabels.distill.weighting import teacher_confidence, trust_weights

_WHERE = {
    "Comparison": "comparison",
    "compare": "comparison",
    "DistillReport": "end_to_end",
    "distill_and_compare": "end_to_end",
    "distill_builtin": "end_to_end",
    "distill_workspace": "end_to_end",
    "DistillConfig": "config",
    "TrainConfig": "config",
    "distill": "distillation",
    "list_students": "students",
    "make_student": "students",
    "NotAStudentError": "export",
    "ImageStudent": "image_student",
    "MultiLabelComparison": "multilabel_report",
    "compare_multilabel": "multilabel_report",
    "distill_multilabel_builtin": "multilabel_report",
    "ExportedStudent": "predict",
    "load_student": "predict",
    "predict_file": "predict",
    "Student": "student",
    "TabularStudent": "tabular_student",
    "SoftLabels": "teacher",
    "Teacher": "teacher",
    "TextStudent": "text_student",
    "teacher_confidence": "weighting",
    "trust_weights": "weighting",
}

__all__ = [
    "Comparison",
    "DistillConfig",
    "DistillReport",
    "ExportedStudent",
    "ImageStudent",
    "MultiLabelComparison",
    "NotAStudentError",
    "SoftLabels",
    "Student",
    "TabularStudent",
    "Teacher",
    "TextStudent",
    "TrainConfig",
    "compare",
    "compare_multilabel",
    "distill",
    "distill_and_compare",
    "distill_builtin",
    "distill_multilabel_builtin",
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
