"""Method names -> estimator factories: the fewlabels learners and the peers.

A protocol names methods by these names, or by the groups ``"@learners"`` (every name of
``fewlabels.learn.list_learners()``) and ``"@peers"`` (every peer below). The peers are rows
of :data:`PEERS`, a :class:`fewlabels._registry.Registry` of name -> ``"module:factory"`` with
metadata, like the learners' registry: ``modalities`` and ``needs_text_side`` say where a
method cannot run (recorded as n/a with the reason), and ``meta`` how the runner feeds it.

============================= ========== =============================================================
name                          kind       what
============================= ========== =============================================================
(each learner name)           fewlabels  ``fewlabels.learn.get_learner(name)``; ``zero-shot`` gets the
                                         encoder and the class names, and is n/a without a text side;
                                         ``trees`` is n/a outside tables
``sklearn-label-spreading``   peer       ``sklearn.semi_supervised.LabelSpreading(kernel="knn")``
``sklearn-self-training``     peer       ``SelfTrainingClassifier(LogisticRegression())``
``sklearn-self-training-hgb`` peer       ``SelfTrainingClassifier(HistGradientBoostingClassifier())``
                                         (tables only: boosting one tree per class per iteration
                                         is slow on wide embeddings with many classes)
``logreg-labelled``           peer       logistic regression on the labelled rows only
``logreg-balanced``           peer       ``LogisticRegression(class_weight="balanced")`` on the
                                         labelled rows only
``hgb-labelled``              peer       ``HistGradientBoostingClassifier()`` (its defaults) on the
                                         labelled rows only (tables only)
``setfit``                    peer       SetFit fine-tuning the packaged MiniLM (text only, raw texts)
``ceiling``                   ceiling    logistic regression given every training label
============================= ========== =============================================================

Hook for your own methods (and for tests): :func:`register_method` with a
:class:`MethodSpec`; :func:`unregister_method` removes it again::

    from fewlabels.bench.methods import MethodSpec, register_method
    register_method(MethodSpec("my-knn", kind="custom",
                               factory=lambda ctx: KNeighborsClassifier(3)))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fewlabels._registry import Entry, Registry
from fewlabels.bench.protocol import METHOD_GROUPS
from fewlabels.errors import FewlabelsError

MethodKind = Literal["fewlabels", "peer", "ceiling", "custom"]


@dataclass(frozen=True)
class MethodContext:
    """What a method factory may know about the cell it is built for.

    Attributes
    ----------
    dataset : str
    modality : {"text", "image", "tabular"}
    classes : tuple of str
        Class names, in label-code order.
    encoder_name : str
    encoder : object
        The encoder object (for zero-shot: its text side), or None when not built.
    seed : int
    descriptions : mapping of class name to sentences
        The dataset's class descriptions (for zero-shot), empty when it has none.
    """

    dataset: str
    modality: str
    classes: tuple[str, ...]
    encoder_name: str
    encoder: Any
    seed: int
    descriptions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MethodSpec:
    """How to build and feed one method.

    Parameters
    ----------
    name : str
    kind : {"fewlabels", "peer", "ceiling", "custom"}
    factory : callable
        ``factory(ctx: MethodContext) -> estimator`` with ``fit(X, y)`` (y == -1 unlabelled)
        and ``predict(X)``.
    inputs : {"embeddings", "raw"}, default "embeddings"
        ``"raw"``: ``fit``/``predict`` get the dataset's raw inputs (texts...) instead.
    labels : {"budget", "all"}, default "budget"
        ``"all"``: fit with every training label (the ceiling).
    not_applicable : callable, optional
        ``not_applicable(ctx) -> str | None``: the reason the method cannot run on a cell
        (recorded as status "n/a"), or None when it can.
    description : str
    """

    name: str
    kind: MethodKind
    factory: Callable[[MethodContext], Any]
    inputs: Literal["embeddings", "raw"] = "embeddings"
    labels: Literal["budget", "all"] = "budget"
    not_applicable: Callable[[MethodContext], str | None] | None = None
    description: str = ""

    def reason_not_applicable(self, ctx: MethodContext) -> str | None:
        return None if self.not_applicable is None else self.not_applicable(ctx)


#: The peers (and the ceiling): name -> ``"module:factory"`` with what the runner must know.
#: ``meta``: ``kind`` (peer or ceiling), ``inputs`` ("raw": the factory's estimator takes raw
#: inputs), ``labels`` ("all": fitted with every training label), ``seeded`` (the factory
#: takes ``random_state``) and ``label`` (how messages call it).
PEERS = Registry(
    "method",
    [
        Entry(
            "sklearn-label-spreading",
            "fewlabels.bench.peers:sklearn_label_spreading",
            'sklearn LabelSpreading(kernel="knn")',
            meta={"kind": "peer"},
        ),
        Entry(
            "sklearn-self-training",
            "fewlabels.bench.peers:sklearn_self_training",
            "sklearn SelfTrainingClassifier(LogisticRegression())",
            meta={"kind": "peer", "seeded": True},
        ),
        Entry(
            "sklearn-self-training-hgb",
            "fewlabels.bench.peers:sklearn_self_training_hgb",
            "sklearn SelfTrainingClassifier(HistGradientBoostingClassifier())",
            modalities=("tabular",),
            meta={"kind": "peer", "seeded": True},
        ),
        Entry(
            "logreg-labelled",
            "fewlabels.bench.peers:LabelledOnly",
            "logistic regression on the labelled rows only",
            meta={"kind": "peer"},
        ),
        Entry(
            "logreg-balanced",
            "fewlabels.bench.peers:logreg_balanced",
            'LogisticRegression(class_weight="balanced") on the labelled rows only',
            meta={"kind": "peer", "seeded": True},
        ),
        Entry(
            "hgb-labelled",
            "fewlabels.bench.peers:hgb_labelled",
            "HistGradientBoostingClassifier() on the labelled rows only",
            modalities=("tabular",),
            meta={"kind": "peer", "seeded": True},
        ),
        Entry(
            "setfit",
            "fewlabels.bench.peers:SetFitPeer",
            "SetFit fine-tuning the packaged all-MiniLM-L6-v2 (texts only)",
            modalities=("text",),
            extra="bench",
            meta={"kind": "peer", "seeded": True, "inputs": "raw", "label": "SetFit"},
        ),
        Entry(
            "ceiling",
            "fewlabels.bench.peers:ceiling",
            "logistic regression given every training label (the ceiling)",
            meta={"kind": "ceiling", "seeded": True, "labels": "all"},
        ),
    ],
    hint="See fewlabels.bench.list_methods().",
)

_CUSTOM: dict[str, MethodSpec] = {}

_DATA_WORDS = {"text": "texts", "image": "images", "tabular": "tables"}


def _with_seed(estimator: Any, seed: int) -> Any:
    """Set ``random_state`` where the estimator has one."""
    get_params = getattr(estimator, "get_params", None)
    if callable(get_params) and "random_state" in get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


def _not_applicable(entry: Entry) -> Callable[[MethodContext], str | None] | None:
    """The check of a cell against the entry's ``modalities`` and ``needs_text_side``."""
    if not entry.modalities and not entry.needs_text_side:
        return None
    label = str(entry.meta.get("label", entry.name))

    def check(ctx: MethodContext) -> str | None:
        from fewlabels.encode import has_text_side

        if not entry.fits(ctx.modality):
            needs = " or ".join(_DATA_WORDS.get(m, f"{m} data") for m in entry.modalities)
            return f"{label} needs {needs}; {ctx.dataset!r} holds {ctx.modality} data"
        if entry.needs_text_side and ctx.encoder is not None and not has_text_side(ctx.encoder):
            return f"{label} needs an encoder with a text side; {ctx.encoder_name!r} has none"
        return None

    return check


