"""Immune effector cell-associated haematotoxicity (ICAHT) graded from the neutrophil course.

EHA/EBMT consensus (Rejeski et al., Blood 2023;142:865-877). Early ICAHT (days 0-30) counts the days with
ANC <= 500/µL (and <= 100/µL); late ICAHT (after day 30) takes the depth of neutropenia seen on at least two
tests. Sparse counts are filled in day by day by linear interpolation between measured days (as the
published automated grading of Liang et al. 2024 does), exactly, in rational arithmetic.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from pydantic import Field, field_validator

from cartrial.json_number import NonNegativeDecimal
from cartrial.safety.result import Driver, GradeResult, StrictInput, select_drivers
from cartrial.safety.units import check_unit, convert_exactly

ICAHT_SOURCE = (
    "Rejeski K et al. Immune effector cell-associated hematotoxicity: EHA/EBMT consensus grading and "
    "best practice recommendations. Blood 2023;142:865-877"
)

# Rejeski et al. 2023: early ICAHT covers days 0-30 after infusion; late ICAHT is after day 30.
EARLY_FIRST_DAY = 0
EARLY_LAST_DAY = 30
# Rejeski et al. 2023: ANC thresholds of early ICAHT, cells/µL (at or below).
EARLY_ANC_500 = Fraction(500)
EARLY_ANC_100 = Fraction(100)
# Rejeski et al. 2023, early ICAHT: grade by days at ANC <= 500/µL (1-6 -> 1, 7-13 -> 2, 14-30 -> 3,
# > 30 -> 4) and by days at ANC <= 100/µL (>= 7 -> 3, >= 14 -> 4); the worse reading wins.
EARLY_DAYS_500 = ((1, 1), (7, 2), (14, 3), (31, 4))
EARLY_DAYS_100 = ((7, 3), (14, 4))
# Rejeski et al. 2023: a recovery above the threshold lasting fewer than 3 days is not stable, and
# those days count toward the duration.
STABLE_RECOVERY_DAYS = 3
# Rejeski et al. 2023, late ICAHT: ANC at or below each threshold (cells/µL) gives the grade.
LATE_THRESHOLDS = ((Fraction(1500), 1), (Fraction(1000), 2), (Fraction(500), 3), (Fraction(100), 4))
# Rejeski et al. 2023: late ICAHT needs the count on at least two tests (non-transient).
LATE_MIN_TESTS = 2


class AncMeasurement(StrictInput):
    day: int = Field(description="days after infusion (day 0 = infusion)")
    value: NonNegativeDecimal


class NeutrophilCourse(StrictInput):
    """Absolute neutrophil counts by day after infusion, in one unit, days strictly increasing."""

    unit: str = Field(description="e.g. /µL, 10^9/L")
    measurements: tuple[AncMeasurement, ...] = Field(min_length=1)
    censored_after_day: int | None = Field(
        default=None,
        ge=EARLY_FIRST_DAY,
        description="death or a subsequent line of therapy: counts after this day are not used",
    )

    @field_validator("unit")
    @classmethod
    def _count_unit(cls, unit: str) -> str:
        check_unit(unit, ("1/L",))
        return unit

    @field_validator("measurements")
    @classmethod
    def _days_increase(cls, measurements: tuple[AncMeasurement, ...]) -> tuple[AncMeasurement, ...]:
        for index in range(1, len(measurements)):
            if measurements[index].day <= measurements[index - 1].day:
                raise ValueError(
                    f"measurements[{index}].day ({measurements[index].day}) is not after "
                    f"measurements[{index - 1}].day ({measurements[index - 1].day})"
                )
        return measurements


@dataclass(frozen=True, slots=True)
class IcahtSettings:
    """How durations are counted: the consensus sums all days (`cumulative`); some studies take the
    longest single episode (`longest_episode`)."""

    counting: Literal["cumulative", "longest_episode"] = "cumulative"
    stable_recovery_days: int = STABLE_RECOVERY_DAYS
    late_min_tests: int = LATE_MIN_TESTS


@dataclass(frozen=True, slots=True)
class IcahtResult:
    """Early and late ICAHT; a phase the counts do not cover is None, with the reason in `unknown`."""

    early: GradeResult | None
    late: GradeResult | None
    unknown: tuple[str, ...]


def _per_ul(course: NeutrophilCourse) -> list[tuple[int, Fraction]]:
    return [(m.day, convert_exactly(Fraction(m.value), course.unit, "1/uL")) for m in course.measurements]


def _daily(points: list[tuple[int, Fraction]]) -> dict[int, Fraction]:
    """Every day from the first to the last measurement, interpolated linearly between measured days."""
    days: dict[int, Fraction] = {}
    for (day_a, value_a), (day_b, value_b) in itertools.pairwise(points):
        for day in range(day_a, day_b):
            days[day] = value_a + (value_b - value_a) * Fraction(day - day_a, day_b - day_a)
    last_day, last_value = points[-1]
    days[last_day] = last_value
    return days


def _below_days(
    daily: dict[int, Fraction], threshold: Fraction, last_day: int, settings: IcahtSettings
) -> list[int]:
    """Days 0-`last_day` at or below `threshold`, counting short (non-stable) recoveries between two such
    days."""
    ordered = sorted(daily)
    low = [daily[day] <= threshold for day in ordered]
    counted = list(low)
    index = 0
    while index < len(ordered):
        if low[index]:
            index += 1
            continue
        end = index
        while end < len(ordered) and not low[end]:
            end += 1
        if index > 0 and end < len(ordered) and end - index < settings.stable_recovery_days:
            counted[index:end] = [True] * (end - index)
        index = end
    return [
        day for day, flag in zip(ordered, counted, strict=True) if flag and EARLY_FIRST_DAY <= day <= last_day
    ]


def _duration(days: list[int], settings: IcahtSettings) -> int:
    if settings.counting == "cumulative":
        return len(days)
    longest = run = 0
    for index, day in enumerate(days):
        run = run + 1 if index and day == days[index - 1] + 1 else 1
        longest = max(longest, run)
    return longest


def _grade_by_days(days: int, bands: tuple[tuple[int, int], ...]) -> int:
    return max((grade for minimum, grade in bands if days >= minimum), default=0)


def _grade_early(daily: dict[int, Fraction], last_day: int, settings: IcahtSettings) -> GradeResult:
    days_500 = _duration(_below_days(daily, EARLY_ANC_500, last_day, settings), settings)
    days_100 = _duration(_below_days(daily, EARLY_ANC_100, last_day, settings), settings)
    span = f"days {EARLY_FIRST_DAY}-{last_day}"
    findings = (
        Driver("ANC <= 500/µL", _grade_by_days(days_500, EARLY_DAYS_500), f"{days_500} days in {span}"),
        Driver("ANC <= 100/µL", _grade_by_days(days_100, EARLY_DAYS_100), f"{days_100} days in {span}"),
    )
    fallback = Driver("ANC <= 500/µL", 0, f"no day at or below 500/µL in {span}")
    grade, drivers = select_drivers(findings, fallback)
    return GradeResult("early ICAHT (EHA/EBMT 2023)", grade, drivers, ICAHT_SOURCE)


def _grade_late(points: list[tuple[int, Fraction]], settings: IcahtSettings) -> GradeResult:
    late = [value for day, value in points if day > EARLY_LAST_DAY]
    findings = tuple(
        Driver(f"ANC <= {threshold}/µL", grade, f"{tests} tests after day 30")
        for threshold, grade in LATE_THRESHOLDS
        if (tests := sum(value <= threshold for value in late)) >= settings.late_min_tests
    )
    fallback = Driver(
        "ANC", 0, f"fewer than {settings.late_min_tests} tests after day 30 at or below 1500/µL"
    )
    grade, drivers = select_drivers(findings, fallback)
    return GradeResult("late ICAHT (EHA/EBMT 2023)", grade, drivers, ICAHT_SOURCE)


def grade_icaht(course: NeutrophilCourse, settings: IcahtSettings = IcahtSettings()) -> IcahtResult:
    """Early ICAHT if the counts cover day 0 to day 30, late ICAHT if there are tests after day 30.

    Counts after `censored_after_day` (death, a subsequent line of therapy) are not used: the early
    window then ends at that day (Rejeski et al. 2023 censor the duration there).
    """
    censor = course.censored_after_day
    points = [(day, value) for day, value in _per_ul(course) if censor is None or day <= censor]
    last_day = EARLY_LAST_DAY if censor is None else min(EARLY_LAST_DAY, censor)
    unknown: list[str] = []
    early: GradeResult | None = None
    if points and points[0][0] <= EARLY_FIRST_DAY and points[-1][0] >= last_day:
        early = _grade_early(_daily(points), last_day, settings)
    else:
        unknown.append(f"early ICAHT: the counts must cover day {EARLY_FIRST_DAY} to day {last_day}")
    late: GradeResult | None = None
    if any(day > EARLY_LAST_DAY for day, _ in points):
        late = _grade_late(points, settings)
    else:
        unknown.append("late ICAHT: no count after day 30")
    return IcahtResult(early, late, tuple(unknown))
