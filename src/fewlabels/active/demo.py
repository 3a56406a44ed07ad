"""A few simulated rounds on a built-in dataset, for ``fewlabels demo``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fewlabels.active.experiment import load_embedded
from fewlabels.active.loop import RoundRecord, simulate


@dataclass(frozen=True)
class DemoCurves:
    """The learning curves of one strategy and of random selection, same seed.

    Attributes
    ----------
    strategy : str
    records : list of RoundRecord
        The strategy's rounds.
    random_records : list of RoundRecord
        Random selection's rounds.
    dataset, encoder : str
    """

    strategy: str
    records: list[RoundRecord]
    random_records: list[RoundRecord]
    dataset: str
    encoder: str

    def table(self) -> list[dict[str, Any]]:
        """One dict per round: ``round, n_labels, accuracy, random_accuracy``."""
        return [
            {
                "round": a.round,
                "n_labels": a.n_labels,
                "accuracy": a.accuracy,
                "random_accuracy": b.accuracy,
            }
            for a, b in zip(self.records, self.random_records, strict=False)
        ]

    def format(self, *, width: int = 30) -> str:
        """The curves as plain text, one line per round with a bar for the strategy."""
        lines = [
            f"{self.dataset} ({self.encoder}): {self.strategy} vs random",
            f"{'round':>5} {'labels':>6} {self.strategy[:16]:>16} {'random':>8}",
        ]
        for row in self.table():
            bar = "#" * round(row["accuracy"] * width)
            lines.append(
                f"{row['round']:>5} {row['n_labels']:>6} {row['accuracy']:>16.3f} "
                f"{row['random_accuracy']:>8.3f}  {bar}"
            )
        return "\n".join(lines)


def demo_active(
    dataset: str = "digits",
    *,
    encoder: str | None = None,
    strategy: str = "typiclust",
    learner: Any = "auto",
    batch: int = 10,
    rounds: int = 5,
    seed: int = 0,
    cache_dir: str | None = None,
) -> DemoCurves:
    """Play a few simulated rounds from a cold start, for a strategy and for random.

    Parameters
    ----------
    dataset : str, default="digits"
        A built-in dataset.
    encoder : str, optional
        Default by modality (``pixels`` for images, ``minilm`` for text).
    strategy : str, default="typiclust"
    learner : str or estimator, default="auto"
    batch, rounds, seed : int
    cache_dir : str, optional
        Embedding cache root.

    Returns
    -------
    DemoCurves
        ``.format()`` gives the printable learning curve.
    """
    data = load_embedded(dataset, encoder, cache_dir=cache_dir)
    kwargs: dict[str, Any] = {
        "learner": learner,
        "batch": batch,
        "rounds": rounds,
        "seed": seed,
        "n_classes": len(data.classes),
    }
    ours = simulate(data.X_pool, data.y_pool, data.X_test, data.y_test, strategy=strategy, **kwargs)
    base = simulate(data.X_pool, data.y_pool, data.X_test, data.y_test, strategy="random", **kwargs)
    return DemoCurves(
        strategy=strategy,
        records=ours,
        random_records=base,
        dataset=data.dataset,
        encoder=data.encoder,
    )