def _peer_spec(entry: Entry) -> MethodSpec:
    seeded = bool(entry.meta.get("seeded", False))

    def factory(ctx: MethodContext) -> Any:
        make = entry.load()
        return make(random_state=ctx.seed) if seeded else make()

    return MethodSpec(
        name=entry.name,
        kind=entry.meta["kind"],
        factory=factory,
        inputs=entry.meta.get("inputs", "embeddings"),
        labels=entry.meta.get("labels", "budget"),
        not_applicable=_not_applicable(entry),
        description=entry.description,
    )


def _learners() -> Registry | None:
    try:
        from fewlabels.learn.registry import LEARNERS
    except ImportError:
        return None
    return LEARNERS


def _learner_names() -> list[str]:
    learners = _learners()
    return [] if learners is None else learners.names()


def _learner_spec(entry: Entry) -> MethodSpec:
    def factory(ctx: MethodContext) -> Any:
        from fewlabels.learn import get_learner

        text = {
            "encoder": ctx.encoder,
            "class_names": list(ctx.classes),
            "descriptions": dict(ctx.descriptions) or None,
        }
        if entry.needs_text_side:
            est = get_learner(entry.name, **text)
        elif entry.meta.get("selector"):
            # Auto adds zero-shot (text side) or the tree learner (tables) from the encoder.
            est = get_learner(entry.name, **text)
        else:
            est = get_learner(entry.name)
        return _with_seed(est, ctx.seed)

    return MethodSpec(
        name=entry.name,
        kind="fewlabels",
        factory=factory,
        not_applicable=_not_applicable(entry),
        description=f"fewlabels.learn.get_learner({entry.name!r})",
    )


