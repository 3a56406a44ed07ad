"""Zero-shot from class names and descriptions: prompts, calibration and labels, measured.

On ``finefoods`` (and ``movielens-genre``) with the packaged MiniLM, on the fixed test split:

- with 0 labels: class names alone, three and six descriptions per class (the built-in six,
  ``fewlabels.data.builtin_descriptions``; the three are their first three), each with every
  calibration of :class:`fewlabels.learn.ZeroShot` (``center``, the default; ``shrink``;
  ``balance``; ``none``), and the name templates added to the descriptions;
- with 4 and 16 labels per class (3 seeds): the default ZeroShot (which fuses its text
  prototypes with the labelled class means when leave-one-out shows a clear gain), uniform
  against agreement prompt weighting (temperatures 0.01, 0.05, 0.2).

Accuracy, macro-F1 and balanced accuracy beside the majority rate.

Usage::

    python benchmarks/zero_shot.py [--datasets finefoods movielens-genre]

Prints a table and writes ``benchmarks/results/zero_shot.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

RESULTS = Path(__file__).parent / "results" / "zero_shot.json"


def _scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(y, pred)), 4),
    }


def main() -> None:
    from fewlabels import budget_split, embed, get_encoder, load_builtin
    from fewlabels.data.builtin import builtin_descriptions
    from fewlabels.learn import ZeroShot

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["finefoods", "movielens-genre"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    load_before = os.getloadavg()
    enc = get_encoder("minilm", device="cpu")
    rows: list[dict[str, Any]] = []
    for name in args.datasets:
        splits = load_builtin(name)
        train = np.asarray(embed(splits.train, enc, progress=False).X)
        test = np.asarray(embed(splits.test, enc, progress=False).X)
        y_test = np.asarray(splits.test.labels)
        names = list(splits.train.classes)
        majority = float(np.bincount(y_test).max() / len(y_test))
        six = builtin_descriptions(name)
        prompt_sets: dict[str, dict[str, Any]] = {"names": {}}
        if six:
            n_desc = min(len(v) for v in six.values())
            if n_desc > 3:
                first3 = {k: v[:3] for k, v in six.items()}
                prompt_sets["3 descriptions"] = {"descriptions": first3}
            prompt_sets[f"{n_desc} descriptions"] = {"descriptions": six}
            prompt_sets["names + descriptions"] = {
                "descriptions": six,
                "templates": ("{}", "This text is about {}.", "A text about {}.", "It is {}."),
            }
        unlabelled = np.full(len(train), -1)
        for prompts, kw in prompt_sets.items():
            for calibration in ("center", "shrink", "balance", "none"):
                start = time.perf_counter()
                model = ZeroShot(encoder=enc, class_names=names, calibration=calibration, **kw)
                pred = model.fit(train, unlabelled).predict(test)
                row = {
                    "dataset": name,
                    "labels_per_class": 0,
                    "prompts": prompts,
                    "calibration": calibration,
                    "majority_rate": round(majority, 4),
                    "fit_seconds": round(time.perf_counter() - start, 2),
                    **_scores(y_test, pred),
                }
                rows.append(row)
        kw = {"descriptions": six} if six else {}
        for k in (4, 16):
            for weighting, temp in (
                ("uniform", 0.2),
                ("agreement", 0.01),
                ("agreement", 0.05),
                ("agreement", 0.2),
            ):
                per_seed = []
                weights = []
                for seed in range(3):
                    y = budget_split(splits.train, per_class=k, seed=seed).apply(splits.train)
                    model = ZeroShot(
                        encoder=enc,
                        class_names=names,
                        prompt_weighting=weighting,
                        agreement_temperature=temp,
                        **kw,
                    ).fit(train, np.asarray(y.labels))
                    per_seed.append(_scores(y_test, model.predict(test)))
                    weights.append(model.prototype_weight_)
                rows.append(
                    {
                        "dataset": name,
                        "labels_per_class": k,
                        "prompts": "descriptions" if six else "names",
                        "calibration": "center",
                        "prompt_weighting": f"{weighting} (T={temp})",
                        "prototype_weights": weights,
                        "majority_rate": round(majority, 4),
                        **{
                            m: round(float(np.mean([s[m] for s in per_seed])), 4)
                            for m in per_seed[0]
                        },
                    }
                )
    for row in rows:
        extra = row.get("prompt_weighting", "")
        print(
            f"{row['dataset']:16s} {row['labels_per_class']:3d}/class {row['prompts']:22s} "
            f"{row['calibration']:8s} {extra:22s} acc {row['accuracy']:.3f} "
            f"F1 {row['macro_f1']:.3f} bal {row['balanced_accuracy']:.3f} "
            f"(majority {row['majority_rate']:.3f})"
        )
    out = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "encoder": "minilm",
        "rows": rows,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
