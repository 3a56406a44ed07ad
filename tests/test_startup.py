"""The command line starts without the heavy libraries: they load where a command needs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "sklearn", "faiss", "transformers", "onnxruntime", "pandas", "scipy")


def _imported_after(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\nprint('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    )
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("LOADED:"), done.stdout
    return [m for m in line.removeprefix("LOADED:").split(",") if m]


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _imported_after("import fewlabels.cli") == []


def test_importing_fewlabels_is_lazy_and_its_names_still_work() -> None:
    assert _imported_after("import fewlabels") == []
    code = (
        "import fewlabels; from fewlabels import Workspace, LabelStore; "
        "assert Workspace.__name__ == 'Workspace' and LabelStore.__name__ == 'LabelStore'; "
        "assert set(fewlabels.__all__) <= set(dir(fewlabels))"
    )
    assert "sklearn" not in _imported_after(code)
    assert "sklearn" in _imported_after("from fewlabels import KNN")


def test_every_public_name_resolves() -> None:
    import fewlabels

    for name in fewlabels.__all__:
        assert getattr(fewlabels, name) is not None, name


def test_export_loads_no_model_library(tmp_path: Path) -> None:
    """A light command on a table workspace: pandas reads the table, nothing else heavy loads.

    (``status`` embeds the pool and loads a model, as it must: with labels of two classes it
    computes the cross-validated accuracy, and with none it says what zero-shot would
    predict, tests/workspace/test_zero_label.py.)
    """
    from fewlabels.workspace import Workspace

    def table(name: str, labels: str) -> str:
        rows = "".join(f"r{k},text {k},{labels[k]}\n" for k in range(len(labels)))
        (tmp_path / f"{name}.csv").write_text("id,text,label\n" + rows)
        Workspace.init(
            tmp_path / name,
            data=str(tmp_path / f"{name}.csv"),
            text="text",
            label="label",
            id="id",
            classes=["a", "b"],
        )
        return str(tmp_path / name)

    labelled = table("some", "abab  ")
    model_libraries = {"torch", "sklearn", "faiss", "transformers", "onnxruntime"}
    for args in (["export", str(tmp_path / "o.csv"), "-w", labelled],):
        run = f"from fewlabels.cli import app\napp({args!r}, standalone_mode=False)"
        assert not model_libraries & set(_imported_after(run)), args
