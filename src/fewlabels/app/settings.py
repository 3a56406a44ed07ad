"""How a page server guards itself: :class:`AppSettings` (token, hosts, busy timeout, annotator)."""

from __future__ import annotations

from dataclasses import dataclass

from fewlabels.store import check_annotator


@dataclass(frozen=True)
class AppSettings:
    """How a page server guards itself.

    Parameters
    ----------
    token : str
        The per-session secret that writes (and, with ``view_token``, views) must carry.
    view_token : bool
        Require ``?token=`` to view too (set when bound to an address other than loopback).
    allowed_hosts : tuple of str or None
        Accepted ``Host`` header values; None accepts any.
    busy_timeout_s : float, default 5
        How long a request waits for another writer's lock on ``labels.db`` before it is
        answered 503 (the page then retries).
    annotator : str or None
        The annotator of this session (its write token): recorded as ``who`` with each
        label. None lets each page give its own name.
    preselect_guess : bool or None
        Highlight the model's guess among the class buttons; None takes ``[page]
        preselect_guess`` of ``fewlabels.toml`` (off by default: it invites anchoring).
    """

    token: str
    view_token: bool = False
    allowed_hosts: tuple[str, ...] | None = None
    busy_timeout_s: float = 5.0
    annotator: str | None = None
    preselect_guess: bool | None = None

    def __post_init__(self) -> None:
        if self.annotator is not None:
            object.__setattr__(self, "annotator", check_annotator(self.annotator))
