from decimal import Decimal
from typing import Any

import pytest

from cartrial.safety.crs import CrsAssessment, grade_crs
from cartrial.safety.iec_hs import IecHsAssessment, grade_iec_hs


def _assessment(**changes: Any) -> IecHsAssessment:
    fields: dict[str, Any] = {
        "ferritin_rising": True,
        "onset_as_crs_resolves": True,
        "transaminases_above_5x": False,
        "hypofibrinogenaemia": True,
        "haemophagocytosis": False,
        "cytopenias": False,
        "directed_therapy": False,
    }
    fields.update(changes)
    return IecHsAssessment(**fields)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"ferritin_rising": False}, "ferritin"),
        ({"onset_as_crs_resolves": False}, "onset"),
        ({"hypofibrinogenaemia": False}, "none of"),
    ],
)
def test_each_identifying_criterion_is_needed(changes: dict[str, Any], reason: str) -> None:
    result = grade_iec_hs(_assessment(**changes))
    assert result.grade == 0
    assert reason in result.drivers[0].finding


@pytest.mark.parametrize("finding", ["transaminases_above_5x", "haemophagocytosis", "cytopenias"])
def test_any_one_key_finding_suffices(finding: str) -> None:
    assert grade_iec_hs(_assessment(hypofibrinogenaemia=False, **{finding: True})).grade == 1


@pytest.mark.parametrize(
    ("changes", "grade", "domain"),
    [
        ({}, 1, "IEC-HS"),
        ({"directed_therapy": True}, 2, "therapy"),
        (
            {"directed_therapy": True, "severe": ("coagulopathy_requiring_blood_products",)},
            3,
            "severe manifestation",
        ),
        (
            {"life_threatening": ("vasopressors",), "severe": ("grade3_organ_toxicity",)},
            4,
            "life-threatening manifestation",
        ),
        ({"death": True}, 5, "death"),
    ],
)
def test_grades(changes: dict[str, Any], grade: int, domain: str) -> None:
    result = grade_iec_hs(_assessment(**changes))
    assert (result.grade, result.drivers[0].domain) == (grade, domain)


def test_late_hyperinflammation_is_not_crs_when_afebrile_before_any_crs_treatment() -> None:
    # Afebrile late hyperinflammation with vasopressors: CRS grading gives 0 (no fever, no masking therapy);
    # it is graded as IEC-HS grade 4 instead.
    crs = CrsAssessment(
        temperature_c=Decimal("37.2"),
        hypotension=True,
        vasopressors=("norepinephrine",),
        oxygen="none",
        crs_already_present=True,
        antipyretic_or_anticytokine=False,
    )
    assert grade_crs(crs).grade == 0
    assert grade_iec_hs(_assessment(directed_therapy=True, life_threatening=("vasopressors",))).grade == 4
