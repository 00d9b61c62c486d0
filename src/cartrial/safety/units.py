"""Laboratory units for grading: the checks and exact conversions of `cartrial.clinical.units`, in the
rational arithmetic the grade boundaries are compared in."""

from __future__ import annotations

from fractions import Fraction

from cartrial.clinical.units import conversion_factor, has_dimension_of
from cartrial.errors import InputError


def check_unit(unit: str, dimensions: tuple[str, ...]) -> None:
    """Raise ValueError unless `unit` is known and has the dimension of one of `dimensions`
    (each given as a reference unit, e.g. 'g/L' for a mass concentration)."""
    try:
        known = has_dimension_of(unit, dimensions)
    except InputError as exc:
        raise ValueError(f"unknown unit {unit!r}") from exc
    if not known:
        raise ValueError(f"unit {unit!r} is not a unit of {' or '.join(dimensions)}")


def convert_exactly(value: Fraction, unit: str, target: str, target_scale: int = 1) -> Fraction:
    """`value` in `unit`, expressed in `target_scale` × `target` (e.g. 10⁹ × '1/L'), exactly."""
    return value * Fraction(conversion_factor(unit, target)) / target_scale
