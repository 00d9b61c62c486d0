"""What every grading function returns: the grade, the findings that set it, and the scale's citation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from cartrial.errors import InputError
from cartrial.protocol import field_errors_from_validation

M = TypeVar("M", bound="StrictInput")


class StrictInput(BaseModel):
    """Base of every safety input format (docs/protocol-readings.md, "Record format: read strictly"):
    immutable, an unknown key is an error, not ignored, and each value is read only in its schema's JSON
    type — a date-time only as ISO text, a boolean only as true/false, an integer only as a JSON
    integer, a quantity only as a JSON number (`JsonNumber`), a code only as its text. Python callers
    pass datetimes, tuples, ints, bools and Decimals."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


@dataclass(frozen=True, slots=True)
class Driver:
    """One finding: its domain (e.g. 'hypoxia'), the grade it alone gives, and what was seen."""

    domain: str
    grade: int
    finding: str

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "grade": self.grade, "finding": self.finding}


@dataclass(frozen=True, slots=True)
class GradeResult:
    """A graded assessment. `drivers` are the findings whose own grade equals `grade` (all of them on a tie);
    for grade 0 they say why nothing was graded."""

    scale: str
    grade: int
    drivers: tuple[Driver, ...]
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "grade": self.grade,
            "drivers": [driver.to_json() for driver in self.drivers],
            "source": self.source,
        }


def select_drivers(findings: tuple[Driver, ...], fallback: Driver) -> tuple[int, tuple[Driver, ...]]:
    """The worst grade among `findings` and the findings that reach it; `fallback` explains a grade of 0."""
    grade = max((finding.grade for finding in findings), default=0)
    if grade == 0:
        return 0, (fallback,)
    return grade, tuple(finding for finding in findings if finding.grade == grade)


def parse_input(model: type[M], data: Any, source: str) -> M:
    """Validate `data` (parsed JSON, numbers as Decimal) as `model`; InputError names each bad field.

    The model (a `StrictInput`) is validated as the JSON it was read from: in strict mode only JSON text
    is read as a date-time, and a JSON array as a tuple. The data is written back as JSON, each Decimal
    as the JSON number it was read from (through a float, as pydantic reads a JSON number)."""
    try:
        return model.model_validate_json(json.dumps(data, default=float))
    except ValidationError as exc:
        raise InputError(source, field_errors_from_validation(exc)) from exc
