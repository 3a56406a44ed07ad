"""Which key labels which class on the page: any number of classes.

The 1st to 9th class get ``1``-``9`` and the 10th ``0``; then the letters ``a``-``z`` in
order, skipping the letters the page binds already (:data:`RESERVED`: ``u`` and ``z``
undo, ``s`` skip, ``n`` none of these). Classes past those 32 get no key: the page's
type-to-filter box (``/``) finds them.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

#: Letters bound to actions: u / z undo, s skip, n none of these.
RESERVED = frozenset("usnz")
#: The keys handed to classes, in order.
CLASS_KEYS: tuple[str, ...] = (
    *"123456789",
    "0",
    *(c for c in string.ascii_lowercase if c not in RESERVED),
)


def class_keys(classes: Sequence[str]) -> list[str | None]:
    """The key of each class, in class order; None past :data:`CLASS_KEYS`.

    Parameters
    ----------
    classes : sequence of str of length n_classes

    Returns
    -------
    list of str or None, of length n_classes
    """
    return [CLASS_KEYS[k] if k < len(CLASS_KEYS) else None for k in range(len(classes))]
