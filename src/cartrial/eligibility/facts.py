"""The facts several criteria read, derived once per record: the latest lab of each test in the screening
window, the medications' generic names, and the glucocorticoid dose over time; and phrasing them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from cartrial.clinical.formulary import generic_name
from cartrial.clinical.units import Analyte, display_unit, format_decimal, to_canonical
from cartrial.eligibility.record import LabResult, Medication, ScreeningRecord
from cartrial.eligibility.regimen import DoseSegment, glucocorticoid_segments, is_systemic_glucocorticoid
from cartrial.protocol import EligibilityParameters


class RecordFacts(NamedTuple):
    """A record with what the criteria derive from it, each derived once.

    `latest_labs` holds, per test, the most recent result dated within the protocol's lab window
    (`lab_max_age_days` before screening, inclusive; the first listed on a tie). `generic_names` and
    `systemic_glucocorticoid` follow `record.medications` (empty when it is not given). `steroid_segments`
    is the prednisone-equivalent dose from the first systemic glucocorticoid dose up to the screening
    date, over every such period with a known dose started by then.
    """

    record: ScreeningRecord
    params: EligibilityParameters
    latest_labs: Mapping[Analyte, LabResult]
    generic_names: tuple[str, ...]
    systemic_glucocorticoid: tuple[bool, ...]
    steroid_segments: tuple[DoseSegment, ...]


def derive_facts(record: ScreeningRecord, params: EligibilityParameters) -> RecordFacts:
    medications = record.medications or ()
    systemic = tuple([is_systemic_glucocorticoid(m) for m in medications])
    screening = record.screening_date
    glucocorticoids = [
        m for m, s in zip(medications, systemic, strict=True) if s and m.start_date <= screening
    ]
    return RecordFacts(
        record=record,
        params=params,
        latest_labs=_latest_labs(record, window_start(record, params.lab_max_age_days)),
        generic_names=tuple([generic_name(m.drug) for m in medications]),
        systemic_glucocorticoid=systemic,
        steroid_segments=glucocorticoid_segments(glucocorticoids, screening, params.glucocorticoid_table)
        if glucocorticoids
        else (),
    )


def _latest_labs(record: ScreeningRecord, first: date) -> dict[Analyte, LabResult]:
    latest: dict[Analyte, LabResult] = {}
    for lab in record.labs or ():
        if lab.result_date >= first:
            current = latest.get(lab.test)
            if current is None or lab.result_date > current.result_date:
                latest[lab.test] = lab
    return latest


def window_start(record: ScreeningRecord, days: int) -> date:
    """The first day of the `days` days before screening (inclusive)."""
    return record.screening_date - days_span(days)


# Memoised: the same few look-back lengths are subtracted for every record screened.
@lru_cache(maxsize=64)
def days_span(days: int) -> timedelta:
    return timedelta(days=days)


def medications_with_names(facts: RecordFacts) -> zip[tuple[Medication, str]]:
    """Each medication of the record with its generic name."""
    return zip(facts.record.medications or (), facts.generic_names, strict=True)


def canonical_value(lab: LabResult) -> Decimal:
    return to_canonical(lab.test, lab.value, lab.unit)


def describe_lab(lab: LabResult, canonical: Decimal) -> str:
    """'230 µmol/L on 2026-11-01' — as reported, then converted where the unit differs.

    `canonical` is the lab's value in its canonical unit (`canonical_value(lab)`)."""
    reported = f"{format_decimal(lab.value)} {lab.unit}"
    shown_unit = display_unit(lab.test)
    same = lab.unit.replace("u", "µ") == shown_unit or lab.unit == shown_unit
    if same:
        return f"{reported} on {lab.result_date.isoformat()}"
    return f"{reported} (= {format_decimal(canonical)} {shown_unit}) on {lab.result_date.isoformat()}"


@lru_cache(maxsize=256)
def format_limit(limit: Decimal) -> str:
    """`format_decimal` of a protocol limit, memoised: the same few limits are phrased for every record.

    Only for positive limits: equal positive decimals (30, 30.0, 3E+1) are written alike, so sharing
    one cache entry between them is exact (zero and minus zero would not be).
    """
    return format_decimal(limit)


def missing_lab(analyte: Analyte, max_age_days: int) -> str:
    return f"labs: {analyte.value} dated within {max_age_days} days before screening"
