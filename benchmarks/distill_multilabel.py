"""Multi-label distillation on MovieLens genres: one-vs-rest teacher against a sigmoid student.

``movielens-genres`` (a film's title and year -> its set of 19 genres; 7,247 train and 1,812
test films, a fixed split). For each budget (``--budgets``, rows labelled per genre, their
whole genre sets known) and seed, the teacher is the packaged MiniLM (``--encoder``) with
``OneVsRest(base="linear", C=10)`` and per-label thresholds chosen on 3-fold cross-fitted
held-out labels; the student is the hashed n-gram text student with one sigmoid per genre,
trained with binary cross-entropy on the teacher's per-label probabilities over the whole
train pool (human label sets override them), the teacher's thresholds carried into it and
its ONNX export. On the test films:

- micro- and macro-F1 of teacher and student against the true genre sets, and of the
  student against the teacher's sets;
- the same student trained on the labelled rows only (the gain from the teacher's pool);
- a trivial reference: the most frequent genre (Drama) for every film;
- throughput from raw titles, items/s, one thread each: the teacher encodes (no cache) and
  runs its learner; the student runs its ONNX export in onnxruntime, hashing included.

Usage::

    flock /tmp/fewlabels-heavy.lock python benchmarks/distill_multilabel.py [--budgets 4 16]

Prints a table and writes ``benchmarks/results/distill_multilabel.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
RESULTS = Path(__file__).resolve().parent / "results" / "distill_multilabel.json"
TRAIN = {"epochs": 20, "batch_size": 64, "lr": 3e-3, "patience": 5}


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(per_label: int, seed: int, *, encoder: str, threads: int, out_dir: Path) -> dict[str, Any]:
    """One budget and seed: distil, compare, and the labelled-only student."""
    import torch

    from fewlabels.data import load_multilabel_builtin
    from fewlabels.distill import DistillConfig, distill, load_student
    from fewlabels.distill.multilabel import label_indicator
    from fewlabels.distill.multilabel_report import distill_multilabel_builtin, set_scores

    torch.set_num_threads(threads)
    cfg = DistillConfig(random_state=seed, progress=False, **TRAIN)
    start = time.perf_counter()
    report = distill_multilabel_builtin(
        "movielens-genres",
        per_label=per_label,
        encoder=encoder,
        seed=seed,
        config=cfg,
        out=out_dir / f"genres-{per_label}-{seed}.onnx",
        progress=False,
        threads=threads,
    )
    wall = time.perf_counter() - start
    c = report.multilabel_comparison
    test = load_multilabel_builtin("movielens-genres").test
    # the labelled-only student: the human label sets alone, no teacher rows
    from fewlabels.distill.multilabel import per_label_budget

    train = load_multilabel_builtin("movielens-genres").train
    rows = per_label_budget(train.label_sets, per_label, seed=seed)
    hidden = np.full_like(train.label_sets, -1)
    hidden[rows] = train.label_sets[rows]
    pool = train.with_label_sets(hidden)
    only = distill(
        report.teacher, pool, config=cfg.replace(labelled_only=True), thresholds="teacher"
    )
    only_path = only.export(out_dir / f"genres-{per_label}-{seed}-only.onnx")
    loaded = load_student(only_path, threads=threads)
    only_sets = label_indicator(loaded.predict_proba(test.inputs), loaded.thresholds)
    only_scores = set_scores(test.label_sets.astype(np.int64), only_sets)
    return {
        "per_label": per_label,
        "seed": seed,
        "n_labelled": report.n_labelled,
        "n_pool": report.n_pool,
        "teacher": report.teacher.name,
        "thresholds": [round(float(t), 4) for t in report.student.thresholds_],
        "student_best_epoch": report.student.best_epoch_,
        "student_stop_reason": report.student.stop_reason_,
        "pool_student_vs_teacher": report.pool_scores,
        **c.to_dict(),
        "labelled_only_student_micro_f1": only_scores["micro_f1"],
        "labelled_only_student_macro_f1": only_scores["macro_f1"],
        "distill_wall_s": round(wall, 1),
        "onnx_bytes": Path(report.path).stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", nargs="+", type=int, default=[4, 16])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--encoder", default="minilm")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    out_dir = Path(tempfile.mkdtemp(prefix="fewlabels-distill-ml-"))
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
    ).stdout.strip()
    machine = {
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "uptime_before": _uptime(),
        "threads": args.threads,
    }
    rows: list[dict[str, Any]] = []
    for per_label in args.budgets:
        for seed in args.seeds:
            row = run(per_label, seed, encoder=args.encoder, threads=args.threads, out_dir=out_dir)
            rows.append(row)
            print(json.dumps(row, indent=1), flush=True)
            write(args, commit, {**machine, "uptime_after": _uptime()}, rows, final=False)
    machine["uptime_after"] = _uptime()
    header = (
        "per label",
        "labelled",
        "teacher micro/macro",
        "student micro/macro",
        "vs teacher micro/macro",
        "labelled-only micro/macro",
        "top label micro/macro",
        "teacher it/s",
        "student it/s",
        "speedup",
    )
    print(" | ".join(header))
    for r in rows:
        print(
            " | ".join(
                [
                    str(r["per_label"]),
                    str(r["n_labelled"]),
                    f"{r['teacher_micro_f1']:.3f} / {r['teacher_macro_f1']:.3f}",
                    f"{r['student_micro_f1']:.3f} / {r['student_macro_f1']:.3f}",
                    f"{r['agreement_micro_f1']:.3f} / {r['agreement_macro_f1']:.3f}",
                    f"{r['labelled_only_student_micro_f1']:.3f} / "
                    f"{r['labelled_only_student_macro_f1']:.3f}",
                    f"{r['top_label_micro_f1']:.3f} / {r['top_label_macro_f1']:.3f}",
                    f"{r['teacher_items_per_s']:,.0f}",
                    f"{r['student_items_per_s']:,.0f}",
                    f"{r['speedup']:.1f}x",
                ]
            )
        )
    write(args, commit, machine, rows, final=True)
    print(f"wrote {args.out}")


def write(
    args: Any, commit: str, machine: dict[str, Any], rows: list[dict[str, Any]], *, final: bool
) -> None:
    """Write the results so far (after every row, so that a stopped run keeps them)."""
    result = {
        "benchmark": "distill_multilabel",
        "dataset": "movielens-genres",
        "commit": commit,
        "complete": final,
        "machine": machine,
        "settings": {
            "budgets": args.budgets,
            "seeds": args.seeds,
            "encoder": args.encoder,
            "teacher_learner": "OneVsRest(base='linear', C=10, n_folds=3, threshold='auto')",
            "student": "text-ngram (defaults), one sigmoid per genre",
            "train": TRAIN,
        },
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
