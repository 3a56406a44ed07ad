"""How long the ``fewlabels`` command takes to start: ``--help``, ``status`` and ``export``.

Each command runs as a fresh subprocess (``python -c "from fewlabels.cli import main; main()"``,
what the console script does) ``--runs`` times after one warm-up; the median wall time is
reported, with min and max. The workspaces are made here from a 1,000-row text CSV:

* ``status`` on one without labels: it computes no accuracy, so what is timed is start-up,
  opening the workspace (reading the table, checking its items) and printing;
* ``export`` on one with 600 labels from the table.

The fewlabels that runs is the one Python imports: set ``PYTHONPATH`` to time another checkout
(``PYTHONPATH=/tmp/old/src python benchmarks/startup.py --label before``).

Writes ``benchmarks/results/startup-<label>.json`` and prints a table.
Run: ``nice -n 10 .venv/bin/python benchmarks/startup.py --label after``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENTRY = "import sys; sys.argv[0] = 'fewlabels'; from fewlabels.cli import main; main()"


def _time(args: list[str], runs: int) -> dict[str, float]:
    cmd = [sys.executable, "-c", ENTRY, *args]
    subprocess.run(cmd, check=True, capture_output=True)  # warm-up (file cache, .pyc)
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls)}


def _heavy_modules() -> list[str]:
    code = (
        "import sys, fewlabels.cli; "
        "print(','.join(m for m in ('torch', 'sklearn', 'faiss', 'pandas', 'numpy', 'scipy') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return [m for m in done.stdout.strip().split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--label", default="after", help="Results file suffix.")
    args = parser.parse_args()
    out: dict[str, object] = {
        "label": args.label,
        "machine": os.uname().nodename,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "runs": args.runs,
        "load_before": os.getloadavg(),
    }
    tmp = Path(tempfile.mkdtemp())
    for labelled in (False, True):
        rows = ["id,text,label"] + [
            f"r{i:04d},text number {i},{('ab'[i % 2] if labelled and i % 5 else '')}"
            for i in range(1000)
        ]
        (tmp / f"texts-{labelled}.csv").write_text("\n".join(rows) + "\n")
        init = [sys.executable, "-c", ENTRY, "init", str(tmp / f"ws-{labelled}")]
        init += ["--data", str(tmp / f"texts-{labelled}.csv"), "--text", "text"]
        init += ["--label", "label", "--id", "id", "--classes", "a,b"]
        subprocess.run(init, check=True, capture_output=True)
    out["imported_by_cli"] = _heavy_modules()
    out["help"] = _time(["--help"], args.runs)
    out["status"] = _time(["status", "-w", str(tmp / "ws-False")], args.runs)
    out["export"] = _time(["export", str(tmp / "out.csv"), "-w", str(tmp / "ws-True")], args.runs)
    out["load_after"] = os.getloadavg()
    target = Path(__file__).parent / "results" / f"startup-{args.label}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, indent=2) + "\n")
    print(f"{'command':<28}{'median s':>10}{'min s':>8}{'max s':>8}")
    for name in ("help", "status", "export"):
        row = out[name]
        assert isinstance(row, dict)
        print(
            f"fewlabels {name:<18}{row['median_s']:>10.3f}{row['min_s']:>8.3f}{row['max_s']:>8.3f}"
        )
    print(f"heavy modules imported by `import fewlabels.cli`: {out['imported_by_cli']}")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
