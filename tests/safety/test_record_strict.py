"""The safety record (DLT adjudication's input) is read strictly: a value in the wrong JSON type is
refused, naming its field, never coerced (0 read as false, "3" as 3, a number as a Unix time)."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cartrial.errors import InputError
from cartrial.safety import SubjectSafety
from cartrial.safety.result import parse_input
from tests.eligibility.test_strict_parsing import put

EXAMPLE = Path(__file__).parents[2] / "examples" / "safety" / "subject-dlt.json"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # A boolean only as true/false.
        ("infused_at_assigned_dose", 0),
        ("infused_at_assigned_dose", 1),
        ("infused_at_assigned_dose", "true"),
        ("adverse_events.0.serious", 1),
        ("adverse_events.1.serious", "no"),
        ("adverse_events.0.present_at_baseline", 0),
        # An integer only as a JSON integer: not its text, not a float (even a whole one), not a boolean.
        ("dose_level", "3"),
        ("dose_level", 3.0),
        ("dose_level", 2.5),
        ("dose_level", True),
        ("adverse_events.0.grades.1.grade", "3"),
        ("adverse_events.0.grades.1.grade", 3.0),
        # A date-time only as ISO text: not a Unix time, not a date alone.
        ("infusion_at", 0),
        ("infusion_at", 1740794400),
        ("evaluation_at", 1743814800.5),
        ("off_study_at", 0),
        ("adverse_events.0.resolution", "2025-03-08"),
        ("adverse_events.0.grades.2.at", 1741244400),
        # A code only as its documented text; text only as text.
        ("adverse_events.0.category", "CRS"),
        ("adverse_events.0.related_to_product", "Definite"),
        ("adverse_events.0.actions.0", "Tocilizumab"),
        ("subject_id", 3),
    ],
)
def test_a_wrong_json_type_is_refused_naming_the_field(path: str, value: Any) -> None:
    text = json.dumps(put(json.loads(EXAMPLE.read_text()), path, value))
    # As the CLI reads it: parsed JSON, numbers as Decimal.
    with pytest.raises(InputError) as exc:
        parse_input(SubjectSafety, json.loads(text, parse_float=Decimal), "s.json")
    assert [error.field for error in exc.value.errors] == [path]
    # As the API and the services read it: the JSON text.
    with pytest.raises(ValidationError) as invalid:
        SubjectSafety.model_validate_json(text)
    assert [".".join(str(part) for part in error["loc"]) for error in invalid.value.errors()] == [path]


def test_the_example_reads_the_same_both_ways() -> None:
    text = EXAMPLE.read_text()
    from_data = parse_input(SubjectSafety, json.loads(text, parse_float=Decimal), "s.json")
    assert from_data == SubjectSafety.model_validate_json(text)
    assert (from_data.dose_level, from_data.infused_at_assigned_dose) == (3, True)