def register_method(spec: MethodSpec) -> None:
    """Make ``spec.name`` usable in protocols (replaces an earlier custom method of that name)."""
    if spec.name in METHOD_GROUPS or spec.name.startswith("@"):
        raise FewlabelsError(f"Expected a method name not starting with '@', got {spec.name!r}.")
    _CUSTOM[spec.name] = spec


def unregister_method(name: str) -> None:
    """Remove a method added with :func:`register_method` (no error if it is not there)."""
    _CUSTOM.pop(name, None)


def peer_names() -> list[str]:
    """The peers of the ``@peers`` group (the ceiling included)."""
    return PEERS.names()


def list_methods() -> list[str]:
    """Every method name: learners, peers, then custom methods."""
    return [*_learner_names(), *PEERS.names(), *_CUSTOM]


def get_method(name: str) -> MethodSpec:
    """The :class:`MethodSpec` of ``name``; an unknown name lists the known ones."""
    if name in _CUSTOM:
        return _CUSTOM[name]
    if name in PEERS.names():
        return _peer_spec(PEERS.entry(name))
    learners = _learners()
    if learners is not None and name in learners.names():
        return _learner_spec(learners.entry(name))
    raise FewlabelsError(
        f"Unknown method {name!r}. Known methods: {', '.join(list_methods())}; groups: "
        f"{', '.join(METHOD_GROUPS)}."
    )


def expand_methods(names: Sequence[str]) -> list[str]:
    """Expand the groups in ``names`` (keeping order, dropping repeats) and check every name."""
    out: list[str] = []
    unknown: list[str] = []
    known = set(list_methods())
    for name in names:
        if name == "@learners":
            group = _learner_names()
            if not group:
                raise FewlabelsError(
                    "The method group '@learners' is empty: fewlabels.learn.list_learners() "
                    "is not available. Install fewlabels fully or name methods one by one."
                )
        elif name == "@peers":
            group = PEERS.names()
        elif name.startswith("@"):
            raise FewlabelsError(
                f"Unknown method group {name!r}. Groups: {', '.join(METHOD_GROUPS)}."
            )
        else:
            group = [name]
            if name not in known:
                unknown.append(name)
        out.extend(g for g in group if g not in out)
    if unknown:
        raise FewlabelsError(
            f"Unknown method(s) {unknown}. Known methods: {', '.join(list_methods())}; groups: "
            f"{', '.join(METHOD_GROUPS)}."
        )
    return out
