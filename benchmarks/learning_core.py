"""The learning-core measurement: every learner and peer side by side, and how well Auto picks.

Runs the ``benchmarks/protocols/learning_core.toml`` protocol with ``fewlabels bench`` (or
reads a finished run), then computes from its ``results.csv``:

- per dataset and budget, Auto's mean test accuracy and macro-F1 against those of its best
  candidate run as a method in the same cells (the candidates Auto scores there: zero-shot on
  text, label spreading, linear, kNN, NCM, the self-training fallback, the tree learner on
  tables), and whether Auto is within 1 point of it;
- Auto's mean fit time per cell;
- the finefoods targets of the learning-core issue (zero-shot with descriptions at 0 labels
  comes from ``benchmarks/zero_shot.py``).

Usage::

    python benchmarks/learning_core.py [--run runs/learning_core] [--skip-run]

Writes ``benchmarks/results/learning_core.json`` and copies the run's report to
``benchmarks/results/learning_core_report.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
PROTOCOL = HERE / "protocols" / "learning_core.toml"
RESULTS = HERE / "results" / "learning_core.json"
REPORT = HERE / "results" / "learning_core_report.md"

#: Auto's candidates by modality (learn/auto.py: TEXT_CANDIDATES, DEFAULT_CANDIDATES, the
#: fallback, TABLE_CANDIDATES).
CANDIDATES = {
    "text": ["zero-shot", "label-spreading", "linear", "knn", "ncm", "self-training"],
    "image": ["label-spreading", "linear", "knn", "ncm", "self-training"],
    "tabular": ["label-spreading", "linear", "knn", "ncm", "self-training", "trees"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, default=Path("runs/learning_core"))
    parser.add_argument("--skip-run", action="store_true", help="read a finished run")
    args = parser.parse_args()
    load_before = os.getloadavg()
    if not args.skip_run:
        cmd = [str(Path(sys.executable).parent / "fewlabels"), "bench", "--protocol", str(PROTOCOL)]
        subprocess.run([*cmd, "--out", str(args.run)], check=True)
    r = pd.read_csv(args.run / "results.csv")
    r = r[r.status == "ok"]
    cells = (
        r.groupby(["dataset", "modality", "budget", "method"])
        .agg(
            accuracy=("accuracy", "mean"),
            macro_f1=("macro_f1", "mean"),
            balanced_accuracy=("balanced_accuracy", "mean"),
            fit_seconds=("fit_seconds", "mean"),
            seeds=("seed", "nunique"),
        )
        .reset_index()
    )
    rows = []
    for (dataset, modality, budget), sub in cells.groupby(["dataset", "modality", "budget"]):
        by = sub.set_index("method")
        if "auto" not in by.index:
            continue
        cands = [c for c in CANDIDATES[modality] if c in by.index]
        best = max(cands, key=lambda c: by.loc[c, "accuracy"])
        auto = by.loc["auto"]
        gap = 100 * (by.loc[best, "accuracy"] - auto.accuracy)
        rows.append(
            {
                "dataset": dataset,
                "budget": budget,
                "auto_accuracy": round(100 * auto.accuracy, 1),
                "auto_macro_f1": round(100 * auto.macro_f1, 1),
                "best_candidate": best,
                "best_accuracy": round(100 * by.loc[best, "accuracy"], 1),
                "best_macro_f1": round(100 * by.loc[best, "macro_f1"], 1),
                "gap_points": round(gap, 1),
                "within_1_point": bool(gap <= 1.0 + 1e-9),
                "auto_fit_seconds": round(float(auto.fit_seconds), 2),
            }
        )
    within = sum(row["within_1_point"] for row in rows)
    print(f"{'dataset':16s} {'budget':8s} {'auto acc/F1':>12s} {'best candidate':>28s} gap  fit s")
    for row in rows:
        print(
            f"{row['dataset']:16s} {row['budget']:8s} "
            f"{row['auto_accuracy']:5.1f}/{row['auto_macro_f1']:5.1f} "
            f"{row['best_candidate']:>16s} {row['best_accuracy']:5.1f}/{row['best_macro_f1']:5.1f} "
            f"{row['gap_points']:+5.1f} {row['auto_fit_seconds']:6.2f}"
        )
    print(f"Auto within 1 point of its best candidate in {within} of {len(rows)} cells")
    out = {
        "protocol": str(PROTOCOL.relative_to(HERE.parent)),
        "run": str(args.run),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "auto_vs_best_candidate": rows,
        "auto_within_1_point": f"{within}/{len(rows)}",
        "cells": cells.round(4).to_dict(orient="records"),
    }
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    shutil.copyfile(args.run / "report" / "report.md", REPORT)
    print(f"wrote {RESULTS} and {REPORT}")


if __name__ == "__main__":
    main()
