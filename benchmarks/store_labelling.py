"""How fast the page commits a label and shows the next item; how long `suggest` takes.

Starts ``python -m fewlabels.app`` on a digits workspace (a real server, SQLite WAL with
synchronous=FULL), posts labels over HTTP the way the page does, and times:

* label commit: POST /api/label until the response (the label is on disk when it returns);
* next item: GET / (the server-rendered page with the next item of the round);
* two clients at once: labels per second with two threads posting;
* ``Workspace.suggest`` on digits (pixels) with the default learner and strategy.

Writes ``benchmarks/results/store_labelling.json`` and prints a table.
Run: ``.venv/bin/python benchmarks/store_labelling.py``
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from fewlabels.data import load_builtin
from fewlabels.workspace import Workspace
from fewlabels.workspace.source import _opaque_id

N_LABELS = 200


def _start(root: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fewlabels.app", str(root), "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    while True:
        m = re.search(r"(http://\S+/)", proc.stdout.readline())
        if m:
            return proc, m.group(1)


def _token(client: httpx.Client) -> str:
    m = re.search(r'name="fewlabels-token" content="([^"]+)"', client.get("/").text)
    assert m
    return m.group(1)


def main() -> None:
    out: dict[str, object] = {"machine": os.uname().nodename, "cpus": os.cpu_count()}
    out["load_before"] = os.getloadavg()
    root = Path(tempfile.mkdtemp()) / "ws"
    ws = Workspace.init(root, data="digits")
    train = load_builtin("digits").train
    truth = {
        _opaque_id("digits", str(i)): train.classes[int(c)]
        for i, c in zip(train.ids, train.labels, strict=True)
    }
    t = time.perf_counter()
    rnd = ws.suggest(n=N_LABELS)
    out["suggest_cold_s"] = time.perf_counter() - t
    proc, url = _start(root)
    try:
        commit, render = [], []
        with httpx.Client(base_url=url) as client:
            token = _token(client)
            for _ in range(N_LABELS // 2):
                t = time.perf_counter()
                page = client.get("/")
                render.append(time.perf_counter() - t)
                m = re.search(r'data-item-id="([^"]+)"', page.text)
                assert m
                item = m.group(1)
                t = time.perf_counter()
                r = client.post(
                    "/api/label",
                    json={"item_id": item, "label": truth[item]},
                    headers={"X-Fewlabels-Token": token},
                )
                commit.append(time.perf_counter() - t)
                assert r.status_code == 200
        errors: list[int] = []

        def worker(offset: int) -> None:
            with httpx.Client(base_url=url) as c:
                for item in rnd.item_ids[N_LABELS // 2 + offset :: 2]:
                    r = c.post(
                        "/api/label",
                        json={"item_id": item, "label": truth[item]},
                        headers={"X-Fewlabels-Token": token},
                    )
                    if r.status_code != 200:
                        errors.append(r.status_code)

        t = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        both = time.perf_counter() - t
    finally:
        proc.kill()
        proc.wait()
    labelled = len(ws.store.current_labels())
    t = time.perf_counter()
    warm = ws.suggest(n=20)
    out["suggest_warm_s"] = time.perf_counter() - t
    out["warm_strategy"] = warm.strategy
    out["warm_cv_accuracy"] = warm.metrics["cv_accuracy"]
    out["commit_ms_p50"] = 1000 * float(np.median(commit))
    out["commit_ms_p95"] = 1000 * float(np.percentile(commit, 95))
    out["render_ms_p50"] = 1000 * float(np.median(render))
    out["render_ms_p95"] = 1000 * float(np.percentile(render, 95))
    out["two_clients_labels_per_s"] = (N_LABELS // 2) / both
    out["two_clients_errors"] = len(errors)
    out["labelled_in_store"] = labelled
    out["load_after"] = os.getloadavg()
    assert labelled == N_LABELS, labelled
    res = Path(__file__).parent / "results"
    res.mkdir(exist_ok=True)
    (res / "store_labelling.json").write_text(json.dumps(out, indent=2))
    for k, v in out.items():
        print(f"{k:28s} {v if not isinstance(v, float) else round(v, 3)}")


if __name__ == "__main__":
    main()
