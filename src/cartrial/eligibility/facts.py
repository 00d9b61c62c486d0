"""Looking facts up in a screening record: the latest lab in the screening window, and phrasing them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from cartrial.clinical.units import Analyte, display_unit, format_decimal, to_canonical
from cartrial.eligibility.record import LabResult, ScreeningRecord


def window_start(record: ScreeningRecord, days: int) -> date:
    return record.screening_date - timedelta(days=days)


def latest_lab(record: ScreeningRecord, analyte: Analyte, max_age_days: int) -> LabResult | None:
    """The most recent result of a test dated within `max_age_days` before screening (inclusive)."""
    first = window_start(record, max_age_days)
    candidates = [lab for lab in record.labs or () if lab.test is analyte and lab.result_date >= first]
    return max(candidates, key=lambda lab: lab.result_date, default=None)


def canonical_value(lab: LabResult) -> Decimal:
    return to_canonical(lab.test, lab.value, lab.unit)


def describe_lab(lab: LabResult) -> str:
    """'230 µmol/L on 2026-11-01' — as reported, then converted where the unit differs."""
    reported = f"{format_decimal(lab.value)} {lab.unit}"
    canonical = f"{format_decimal(canonical_value(lab))} {display_unit(lab.test)}"
    same = lab.unit.replace("u", "µ") == display_unit(lab.test) or lab.unit == display_unit(lab.test)
    shown = reported if same else f"{reported} (= {canonical})"
    return f"{shown} on {lab.result_date.isoformat()}"


def missing_lab(analyte: Analyte, max_age_days: int) -> str:
    return f"labs: {analyte.value} dated within {max_age_days} days before screening"
