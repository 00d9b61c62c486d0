from decimal import Decimal
from typing import Any

import pytest

from cartrial.errors import InputError
from cartrial.safety import CrsAssessment, grade_crs
from cartrial.safety.result import parse_input


def _assessment(**changes: Any) -> CrsAssessment:
    fields: dict[str, Any] = {
        "temperature_c": Decimal("38.5"),
        "hypotension": False,
        "vasopressors": (),
        "oxygen": "none",
        "crs_already_present": False,
        "antipyretic_or_anticytokine": False,
    }
    fields.update(changes)
    return CrsAssessment(**fields)


@pytest.mark.parametrize(
    ("temperature", "grade"),
    [("37.9", 0), ("37.99", 0), ("38.0", 1), ("38.00", 1), ("40.1", 1)],
)
def test_fever_threshold_is_38_0_inclusive(temperature: str, grade: int) -> None:
    result = grade_crs(_assessment(temperature_c=Decimal(temperature)))
    assert result.grade == grade
    assert result.drivers[0].domain == "fever"


@pytest.mark.parametrize(
    ("flow", "grade"),
    [("0.5", 2), ("6", 2), ("6.0", 2), ("6.01", 3), ("7", 3), ("15", 3)],
)
def test_nasal_cannula_low_flow_up_to_6_l_per_min(flow: str, grade: int) -> None:
    result = grade_crs(_assessment(oxygen="nasal_cannula", oxygen_flow_l_per_min=Decimal(flow)))
    assert result.grade == grade
    assert [d.domain for d in result.drivers] == ["hypoxia"]
    assert ("low-flow" if grade == 2 else "high-flow") in result.drivers[0].finding


@pytest.mark.parametrize(
    ("oxygen", "grade"),
    [
        ("blow_by", 2),
        ("face_mask", 3),
        ("non_rebreather", 3),
        ("venturi_mask", 3),
        ("cpap", 4),
        ("bipap", 4),
        ("mechanical_ventilation", 4),
    ],
)
def test_oxygen_devices(oxygen: str, grade: int) -> None:
    assert grade_crs(_assessment(oxygen=oxygen)).grade == grade


@pytest.mark.parametrize(
    ("hypotension", "vasopressors", "grade"),
    [
        (False, (), 1),
        (True, (), 2),
        (True, ("norepinephrine",), 3),
        (True, ("norepinephrine", "vasopressin"), 3),
        (True, ("vasopressin",), 3),
        (True, ("norepinephrine", "phenylephrine"), 4),
        (True, ("norepinephrine", "epinephrine", "vasopressin"), 4),
    ],
)
def test_vasopressors_none_one_with_or_without_vasopressin_several(
    hypotension: bool, vasopressors: tuple[str, ...], grade: int
) -> None:
    result = grade_crs(_assessment(hypotension=hypotension, vasopressors=vasopressors))
    assert result.grade == grade
    assert result.drivers[0].domain == ("fever" if grade == 1 else "hypotension")


def test_grade_is_the_worse_driver_and_ties_name_both() -> None:
    result = grade_crs(_assessment(hypotension=True, vasopressors=("norepinephrine",), oxygen="face_mask"))
    assert result.grade == 3
    assert [d.domain for d in result.drivers] == ["hypotension", "hypoxia"]
    worse = grade_crs(_assessment(hypotension=True, oxygen="bipap"))
    assert (worse.grade, [d.domain for d in worse.drivers]) == (4, ["hypoxia"])


def test_masked_fever_after_crs_grades_by_hypotension_and_hypoxia() -> None:
    masked = _assessment(
        temperature_c=Decimal("36.8"),
        crs_already_present=True,
        antipyretic_or_anticytokine=True,
        hypotension=True,
        vasopressors=("norepinephrine",),
    )
    assert grade_crs(masked).grade == 3
    nothing_left = masked.model_copy(update={"hypotension": False, "vasopressors": ()})
    assert grade_crs(nothing_left).grade == 0


def test_antipyretic_before_any_crs_does_not_make_afebrile_hypoxia_crs() -> None:
    result = grade_crs(
        _assessment(temperature_c=Decimal("37.2"), antipyretic_or_anticytokine=True, oxygen="face_mask")
    )
    assert result.grade == 0
    assert "not CRS" in result.drivers[0].finding


def test_afebrile_without_masking_therapy_is_not_graded_even_after_crs() -> None:
    result = grade_crs(_assessment(temperature_c=Decimal("37.0"), crs_already_present=True, hypotension=True))
    assert result.grade == 0


def test_death_is_grade_5() -> None:
    assert grade_crs(_assessment(death_from_crs=True)).grade == 5


def test_cannula_without_flow_and_missing_fields_are_named() -> None:
    with pytest.raises(InputError) as exc:
        parse_input(CrsAssessment, {"temperature_c": Decimal("38"), "oxygen": "nasal_cannula"}, "crs.json")
    fields = {e.field for e in exc.value.errors}
    assert {"hypotension", "vasopressors", "crs_already_present", "antipyretic_or_anticytokine"} <= fields
    with pytest.raises(InputError, match="oxygen_flow_l_per_min"):
        parse_input(
            CrsAssessment,
            {
                "temperature_c": Decimal("38"),
                "hypotension": False,
                "vasopressors": [],
                "oxygen": "nasal_cannula",
                "crs_already_present": False,
                "antipyretic_or_anticytokine": False,
            },
            "crs.json",
        )
