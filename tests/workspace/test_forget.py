"""Forgetting in a workspace: the refit equals a fit that never saw the items, nothing is left
of them in the store, the cache or the models, and a SIGKILL half-way is finished on open."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fakes import FakeTextEncoder
from fewlabels.cli import app
from fewlabels.encode import get_encoder as real_get_encoder
from fewlabels.encode.cache_files import Store
from fewlabels.learn import get_learner
from fewlabels.workspace import Workspace

WORDS = ("apple", "river", "stone")
CLASSES = ["apple", "river", "stone"]
GONE = ["t01x", "t04x", "t09x", "t20x"]  # t01x, t04x labelled; t09x, t20x not


@pytest.fixture(autouse=True)
def _fake_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fewlabels.encode.get_encoder", lambda name, **kw: FakeTextEncoder())


def _texts(path: Path, drop: tuple[str, ...] = ()) -> Path:
    """30 texts about apples, rivers or stones; the first 9 carry their label."""
    ids = [f"t{i:02d}x" for i in range(30)]  # no id is part of another
    frame = pd.DataFrame(
        {
            "id": ids,
            "text": [f"{WORDS[i % 3]} item number {i}" for i in range(30)],
            "label": [WORDS[i % 3] if i < 9 else "" for i in range(30)],
        }
    )
    frame[~frame["id"].isin(drop)].to_csv(path, index=False)
    return path


def _ws(tmp_path: Path, name: str = "ws", drop: tuple[str, ...] = ()) -> Workspace:
    src = _texts(tmp_path / f"{name}.csv", drop)
    return Workspace.init(
        tmp_path / name, data=str(src), text="text", id="id", label="label", classes=CLASSES
    )


def _raw(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = _ws(tmp_path)
    w.suggest(6)  # embeds the pool (cache), fits a model (models/), writes a report
    return w


@pytest.mark.parametrize("learner", ["ncm", "knn", "linear", "label-spreading"])
def test_the_refit_equals_a_fit_that_never_saw_the_items(
    ws: Workspace, tmp_path: Path, learner: str
) -> None:
    ws.forget(GONE, who="alice")
    after = Workspace.open(ws.root).embeddings()
    never = _ws(tmp_path, "never", drop=tuple(GONE)).embeddings()
    assert list(after.dataset.ids) == list(never.dataset.ids)
    assert not set(GONE) & set(after.dataset.ids)
    np.testing.assert_array_equal(after.dataset.labels, never.dataset.labels)
    X_after, X_never = np.asarray(after.X), np.asarray(never.X)
    np.testing.assert_array_equal(X_after, X_never)
    a = get_learner(learner).fit(X_after, after.dataset.labels)
    b = get_learner(learner).fit(X_never, never.dataset.labels)
    np.testing.assert_array_equal(a.predict_proba(X_after), b.predict_proba(X_never))


def test_nothing_of_the_items_is_left_in_store_cache_models_or_reports(ws: Workspace) -> None:
    vectors = np.asarray(ws.embeddings().X)[ws.dataset().positions(GONE)]
    assert all(v.tobytes() in _raw(ws.root / "cache") for v in vectors)  # there before
    report = ws.forget(GONE, who="alice")
    assert report.n_forgotten == 4 and report.cache_rows == 4 and not report.cache_cleared
    assert report.models_removed == ["round-0001.pkl"] and report.reports_scrubbed
    assert not any(v.tobytes() in _raw(ws.root / "cache") for v in vectors)
    assert not list((ws.root / "models").glob("round-*.pkl"))
    raw = _raw(ws.root)
    for item in GONE:
        assert item.encode() not in raw  # not in labels.db, its WAL, the reports
    assert b"t02x" in raw  # the check can fail: a kept id is found in the same bytes
    assert ws.store.n_items() == 26 and ws.store.pending_forget() is None
    tombs = ws.store.tombstones()
    assert len(tombs) == 4 and all(t.who == "alice" for t in tombs)
    assert not any(item in repr(tombs) for item in GONE)


def test_forgotten_items_in_the_source_stay_out_of_the_pool(ws: Workspace) -> None:
    ws.forget(GONE, who="alice")
    again = Workspace.open(ws.root)  # the CSV still holds them: they are not registered again
    assert again.store.n_items() == 26 and again.check_source().ok
    assert not set(GONE) & set(again.dataset().ids)
    for _ in range(3):
        rnd = again.suggest(8)
        assert not set(GONE) & set(rnd.item_ids)
        for item in rnd.item_ids:
            again.store.add_label(item, CLASSES[int(item[1:3]) % 3])
    again.forget(["t00x", *GONE], who="bob")  # a re-run: t00x goes, the others were gone before
    assert again.store.forgotten(["t00x", *GONE]) == ["t00x", *GONE]


def test_unknown_ids_are_listed_and_nothing_is_written(ws: Workspace) -> None:
    before = {p: p.read_bytes() for p in sorted(ws.root.rglob("*")) if p.is_file()}
    before_items = ws.store.n_items()
    with pytest.raises(KeyError, match=r"2 of the 3 id\(s\) to forget are not: \['x1', 'x2'\]"):
        ws.forget(["t01x", "x1", "x2"], who="alice")
    assert ws.store.n_items() == before_items and ws.store.tombstones() == []
    after = {p: p.read_bytes() for p in sorted(ws.root.rglob("*")) if p.is_file()}
    changed = [p.name for p in before if before[p] != after.get(p)]
    assert not [n for n in changed if not n.startswith("labels.db")]  # cache, models untouched
    assert set(after) - set(before) <= {ws.root / "labels.db-wal", ws.root / "labels.db-shm"}


def test_an_encoder_fitted_on_the_pool_clears_the_whole_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fewlabels.encode.get_encoder", real_get_encoder)  # the real tabular
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {
            "id": [f"r{k}" for k in range(20)],
            "x": rng.normal(size=20),
            "y": ["a", "b"] * 3 + [""] * 14,
        }
    ).to_csv(tmp_path / "rows.csv", index=False)
    ws = Workspace.init(
        tmp_path / "tab", data=str(tmp_path / "rows.csv"), features=["x"], label="y", id="id"
    )
    first = ws.embeddings()  # the tabular encoder: means and scales of the whole pool
    assert len(first.dataset) == 20
    report = ws.forget(["r0", "r7"], who="alice")
    assert report.cache_cleared and not any((ws.root / "cache").iterdir())
    assert len(Workspace.open(ws.root).embeddings().dataset) == 18


# --- a SIGKILL half-way -------------------------------------------------------------------

_KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from fakes import FakeTextEncoder
import fewlabels.encode, fewlabels.encode.cache, fewlabels.encode.cache_files as files
fewlabels.encode.get_encoder = lambda name, **kw: FakeTextEncoder()
from fewlabels.workspace import Workspace

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

where = {where!r}
if where == "after-store":
    fewlabels.encode.cache.forget_cached = die
elif where == "mid-chunk":
    real = files.atomic_write_bytes
    calls = []
    def torn(path, data, **kw):  # the keys file of the new chunk: half written, then killed
        calls.append(path)
        if len(calls) == 2:
            with open(path.with_name("." + path.name + ".1.x.tmp"), "wb") as fh:
                fh.write(data[: len(data) // 2])
            die()
        return real(path, data, **kw)
    files.atomic_write_bytes = torn
elif where == "before-unlink":
    files.Store.remove_unlisted = die
Workspace.open({root!r}).forget({ids!r}, who="alice")
"""


