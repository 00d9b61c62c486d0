"""Properties every grading must keep, whatever the values: checked on generated inputs."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data import embedded_protocol
from cartrial.safety import CrsAssessment, LabResult, grade_crs, grade_lab
from cartrial.safety.dlt import adjudicate_dlt, compile_dlt_rules
from cartrial.safety.events import SubjectSafety

_VALUES = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2)
RULES = compile_dlt_rules(embedded_protocol().dlt)


@settings(max_examples=60, deadline=None)
@given(a=_VALUES, b=_VALUES, baseline=st.sampled_from([Decimal("20"), Decimal("60")]))
def test_alt_grade_never_falls_as_the_value_rises(a: Decimal, b: Decimal, baseline: Decimal) -> None:
    low, high = sorted((a, b))

    def grade(value: Decimal) -> int:
        lab = LabResult(
            test="alt",
            value=value,
            unit="U/L",
            lower_limit=None,
            upper_limit=Decimal("40"),
            baseline=baseline,
        )
        return grade_lab(lab).grade

    assert grade(low) <= grade(high)


@settings(max_examples=60, deadline=None)
@given(a=_VALUES, b=_VALUES)
def test_platelet_grade_never_rises_as_the_count_rises(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))

    def grade(value: Decimal) -> int:
        lab = LabResult(
            test="platelets", value=value, unit="10^9/L", lower_limit=Decimal("150"), upper_limit=None
        )
        return grade_lab(lab).grade

    assert grade(low) >= grade(high)


@settings(max_examples=60, deadline=None)
@given(
    flow=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("60"), places=1),
    temperature=st.decimals(min_value=Decimal("35"), max_value=Decimal("42"), places=1),
)
def test_crs_grade_is_the_worse_of_its_drivers(flow: Decimal, temperature: Decimal) -> None:
    result = grade_crs(
        CrsAssessment(
            temperature_c=temperature,
            hypotension=True,
            vasopressors=(),
            oxygen="nasal_cannula",
            oxygen_flow_l_per_min=flow,
            crs_already_present=False,
            antipyretic_or_anticytokine=False,
        )
    )
    if temperature < Decimal("38.0"):
        assert result.grade == 0
    else:
        assert result.grade == (2 if flow <= 6 else 3)
        assert all(driver.grade == result.grade for driver in result.drivers)


@settings(max_examples=40, deadline=None)
@given(
    hours=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=5), cut=st.integers(0, 900)
)
def test_more_follow_up_never_undoes_a_dlt(hours: list[int], cut: int) -> None:
    infusion = datetime(2025, 1, 1)
    at = infusion + timedelta(hours=6)
    course = []
    for index, step in enumerate(hours):
        course.append({"at": at.isoformat(), "grade": 3 if index % 2 == 0 else 2})
        at += timedelta(hours=step)

    def status(evaluation: datetime) -> str:
        subject = SubjectSafety.model_validate_json(
            json.dumps(
                {
                    "subject_id": "s",
                    "dose_level": 1,
                    "infused_at_assigned_dose": True,
                    "infusion_at": infusion.isoformat(),
                    "evaluation_at": evaluation.isoformat(),
                    "adverse_events": [
                        {
                            "id": "e",
                            "term": "Cytokine release syndrome",
                            "category": "crs",
                            "onset": course[0]["at"],
                            "grades": course,
                            "resolution": None,
                            "serious": True,
                            "related_to_product": "definite",
                            "related_to_lymphodepletion": "unlikely",
                        }
                    ],
                }
            )
        )
        return adjudicate_dlt(subject, RULES).status

    early = at + timedelta(hours=cut)
    if status(early) == "dlt":
        assert status(early + timedelta(days=40)) == "dlt"
