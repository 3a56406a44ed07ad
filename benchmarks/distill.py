"""Distillation benchmark: teacher (encoder + learner) against a small student, on held-out tests.

For each case: label ``per_class`` rows of the train split (seeded, stratified), fit the
teacher on the pool, distil a student on the teacher's soft labels over the whole pool,
export it to ONNX, and measure on the test split:

- accuracy (and macro-F1) of teacher and student; target: student >= 97% of teacher;
- throughput from raw inputs, items/s, same process and thread count: teacher = encode
  (no cache) + learner; student = onnxruntime end to end; target: student >= 10x teacher;
- the same student trained on the labelled rows only (the gain from the unlabelled pool);
- the student with confidence weights and the 20% least confident teacher rows dropped.

Usage::

    python benchmarks/distill.py                 # both cases (mnist5k, finefoods)
    python benchmarks/distill.py --case finefoods --threads 1

Writes ``benchmarks/results/distill.json`` (the ONNX exports go to a temporary folder
unless ``--models DIR``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CASES: dict[str, dict[str, Any]] = {
    "mnist5k": {
        "encoder": "efficientnet-lite0",
        # No learner benchmark on these embeddings yet: Auto picks by cross-validation.
        "learner": "auto",
        "per_class": 10,
        "student": "cnn",
        "student_params": {"width": 16, "shift": 2, "flip": False},
        "train": {"epochs": 20, "batch_size": 64, "lr": 3e-3, "patience": 5},
    },
    "finefoods": {
        "encoder": "minilm",
        # The best learner of benchmarks/learners_accuracy.py on finefoods/minilm at 16 per
        # class (mean of 5 seeds: accuracy 0.572, macro-F1 0.556).
        "learner": "linear",
        "per_class": 16,
        "student": "text-ngram",
        "student_params": {"dim": 32},
        "train": {"epochs": 20, "batch_size": 64, "lr": 3e-3, "patience": 5},
    },
}
RESULTS = Path(__file__).resolve().parent / "results"


def run_case(
    name: str, *, learner: str | None, seed: int, threads: int, out_dir: Path
) -> dict[str, Any]:
    import torch

    from fewlabels.data import budget_split, load_builtin
    from fewlabels.distill import DistillConfig, Teacher, compare, distill, load_student
    from fewlabels.distill.comparison import timed
    from fewlabels.distill.end_to_end import teacher_learner

    case = CASES[name]
    torch.set_num_threads(threads)
    splits = load_builtin(name)
    pool = budget_split(splits.train, per_class=case["per_class"], seed=seed).apply(splits.train)
    n_lab = int(pool.labeled_mask.sum())

    teacher = Teacher(case["encoder"], teacher_learner(learner or case["learner"]), progress=True)
    _, t_fit = timed(lambda: teacher.fit(pool))
    config = DistillConfig(random_state=seed, progress=True, **case["train"])
    student, s_fit = timed(
        lambda: distill(
            teacher,
            pool,
            student=case["student"],
            config=config,
            student_params=case["student_params"],
        )
    )
    path = student.export(
        out_dir / f"{name}-student.onnx", extra={"teacher": teacher.name, "dataset": name}
    )
    exported = load_student(path, threads=threads)
    cmp = compare(teacher, exported, splits.test)

    # Parity of the export with torch on the test split.
    parity = float(
        np.abs(
            exported.predict_proba(splits.test.inputs) - student.predict_proba(splits.test.inputs)
        ).max()
    )

    # The same student on the labelled rows only, with as many optimiser steps as the pool
    # student could take (capped): no teacher rows, so no early stopping either.
    epochs = min(300, math.ceil(case["train"]["epochs"] * len(pool) / max(n_lab, 1)))
    lab_cfg = DistillConfig(
        random_state=seed,
        progress=False,
        labelled_only=True,
        **{**case["train"], "epochs": epochs, "batch_size": min(64, n_lab)},
    )
    only, o_fit = timed(
        lambda: distill(
            teacher,
            pool,
            student=case["student"],
            config=lab_cfg,
            student_params=case["student_params"],
        )
    )
    only_path = only.export(out_dir / f"{name}-labelled-only.onnx")
    only_proba = load_student(only_path, threads=threads).predict_proba(splits.test.inputs)
    only_acc = float((only_proba.argmax(1) == splits.test.labels).mean())

    # Robust variant (Robust Active Distillation): weight teacher rows by confidence and drop
    # the least confident 20%.
    robust, r_fit = timed(
        lambda: distill(
            teacher,
            pool,
            student=case["student"],
            config=config.replace(weighting="max", drop_fraction=0.2),
            student_params=case["student_params"],
        )
    )
    robust_path = robust.export(out_dir / f"{name}-robust.onnx")
    robust_proba = load_student(robust_path, threads=threads).predict_proba(splits.test.inputs)
    robust_acc = float((robust_proba.argmax(1) == splits.test.labels).mean())

    majority = float(np.bincount(splits.test.labels).max() / len(splits.test))
    return {
        "case": name,
        "teacher": teacher.name,
        "teacher_learner": type(teacher.learner).__name__,
        "student": case["student"],
        "per_class": case["per_class"],
        "n_pool": len(pool),
        "n_labelled": n_lab,
        "seed": seed,
        **cmp.to_dict(),
        "majority_rate": majority,
        "labelled_only_student_accuracy": only_acc,
        "labelled_only_epochs": epochs,
        "robust_student_accuracy": robust_acc,
        "robust_fit_s": r_fit,
        "export_max_abs_diff_vs_torch": parity,
        "student_best_epoch": student.best_epoch_,
        "student_stop_reason": student.stop_reason_,
        "student_model_bytes": path.stat().st_size,
        "teacher_fit_s": t_fit,
        "student_fit_s": s_fit,
        "labelled_only_fit_s": o_fit,
        "targets": {
            "accuracy_ratio>=0.97": cmp.accuracy_ratio >= 0.97,
            "speedup>=10": cmp.speedup >= 10,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    parser.add_argument(
        "--learner", default=None, help="Teacher learner for every case (default: per case)."
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch and onnxruntime threads for both teacher and student.",
    )
    parser.add_argument("--out", default=str(RESULTS / "distill.json"))
    parser.add_argument("--models", default=None, help="Keep the ONNX exports in this folder.")
    args = parser.parse_args()
    model_dir = Path(args.models or tempfile.mkdtemp(prefix="fewlabels-distill-"))
    model_dir.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "uptime_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "threads": args.threads,
        "python": platform.python_version(),
    }
    rows = []
    for name in args.case or list(CASES):
        start = time.perf_counter()
        row = run_case(
            name, learner=args.learner, seed=args.seed, threads=args.threads, out_dir=model_dir
        )
        row["wall_s"] = time.perf_counter() - start
        rows.append(row)
        print(json.dumps(row, indent=1))
    machine["uptime_after"] = subprocess.run(
        ["uptime"], capture_output=True, text=True
    ).stdout.strip()
    header = (
        "case",
        "teacher acc",
        "student acc",
        "ratio",
        "labelled-only acc",
        "robust acc",
        "teacher it/s",
        "student it/s",
        "speedup",
        "majority",
    )
    print(" | ".join(header))
    for r in rows:
        print(
            " | ".join(
                [
                    r["case"],
                    f"{r['teacher_accuracy']:.3f}",
                    f"{r['student_accuracy']:.3f}",
                    f"{r['accuracy_ratio']:.3f}",
                    f"{r['labelled_only_student_accuracy']:.3f}",
                    f"{r['robust_student_accuracy']:.3f}",
                    f"{r['teacher_items_per_s']:.1f}",
                    f"{r['student_items_per_s']:.1f}",
                    f"{r['speedup']:.1f}x",
                    f"{r['majority_rate']:.3f}",
                ]
            )
        )
    out = Path(args.out)
    existing = json.loads(out.read_text()) if out.exists() else {"results": []}
    keep = [r for r in existing.get("results", []) if r["case"] not in {r2["case"] for r2 in rows}]
    out.write_text(json.dumps({"machine": machine, "results": keep + rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
