"""Checks that ``init`` makes before it writes anything: the encoder fits the data.

``init`` then builds the whole workspace in a temporary folder that
:func:`fewlabels._atomic.atomic_fill_folder` moves into place (``fewlabels.toml`` last), so a
failure at any step leaves the target as it was and running ``init`` again works.
"""

from __future__ import annotations

from fewlabels.errors import FewlabelsError

__all__ = ["check_encoder_fits"]


def check_encoder_fits(name: str, modality: str) -> str:
    """Check that ``name`` is a registered encoder for ``modality`` data, without loading it.

    Parameters
    ----------
    name : str
        A registry name (``"minilm"``, ``"st:<model-id>"``, ...).
    modality : {"text", "image", "tabular"}

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    FewlabelsError
        For an unknown name, a prefix without its model id, or an encoder of another modality.
    """
    from fewlabels.encode.registry import ENCODERS, _resolve

    entry, _ = _resolve(name)
    if not entry.fits(modality):
        fitting = [
            str(e.meta.get("listed_as"))
            for e in ENCODERS.select(modality=modality)
            if e.meta.get("listed_as")
        ]
        raise FewlabelsError(
            f"Expected an encoder for {modality} data, but {name!r} embeds "
            f"{' or '.join(entry.modalities)}. Use one of {', '.join(fitting)} (see `fewlabels "
            "encoders`), or leave --encoder out for the default."
        )
    return name
