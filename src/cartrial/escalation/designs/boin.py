"""BOIN: the Bayesian optimal interval design (Liu & Yuan 2015), as R BOIN 2.7 computes it.

Escalate when the observed DLT rate at the current dose is at most lambda_e, de-escalate when it is
at least lambda_d, otherwise stay. The boundaries minimise the chance of a wrong decision between
H1: p = phi1 (too low), H0: p = phi (right) and H2: p = phi2 (too high), with equal prior weights.
Counts follow R BOIN's get.boundary exactly (see docs/escalation.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cartrial.errors import InputError
from cartrial.escalation.designs.interval import DEESCALATE, ESCALATE, STAY, IntervalDesign
from cartrial.escalation.rules import ELIMINATION_CUTOFF, calculate_elimination_count

# Liu & Yuan 2015: default phi1 = 0.6 phi (highest rate deemed sub-therapeutic) and
# phi2 = 1.4 phi (lowest rate deemed overly toxic).
BOIN_SAFE_FACTOR = 0.6
BOIN_TOXIC_FACTOR = 1.4
# R BOIN get.boundary: refuses targets below 0.05 or above 0.6, and phi1/phi2 closer to phi than
# 0.1 * phi.
BOIN_TARGET_MIN = 0.05
BOIN_TARGET_MAX = 0.6
BOIN_MIN_DISTANCE_FACTOR = 0.1
# R BOIN get.boundary: lambda_d * n within 1e-12 of an integer counts as that integer, and the
# de-escalation count is then that integer plus one.
BOIN_INTEGER_TOLERANCE = 1e-12


@dataclass(frozen=True, slots=True)
class BoinBoundaryRow:
    """For n patients at a dose: escalate if DLTs <= escalate_at_most, de-escalate if >= ..."""

    n: int
    escalate_at_most: int
    deescalate_at_least: int
    eliminate_at_least: int | None


@dataclass(frozen=True, slots=True)
class BoinBoundary:
    lambda_e: float
    lambda_d: float
    rows: tuple[BoinBoundaryRow, ...]
    """One row per n = 1, 2, ..., like R's `full_boundary_tab`."""

    def table(self, cohort_size: int, n_earlystop: int | None = None) -> tuple[BoinBoundaryRow, ...]:
        """The rows R's `boundary_tab` shows: n = cohort_size, 2 cohort_size, ... up to n.earlystop."""
        last = len(self.rows) if n_earlystop is None else min(len(self.rows), n_earlystop)
        return tuple(row for row in self.rows[:last] if row.n % cohort_size == 0)


def validate_boin_target(target: float, p_saf: float, p_tox: float, field: str = "target") -> None:
    """R BOIN's checks on the target and the two rates around it, as InputError naming the field."""
    if not BOIN_TARGET_MIN <= target <= BOIN_TARGET_MAX:
        raise InputError.single(
            field, field, f"BOIN needs a target in [{BOIN_TARGET_MIN}, {BOIN_TARGET_MAX}], got {target}"
        )
    if target - p_saf < BOIN_MIN_DISTANCE_FACTOR * target:
        raise InputError.single(field, "p_saf", f"{p_saf} is above or too close to the target {target}")
    if p_tox - target < BOIN_MIN_DISTANCE_FACTOR * target:
        raise InputError.single(field, "p_tox", f"{p_tox} is below or too close to the target {target}")


def resolve_boin_rates(target: float, p_saf: float | None, p_tox: float | None) -> tuple[float, float]:
    """(phi1, phi2): the given rates, or Liu & Yuan 2015's defaults 0.6 phi and 1.4 phi."""
    phi1 = BOIN_SAFE_FACTOR * target if p_saf is None else p_saf
    phi2 = BOIN_TOXIC_FACTOR * target if p_tox is None else p_tox
    return phi1, phi2


def calculate_validated_boin_lambdas(
    target: float, p_saf: float | None = None, p_tox: float | None = None
) -> tuple[float, float]:
    """`calculate_boin_lambdas` after R BOIN's checks on the target and the rates around it."""
    validate_boin_target(target, *resolve_boin_rates(target, p_saf, p_tox))
    return calculate_boin_lambdas(target, p_saf, p_tox)


def calculate_boin_lambdas(
    target: float, p_saf: float | None = None, p_tox: float | None = None
) -> tuple[float, float]:
    """(lambda_e, lambda_d) of Liu & Yuan 2015, eq. for the local (non-informative) design.

    >>> [round(x, 4) for x in calculate_boin_lambdas(0.3)]
    [0.2365, 0.3585]
    """
    phi1, phi2 = resolve_boin_rates(target, p_saf, p_tox)
    lambda_e = math.log((1 - phi1) / (1 - target)) / math.log(target * (1 - phi1) / (phi1 * (1 - target)))
    lambda_d = math.log((1 - target) / (1 - phi2)) / math.log(phi2 * (1 - target) / (target * (1 - phi2)))
    return lambda_e, lambda_d


def calculate_boin_row(
    n: int, target: float, lambda_e: float, lambda_d: float, cutoff_eli: float
) -> BoinBoundaryRow:
    """One column of R BOIN's boundary table; the de-escalation count is capped at elimination."""
    eliminate = calculate_elimination_count(n, target, cutoff_eli)
    exact = lambda_d * n
    deescalate = round(exact) + 1 if abs(round(exact) - exact) < BOIN_INTEGER_TOLERANCE else math.ceil(exact)
    if eliminate is not None:
        deescalate = min(deescalate, eliminate)
    return BoinBoundaryRow(n, math.floor(lambda_e * n), deescalate, eliminate)


def calculate_boin_boundary(
    target: float,
    max_n: int,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = ELIMINATION_CUTOFF,
) -> BoinBoundary:
    """R BOIN's get.boundary: escalation, de-escalation and elimination counts for n = 1..max_n."""
    lambda_e, lambda_d = calculate_validated_boin_lambdas(target, p_saf, p_tox)
    rows = tuple(calculate_boin_row(n, target, lambda_e, lambda_d, cutoff_eli) for n in range(1, max_n + 1))
    return BoinBoundary(lambda_e, lambda_d, rows)


@dataclass(frozen=True, slots=True)
class BoinSignal:
    """BOIN's signal at the current dose from R BOIN's boundary counts."""

    target: float
    lambda_e: float
    lambda_d: float
    cutoff_eli: float = ELIMINATION_CUTOFF

    def row(self, n: int) -> tuple[int, ...]:
        bounds = calculate_boin_row(n, self.target, self.lambda_e, self.lambda_d, self.cutoff_eli)
        return tuple(
            ESCALATE
            if dlts <= bounds.escalate_at_most
            else DEESCALATE
            if dlts >= bounds.deescalate_at_least
            else STAY
            for dlts in range(n + 1)
        )

    def explain(self, n: int, dlts: int) -> str:
        return f"rate {dlts / n:.4f} vs lambda_e {self.lambda_e:.4f} and lambda_d {self.lambda_d:.4f}"


def make_boin_design(
    n_doses: int,
    start_dose: int,
    target: float,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = ELIMINATION_CUTOFF,
) -> IntervalDesign:
    """BOIN's core decision (wrap it in the elimination and stopping rules to get the full design)."""
    lambda_e, lambda_d = calculate_validated_boin_lambdas(target, p_saf, p_tox)
    signal = BoinSignal(target, lambda_e, lambda_d, cutoff_eli)
    return IntervalDesign(
        name="boin",
        n_doses=n_doses,
        start_dose=start_dose,
        signal=signal,
        details={"lambda_e": lambda_e, "lambda_d": lambda_d},
    )
