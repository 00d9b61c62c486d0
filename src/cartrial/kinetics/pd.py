"""Pharmacodynamics: B-cell depletion and reconstitution, and change from baseline of lab markers.

All times are days from infusion (day 0). Depletion is judged on the samples as measured (no
interpolation between them): a subject is depleted at the first post-infusion sample below the
threshold, and reconstituted at the first later sample at or above it that starts a run of
`confirmations` such samples. Until reconstitution is seen, the aplasia is ongoing and its duration is
censored at the last sample.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from cartrial.errors import InputError

DEFAULT_B_CELL_THRESHOLD_PER_UL = 5.0
"""CD19+ B cells/µL below which B cells count as depleted. cartrial's default, taken from issue 5's
example (CD19+ < 5 /µL); published CAR-T SLE reports differ, so it is a setting, not a guideline value."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One measurement of a subject: day from infusion, value, and the visit it belongs to (if named)."""

    day: float
    value: float
    visit: str | None = None


@dataclass(frozen=True, slots=True)
class MarkerSeries:
    """A subject's measurements of one marker (e.g. CD19+ cells/µL, C3 g/L), in the marker's unit."""

    subject: str
    marker: str
    unit: str
    observations: tuple[Observation, ...]

    def __post_init__(self) -> None:
        days = [o.day for o in self.observations]
        if any(b <= a for a, b in itertools.pairwise(days)):
            raise InputError.single(
                f"{self.subject} {self.marker}", "day", "observation days must be strictly increasing"
            )
        for o in self.observations:
            if not (math.isfinite(o.value) and math.isfinite(o.day)):
                raise InputError.single(
                    f"{self.subject} {self.marker}", "value", "days and values must be finite"
                )


@dataclass(frozen=True, slots=True)
class BCellDepletion:
    """Days to depletion and to reconstitution, and aplasia duration, with the reason for a None."""

    subject: str
    threshold: float
    baseline: float | None
    depletion_day: float | None
    reconstitution_day: float | None
    aplasia_days: float | None
    aplasia_ongoing: bool
    note: str | None


def assess_b_cell_depletion(
    series: MarkerSeries,
    threshold: float = DEFAULT_B_CELL_THRESHOLD_PER_UL,
    confirmations: int = 1,
) -> BCellDepletion:
    """B-cell aplasia from a CD19+ count series.

    >>> s = MarkerSeries("S1", "CD19", "cells/uL", (Observation(-5, 120), Observation(7, 2),
    ...     Observation(28, 0.5), Observation(90, 3), Observation(180, 40)))
    >>> r = assess_b_cell_depletion(s)
    >>> (r.depletion_day, r.reconstitution_day, r.aplasia_days, r.aplasia_ongoing)
    (7, 180, 173, False)
    """
    if not (math.isfinite(threshold) and threshold > 0):
        raise InputError.single("settings", "threshold", "must be a positive number")
    if confirmations < 1:
        raise InputError.single("settings", "confirmations", "must be at least 1")
    pre = [o for o in series.observations if o.day <= 0]
    post = [o for o in series.observations if o.day > 0]
    baseline = pre[-1].value if pre else None

    def result(
        depletion: float | None,
        reconstitution: float | None,
        days: float | None,
        ongoing: bool,
        note: str | None,
    ) -> BCellDepletion:
        return BCellDepletion(
            series.subject, threshold, baseline, depletion, reconstitution, days, ongoing, note
        )

    if not post:
        return result(None, None, None, False, "no sample after infusion")
    first_low = next((i for i, o in enumerate(post) if o.value < threshold), None)
    if first_low is None:
        return result(None, None, None, False, f"never below {threshold:g} {series.unit} after infusion")
    depletion_day = post[first_low].day
    later = post[first_low + 1 :]
    for i in range(len(later) - confirmations + 1):
        if all(o.value >= threshold for o in later[i : i + confirmations]):
            day = later[i].day
            return result(depletion_day, day, day - depletion_day, False, None)
    last_day = post[-1].day
    return result(
        depletion_day,
        None,
        last_day - depletion_day,
        True,
        f"not reconstituted by the last sample (day {last_day:g}): duration censored there",
    )


@dataclass(frozen=True, slots=True)
class ChangeFromBaseline:
    """One post-baseline value with its change and percent change from baseline (None with a reason)."""

    subject: str
    marker: str
    unit: str
    day: float
    visit: str | None
    value: float
    baseline: float | None
    change: float | None
    percent_change: float | None
    note: str | None


def calculate_change_from_baseline(series: MarkerSeries) -> tuple[ChangeFromBaseline, ...]:
    """Change from baseline at each visit after infusion.

    Baseline is the last value on or before day 0 (the infusion day), the usual ADaM reading of
    "last non-missing value before treatment". Percent change is undefined for a baseline of 0.

    >>> s = MarkerSeries("S1", "C3", "g/L", (Observation(-3, 0.5), Observation(28, 0.8, "D28")))
    >>> c = calculate_change_from_baseline(s)[0]
    >>> (c.visit, c.baseline, round(c.change or 0, 9), round(c.percent_change or 0, 9))
    ('D28', 0.5, 0.3, 60.0)
    """
    pre = [o for o in series.observations if o.day <= 0]
    baseline = pre[-1].value if pre else None
    rows = []
    for o in series.observations:
        if o.day <= 0:
            continue
        if baseline is None:
            change, percent, note = None, None, "no baseline value on or before day 0"
        elif baseline == 0:
            change, percent, note = o.value, None, "baseline is 0: percent change undefined"
        else:
            change = o.value - baseline
            percent, note = 100.0 * change / baseline, None
        rows.append(
            ChangeFromBaseline(
                subject=series.subject,
                marker=series.marker,
                unit=series.unit,
                day=o.day,
                visit=o.visit,
                value=o.value,
                baseline=baseline,
                change=change,
                percent_change=percent,
                note=note,
            )
        )
    return tuple(rows)
