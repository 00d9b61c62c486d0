"""Medication history as the criteria read it: courses of a drug, and the glucocorticoid dose over time.

A record lists medication *periods* (one drug, one dose, start to stop). Consecutive periods of the same
drug with no gap form one continuous course; the prednisone-equivalent dose on a day is the sum over
every systemic glucocorticoid taken that day (reference/clinical.md §2).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any, Literal, NamedTuple

from cartrial.clinical.formulary import DrugClass, generic_name
from cartrial.clinical.glucocorticoids import (
    SYSTEMIC_ROUTES,
    Route,
    is_glucocorticoid,
    mean_daily_dose_mg,
    prednisone_equivalent_mg,
)
from cartrial.clinical.units import convert
from cartrial.eligibility.record import Medication

ONE_DAY = timedelta(days=1)
# The values built for every record are built with `tuple.__new__`, without the named tuple's own
# Python-level `__new__`.
_new = tuple.__new__


class Course(NamedTuple):
    """A continuous course of one drug: first day and last day (None = ongoing)."""

    drug: str
    start: date
    stop: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.stop is None or self.stop >= day)


def courses(periods: Iterable[tuple[str, date, date | None]]) -> tuple[Course, ...]:
    """Merge (drug, start, stop) periods of the same drug that touch or overlap into courses."""
    merged: list[list[Any]] = []  # [drug, start, stop] of each course so far
    for drug, start, stop in sorted(periods, key=_DRUG_AND_START):
        last = merged[-1] if merged else None
        if last is not None and last[0] == drug and (last[2] is None or start <= last[2] + ONE_DAY):
            last[2] = None if last[2] is None or stop is None else max(last[2], stop)
        else:
            merged.append([drug, start, stop])
    return tuple([_new(Course, course) for course in merged])


_DRUG_AND_START = itemgetter(0, 1)


def is_systemic(generic: str, route: Route) -> bool:
    """Whether a drug (generic name) taken by `route` is a systemic glucocorticoid."""
    return is_glucocorticoid(generic) and route in SYSTEMIC_ROUTES


class DoseSegment(NamedTuple):
    """Days `start`..`stop` (inclusive) on which the total prednisone-equivalent dose is `mg_per_day`."""

    start: date
    stop: date
    mg_per_day: Decimal

    @property
    def days(self) -> int:
        return (self.stop - self.start).days + 1


def prednisone_equivalent_daily(medication: Medication, table: Literal["BNF", "US"]) -> Decimal:
    """Mean daily prednisone-equivalent mg of one glucocorticoid period (its dose must be known)."""
    m = medication
    assert m.dose is not None and m.dose_unit is not None
    return _prednisone_equivalent_daily(m.drug, m.dose, m.dose_unit, m.times_per_day, m.every_n_days, table)


# Memoised: doses and regimens repeat across records. Equal decimals with different exponents (10, 10.0)
# share an entry; the results are then equal in value, which is all that is compared, and written out
# only through `format_decimal`, which writes equal values alike.
@lru_cache(maxsize=4096)
def _prednisone_equivalent_daily(
    drug: str,
    dose: Decimal,
    dose_unit: str,
    times_per_day: Decimal,
    every_n_days: int,
    table: Literal["BNF", "US"],
) -> Decimal:
    dose_mg = convert(dose, dose_unit, "mg", "dose_unit")
    daily = mean_daily_dose_mg(dose_mg, times_per_day, every_n_days)
    return prednisone_equivalent_mg(generic_name(drug), daily, table)


def glucocorticoid_segments(
    glucocorticoids: Iterable[Medication], until: date, table: Literal["BNF", "US"]
) -> tuple[DoseSegment, ...]:
    """The daily prednisone-equivalent dose as a step function, from the first dose up to `until`.

    `glucocorticoids` are systemic glucocorticoid periods started by `until`; those with a known dose
    count. Days with no glucocorticoid have 0.
    """
    # Written as plain loops: it runs for every record screened, and comprehensions and generators
    # cost more than the arithmetic.
    periods: list[tuple[date, date | None, Decimal]] = []
    edges = {until + ONE_DAY}
    for m in glucocorticoids:
        if m.dose is not None:
            start, stop = m.start_date, m.stop_date
            periods.append((start, stop, prednisone_equivalent_daily(m, table)))
            edges.add(start)
            if stop is not None and stop < until:
                edges.add(stop + ONE_DAY)
    if not periods:
        return ()
    # Each run of days between two edges has one total; consecutive runs with equal totals are merged.
    runs: list[list[Any]] = []
    for begin, end in itertools.pairwise(sorted(edges)):
        total = _ZERO
        for start, stop, mg in periods:
            if start <= begin and (stop is None or stop >= begin):
                total += mg
        if runs and runs[-1][2] == total:
            runs[-1][1] = end - ONE_DAY
        else:
            runs.append([begin, end - ONE_DAY, total])
    return tuple([_new(DoseSegment, run) for run in runs])


_ZERO = Decimal(0)


def dose_on(segments: tuple[DoseSegment, ...], day: date) -> Decimal:
    for segment in segments:
        if segment.start <= day <= segment.stop:
            return segment.mg_per_day
    return Decimal(0)


def run_start(segments: tuple[DoseSegment, ...], day: date, current: Decimal, same: bool) -> date | None:
    """First day of the run ending on `day` during which the dose is unchanged (`same`) or non-zero.

    `current` is the dose on `day` (`dose_on(segments, day)`). None when no glucocorticoid is taken on
    `day`.
    """
    if current == 0:
        return None
    start = day
    for segment in reversed(segments):
        if segment.start > day:
            continue
        keeps = segment.mg_per_day == current if same else segment.mg_per_day > 0
        if not keeps:
            break
        start = segment.start
    return start


def days_at_or_above(segments: tuple[DoseSegment, ...], threshold: Decimal, first: date, last: date) -> int:
    """How many days in `first`..`last` (inclusive) had a dose >= `threshold` mg/day."""
    total = 0
    for segment in segments:
        if segment.mg_per_day >= threshold:
            overlap_start, overlap_stop = max(segment.start, first), min(segment.stop, last)
            if overlap_start <= overlap_stop:
                total += (overlap_stop - overlap_start).days + 1
    return total


def is_standard_regimen_drug(
    generic: str, cls: DrugClass, standard: Collection[str], biologics_count: bool
) -> bool:
    """Whether a drug (generic name, class) belongs to the protocol's standard SLE regimen (named, or by
    its class)."""
    if cls is DrugClass.BIOLOGIC:
        return biologics_count or generic in standard
    return generic in standard or cls in standard  # a StrEnum member equals its value
