"""Read a screening record from JSON: shape and units by the model, then the date rules, all named."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from cartrial.eligibility.record import ScreeningRecord, date_errors
from cartrial.errors import InputError
from cartrial.protocol import field_errors_from_validation


def parse_screening_record(text: str | bytes, source: str, today: date) -> ScreeningRecord:
    """Validate one record (JSON text); raise `InputError` naming every bad field.

    `today` is passed in (the core reads no clock) to reject dates in the future. Strictly, throughout:
    the record's own models are strict, and `strict=True` extends that to the SLEDAI assessment, whose
    model the response core shares and validates from parsed JSON (where a date is still text).
    """
    try:
        record = ScreeningRecord.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise InputError(source, field_errors_from_validation(exc)) from exc
    errors = date_errors(record, today)
    if errors:
        raise InputError(source, errors)
    return record
