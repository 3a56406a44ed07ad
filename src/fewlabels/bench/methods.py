"""Method names -> estimator factories: the fewlabels learners and the peers.

A protocol names methods by these names, or by the groups ``"@learners"`` (every name of
``fewlabels.learn.list_learners()``) and ``"@peers"`` (every peer below).

========================== ========== =============================================================
name                       kind       what
========================== ========== =============================================================
(each learner name)        fewlabels  ``fewlabels.learn.get_learner(name)``; ``zero-shot`` gets the
                                      encoder and the class names, and is n/a without a text side
``sklearn-label-spreading`` peer      ``sklearn.semi_supervised.LabelSpreading(kernel="knn")``
``sklearn-self-training``  peer       ``SelfTrainingClassifier(LogisticRegression())``
``logreg-labelled``        peer       logistic regression on the labelled rows only
``setfit``                 peer       SetFit fine-tuning the packaged MiniLM (text only, raw texts)
``ceiling``                ceiling    logistic regression given every training label
========================== ========== =============================================================

Hook for your own methods (and for tests): :func:`register_method` with a
:class:`MethodSpec`; :func:`unregister_method` removes it again::

    from fewlabels.bench.methods import MethodSpec, register_method
    register_method(MethodSpec("my-knn", kind="custom",
                               factory=lambda ctx: KNeighborsClassifier(3)))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fewlabels.bench import peers
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
    """

    dataset: str
    modality: str
    classes: tuple[str, ...]
    encoder_name: str
    encoder: Any
    seed: int


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


_CUSTOM: dict[str, MethodSpec] = {}


def _with_seed(estimator: Any, seed: int) -> Any:
    """Set ``random_state`` where the estimator has one."""
    get_params = getattr(estimator, "get_params", None)
    if callable(get_params) and "random_state" in get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


def _text_only(what: str) -> Callable[[MethodContext], str | None]:
    def check(ctx: MethodContext) -> str | None:
        if ctx.modality != "text":
            return f"{what} needs texts; {ctx.dataset!r} holds {ctx.modality} data"
        return None

    return check


def _zero_shot_check(ctx: MethodContext) -> str | None:
    from fewlabels.encode import has_text_side

    if ctx.encoder is not None and not has_text_side(ctx.encoder):
        return f"zero-shot needs an encoder with a text side; {ctx.encoder_name!r} has none"
    return None


def _learner_names() -> list[str]:
    try:
        from fewlabels.learn import list_learners
    except ImportError:
        return []
    return list(list_learners())


def _learner_spec(name: str) -> MethodSpec:
    def factory(ctx: MethodContext) -> Any:
        from fewlabels.learn import get_learner

        if name == "zero-shot":
            est = get_learner(name, encoder=ctx.encoder, class_names=list(ctx.classes))
        else:
            est = get_learner(name)
        return _with_seed(est, ctx.seed)

    return MethodSpec(
        name=name,
        kind="fewlabels",
        factory=factory,
        not_applicable=_zero_shot_check if name == "zero-shot" else None,
        description=f"fewlabels.learn.get_learner({name!r})",
    )


_PEERS: dict[str, MethodSpec] = {
    "sklearn-label-spreading": MethodSpec(
        "sklearn-label-spreading",
        "peer",
        lambda ctx: peers.sklearn_label_spreading(),
        description='sklearn LabelSpreading(kernel="knn")',
    ),
    "sklearn-self-training": MethodSpec(
        "sklearn-self-training",
        "peer",
        lambda ctx: peers.sklearn_self_training(random_state=ctx.seed),
        description="sklearn SelfTrainingClassifier(LogisticRegression())",
    ),
    "logreg-labelled": MethodSpec(
        "logreg-labelled",
        "peer",
        lambda ctx: peers.LabelledOnly(),
        description="logistic regression on the labelled rows only",
    ),
    "setfit": MethodSpec(
        "setfit",
        "peer",
        lambda ctx: peers.SetFitPeer(random_state=ctx.seed),
        inputs="raw",
        not_applicable=_text_only("SetFit"),
        description="SetFit fine-tuning the packaged all-MiniLM-L6-v2 (texts only)",
    ),
    "ceiling": MethodSpec(
        "ceiling",
        "ceiling",
        lambda ctx: peers.ceiling(random_state=ctx.seed),
        labels="all",
        description="logistic regression given every training label (the ceiling)",
    ),
}


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
    return list(_PEERS)


def list_methods() -> list[str]:
    """Every method name: learners, peers, then custom methods."""
    return [*_learner_names(), *_PEERS, *_CUSTOM]


def get_method(name: str) -> MethodSpec:
    """The :class:`MethodSpec` of ``name``; an unknown name lists the known ones."""
    if name in _CUSTOM:
        return _CUSTOM[name]
    if name in _PEERS:
        return _PEERS[name]
    if name in _learner_names():
        return _learner_spec(name)
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
            group = list(_PEERS)
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
