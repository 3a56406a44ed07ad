"""Shared fixtures of the labelling-page tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fewlabels.workspace import Workspace


def three_text_workspace(tmp_path: Path) -> Workspace:
    """A workspace of three texts (t0, t1, t2), classes a and b, one open round of all three."""
    pd.DataFrame({"id": ["t0", "t1", "t2"], "text": ["one", "two", "three"]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    w = Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "t.csv"), text="text", id="id", classes=["a", "b"]
    )
    w.store.add_round("random", ["t0", "t1", "t2"])
    return w


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """:func:`three_text_workspace` in the test's temporary folder."""
    return three_text_workspace(tmp_path)
