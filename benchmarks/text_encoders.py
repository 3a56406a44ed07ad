"""Offline text encoders side by side: speed and accuracy on the same reviews and splits.

``minilm`` (all-MiniLM-L6-v2, torch), ``minilm-int8`` (the same as int8 ONNX) and
``use-int8`` (the multilingual Universal Sentence Encoder, int8 ONNX) embed the ``finefoods``
training pool (4,000 reviews) and its test split (1,000) in one process each, from an empty
cache; then, on each encoder's embeddings, the same learners run on the same labelled ids:
logistic regression on every training label (the ceiling), and ``LinearProbe`` at 4 and 16
labels per class over 3 seeds. Accuracy is shown with macro-F1 and the majority rate (the
classes are 65/35).

Usage::

    python benchmarks/text_encoders.py [--encoders minilm minilm-int8 use-int8]

Prints a table and writes ``benchmarks/results/text_encoders.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

RESULTS = Path(__file__).parent / "results" / "text_encoders.json"


def main() -> None:
    from fewlabels import budget_split, embed, get_encoder, load_builtin
    from fewlabels.learn import LinearProbe

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoders", nargs="+", default=["minilm", "minilm-int8", "use-int8"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    splits = load_builtin("finefoods")
    y_train, y_test = splits.train.labels, splits.test.labels
    majority = float(np.max(np.bincount(y_test)) / len(y_test))
    rows = []
    for name in args.encoders:
        enc = get_encoder(name, device="cpu")
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            train = np.asarray(embed(splits.train, enc, cache_dir=cache, progress=False).X)
            test = np.asarray(embed(splits.test, enc, cache_dir=cache, progress=False).X)
            seconds = time.perf_counter() - start
        n_texts = len(splits.train) + len(splits.test)
        ceiling = LogisticRegression(max_iter=2000, C=10.0).fit(train, y_train).predict(test)
        row = {
            "encoder": name,
            "dim": int(train.shape[1]),
            "embed_seconds": round(seconds, 1),
            "texts_per_s": round(n_texts / seconds, 1),
            "all_labels_accuracy": round(accuracy_score(y_test, ceiling), 4),
            "all_labels_macro_f1": round(f1_score(y_test, ceiling, average="macro"), 4),
        }
        for k in (4, 16):
            acc, f1 = [], []
            for seed in range(3):
                split = budget_split(splits.train, per_class=k, seed=seed)
                y = split.apply(splits.train).labels
                pred = LinearProbe(random_state=seed).fit(train, y).predict(test)
                acc.append(accuracy_score(y_test, pred))
                f1.append(f1_score(y_test, pred, average="macro"))
            row[f"linear_{k}_accuracy"] = round(float(np.mean(acc)), 4)
            row[f"linear_{k}_macro_f1"] = round(float(np.mean(f1)), 4)
        rows.append(row)
        print(
            f"{name:12s} {row['dim']:4d}-d  {row['texts_per_s']:8.1f} texts/s  "
            f"all labels acc {row['all_labels_accuracy']:.3f} F1 {row['all_labels_macro_f1']:.3f}  "
            f"4/class acc {row['linear_4_accuracy']:.3f} F1 {row['linear_4_macro_f1']:.3f}  "
            f"16/class acc {row['linear_16_accuracy']:.3f} F1 {row['linear_16_macro_f1']:.3f}",
            flush=True,
        )
    out = {
        "machine": f"{platform.platform()}, {os.cpu_count()} cores",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "dataset": "finefoods (4,000 train, 1,000 test)",
        "majority_rate": round(majority, 4),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"majority rate {majority:.3f}; wrote {args.out}")


if __name__ == "__main__":
    main()
