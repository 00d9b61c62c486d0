"""Three-valued logic for facts that may be unknown: True, False, or None (unknown, never false)."""

from __future__ import annotations

from collections.abc import Iterable

Tristate = bool | None


def any_of(values: Iterable[Tristate]) -> Tristate:
    """True if any is True; False only if all are False; otherwise unknown."""
    seen_unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            seen_unknown = True
    return None if seen_unknown else False


def all_of(values: Iterable[Tristate]) -> Tristate:
    """False if any is False; True only if all are True; otherwise unknown."""
    seen_unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            seen_unknown = True
    return None if seen_unknown else True


def at_least(low: int, high: int, threshold: int) -> Tristate:
    """Whether a quantity known only to lie in [low, high] is >= threshold."""
    if low >= threshold:
        return True
    if high < threshold:
        return False
    return None
