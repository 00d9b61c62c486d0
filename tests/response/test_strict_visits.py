"""The response input (a subject's visits) is read strictly: a value in the wrong JSON type is refused,
naming its field, never coerced (a number read as a date, 0 as false, "28" or 1.5 as a day, "2.5" as a
PGA)."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cartrial.errors import InputError
from cartrial.response import Visit, parse_response_visits
from tests.eligibility.test_strict_parsing import put

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "response" / "subject-visits.json"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # A date only as "YYYY-MM-DD" text: not a Unix time.
        ("visits.0.visit_date", 0),
        ("visits.1.visit_date", 1741046400),
        ("visits.0.sledai.0.assessment_date", 0),
        # A boolean only as true/false.
        ("visits.0.activity.renal", 1),
        ("visits.0.sledai.1.descriptors.rash", 1),
        ("visits.0.activity.new_activity_since_previous", 0),
        ("visits.0.lupus_drugs.0.stable_dose", "true"),
        ("visits.0.lupus_drugs.1.stable_dose", 1),
        # An integer only as a JSON integer: not its text, not a float (even a whole one), not a boolean.
        ("visits.0.day", "-6"),
        ("visits.0.day", 1.5),
        ("visits.1.day", 28.0),
        ("car_t_infusion_day", "0"),
        ("car_t_infusion_day", False),
        ("visits.0.glucocorticoids.0.every_n_days", "2"),
        # A quantity only as a JSON number: not its text, not a boolean.
        ("visits.0.pga", True),
        ("visits.0.pga", "2.5"),
        ("visits.0.glucocorticoids.0.dose_mg", False),
        ("visits.0.glucocorticoids.0.dose_mg", "10"),
        ("visits.0.glucocorticoids.0.times_per_day", "1"),
        # A code only as its text.
        ("visits.0.bilag.renal", 1),
        ("subject_id", 103),
    ],
)
def test_a_wrong_json_type_is_refused_naming_the_field(path: str, value: Any) -> None:
    text = json.dumps(put(json.loads(EXAMPLE.read_text()), path, value))
    with pytest.raises(InputError) as exc:
        parse_response_visits(json.loads(text, parse_float=Decimal), "visits.json")
    assert [error.field for error in exc.value.errors] == [path]


def test_a_stored_visit_is_read_strictly_too() -> None:
    # The services store and read a visit as JSON text (`Visit.model_validate_json`).
    visit = json.loads(EXAMPLE.read_text())["visits"][0]
    assert Visit.model_validate_json(json.dumps(visit)).pga == Decimal("2.1")
    with pytest.raises(ValueError, match=r"activity\.renal"):
        Visit.model_validate_json(json.dumps({**visit, "activity": {"renal": 1}}))
