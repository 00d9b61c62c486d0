"""The other safety inputs (CRS, ICANS, IEC-HS, lab, ANC course, IgG; the protocol's DLT rule parameters)
are read strictly like the safety record: a value in the wrong JSON type is refused, naming its field,
never coerced (0 read as false, "2" as 2, 2.5 as 2, "39.2" as 39.2)."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cartrial.data import embedded_protocol
from cartrial.errors import InputError
from cartrial.protocol import DltRuleSpec
from cartrial.safety import (
    CrsAssessment,
    IcansAssessment,
    IecHsAssessment,
    IggResult,
    LabResult,
    NeutrophilCourse,
    compile_dlt_rules,
)
from cartrial.safety.result import StrictInput, parse_input
from tests.eligibility.test_strict_parsing import put

EXAMPLES = Path(__file__).parents[2] / "examples" / "safety"

_MODELS: dict[str, type[StrictInput]] = {
    "crs-grade3": CrsAssessment,
    "icans-grade2": IcansAssessment,
    "iec-hs": IecHsAssessment,
    "lab-bilirubin": LabResult,
    "anc-course": NeutrophilCourse,
    "igg": IggResult,
}


@pytest.mark.parametrize(
    ("example", "path", "value"),
    [
        # A boolean only as true/false: not 0/1, not its text.
        ("crs-grade3", "hypotension", 0),
        ("crs-grade3", "hypotension", 1),
        ("crs-grade3", "crs_already_present", "true"),
        ("crs-grade3", "death_from_crs", 0),
        ("icans-grade2", "ice.orientation_year", 1),
        ("icans-grade2", "consciousness_due_to_sedation", 0),
        ("iec-hs", "ferritin_rising", 1),
        ("iec-hs", "cytopenias", "yes"),
        ("iec-hs", "death", 0),
        # An integer only as a JSON integer: not its text, not a float (even a whole one), not a boolean.
        ("icans-grade2", "ice.objects_named", "2"),
        ("icans-grade2", "ice.objects_named", 1.5),
        ("icans-grade2", "ice.objects_named", 2.0),
        ("icans-grade2", "ice.objects_named", True),
        ("anc-course", "measurements.1.day", "0"),
        ("anc-course", "measurements.1.day", 0.5),
        ("anc-course", "measurements.2.day", 4.0),
        ("anc-course", "censored_after_day", "30"),
        # A quantity only as a JSON number: not its text, not a boolean.
        ("crs-grade3", "temperature_c", "39.2"),
        ("crs-grade3", "temperature_c", True),
        ("crs-grade3", "oxygen_flow_l_per_min", "4"),
        ("lab-bilirubin", "baseline", False),
        ("lab-bilirubin", "value", "1.8"),
        ("lab-bilirubin", "upper_limit", "1.2"),
        ("anc-course", "measurements.2.value", "80"),
        ("igg", "value", "380"),
        # A code only as its text.
        ("crs-grade3", "vasopressors.0", 1),
        ("icans-grade2", "seizure", 0),
        ("lab-bilirubin", "test", 1),
    ],
)
def test_a_wrong_json_type_is_refused_naming_the_field(example: str, path: str, value: Any) -> None:
    text = json.dumps(put(json.loads((EXAMPLES / f"{example}.json").read_text()), path, value))
    model = _MODELS[example]
    # As the command line reads it: parsed JSON, numbers as Decimal.
    with pytest.raises(InputError) as exc:
        parse_input(model, json.loads(text, parse_float=Decimal), f"{example}.json")
    assert [error.field for error in exc.value.errors] == [path]


@pytest.mark.parametrize("example", sorted(_MODELS))
def test_each_example_reads_the_same_from_json_text(example: str) -> None:
    text = (EXAMPLES / f"{example}.json").read_text()
    model = _MODELS[example]
    assert parse_input(model, json.loads(text, parse_float=Decimal), "x") == model.model_validate_json(text)


def test_a_lab_value_keeps_its_decimal_digits() -> None:
    lab = parse_input(
        LabResult, json.loads((EXAMPLES / "lab-bilirubin.json").read_text(), parse_float=Decimal), "x"
    )
    assert (lab.value, lab.upper_limit, lab.baseline) == (Decimal("1.8"), Decimal("1.2"), Decimal("0.6"))


@pytest.mark.parametrize(
    ("index", "name", "value"),
    [
        (0, "grade", "4"),  # crs_grade_at_least
        (0, "grade", 4.5),
        (0, "grade", True),
        (1, "improve_to", 2.0),  # crs_not_improving
        (1, "within_hours", "72"),
        (1, "within_hours", False),
        (4, "longer_than_days", "7"),  # nonhaematological_persisting
        (4, "controlled_within_hours", True),
    ],
)
def test_a_dlt_rule_parameter_of_the_wrong_type_is_refused(index: int, name: str, value: Any) -> None:
    spec = embedded_protocol().dlt
    rules = list(spec.rules)
    rule = rules[index]
    rules[index] = DltRuleSpec.model_validate(
        {**rule.model_dump(), "parameters": {**rule.parameters, name: value}}
    )
    with pytest.raises(InputError) as exc:
        compile_dlt_rules(spec.model_copy(update={"rules": tuple(rules)}))
    assert [error.field for error in exc.value.errors] == [f"dlt.rules.{index}.parameters.{name}"]


def test_a_whole_number_of_hours_is_a_number() -> None:
    # TOML `within_hours = 72` is an integer; a JSON integer is a number, so it stays accepted.
    rules = compile_dlt_rules(embedded_protocol().dlt)
    assert rules.rules[1].parameters.model_dump()["within_hours"] == 72.0