@pytest.mark.parametrize("where", ["after-store", "mid-chunk", "before-unlink"])
def test_a_sigkill_during_forget_leaves_store_and_cache_consistent_and_open_finishes(
    ws: Workspace, where: str
) -> None:
    vectors = np.asarray(ws.embeddings().X)[ws.dataset().positions(GONE)]
    script = _KILL_SCRIPT.format(
        tests=str(Path(__file__).parents[1]), where=where, root=str(ws.root), ids=GONE
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    # The store's transaction is whole: the items are gone, the journal says what is left.
    assert ws.store.n_items() == 26 and len(ws.store.tombstones()) == 4
    pending = ws.store.pending_forget()
    assert pending is not None and len(pending["cache_keys"]) == 4
    # The cache is consistent: every listed chunk matches its checksum and shape.
    for entry in (ws.root / "cache").iterdir():
        manifest = json.loads((entry / "manifest.json").read_text())
        store = Store(entry, manifest["identity"], manifest["dim"], _check())
        assert store.dropped == [] and store.chunks
    # Opening the workspace (any command does) finishes the forget.
    again = Workspace.open(ws.root)
    assert again.store.pending_forget() is None
    assert not any(v.tobytes() in _raw(ws.root / "cache") for v in vectors)
    assert not list((ws.root / "models").glob("round-*.pkl"))
    emb = again.embeddings()
    assert len(emb.dataset) == 26 and not set(GONE) & set(emb.dataset.ids)
    # Running the same command again is harmless: the ids were forgotten before.
    repeat = again.forget(GONE, who="alice")
    assert repeat.record is None and repeat.already_forgotten == GONE


def _check():  # type: ignore[no-untyped-def]
    from fewlabels.encode.cache_files import FileCheck

    return FileCheck(enabled=True)


# --- the command line ---------------------------------------------------------------------

runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    r = runner.invoke(app, list(args), input=stdin)
    return r.exit_code, " ".join(r.output.split())


def test_cli_forget_asks_first_and_needs_yes_without_input(ws: Workspace, tmp_path: Path) -> None:
    root = str(ws.root)
    code, out = _run("forget", "-w", root, "t01x", "t09x")
    assert code != 0 and "no input to read it from. Pass --yes" in out
    assert ws.store.n_items() == 30
    code, out = _run("forget", "-w", root, "t01x", "t09x", stdin="n\n")
    assert code == 1 and "t01x (river)" in out and "nothing was forgotten" in out
    assert ws.store.n_items() == 30
    code, out = _run("forget", "-w", root, "t01x", "t09x", stdin="y\n")
    assert code == 0 and "forgot 2 item(s)" in out and ws.store.n_items() == 28
    ids = tmp_path / "ids.txt"
    ids.write_text("# to forget\nt04x\n\nt01x\n")
    code, out = _run("forget", "-w", root, "--from-file", str(ids), "--yes", "--who", "bob")
    assert code == 0 and "forgot 1 item(s); 1 were forgotten before" in out
    code, out = _run("forget", "-w", root, "zz", "--yes")
    assert code != 0 and "1 of the 1 id(s) to forget are not: ['zz']" in out


def test_adapted_encoders_are_reported_stale_and_unfinished_checkpoints_go(
    ws: Workspace,
) -> None:
    (ws.root / "adapted" / "head-0123456789ab").mkdir(parents=True)
    ckpt = ws.root / "adapted" / ".checkpoints" / "head"
    ckpt.mkdir(parents=True)
    (ckpt / "state.pt").write_bytes(b"weights trained on the items")
    report = ws.forget(GONE[:1], who="alice")
    assert report.stale_adapted == ["adapted/head-0123456789ab"]
    assert not (ws.root / "adapted" / ".checkpoints").exists()
    assert (ws.root / "adapted" / "head-0123456789ab").is_dir()  # kept, reported stale
