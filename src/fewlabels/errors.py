"""The one user-error type of fewlabels, and its few subclasses.

Every bad input a user can make (a wrong argument, a missing file or column, a missing extra,
a store in a state that forbids the action) raises a :class:`FewlabelsError`, a
``ValueError``. Its message says what was expected, what arrived and how to fix it. The CLI
prints these as one line and exits with code 2; any other exception is a bug in fewlabels (or
in a library it calls) and keeps its traceback.

Each subclass also derives from the built-in exception that Python code would expect for that
failure (``TypeError``, ``FileNotFoundError``, ``KeyError``, ``ImportError``,
``RuntimeError``), so ``except TypeError`` in a caller's code keeps working.
"""

from __future__ import annotations

__all__ = [
    "FewlabelsError",
    "InputTypeError",
    "MissingExtraError",
    "MissingFileError",
    "MissingKeyError",
    "NotFittedError",
    "StateError",
    "missing_extra",
]


class FewlabelsError(ValueError):
    """A user error: the input, a file or the workspace is not what fewlabels expected."""


class InputTypeError(FewlabelsError, TypeError):
    """An input of the wrong kind (a string where a list of texts was expected, ...)."""


class MissingFileError(FewlabelsError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class MissingKeyError(FewlabelsError, KeyError):
    """A column, id or key the user named is not there.

    Unlike ``KeyError``, ``str()`` gives the message as written, without quotes around it.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MissingExtraError(FewlabelsError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class NotFittedError(FewlabelsError, AttributeError):
    """An encoder or estimator was used before ``fit``."""


class StateError(FewlabelsError, RuntimeError):
    """The store, the cache or a workspace is in a state that forbids the action asked."""


def missing_extra(what: str, extra: str, exc: ImportError) -> MissingExtraError:
    """The error for an optional dependency that is not installed, naming the extra.

    Parameters
    ----------
    what : str
        What needs it, e.g. ``"CLIP encoders"``.
    extra : str
        The fewlabels extra that installs it, e.g. ``"vision"``.
    exc : ImportError
        The original import failure (its module name is quoted).
    """
    return MissingExtraError(
        f"{what} need(s) packages that are not installed ({exc.name or exc}): "
        f"pip install 'fewlabels[{extra}]'"
    )
