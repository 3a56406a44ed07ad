"""Exclusion, several annotators and the review queue in a workspace, from Python and the CLI."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.errors import FewlabelsError, MissingKeyError
from fewlabels.workspace import Workspace, WorkspaceConfig
from fewlabels.workspace.config import LabellingConfig

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, " ".join(r.output.split())


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """30 rows in two separable groups; r0-r3 labelled (low, high, low, high)."""
    rng = np.random.default_rng(0)
    n = 30
    y = np.array(["low", "high"])[np.arange(n) % 2]
    pd.DataFrame(
        {
            "id": [f"r{k}" for k in range(n)],
            "x1": rng.normal(size=n) + (y == "high") * 4,
            "x2": rng.normal(size=n),
            "y": np.where(np.arange(n) < 4, y, ""),
        }
    ).to_csv(tmp_path / "rows.csv", index=False)
    return Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "rows.csv"), features=["x1", "x2"], label="y", id="id"
    )


def test_excluded_items_leave_x_y_and_suggestions_and_come_back(ws: Workspace) -> None:
    full = ws.embeddings()
    assert len(full.dataset.ids) == 30
    ws.exclude(["r1", "r5", "r6"], who="ana")
    emb = ws.embeddings()
    ids = [str(i) for i in emb.dataset.ids]
    assert len(ids) == 27 and not {"r1", "r5", "r6"} & set(ids)
    assert emb.X.shape == (27, full.X.shape[1])
    k = ids.index("r7")
    np.testing.assert_array_equal(emb.X[k], full.X[list(full.dataset.ids).index("r7")])
    assert int(emb.dataset.labeled_mask.sum()) == 3  # r1's label no longer trains the model
    assert len(ws.embeddings(with_excluded=True).dataset.ids) == 30
    rnd = ws.suggest(27, strategy="random")  # every unlabelled item left in the pool
    assert len(rnd.item_ids) == 24 and not {"r1", "r5", "r6"} & set(rnd.item_ids)
    st = ws.status(with_accuracy=False)
    assert st.n_excluded == 3 and st.labelled_per_class == {"high": 1, "low": 2}
    ws.include(["r5", "r1"], who="ben")
    assert set(ws.store.excluded()) == {"r6"}
    assert len(ws.embeddings().dataset.ids) == 29
    assert ws.status(with_accuracy=False).labelled_per_class == {"high": 2, "low": 2}


def test_exclude_refuses_unknown_ids_and_an_empty_annotator(ws: Workspace) -> None:
    with pytest.raises(MissingKeyError, match=r"\['zz'\]"):
        ws.exclude(["r0", "zz"], who="ana")
    with pytest.raises(FewlabelsError, match="empty"):
        ws.exclude(["r0"], who=" ")
    assert ws.store.exclusion_history() == []


def test_status_reports_agreement_and_the_review_queue_lists_conflicts(ws: Workspace) -> None:
    for item, (a, b) in {"r4": ("low", "low"), "r5": ("high", "low"), "r6": ("low", "low")}.items():
        ws.store.add_label(item, a, who="ana")
        ws.store.add_label(item, b, who="ben")
    st = ws.status(with_accuracy=False)
    assert st.agreement is not None and st.agreement.method == "cohen"
    assert st.agreement.n_items == 3 and st.agreement.conflict_ids == ("r5",)
    queue = ws.review_queue()
    assert [(q.item_id, q.kind, q.given) for q in queue] == [("r5", "conflict", "low")]
    assert queue[0].message() == "ana said high, ben said low"
    ws.review("r5", "change", who="cleo", label="high")
    assert ws.review_queue() == []  # decided: off the queue
    assert ws.store.current_labels()["r5"] == "high"
    assert ws.status(with_accuracy=False).agreement.conflict_ids == ("r5",)  # type: ignore[union-attr]


def test_the_review_queue_takes_flagged_audit_rows(ws: Workspace) -> None:
    from fewlabels.audit import AuditRow

    audit = SimpleNamespace(
        rows=[
            AuditRow("r0", "low", "high", 0.9, 0.1, True),
            AuditRow("r1", "low", "high", 0.8, 0.2, True),  # r1 is high now: stale, skipped
            AuditRow("r2", "low", "low", 0.9, 0.9, False),
        ]
    )
    queue = ws.review_queue(audit=audit)
    assert [(q.item_id, q.kind) for q in queue] == [("r0", "suspect")]
    assert queue[0].message() == "you said low, the model thinks high (0.90)"
    ws.review("r0", "keep", who="ana")
    assert ws.review_queue(audit=audit) == []


def test_double_share_sends_items_labelled_once_to_a_second_annotator(ws: Workspace) -> None:
    for item in ("r4", "r5", "r6", "r7"):
        ws.store.add_label(item, "low" if item in ("r4", "r6") else "high", who="ana")
    rnd = ws.suggest(4, strategy="random", double=0.5)
    assert len(rnd.second_ids) == 2 and set(rnd.second_ids) <= {"r4", "r5", "r6", "r7"}
    assert rnd.item_ids[:2] == rnd.second_ids and rnd.guesses[:2] == (None, None)
    assert rnd.metrics["second_opinion"] == 2
    assert ws.store.next_item(annotator="ana") == rnd.item_ids[2]
    assert ws.store.next_item(annotator="ben") == rnd.item_ids[0]
    with pytest.raises(FewlabelsError, match="number from 0 to 1"):
        ws.suggest(4, double=1.5)


def test_labelling_config_round_trips_and_refuses_unknown_keys(ws: Workspace) -> None:
    cfg = WorkspaceConfig(
        data=ws.config.data,
        classes=ws.config.classes,
        encoder=ws.config.encoder,
        labelling=LabellingConfig(double_label_share=0.25),
    )
    path = ws.root / "other.toml"
    cfg.save(path)
    assert "[labelling]" in path.read_text()
    assert WorkspaceConfig.load(path).labelling.double_label_share == 0.25
    path.write_text(path.read_text().replace("double_label_share", "double_share"))
    with pytest.raises(FewlabelsError, match="double_share"):
        WorkspaceConfig.load(path)
    with pytest.raises(FewlabelsError, match="number from 0 to 1"):
        LabellingConfig(double_label_share=-0.1)


def test_cli_exclude_include_status_and_annotator(ws: Workspace) -> None:
    w = str(ws.root)
    code, out = _run("exclude", "-w", w, "r8", "r9", "--who", "ana")
    assert code == 0 and "excluded 2 item(s)" in out
    code, out = _run("exclude", "-w", w, "r8", "--who", "ana")
    assert code == 0 and "1 were excluded already" in out
    code, out = _run("exclude", "-w", w, "nope", "--who", "ana")
    assert code != 0 and "['nope']" in out
    code, out = _run("status", "-w", w)
    assert code == 0 and "2 item(s) excluded" in out
    code, out = _run("include", "-w", w, "r8", "--who", "ben")
    assert code == 0 and "brought back 1 item(s)" in out
    assert set(ws.store.excluded()) == {"r9"}
    assert [e.who for e in ws.store.exclusion_history("r8")] == ["ana", "ben"]
    code, out = _run("label", "-w", w, "--annotator", " ", "--no-browser")
    assert code != 0 and "annotator name, but it is empty" in out
    code, out = _run("label", "-w", w, "--annotator", "x" * 65, "--no-browser")
    assert code != 0 and "at most 64 characters" in out
    code, out = _run("suggest", "-w", w, "-n", "2", "--double", "2")
    assert code != 0 and "number from 0 to 1" in out


@pytest.mark.parametrize(
    ("flag", "expected"),
    [([], None), (["--preselect-guess"], True), (["--no-preselect-guess"], False)],
)
def test_label_passes_preselect_guess_to_the_page(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, flag: list[str], expected: bool | None
) -> None:
    import fewlabels.app

    seen: dict[str, object] = {}
    monkeypatch.setattr(fewlabels.app, "serve", lambda workspace, **kw: seen.update(kw))
    code, out = _run("label", "-w", str(ws.root), "--no-browser", *flag)
    assert code == 0, out
    # None: the page falls back to [page] preselect_guess of fewlabels.toml (off).
    assert seen["preselect_guess"] is expected
