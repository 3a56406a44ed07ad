"""A small multi-label text workspace shared by the multi-label page tests."""

from __future__ import annotations

import json
from pathlib import Path

from fewlabels.workspace import Workspace

#: The texts of the workspace (ids m0..m5) and the classes their sets come from.
TEXTS = [
    "The court fined the courier for lost parcels.",
    "Parcel arrived two weeks late and the box was crushed.",
    "I asked for my money back and got a refund in a day.",
    "New ruling on data privacy takes effect next month.",
    "Tracking says delivered but nothing came.",
    "The bank reversed the charge after my complaint.",
]
CLASSES = ("legal", "shipping", "money")


def multilabel_text_workspace(tmp_path: Path, *, page: str = "") -> Workspace:
    """Six texts (m0..m5), classes legal/shipping/money, m5 labelled {money} in the source,
    and one open round of m0, m1, m2 whose model gave per-class probabilities.

    ``page`` is appended to ``fewlabels.toml`` (e.g. a ``[page]`` table).
    """
    rows = [
        {"id": f"m{k}", "text": t, "tags": ["money"] if k == 5 else None}
        for k, t in enumerate(TEXTS)
    ]
    src = tmp_path / "texts.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ws = Workspace.init(
        tmp_path / "ws",
        data=str(src),
        text="text",
        id="id",
        label="tags",
        classes=list(CLASSES),
        task="multilabel",
    )
    if page:
        toml = ws.root / "fewlabels.toml"
        toml.write_text(toml.read_text(encoding="utf-8") + page, encoding="utf-8")
        ws = Workspace.open(ws.root)
    ws.store.add_round(
        "multilabel-uncertainty",
        ["m0", "m1", "m2"],
        metrics={
            "guesses_from": "one-vs-rest",
            "label_proba": {
                "m0": [0.91, 0.62, 0.08],
                "m1": [0.05, 0.97, 0.4],
                "m2": [0.1, 0.2, 0.88],
            },
            "guess_sets": {"m0": [0, 1], "m1": [1], "m2": [2]},
        },
        guesses=['["legal", "shipping"]', '["shipping"]', '["money"]'],
    )
    return ws
