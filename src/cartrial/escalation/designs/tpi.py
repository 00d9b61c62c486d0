"""The equivalence interval that mTPI-2 and i3+3 share: EI = [phi - epsilon1, phi + epsilon2]."""

from __future__ import annotations

from collections.abc import Callable

from cartrial.errors import InputError
from cartrial.escalation.designs.interval import IntervalDesign, Signal

# Ji et al. 2010 (mTPI), Guo et al. 2017 (mTPI-2), Liu et al. 2020 (i3+3): epsilon1 = epsilon2 = 0.05.
EPSILON_DEFAULT = 0.05


def validate_equivalence_interval(target: float, epsilon1: float, epsilon2: float) -> None:
    """The EI must lie inside (0, 1) around the target."""
    if not 0 < epsilon1 < target:
        raise InputError.single("design", "epsilon1", f"must lie in (0, target={target}), got {epsilon1}")
    if not 0 < epsilon2 < 1 - target:
        raise InputError.single("design", "epsilon2", f"must lie in (0, 1 - target), got {epsilon2}")


def make_equivalence_interval_design(
    name: str,
    make_signal: Callable[[float, float, float], Signal],
    n_doses: int,
    start_dose: int,
    target: float,
    epsilon1: float,
    epsilon2: float,
) -> IntervalDesign:
    """An interval design whose signal `make_signal(target, epsilon1, epsilon2)` reads the EI."""
    validate_equivalence_interval(target, epsilon1, epsilon2)
    return IntervalDesign(
        name=name,
        n_doses=n_doses,
        start_dose=start_dose,
        signal=make_signal(target, epsilon1, epsilon2),
        details={"equivalence_interval": [target - epsilon1, target + epsilon2]},
    )
