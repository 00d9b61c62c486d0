"""Read concentration–time profiles from long-format CSV text, rejecting what NCA cannot use.

Header: `subject,dose,time,value,blq` in any order, plus optional `lloq` and any other columns, which
are ignored (an `analyte` column must hold one analyte throughout). `time` is days from infusion,
`blq` is 0 or 1, a BLQ row may leave `value` empty; with an `lloq`, a BLQ flag on a value above it is
an error. Each bad datum is reported as `row N.field` (N counts data rows from 1).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass

from cartrial.errors import FieldError, InputError
from cartrial.kinetics.model import ConcentrationProfile, LambdaZOverride
from cartrial.kinetics.pd import MarkerSeries, Observation

REQUIRED_COLUMNS = ("subject", "dose", "time", "value", "blq")


@dataclass(frozen=True, slots=True)
class _Sample:
    row: int
    time: float
    value: float
    blq: bool
    lloq: float | None


def _number(text: str, row: int, field: str, errors: list[FieldError]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        errors.append(FieldError(f"row {row}.{field}", f"not a number: {text!r}"))
        return None
    if not math.isfinite(value):
        errors.append(FieldError(f"row {row}.{field}", f"must be finite, not {text!r}"))
        return None
    return value


def _parse_row(
    record: dict[str, str], row: int, errors: list[FieldError]
) -> tuple[str, float, _Sample] | None:
    before = len(errors)
    subject = record["subject"].strip()
    if not subject:
        errors.append(FieldError(f"row {row}.subject", "empty"))
    dose = _number(record["dose"].strip(), row, "dose", errors)
    if dose is not None and dose <= 0:
        errors.append(FieldError(f"row {row}.dose", f"must be > 0, not {dose:g}"))
    time = _number(record["time"].strip(), row, "time", errors)
    blq_text = record["blq"].strip()
    if blq_text not in ("0", "1"):
        errors.append(FieldError(f"row {row}.blq", f"must be 0 or 1, not {blq_text!r}"))
    blq = blq_text == "1"
    value_text = record["value"].strip()
    value: float | None = 0.0
    if value_text or not blq:
        value = _number(value_text, row, "value", errors) if value_text else None
        if not value_text:
            errors.append(FieldError(f"row {row}.value", "empty, and the row is not flagged BLQ"))
        elif value is not None and value < 0:
            errors.append(FieldError(f"row {row}.value", f"negative concentration {value:g}"))
    lloq_text = (record.get("lloq") or "").strip()
    lloq = _number(lloq_text, row, "lloq", errors) if lloq_text else None
    if lloq is not None and lloq <= 0:
        errors.append(FieldError(f"row {row}.lloq", f"must be > 0, not {lloq:g}"))
    if blq and value is not None and lloq is not None and value > lloq:
        errors.append(FieldError(f"row {row}.value", f"flagged BLQ but {value:g} is above the LLOQ {lloq:g}"))
    if len(errors) > before or dose is None or time is None or value is None:
        return None
    return subject, dose, _Sample(row=row, time=time, value=value, blq=blq, lloq=lloq)


def _csv_records(
    text: str, source: str, required: tuple[str, ...], errors: list[FieldError]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Data rows (numbered from 1) of CSV text with the `required` columns; short rows go to `errors`."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError.single(
            source, "(header)", f"missing column(s) {', '.join(missing)}; need {','.join(required)}"
        )
    reader.fieldnames = header
    for row, record in enumerate(reader, start=1):
        if None in record or any(record.get(name) is None for name in header):
            errors.append(
                FieldError(f"row {row}", f"has {len(header)} columns in the header but not in this row")
            )
            continue
        yield row, record


def parse_profiles_csv(text: str, source: str = "profiles") -> tuple[ConcentrationProfile, ...]:
    """Profiles in order of each subject's first row; raise `InputError` naming every bad row and field."""
    errors: list[FieldError] = []
    samples: dict[str, list[_Sample]] = {}
    doses: dict[str, tuple[float, int]] = {}
    analytes: dict[str, int] = {}
    for row, record in _csv_records(text, source, REQUIRED_COLUMNS, errors):
        analyte = (record.get("analyte") or "").strip()
        first_analyte = analytes.setdefault(analyte, row)
        if len(analytes) > 1 and first_analyte == row:
            others = ", ".join(repr(a) for a in analytes if a != analyte)
            errors.append(
                FieldError(f"row {row}.analyte", f"{analyte!r} differs from {others}: one analyte per file")
            )
        parsed = _parse_row(record, row, errors)
        if parsed is None:
            continue
        subject, dose, sample = parsed
        first_dose = doses.setdefault(subject, (dose, row))
        if first_dose[0] != dose:
            errors.append(
                FieldError(
                    f"row {row}.dose", f"{dose:g} differs from {first_dose[0]:g} in row {first_dose[1]}"
                )
            )
        earlier = samples.setdefault(subject, [])
        if earlier and sample.time == earlier[-1].time:
            errors.append(
                FieldError(
                    f"row {row}.time",
                    f"duplicate time {sample.time:g} for subject {subject} (row {earlier[-1].row})",
                )
            )
        elif earlier and sample.time < earlier[-1].time:
            errors.append(
                FieldError(
                    f"row {row}.time",
                    f"time {sample.time:g} comes after {earlier[-1].time:g} (row {earlier[-1].row}) "
                    f"for subject {subject}: times must be sorted",
                )
            )
        else:
            earlier.append(sample)
    if not errors and not samples:
        errors.append(FieldError("(file)", "no data rows"))
    if errors:
        raise InputError(source, tuple(errors))
    return tuple(
        ConcentrationProfile(
            subject=subject,
            dose=doses[subject][0],
            times=tuple(s.time for s in rows),
            values=tuple(s.value for s in rows),
            blq=tuple(s.blq for s in rows),
            lloq=tuple(s.lloq for s in rows),
        )
        for subject, rows in samples.items()
    )


