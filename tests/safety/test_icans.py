from typing import Any

import pytest

from cartrial.errors import InputError
from cartrial.safety import IcansAssessment, IceItems, calculate_ice_score, grade_icans
from cartrial.safety.result import parse_input

_ITEMS = (
    "orientation_year",
    "orientation_month",
    "orientation_city",
    "orientation_hospital",
    "follows_commands",
    "writes_sentence",
    "counts_back_by_tens",
)


def _ice(score: int) -> IceItems:
    """ICE items that score `score`: naming takes up to 3 points, the seven other items one each."""
    named = min(score, 3)
    passed = set(_ITEMS[: score - named])
    return IceItems(objects_named=named, **{item: item in passed for item in _ITEMS})


def _assessment(**changes: Any) -> IcansAssessment:
    fields: dict[str, Any] = {
        "ice": _ice(10),
        "consciousness": "alert",
        "seizure": "none",
        "motor": "none",
        "raised_icp": (),
    }
    fields.update(changes)
    return IcansAssessment(**fields)


@pytest.mark.parametrize("score", range(11))
def test_ice_score_counts_each_of_the_ten_points(score: int) -> None:
    assert calculate_ice_score(_ice(score)) == score


@pytest.mark.parametrize(
    ("score", "grade"),
    [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (0, 3)],
)
def test_ice_bands(score: int, grade: int) -> None:
    result = grade_icans(_assessment(ice=_ice(score)))
    assert result.grade == grade
    assert result.drivers[0].domain == ("ICE score" if grade else "all domains")


@pytest.mark.parametrize(
    ("level", "grade"),
    [
        ("alert", 0),
        ("awakens_spontaneously", 1),
        ("awakens_to_voice", 2),
        ("awakens_to_touch", 3),
        ("unarousable", 4),
        ("stupor_or_coma", 4),
    ],
)
def test_consciousness(level: str, grade: int) -> None:
    result = grade_icans(_assessment(consciousness=level))
    assert result.grade == grade


def test_awake_with_ice_0_is_grade_3_unarousable_is_grade_4() -> None:
    aphasic = grade_icans(_assessment(ice=_ice(0)))
    assert aphasic.grade == 3
    unarousable = grade_icans(_assessment(ice=None, consciousness="unarousable"))
    assert unarousable.grade == 4
    assert {d.domain for d in unarousable.drivers} == {"ICE score", "consciousness"}


def test_sedation_explains_depressed_consciousness() -> None:
    assert (
        grade_icans(_assessment(consciousness="awakens_to_touch", consciousness_due_to_sedation=True)).grade
        == 0
    )


@pytest.mark.parametrize(
    ("seizure", "grade"),
    [
        ("clinical_resolving_rapidly", 3),
        ("nonconvulsive_eeg_resolving_with_intervention", 3),
        ("prolonged_over_5_min", 4),
        ("repetitive_without_return_to_baseline", 4),
    ],
)
def test_seizures(seizure: str, grade: int) -> None:
    result = grade_icans(_assessment(seizure=seizure))
    assert (result.grade, result.drivers[0].domain) == (grade, "seizure")


def test_motor_tremor_does_not_grade_deep_weakness_is_4() -> None:
    assert grade_icans(_assessment(motor="tremor")).grade == 0
    assert grade_icans(_assessment(motor="myoclonus")).grade == 0
    assert grade_icans(_assessment(motor="deep_focal_weakness")).grade == 4


def test_raised_icp_worst_finding() -> None:
    assert grade_icans(_assessment(raised_icp=("focal_oedema",))).grade == 3
    result = grade_icans(_assessment(ice=_ice(5), raised_icp=("focal_oedema", "papilloedema")))
    assert (result.grade, [d.domain for d in result.drivers]) == (4, ["raised ICP / cerebral oedema"])


def test_worst_domain_wins_and_ties_are_all_named() -> None:
    result = grade_icans(_assessment(ice=_ice(4), consciousness="awakens_to_voice"))
    assert result.grade == 2
    assert [d.domain for d in result.drivers] == ["ICE score", "consciousness"]


def test_ice_missing_in_an_awake_patient_is_bad_input() -> None:
    data: dict[str, Any] = {
        "ice": None,
        "consciousness": "alert",
        "seizure": "none",
        "motor": "none",
        "raised_icp": [],
    }
    with pytest.raises(InputError, match="ice is required"):
        parse_input(IcansAssessment, data, "icans.json")
    with pytest.raises(InputError) as exc:
        parse_input(IcansAssessment, {**data, "ice": {**_ice(10).model_dump(), "objects_named": 4}}, "x")
    assert {e.field for e in exc.value.errors} == {"ice.objects_named"}
