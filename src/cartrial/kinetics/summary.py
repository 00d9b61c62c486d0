"""Descriptive statistics of NCA parameters by dose level, and the geometric-mean curve per dose.

For each dose × interval × parameter: n (computed values), n_missing (not computed), arithmetic
mean and SD, geometric mean and geometric CV% (over values > 0, as PKNCA's `business.geomean` /
`business.geocv` treat 0 as missing), median, min and max. Times (TMAX, TLST, LAMZLL, LAMZUL) and
counts (LAMZNPT) get median and range only, as PKNCA summarises them. Dose-normalised Cmax and AUCs
(value / dose, in the input's units) are summarised as CMAXD, AUCLSTD, AUCIFOD, AUCIFPD, AUCINTD.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cartrial.kinetics.model import ConcentrationProfile, Interval, SubjectNca
from cartrial.kinetics.nca import NcaBatch

MEDIAN_RANGE_ONLY = frozenset({"TMAX", "TLST", "LAMZLL", "LAMZUL", "LAMZNPT"})
"""Summarised by median and range only (PKNCA's business.median / business.range)."""

DOSE_NORMALISED = {
    "CMAX": "CMAXD",
    "AUCLST": "AUCLSTD",
    "AUCIFO": "AUCIFOD",
    "AUCIFP": "AUCIFPD",
    "AUCINT": "AUCINTD",
}
"""Parameters also summarised divided by dose, with their CDISC dose-normalised test codes."""


@dataclass(frozen=True, slots=True)
class DoseSummary:
    """Statistics of one parameter over the subjects of one dose level and interval."""

    dose: float
    start: float
    end: float | None
    testcd: str
    n: int
    n_missing: int
    mean: float | None
    sd: float | None
    geometric_mean: float | None
    geometric_cv_percent: float | None
    median: float | None
    minimum: float | None
    maximum: float | None


def calculate_geometric_cv(values: Sequence[float]) -> float | None:
    """Geometric CV% = 100·sqrt(exp(sd(log x)²) − 1) over x > 0 (PKNCA `geocv`); None below 2 values.

    >>> round(calculate_geometric_cv([1.0, 2.0, 3.0]) or 0.0, 4)
    60.1302
    """
    logs = [math.log(v) for v in values if v > 0]
    if len(logs) < 2:
        return None
    return 100.0 * math.sqrt(math.expm1(statistics.stdev(logs) ** 2))


def calculate_geometric_mean(values: Sequence[float]) -> float | None:
    """exp(mean(log x)) over x > 0 (PKNCA's `business.geomean` treats 0 as missing); None if none."""
    logs = [math.log(v) for v in values if v > 0]
    return math.exp(statistics.fmean(logs)) if logs else None


def _summarise(dose: float, interval: Interval, testcd: str, values: Sequence[float | None]) -> DoseSummary:
    present = [v for v in values if v is not None]
    full = testcd not in MEDIAN_RANGE_ONLY
    return DoseSummary(
        dose=dose,
        start=interval.start,
        end=None if interval.is_infinite else interval.end,
        testcd=testcd,
        n=len(present),
        n_missing=len(values) - len(present),
        mean=statistics.fmean(present) if present and full else None,
        sd=statistics.stdev(present) if len(present) > 1 and full else None,
        geometric_mean=calculate_geometric_mean(present) if full else None,
        geometric_cv_percent=calculate_geometric_cv(present) if full else None,
        median=statistics.median(present) if present else None,
        minimum=min(present) if present else None,
        maximum=max(present) if present else None,
    )


def _summarise_columns(
    doses: Sequence[float],
    intervals: Sequence[Interval],
    testcds: Callable[[int, Interval], Sequence[str]],
    column: Callable[[Interval, str], Sequence[float | None]],
) -> tuple[DoseSummary, ...]:
    """Summaries by dose × interval × parameter from each parameter's column over all subjects.

    `testcds(i, interval)` lists the codes the i-th subject reports for an interval (the first
    subject of each dose names them); `column(interval, testcd)` gives one value (None: not computed)
    per subject in input order.
    """
    summaries: list[DoseSummary] = []
    columns: dict[tuple[Interval, str], Sequence[float | None]] = {}
    for dose in sorted(set(doses)):
        members = [i for i, d in enumerate(doses) if d == dose]
        for interval in intervals:
            for testcd in testcds(members[0], interval):
                everyone = columns.setdefault((interval, testcd), column(interval, testcd))
                values = [everyone[i] for i in members]
                summaries.append(_summarise(dose, interval, testcd, values))
                if testcd in DOSE_NORMALISED:
                    normalised = [None if v is None else v / dose for v in values]
                    summaries.append(_summarise(dose, interval, DOSE_NORMALISED[testcd], normalised))
    return tuple(summaries)


def summarise_by_dose(
    results: Sequence[SubjectNca], intervals: Sequence[Interval]
) -> tuple[DoseSummary, ...]:
    """Summaries by dose (ascending) × interval × parameter, parameters in the order NCA reports them."""
    subjects = [{(row.start, row.end, row.testcd): row.value for row in r.parameters} for r in results]

    def testcds(index: int, interval: Interval) -> list[str]:
        end = None if interval.is_infinite else interval.end
        return [code for start, stop, code in subjects[index] if start == interval.start and stop == end]

    def column(interval: Interval, testcd: str) -> list[float | None]:
        key = (interval.start, None if interval.is_infinite else interval.end, testcd)
        return [s.get(key) for s in subjects]

    return _summarise_columns([r.dose for r in results], intervals, testcds, column)


def summarise_batch_by_dose(batch: NcaBatch) -> tuple[DoseSummary, ...]:
    """`summarise_by_dose` of a batch over its intervals, read from its columns (the same summaries)."""

    def column(interval: Interval, testcd: str) -> list[float | None]:
        return [None if math.isnan(v) else v for v in batch.column(testcd, interval).tolist()]

    return _summarise_columns(
        [p.dose for p in batch.profiles],
        batch.intervals,
        lambda _, interval: batch.testcds(interval),
        column,
    )


@dataclass(frozen=True, slots=True)
class MeanCurve:
    """Geometric mean of the measurable values at each sample time of one dose level (for plots)."""

    dose: float
    times: tuple[float, ...]
    geometric_means: tuple[float, ...]


def calculate_geometric_mean_curves(profiles: Sequence[ConcentrationProfile]) -> tuple[MeanCurve, ...]:
    """Per dose, the geometric mean at each time where some subject has a measurable (> 0) value.

    BLQ values are left out (their log is undefined), so the curve describes measurable levels.
    """
    curves = []
    for dose in sorted({p.dose for p in profiles}):
        by_time: dict[float, list[float]] = {}
        for profile in (p for p in profiles if p.dose == dose):
            for t, v in zip(profile.times, profile.nca_values, strict=True):
                if v > 0:
                    by_time.setdefault(t, []).append(v)
        times = tuple(sorted(by_time))
        curves.append(
            MeanCurve(
                dose=dose,
                times=times,
                geometric_means=tuple(calculate_geometric_mean(by_time[t]) or 0.0 for t in times),
            )
        )
    return tuple(curves)