def parse_lambda_z_overrides(text: str, source: str = "overrides") -> tuple[LambdaZOverride, ...]:
    """Analyst λz choices from JSON: `[{"subject", "include": [times] | "exclude": [times], "reason"}]`."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(source, "(file)", f"not valid JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise InputError.single(source, "(top level)", "must be a list of overrides")
    errors: list[FieldError] = []
    overrides: list[LambdaZOverride] = []
    for index, item in enumerate(raw):
        where = f"[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError(where, "must be an object"))
            continue
        unknown = set(item) - {"subject", "include", "exclude", "reason"}
        if unknown:
            errors.append(FieldError(where, f"unknown key(s) {', '.join(sorted(unknown))}"))
        subject, reason = item.get("subject"), item.get("reason")
        if not isinstance(subject, str) or not subject:
            errors.append(FieldError(f"{where}.subject", "must be a non-empty string"))
            continue
        if not isinstance(reason, str):
            errors.append(FieldError(f"{where}.reason", "must be a string: every override keeps its reason"))
            continue
        times: dict[str, tuple[float, ...]] = {}
        for key in ("include", "exclude"):
            if key in item:
                value = item[key]
                if not isinstance(value, list) or not all(
                    isinstance(t, int | float) and not isinstance(t, bool) for t in value
                ):
                    errors.append(FieldError(f"{where}.{key}", "must be a list of sample times"))
                    continue
                times[key] = tuple(float(t) for t in value)
        try:
            overrides.append(
                LambdaZOverride(
                    subject=subject,
                    reason=reason,
                    include_times=times.get("include"),
                    exclude_times=times.get("exclude", ()),
                )
            )
        except InputError as exc:
            errors.extend(FieldError(f"{where}.{e.field}", e.reason) for e in exc.errors)
    if errors:
        raise InputError(source, tuple(errors))
    return tuple(overrides)


MARKER_COLUMNS = ("subject", "marker", "unit", "day", "value")


def parse_markers_csv(text: str, source: str = "markers") -> tuple[MarkerSeries, ...]:
    """Marker series from CSV `subject,marker,unit,day,value[,visit]`, days from infusion in order."""
    errors: list[FieldError] = []
    series: dict[tuple[str, str], tuple[str, list[Observation], list[int]]] = {}
    for row, record in _csv_records(text, source, MARKER_COLUMNS, errors):
        subject, marker, unit = (record[name].strip() for name in ("subject", "marker", "unit"))
        for name, text_value in (("subject", subject), ("marker", marker), ("unit", unit)):
            if not text_value:
                errors.append(FieldError(f"row {row}.{name}", "empty"))
        day = _number(record["day"].strip(), row, "day", errors)
        value = _number(record["value"].strip(), row, "value", errors)
        if value is not None and value < 0:
            errors.append(FieldError(f"row {row}.value", f"negative value {value:g}"))
        if not (subject and marker and unit) or day is None or value is None or value < 0:
            continue
        known_unit, observations, rows = series.setdefault((subject, marker), (unit, [], []))
        if unit != known_unit:
            errors.append(
                FieldError(f"row {row}.unit", f"{unit!r} differs from {known_unit!r} in row {rows[0]}")
            )
        elif observations and day <= observations[-1].day:
            errors.append(
                FieldError(
                    f"row {row}.day",
                    f"day {day:g} is not after day {observations[-1].day:g} (row {rows[-1]}) "
                    f"for {subject} {marker}: days must be sorted and distinct",
                )
            )
        else:
            visit = (record.get("visit") or "").strip() or None
            observations.append(Observation(day=day, value=value, visit=visit))
            rows.append(row)
    if not errors and not series:
        errors.append(FieldError("(file)", "no data rows"))
    if errors:
        raise InputError(source, tuple(errors))
    return tuple(
        MarkerSeries(subject=subject, marker=marker, unit=unit, observations=tuple(observations))
        for (subject, marker), (unit, observations, _) in series.items()
    )
