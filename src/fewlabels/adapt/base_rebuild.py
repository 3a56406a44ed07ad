"""The base encoder of an adaptation: what ``adapter.json`` records to rebuild it, and rebuilding.

Split from :mod:`fewlabels.adapt.encoder` (which re-exports these names).
"""

from __future__ import annotations

from typing import Any

from fewlabels.encode.base import Encoder
from fewlabels.errors import FewlabelsError, MissingExtraError

__all__ = ["base_spec", "rebuild_base"]


def base_spec(encoder: Any) -> dict[str, Any]:
    """What it takes to rebuild ``encoder`` later: registry name, identity, fitted state.

    The fitted state of the two encoders that learn data statistics is recorded
    (``tabular``: column means, scales, categories, missing indicators; ``pixels``: the
    image size); any other encoder is rebuilt from its name alone.
    """
    from fewlabels.encode.pixels import PixelsEncoder
    from fewlabels.encode.tabular import TabularEncoder

    state: dict[str, Any] | None = None
    if isinstance(encoder, TabularEncoder):
        # The encoder keeps its statistics private; they are restored the same way.
        state = {
            "kind": "tabular",
            "numeric": encoder._numeric,
            "categorical": encoder._categorical,
            "missing_indicators": list(encoder.missing_indicators_),
            "normalize": encoder.normalize,
        }
    elif isinstance(encoder, PixelsEncoder):
        state = {"kind": "pixels", "shape": list(encoder._shape) if encoder._shape else None}
    name = str(getattr(encoder, "name", type(encoder).__name__))
    return {
        "name": name,
        "identity": str(encoder.identity),
        "modality": str(encoder.modality),
        "dim": int(encoder.dim),
        "state": state,
        "extra": _extra_of(name),
    }


def _extra_of(name: str) -> str | None:
    from fewlabels.encode.registry import ENCODERS

    try:
        return ENCODERS.entry(name).extra
    except FewlabelsError:
        return None


def _restore_state(encoder: Any, state: dict[str, Any] | None) -> None:
    if not state:
        return
    if state.get("kind") == "tabular":
        encoder._numeric = {k: (float(v[0]), float(v[1])) for k, v in state["numeric"].items()}
        encoder._categorical = {k: list(v) for k, v in state["categorical"].items()}
        encoder.missing_indicators_ = list(state["missing_indicators"])
        encoder.normalize = bool(state["normalize"])
    elif state.get("kind") == "pixels" and state.get("shape"):
        encoder._shape = (int(state["shape"][0]), int(state["shape"][1]))


def rebuild_base(
    base: dict[str, Any], *, where: str, device: str | None = "auto", batch_size: int | None = None
) -> Encoder:
    """Build the base encoder an ``adapter.json`` names and check its identity.

    Raises
    ------
    MissingExtraError
        When the base encoder's packages are not installed (names the extra).
    FewlabelsError
        When the base now has another identity (another model version or statistics).
    """
    from fewlabels.encode.registry import get_encoder

    name = str(base["name"])
    try:
        encoder = get_encoder(name, device=device, batch_size=batch_size)
        _restore_state(encoder, base.get("state"))
        identity = encoder.identity
    except (MissingExtraError, ImportError) as exc:
        extra = base.get("extra")
        fix = f"pip install 'fewlabels[{extra}]'" if extra else "install its packages"
        raise MissingExtraError(
            f"The adapted encoder at {where} is built on the encoder {name!r}, whose packages "
            f"are not installed ({exc}). Install them: {fix}."
        ) from exc
    if identity != base["identity"]:
        raise FewlabelsError(
            f"Expected the base encoder {name!r} of the adapted encoder at {where} to have the "
            f"identity it was adapted on ({base['identity']!r}), but it now has {identity!r} "
            "(another model version or other statistics). Adapt the encoder again on this base."
        )
    return encoder
