"""Laboratory units: parse what the lab reported and convert it exactly (as a Fraction) at the boundary.

pint does the dimensional analysis and the conversion, in rational arithmetic so that a value at a grade
boundary stays exactly on it. Spellings pint cannot read (`10^9/L`, `cells/µL`, `IU/L`) are mapped first.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from typing import Any

# Lab spellings of counts and enzyme activities that pint does not parse itself: spelling (lower case,
# no spaces, µ as u) -> (scale factor, pint unit). 1 ×10⁹/L = 1000/µL = 1000/mm³ (clinical.md §1).
_ALIASES: dict[str, tuple[int, str]] = {
    "10^9/l": (10**9, "1/L"),
    "x10^9/l": (10**9, "1/L"),
    "10*9/l": (10**9, "1/L"),
    "10e9/l": (10**9, "1/L"),
    "10^3/ul": (10**3, "1/uL"),
    "x10^3/ul": (10**3, "1/uL"),
    "10*3/ul": (10**3, "1/uL"),
    "k/ul": (10**3, "1/uL"),
    "/ul": (1, "1/uL"),
    "cells/ul": (1, "1/uL"),
    "/mm3": (1, "1/mm**3"),
    "cells/mm3": (1, "1/mm**3"),
    "/l": (1, "1/L"),
    "iu/l": (1, "U/L"),
}


@cache
def _registry() -> Any:
    """pint's unit registry in rational arithmetic: built once on first use (it takes a few 100 ms)."""
    import pint

    return pint.UnitRegistry(non_int_type=Fraction)


def _normalise(unit: str) -> str:
    return unit.strip().replace("µ", "u").replace("μ", "u").replace("×", "x").replace(" ", "")


def _parse(unit: str) -> tuple[int, Any]:
    """(scale, pint unit) of a spelling; ValueError if pint cannot read it."""
    text = _normalise(unit)
    registry = _registry()
    alias = _ALIASES.get(text.lower())
    if alias is not None:
        return alias[0], registry.Unit(alias[1])
    try:
        return 1, registry.Unit(text.replace("^", "**"))
    except Exception as exc:  # pint raises several error types for unreadable text
        raise ValueError(f"unknown unit {unit!r}") from exc


def check_unit(unit: str, dimensions: tuple[str, ...]) -> None:
    """Raise ValueError unless `unit` is a unit pint knows with the dimension of one of `dimensions`
    (each given as a reference unit, e.g. 'g/L' for a mass concentration)."""
    _, parsed = _parse(unit)
    registry = _registry()
    if not any(parsed.dimensionality == registry.Unit(ref).dimensionality for ref in dimensions):
        raise ValueError(f"unit {unit!r} is not a unit of {' or '.join(dimensions)}")


def convert_exactly(value: Fraction, unit: str, target: str, target_scale: int = 1) -> Fraction:
    """`value` in `unit`, expressed in `target_scale` × `target` (e.g. 10⁹ × '1/L'), exactly."""
    scale, parsed = _parse(unit)
    quantity = _registry().Quantity(value * scale, parsed).to(target)
    return Fraction(quantity.magnitude) / target_scale
