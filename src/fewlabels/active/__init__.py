"""Active learning: acquisition strategies (score -> select), the loop, the simulated oracle."""

from fewlabels.active.badge import Badge, badge_select, gradient_norms
from fewlabels.active.base import Strategy
from fewlabels.active.class_balanced import ClassBalanced, class_balanced_select
from fewlabels.active.coreset import Coreset, k_center_greedy
from fewlabels.active.curves import (
    compare_to_random,
    labels_to_reach,
    labels_to_stay,
    mean_curves,
)
from fewlabels.active.dedup import suppress_near_duplicates
from fewlabels.active.demo import DemoCurves, demo_active
from fewlabels.active.experiment import EmbeddedSplits, load_embedded, run_simulation
from fewlabels.active.loop import RoundRecord, simulate
from fewlabels.active.oracle import SimulatedOracle
from fewlabels.active.random import RandomStrategy
from fewlabels.active.registry import (
    STRATEGIES,
    describe_strategy,
    get_strategy,
    list_strategies,
)
from fewlabels.active.typiclust import TypiClust, typicality, typiclust_select
from fewlabels.active.uncertainty import (
    Entropy,
    LeastConfidence,
    Margin,
    entropy_scores,
    least_confidence_scores,
    margin_scores,
)

__all__ = [
    "STRATEGIES",
    "Badge",
    "ClassBalanced",
    "Coreset",
    "DemoCurves",
    "EmbeddedSplits",
    "Entropy",
    "LeastConfidence",
    "Margin",
    "RandomStrategy",
    "RoundRecord",
    "SimulatedOracle",
    "Strategy",
    "TypiClust",
    "badge_select",
    "class_balanced_select",
    "compare_to_random",
    "demo_active",
    "describe_strategy",
    "entropy_scores",
    "get_strategy",
    "gradient_norms",
    "k_center_greedy",
    "labels_to_reach",
    "labels_to_stay",
    "least_confidence_scores",
    "list_strategies",
    "load_embedded",
    "margin_scores",
    "mean_curves",
    "run_simulation",
    "simulate",
    "suppress_near_duplicates",
    "typicality",
    "typiclust_select",
]
