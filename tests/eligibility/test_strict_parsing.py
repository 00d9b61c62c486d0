"""The screening record is read strictly: a value in the wrong JSON type is refused, naming its field,
never coerced (a number read as a Unix time, 0 as false, "1" as 1, text as a number)."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from cartrial.eligibility import parse_screening_record
from cartrial.eligibility.record import ScreeningRecord
from cartrial.errors import InputError
from tests.eligibility.conftest import TODAY, Record, parse


def put(record: Record, path: str, value: Any) -> Record:
    """`record` with the value at a dotted path (list indices as numbers) replaced."""
    *parents, last = path.split(".")
    node: Any = record
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return record


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # A date only as "YYYY-MM-DD" text: not a Unix time, not a number, not a date-time.
        ("serology.0.result_date", 0),
        ("serology.0.result_date", 1761004800),
        ("serology.0.result_date", 20261021),
        ("serology.0.result_date", 1.5),
        ("screening_date", 1762041600),
        ("birth_date", "1991-04-17T00:00:00"),
        ("medications.0.start_date", 0),
        ("sledai.assessment_date", 0),
        # A boolean only as true/false: not 0/1, not its text.
        ("serology.0.positive", 0),
        ("serology.0.positive", 1),
        ("serology.0.positive", "true"),
        ("serology.2.positive", "false"),
        ("lupus_nephritis_active", 0),
        ("lupus_nephritis_active", "yes"),
        ("sledai.descriptors.arthritis", 1),
        ("sledai.descriptors.fever", "false"),
        ("classification.acr1997.malar_rash", 1),
        # An integer only as a JSON integer: not its text, not a float (even a whole one), not a boolean.
        ("medications.0.every_n_days", "1"),
        ("medications.0.every_n_days", 1.0),
        ("medications.0.every_n_days", 1.5),
        ("medications.0.every_n_days", True),
        ("sledai.window_days", "28"),
        ("sledai.window_days", 28.0),
        # A number only as a JSON number: not its text, not a boolean.
        ("medications.2.times_per_day", "1"),
        ("medications.2.times_per_day", "2.5"),
        ("medications.2.times_per_day", True),
        ("medications.0.dose", "20"),
        ("labs.0.value", "78"),
        ("labs.1.value", "2.5"),
        ("labs.1.value", False),
        ("labs.3.lower_limit", "0.9"),
        # A code only as its documented text.
        ("serology.0.test", "ANA"),
        ("sledai.version", "selena-sledai"),
        ("medications.0.route", 1),
        ("labs.0.test", "Creatinine"),
        # Text only as text.
        ("medications.0.drug", 7),
        ("serology.0.titre", 640),
    ],
)
def test_a_wrong_json_type_is_refused_naming_the_field(base: Record, path: str, value: Any) -> None:
    with pytest.raises(InputError) as exc:
        parse_screening_record(json.dumps(put(base, path, value)), "rec.json", TODAY)
    assert [error.field for error in exc.value.errors] == [path]


def test_the_documented_forms_are_read(base: Record) -> None:
    """Integers and floats are both JSON numbers; a null fact stays unknown; the defaults hold."""
    base["labs"][0]["value"] = 78.0
    base["labs"][1]["value"] = 2
    base["medications"][1] |= {"dose": 7.5, "every_n_days": 2}
    del base["medications"][2]["times_per_day"]
    base["lupus_nephritis_active"] = None
    record = parse(base)
    assert (record.labs or ())[0].value == Decimal(78)
    assert (record.labs or ())[1].value == Decimal(2)
    medications = record.medications or ()
    assert (medications[1].dose, medications[1].every_n_days) == (Decimal("7.5"), 2)
    assert medications[2].times_per_day == Decimal(1)
    assert record.lupus_nephritis_active is None
    assert record.serology is not None and record.serology[0].result_date == date(2026, 10, 21)


ONE_LAB = (
    '{"screening_id": "A", "screening_date": "2026-11-02", "consent_date": null, "birth_date": null, '
    '"sle_diagnosis_date": null, "labs": [{"test": "creatinine", "value": VALUE, "unit": "mg/dL", '
    '"result_date": "2026-10-21"}]}'
)


@pytest.mark.parametrize(
    ("written", "read"),
    [("2.51", "2.51"), ("221", "221"), ("0.099", "0.099"), ("6.0", "6"), ("1e-7", "1E-7")],
)
def test_a_json_number_reads_as_pydantic_reads_it(written: str, read: str) -> None:
    """The decimal is pydantic's own reading of the JSON number, as before strict parsing (exact for the
    digits of a lab report)."""
    record = parse_screening_record(ONE_LAB.replace("VALUE", written), "rec.json", TODAY)
    assert record.labs is not None and str(record.labs[0].value) == read


def test_the_schema_says_what_is_read() -> None:
    """`cartrial schema screening-record`: a quantity is a number only (no numeric text), with its bound."""
    defs = ScreeningRecord.model_json_schema()["$defs"]
    assert defs["LabResult"]["properties"]["value"] == {"minimum": 0.0, "title": "Value", "type": "number"}
    times = defs["Medication"]["properties"]["times_per_day"]
    assert times == {"default": 1, "exclusiveMinimum": 0.0, "title": "Times Per Day", "type": "number"}
    assert defs["Medication"]["properties"]["dose"]["anyOf"] == [
        {"exclusiveMinimum": 0.0, "type": "number"},
        {"type": "null"},
    ]
    assert defs["SerologyResult"]["properties"]["result_date"] == {
        "format": "date",
        "title": "Result Date",
        "type": "string",
    }


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("labs.0.value", -1, "Input should be a number greater than or equal to 0"),
        ("labs.0.value", "78", "Input should be a number greater than or equal to 0"),
        ("medications.0.dose", 0, "Input should be a number greater than 0"),
        ("medications.2.times_per_day", "2", "Input should be a number greater than 0"),
    ],
)
def test_a_quantity_is_one_error_at_its_field_saying_type_and_bound(
    base: Record, path: str, value: Any, reason: str
) -> None:
    with pytest.raises(InputError) as exc:
        parse_screening_record(json.dumps(put(base, path, value)), "rec.json", TODAY)
    assert [(error.field, error.reason) for error in exc.value.errors] == [(path, reason)]
