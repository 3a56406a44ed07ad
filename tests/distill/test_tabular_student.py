from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.distill import DistillConfig, TabularStudent, load_student
from fewlabels.distill.table_input import TableInput

from .conftest import soft, toy_table


def test_table_input_standardises_and_one_hots() -> None:
    frame = pd.DataFrame({"a": [1.0, 3.0], "flag": [True, False], "c": ["x", "y"]})
    spec = TableInput.from_table(frame)
    assert spec.numeric == ("a", "flag") and spec.categories == (("c", ("x", "y")),)
    out = spec.transform(pd.DataFrame({"c": ["y", "zz"], "flag": [1, 0], "a": [2.0, np.nan]}))
    np.testing.assert_allclose(out, [[0, 1, 0, 1], [0, -1, 0, 0]])
    assert TableInput.from_dict(spec.to_dict()) == spec


def test_table_input_names_missing_columns() -> None:
    spec = TableInput.from_table(pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 1.0]}))
    with pytest.raises(KeyError, match=r"Expected the columns \['a', 'b'\].*lacks \['b'\]"):
        spec.transform(pd.DataFrame({"a": [1.0]}))


def test_tabular_student_learns_and_exports(quick: DistillConfig, tmp_path: Path) -> None:
    frame, y = toy_table()
    student = TabularStudent(config=quick).fit(frame, soft(y))
    assert (student.predict(frame) == y).mean() >= 0.85
    exported = load_student(student.export(tmp_path / "mlp.onnx"))
    np.testing.assert_allclose(
        exported.predict_proba(frame), student.predict_proba(frame), atol=1e-5
    )
    with pytest.raises(KeyError, match="lacks"):
        exported.predict_proba(frame.drop(columns=["colour"]))
