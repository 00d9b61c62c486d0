import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cartrial.errors import InputError
from cartrial.response import ResponseSettings, parse_response_visits

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "response" / "subject-visits.json"


def example() -> Any:
    return json.loads(EXAMPLE.read_text(), parse_float=Decimal)


def fields_of(data: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_response_visits(data, "visits.json")
    assert caught.value.source == "visits.json"
    return [e.field for e in caught.value.errors]


def test_the_example_parses() -> None:
    subject = parse_response_visits(example(), "example")
    assert subject.subject_id == "S-0103" and len(subject.visits) == 5
    assert subject.visits[0].pga == Decimal("2.1")


@pytest.mark.parametrize("pga", [Decimal("3.01"), Decimal("-0.1")])
def test_pga_outside_0_to_3_names_the_field(pga: Decimal) -> None:
    data = example()
    data["visits"][2]["pga"] = pga
    assert fields_of(data) == ["visits.2.pga"]


def test_visits_out_of_order_name_the_day_and_date() -> None:
    data = example()
    data["visits"][2]["day"] = 28
    assert fields_of(data) == ["visits.2.day"]
    data = example()
    data["visits"][3]["visit_date"] = "2025-01-01"
    assert fields_of(data) == ["visits.3.visit_date"]


def test_bilag_grade_not_a_to_e_names_the_domain() -> None:
    data = example()
    data["visits"][1]["bilag"]["renal"] = "F"
    assert fields_of(data) == ["visits.1.bilag.renal"]
    data["visits"][1]["bilag"]["renal"] = "B"
    data["visits"][1]["bilag"]["kidney"] = "B"
    assert fields_of(data) == ["visits.1.bilag.kidney"]


def test_unknown_drugs_and_duplicate_assessments_are_named() -> None:
    data = example()
    data["visits"][0]["glucocorticoids"][0]["drug"] = "aspirin"
    data["visits"][0]["lupus_drugs"].append({"drug": "XYZ-101"})
    data["visits"][1]["sledai"].append(data["visits"][1]["sledai"][0])
    assert fields_of(data) == ["visits.0.glucocorticoids.0.drug"]
    data["visits"][0]["glucocorticoids"][0]["drug"] = "prednisone"
    assert fields_of(data) == ["visits.0.lupus_drugs.2.drug_class", "visits.1.sledai"]


def test_a_glucocorticoid_listed_as_lupus_drug_is_bad_input() -> None:
    data = example()
    data["visits"][0]["lupus_drugs"].append({"drug": "prednisone"})
    assert fields_of(data) == ["visits.0.lupus_drugs.2.drug"]


def test_no_visits_is_bad_input() -> None:
    assert fields_of({"subject_id": "S", "visits": []}) == ["visits"]


@pytest.mark.parametrize("level", [3, 9])
def test_sri_levels_outside_4_to_8_are_bad_settings(level: int) -> None:
    with pytest.raises(InputError, match="sri_reduction"):
        ResponseSettings(sri_reduction=level)


def test_a_pga_given_as_float_is_read_as_its_decimal_digits() -> None:
    data = example()
    data["visits"][1]["pga"] = 2.4  # a float from Python, not JSON: 2.1 + 0.3 must still fail part (c)
    subject = parse_response_visits(data, "example")
    assert subject.visits[1].pga == Decimal("2.4")
