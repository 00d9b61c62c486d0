"""Values of cellular kinetics: concentration–time profiles, NCA settings and NCA results.

Times are days from infusion (any one unit works: NCA never converts it), values are copies/µg gDNA
or CAR+ cells/µL as the assay reports them; the profile carries no unit, and every parameter comes
out in the units of its inputs (AUC in value·time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from cartrial.errors import InputError

BlqRule = Literal["keep", "drop"] | float
"""What to do with a BLQ value in one position: keep it as 0, drop it, or replace it by a number."""

# PKNCA.options defaults (PKNCA 0.12, R/PKNCA.options.R): the settings users of PKNCA expect.
PKNCA_ADJ_R_SQUARED_FACTOR = 1e-4  # PKNCA.options("adj.r.squared.factor")
PKNCA_MIN_HL_POINTS = 3  # PKNCA.options("min.hl.points")
PKNCA_BLQ_FIRST: BlqRule = "keep"  # PKNCA.options("conc.blq")$first
PKNCA_BLQ_MIDDLE: BlqRule = "drop"  # PKNCA.options("conc.blq")$middle
PKNCA_BLQ_LAST: BlqRule = "keep"  # PKNCA.options("conc.blq")$last


class NcaMethod(StrEnum):
    """Integration rule for AUC (PKNCA's `auc.method`)."""

    LIN_UP_LOG_DOWN = "lin-up-log-down"
    """Linear trapezoid where the value rises or stays level, log trapezoid where it falls (default)."""
    LINEAR = "linear"
    """Linear trapezoid everywhere."""
    LIN_LOG = "lin-log"
    """Linear up to Tmax, log after it (linear wherever a value is 0)."""


@dataclass(frozen=True, slots=True)
class NcaSettings:
    """The knobs of NCA, defaulting to PKNCA's defaults.

    λz is chosen among log-linear fits of the last k points after Tmax (k ≥ `min_hl_points`): the fits
    with λz > 0 whose adjusted R² lies within `adj_r_squared_factor` of the best adjusted R² qualify,
    and of those the one with the most points wins.
    """

    method: NcaMethod = NcaMethod.LIN_UP_LOG_DOWN
    blq_first: BlqRule = PKNCA_BLQ_FIRST
    blq_middle: BlqRule = PKNCA_BLQ_MIDDLE
    blq_last: BlqRule = PKNCA_BLQ_LAST
    adj_r_squared_factor: float = PKNCA_ADJ_R_SQUARED_FACTOR
    min_hl_points: int = PKNCA_MIN_HL_POINTS
    allow_tmax_in_half_life: bool = False  # PKNCA.options("allow.tmax.in.half.life")
    first_tmax: bool = True  # PKNCA.options("first.tmax"): the first time of Cmax is Tmax

    def __post_init__(self) -> None:
        if not 0.0 < self.adj_r_squared_factor < 1.0:
            raise InputError.single("settings", "adj_r_squared_factor", "must lie strictly between 0 and 1")
        if self.min_hl_points < 2:
            raise InputError.single("settings", "min_hl_points", "must be at least 2")
        for name in ("blq_first", "blq_middle", "blq_last"):
            rule = getattr(self, name)
            if isinstance(rule, str):
                if rule not in ("keep", "drop"):
                    raise InputError.single("settings", name, f"must be keep, drop or a number, not {rule!r}")
            elif not (math.isfinite(rule) and rule >= 0):
                raise InputError.single("settings", name, "a replacement value must be finite and >= 0")


@dataclass(frozen=True, slots=True)
class Interval:
    """An NCA interval [start, end] in days; `end` may be infinity (0–∞ is AUCinf's interval)."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.start):
            raise InputError.single("interval", "start", "must be a finite number")
        if math.isnan(self.end) or not self.end > self.start:
            raise InputError.single("interval", "end", f"must be after the start ({self.start:g})")

    @property
    def is_infinite(self) -> bool:
        return math.isinf(self.end)


DEFAULT_INTERVALS = (Interval(0.0, 28.0), Interval(0.0, math.inf))
"""Without a request: AUC over the DLT window (0–28 days) and the 0–∞ parameters."""


@dataclass(frozen=True, slots=True)
class ConcentrationProfile:
    """One subject's samples in time order. A BLQ sample has value 0 for NCA (as in PKNCA)."""

    subject: str
    dose: float
    times: tuple[float, ...]
    values: tuple[float, ...]
    blq: tuple[bool, ...]
    lloq: tuple[float | None, ...]

    def __post_init__(self) -> None:
        n = len(self.times)
        if not (len(self.values) == len(self.blq) == len(self.lloq) == n) or n == 0:
            raise InputError.single(
                self.subject, "samples", "times, values, blq and lloq must be equally long"
            )
        if any(b >= a for a, b in zip(self.times[1:], self.times, strict=False)):
            raise InputError.single(self.subject, "time", "sample times must be strictly increasing")
        if any(v < 0 or not math.isfinite(v) for v in self.values):
            raise InputError.single(self.subject, "value", "values must be finite and >= 0")

    @property
    def nca_values(self) -> tuple[float, ...]:
        """Values as NCA sees them: BLQ is 0."""
        return tuple(0.0 if b else v for v, b in zip(self.values, self.blq, strict=True))


@dataclass(frozen=True, slots=True)
class LambdaZOverride:
    """An analyst's choice of λz points for one subject: include exactly these times, or exclude some.

    PKNCA's `include_half.life` / `exclude_half.life`: with `include_times` the fit uses those points
    as they are (no automatic selection); with `exclude_times` the automatic selection runs without them.
    """

    subject: str
    reason: str
    include_times: tuple[float, ...] | None = None
    exclude_times: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise InputError.single(self.subject, "reason", "an override needs a reason")
        if (self.include_times is None) == (not self.exclude_times):
            raise InputError.single(
                self.subject, "include/exclude", "give either include times or exclude times"
            )


@dataclass(frozen=True, slots=True)
class NcaParameter:
    """One result row: a parameter (CDISC PPTESTCD) of a subject over an interval (end None = ∞)."""

    subject: str
    start: float
    end: float | None
    testcd: str
    value: float | None
    exclusion: str | None


@dataclass(frozen=True, slots=True)
class LambdaZPoints:
    """Which sample times (days from infusion) the λz of a subject over an interval used, and why."""

    subject: str
    start: float
    end: float | None
    times: tuple[float, ...]
    selection: Literal["automatic", "analyst"]
    reason: str | None


@dataclass(frozen=True, slots=True)
class SubjectNca:
    """Every NCA result of one subject."""

    subject: str
    dose: float
    parameters: tuple[NcaParameter, ...]
    lambda_z: tuple[LambdaZPoints, ...]

    def value(self, testcd: str, interval: Interval) -> float | None:
        """The value of one parameter over one interval (None when not computed or not reported)."""
        end = None if interval.is_infinite else interval.end
        for row in self.parameters:
            if row.testcd == testcd and row.start == interval.start and row.end == end:
                return row.value
        return None
