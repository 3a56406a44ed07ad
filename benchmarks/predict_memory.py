"""Peak memory of ``fewlabels predict`` on a 1,000,000-row table, against the table's size on disk.

Trains a small tabular student (``TabularStudent``, an MLP on 3 numeric and 1 categorical
column, exported to ONNX as ``fewlabels distill`` does), writes a synthetic table of
``--rows`` rows as Parquet (pandas' default writer) and as CSV, then, in a fresh process per
run, predicts it to a CSV file:

* ``stream``: :func:`fewlabels.distill.predict.predict_to_file`, what ``fewlabels predict``
  runs (blocks of 65,536 rows read, predicted and appended to the output);
* ``whole``: the path before streaming: the table read whole
  (:func:`~fewlabels.distill.predict.read_prediction_data`), predicted in one call of
  :func:`~fewlabels.distill.predict.predict_file` on the DataFrame, which returns every
  prediction as one DataFrame and writes it.

Peak RSS is the process's high-water mark (``VmHWM`` in /proc/self/status); the baseline is
the RSS after the imports and loading the student, before reading any row.

Usage: python benchmarks/predict_memory.py [--rows 1000000] [--dir /tmp/fl-predict-bench]
Writes benchmarks/results/predict_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "predict_memory.json"


def synthetic(rows: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"r{i:07d}" for i in range(rows)],
            "a": rng.normal(size=rows),
            "b": rng.normal(size=rows) * 10 + 50,
            "c": rng.integers(0, 1000, size=rows).astype(np.float64),
            "colour": rng.choice(["red", "green", "blue", "amber", "violet"], size=rows),
        }
    )


def train_student(path: Path) -> Path:
    from fewlabels.distill import DistillConfig, TabularStudent

    frame = synthetic(4000, seed=1).drop(columns=["id"])
    y = ((frame["a"] + (frame["colour"] == "red")) > 0.5).to_numpy().astype(int)
    soft = np.full((len(y), 2), 0.1)
    soft[np.arange(len(y)), y] = 0.9
    config = DistillConfig(epochs=5, batch_size=256, progress=False)
    student = TabularStudent(config=config).fit(frame, soft, classes=("no", "yes"))
    return Path(student.export(path))


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def run(mode: str, model: str, table: str, out: str) -> dict[str, object]:
    """One measurement, in this (fresh) process."""
    from fewlabels.distill.predict import (
        load_student,
        predict_file,
        predict_to_file,
        read_prediction_data,
    )

    student = load_student(model, threads=1)
    base = _status_kib("VmRSS")
    t0 = time.perf_counter()
    if mode == "stream":
        n = predict_to_file(student, table, out).n_predicted
    else:
        ids, inputs = read_prediction_data(table, student)
        n = len(predict_file(student, inputs.assign(id=ids), out=out))
    seconds = time.perf_counter() - t0
    peak = _status_kib("VmHWM")
    return {
        "mode": mode,
        "input": Path(table).suffix.lstrip("."),
        "rows": n,
        "seconds": round(seconds, 2),
        "items_per_s": round(n / seconds),
        "baseline_rss_mib": round(base / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "peak_above_baseline_mib": round((peak - base) / 1024, 1),
        "input_on_disk_mib": round(os.path.getsize(table) / 2**20, 1),
        "output_on_disk_mib": round(os.path.getsize(out) / 2**20, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dir", default="/tmp/fl-predict-bench")
    ap.add_argument("--run", nargs=4, metavar=("MODE", "MODEL", "TABLE", "OUT"))
    args = ap.parse_args()
    if args.run:
        print(json.dumps(run(*args.run)))
        return
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    model = train_student(folder / "student.onnx")
    frame = synthetic(args.rows)
    tables = {"parquet": folder / "table.parquet", "csv": folder / "table.csv"}
    frame.to_parquet(tables["parquet"], index=False)
    frame.to_csv(tables["csv"], index=False)
    del frame
    results = []
    for suffix, table in tables.items():
        for mode in ("stream", "whole"):
            out = folder / f"pred-{mode}-{suffix}.csv"
            cmd = [sys.executable, __file__, "--run", mode, str(model), str(table), str(out)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            r = results[-1]
            print(
                f"{suffix:8} {mode:7} {r['seconds']:7.1f} s {r['items_per_s']:>9,} items/s  peak "
                f"{r['peak_rss_mib']:6.0f} MiB (+{r['peak_above_baseline_mib']:.0f} above "
                f"{r['baseline_rss_mib']:.0f}); table {r['input_on_disk_mib']:.0f} MiB on disk"
            )
    same = all(
        (folder / f"pred-stream-{s}.csv").read_bytes()
        == (folder / f"pred-whole-{s}.csv").read_bytes()
        for s in tables
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "rows": args.rows,
                "student": "TabularStudent (mlp), 3 numeric + 1 categorical column, onnxruntime 1 thread",
                "block_rows": 65536,
                "outputs_identical": same,
                "runs": results,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"outputs identical: {same}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
