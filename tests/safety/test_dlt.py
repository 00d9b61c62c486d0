from datetime import datetime, timedelta
from typing import Any

import pytest

from cartrial.data import embedded_protocol
from cartrial.errors import InputError
from cartrial.protocol import DltRuleSpec, DltSpec
from cartrial.safety.dlt import (
    DLT_RULE_KINDS,
    DltRules,
    EscalationPatient,
    adjudicate_dlt,
    compile_dlt_rules,
    to_escalation_patients,
    to_escalation_state,
)
from cartrial.safety.events import SubjectSafety
from cartrial.safety.result import parse_input

INFUSION = datetime(2025, 3, 1, 10, 0)
WINDOW_END = INFUSION + timedelta(days=28)
RULES = compile_dlt_rules(embedded_protocol().dlt)


def _at(days: float = 0, hours: float = 0) -> datetime:
    return INFUSION + timedelta(days=days, hours=hours)


def _event(
    event_id: str,
    category: str,
    course: list[tuple[datetime, int]],
    *,
    term: str = "",
    resolution: datetime | None = None,
    related: str = "probable",
    present_at_baseline: bool = False,
) -> dict[str, Any]:
    default_terms = {
        "crs": "Cytokine release syndrome",
        "icans": "Immune effector cell-associated neurotoxicity syndrome",
        "non_haematological": "Alanine aminotransferase increased",
        "haematological": "Neutrophil count decreased",
        "iec_hs": "IEC-HS",
    }
    return {
        "id": event_id,
        "term": term or default_terms[category],
        "category": category,
        "onset": course[0][0].isoformat(),
        "grades": [{"at": at.isoformat(), "grade": grade} for at, grade in course],
        "resolution": None if resolution is None else resolution.isoformat(),
        "serious": False,
        "related_to_product": related,
        "related_to_lymphodepletion": "unlikely",
        "present_at_baseline": present_at_baseline,
    }


def _subject(
    events: list[dict[str, Any]], evaluation: datetime = _at(days=35), **changes: Any
) -> SubjectSafety:
    data: dict[str, Any] = {
        "subject_id": "S-001",
        "dose_level": 2,
        "infused_at_assigned_dose": True,
        "infusion_at": INFUSION.isoformat(),
        "evaluation_at": evaluation.isoformat(),
        "adverse_events": events,
    }
    data.update(changes)
    return parse_input(SubjectSafety, data, "subject.json")


def _crs_grade3_for(hours: float) -> list[dict[str, Any]]:
    start = _at(days=2)
    course = [(start - timedelta(hours=12), 1), (start, 3), (start + timedelta(hours=hours), 2)]
    return [_event("crs1", "crs", course, resolution=start + timedelta(hours=hours + 24))]


def test_no_events_followed_through_the_window_is_no_dlt_and_evaluable() -> None:
    result = adjudicate_dlt(_subject([]), RULES)
    assert (result.status, result.rule, result.evaluable, result.followup_days) == (
        "no_dlt",
        None,
        True,
        28.0,
    )


@pytest.mark.parametrize(("hours", "status"), [(71, "no_dlt"), (72, "no_dlt"), (72.01, "dlt"), (73, "dlt")])
def test_grade3_crs_must_improve_to_2_within_72_hours(hours: float, status: str) -> None:
    result = adjudicate_dlt(_subject(_crs_grade3_for(hours)), RULES)
    assert result.status == status
    if status == "dlt":
        assert (result.rule, result.events) == ("crs-grade3-persisting", ("crs1",))
        assert result.dlt_at == _at(days=2, hours=72)
        assert result.evaluable is True


def test_ongoing_grade3_crs_is_pending_until_72_hours_have_passed() -> None:
    course = [(_at(days=1), 3)]
    pending = adjudicate_dlt(_subject([_event("c", "crs", course)], evaluation=_at(days=1, hours=71)), RULES)
    assert (pending.status, pending.rule, pending.events, pending.evaluable) == (
        "pending",
        "crs-grade3-persisting",
        ("c",),
        None,
    )
    met = adjudicate_dlt(_subject([_event("c", "crs", course)], evaluation=_at(days=1, hours=73)), RULES)
    assert (met.status, met.rule) == ("dlt", "crs-grade3-persisting")
    assert met.followup_days == pytest.approx(4 + 1 / 24)


def test_grade4_crs_is_a_dlt_at_the_moment_it_is_reached() -> None:
    course = [(_at(days=1), 2), (_at(days=2), 4), (_at(days=2, hours=20), 1)]
    result = adjudicate_dlt(_subject([_event("c", "crs", course, resolution=_at(days=4))]), RULES)
    assert (result.status, result.rule, result.dlt_at) == ("dlt", "crs-grade4", _at(days=2))


@pytest.mark.parametrize(("hours", "status"), [(71, "no_dlt"), (73, "dlt")])
def test_grade3_icans_not_improving_within_72_hours(hours: float, status: str) -> None:
    course = [(_at(days=5), 3), (_at(days=5, hours=hours), 1)]
    result = adjudicate_dlt(_subject([_event("n", "icans", course, resolution=_at(days=9))]), RULES)
    assert result.status == status
    assert result.rule == ("icans-grade3-persisting" if status == "dlt" else None)


def test_grade4_icans_improving_in_time_is_not_a_dlt_but_a_new_episode_counts_on_its_own() -> None:
    course = [(_at(days=5), 4), (_at(days=6), 2), (_at(days=7), 3), (_at(days=10, hours=1), 2)]
    result = adjudicate_dlt(_subject([_event("n", "icans", course, resolution=_at(days=12))]), RULES)
    assert (result.status, result.dlt_at) == ("dlt", _at(days=10))


def test_window_edges_are_inclusive() -> None:
    at_end = [_event("c", "crs", [(WINDOW_END, 4)], resolution=WINDOW_END + timedelta(days=1))]
    assert adjudicate_dlt(_subject(at_end), RULES).status == "dlt"
    after = [_event("c", "crs", [(WINDOW_END + timedelta(minutes=1), 4)], resolution=_at(days=30))]
    assert adjudicate_dlt(_subject(after), RULES).status == "no_dlt"


@pytest.mark.parametrize(
    ("recovers_to_3_at", "status"),
    [
        (WINDOW_END - timedelta(minutes=1), "no_dlt"),
        (WINDOW_END, "no_dlt"),
        (WINDOW_END + timedelta(hours=1), "dlt"),
    ],
)
def test_grade4_neutropenia_lasting_beyond_the_window(recovers_to_3_at: datetime, status: str) -> None:
    course = [(_at(days=3), 3), (_at(days=6), 4), (recovers_to_3_at, 3)]
    result = adjudicate_dlt(_subject([_event("anc", "haematological", course)]), RULES)
    assert result.status == status
    if status == "dlt":
        assert (result.rule, result.dlt_at) == ("cytopenia-grade4-beyond-window", WINDOW_END)


def test_cytopenia_present_at_baseline_or_other_term_is_not_this_dlt() -> None:
    course = [(_at(days=6), 4)]
    baseline = _event(
        "p", "haematological", course, term="Platelet count decreased", present_at_baseline=True
    )
    anaemia = _event("a", "haematological", course, term="Anemia")
    assert adjudicate_dlt(_subject([baseline, anaemia]), RULES).status == "no_dlt"
    platelets = _event("p", "haematological", course, term="platelet count decreased")
    assert adjudicate_dlt(_subject([platelets]), RULES).rule == "cytopenia-grade4-beyond-window"


def test_grade4_cytopenia_before_window_end_keeps_the_subject_pending() -> None:
    result = adjudicate_dlt(
        _subject([_event("anc", "haematological", [(_at(days=6), 4)])], evaluation=_at(days=20)), RULES
    )
    assert (result.status, result.rule, result.followup_days) == (
        "pending",
        "cytopenia-grade4-beyond-window",
        20.0,
    )


@pytest.mark.parametrize(
    ("duration", "status"),
    [
        (timedelta(days=7), "no_dlt"),
        (timedelta(days=7, minutes=1), "dlt"),
        (timedelta(days=6, hours=23), "no_dlt"),
    ],
)
def test_related_grade3_non_haematological_lasting_more_than_7_days(duration: timedelta, status: str) -> None:
    start = _at(days=4)
    event = _event("alt", "non_haematological", [(start, 3), (start + duration, 1)], resolution=_at(days=20))
    result = adjudicate_dlt(_subject([event]), RULES)
    assert result.status == status
    if status == "dlt":
        assert (result.rule, result.dlt_at) == ("nonhaem-grade3-7days", start + timedelta(days=7))


def test_non_haematological_exclusions_and_relatedness() -> None:
    long = [(_at(days=4), 3), (_at(days=14), 1)]
    unrelated = _event("x", "non_haematological", long, related="unlikely", resolution=_at(days=15))
    fever = _event("f", "non_haematological", long, term="Fever", resolution=_at(days=15))
    assert adjudicate_dlt(_subject([unrelated, fever]), RULES).status == "no_dlt"
    # Nausea lasting 10 days at grade 3 was not controlled within 72 h: it counts.
    nausea = _event("n", "non_haematological", long, term="Nausea", resolution=_at(days=15))
    assert adjudicate_dlt(_subject([nausea]), RULES).rule == "nonhaem-grade3-7days"


def _rules(*rules: DltRuleSpec, window_days: int = 28) -> DltRules:
    return compile_dlt_rules(DltSpec(window_days=window_days, rules=rules))


def test_controlled_within_72_hours_excludes_only_the_listed_terms() -> None:
    rules = _rules(
        DltRuleSpec(
            id="g3-1day",
            kind="nonhaematological_persisting",
            parameters={
                "grade": 3,
                "longer_than_days": 1,
                "excluded_if_controlled_terms": ["Nausea"],
                "controlled_within_hours": 72,
            },
        )
    )

    def status(term: str, hours: float) -> str:
        course = [(_at(days=2), 3), (_at(days=2, hours=hours), 1)]
        event = _event("e", "non_haematological", course, term=term, resolution=_at(days=10))
        return adjudicate_dlt(_subject([event]), rules).status

    assert status("Nausea", 72) == "no_dlt"
    assert status("Nausea", 73) == "dlt"
    assert status("Pneumonitis", 48) == "dlt"


def test_related_death_is_a_dlt_unrelated_death_ends_follow_up() -> None:
    related = _event("d", "non_haematological", [(_at(days=9), 5)], term="Sepsis")
    result = adjudicate_dlt(_subject([related], off_study_at=_at(days=9).isoformat()), RULES)
    assert (result.status, result.rule, result.evaluable) == ("dlt", "grade5-related", True)
    unrelated = _event("d", "non_haematological", [(_at(days=9), 5)], term="Sepsis", related="not_related")
    result = adjudicate_dlt(_subject([unrelated], off_study_at=_at(days=9).isoformat()), RULES)
    assert (result.status, result.evaluable, result.followup_days) == ("no_dlt", False, 9.0)


def test_earliest_dlt_is_reported() -> None:
    crs = _event("crs", "crs", [(_at(days=1), 3)], resolution=None)
    icans = _event("icans", "icans", [(_at(days=1, hours=12), 3), (_at(days=5), 1)], resolution=_at(days=6))
    result = adjudicate_dlt(_subject([crs, icans], evaluation=_at(days=10)), RULES)
    assert (result.rule, result.events) == ("crs-grade3-persisting", ("crs",))
    assert [o.status for o in result.outcomes] == ["not_met", "met", "met", "not_met", "not_met", "not_met"]


def test_follow_up_days_and_evaluability() -> None:
    early = adjudicate_dlt(_subject([], evaluation=_at(days=14, hours=12)), RULES)
    assert (early.status, early.followup_days, early.evaluable) == ("pending", 14.5, None)
    withdrawn = adjudicate_dlt(_subject([], off_study_at=_at(days=10).isoformat()), RULES)
    assert (withdrawn.status, withdrawn.followup_days, withdrawn.evaluable) == ("no_dlt", 10.0, False)
    wrong_dose = adjudicate_dlt(_subject([], infused_at_assigned_dose=False), RULES)
    assert (wrong_dose.status, wrong_dose.evaluable) == ("no_dlt", False)
    pending_wrong_dose = adjudicate_dlt(
        _subject([], evaluation=_at(days=3), infused_at_assigned_dose=False), RULES
    )
    assert pending_wrong_dose.evaluable is False


def test_escalation_input_leaves_out_the_non_evaluable() -> None:
    cohort = [
        adjudicate_dlt(_subject([]), RULES),
        adjudicate_dlt(_subject(_crs_grade3_for(80)), RULES),
        adjudicate_dlt(_subject([], evaluation=_at(days=7)), RULES),
        adjudicate_dlt(_subject([], off_study_at=_at(days=10).isoformat()), RULES),
    ]
    patients = to_escalation_patients(cohort)
    assert patients == (
        EscalationPatient("S-001", 2, "no", 28.0),
        EscalationPatient("S-001", 2, "yes", 28.0),
        EscalationPatient("S-001", 2, "pending", 7.0),
    )
    assert to_escalation_state(cohort)["patients"][2] == {
        "id": "S-001",
        "dose_level": 2,
        "dlt": "pending",
        "followup_days": 7.0,
    }


def test_unknown_rule_kind_and_bad_parameters_are_named() -> None:
    with pytest.raises(InputError) as exc:
        _rules(
            DltRuleSpec(id="a", kind="crs_grade_at_least", parameters={"grade": 4}),
            DltRuleSpec(id="b", kind="liver_failure", parameters={}),
            DltRuleSpec(
                id="c", kind="crs_not_improving", parameters={"grade": 3, "within_hours": 72, "x": 1}
            ),
        )
    fields = {e.field: e.reason for e in exc.value.errors}
    assert "unknown DLT rule kind 'liver_failure'" in fields["dlt.rules.1.kind"]
    assert set(fields) == {
        "dlt.rules.1.kind",
        "dlt.rules.2.parameters.improve_to",
        "dlt.rules.2.parameters.x",
    }
    assert "crs_grade_at_least" in DLT_RULE_KINDS


def _fields(data_changes: dict[str, Any], events: list[dict[str, Any]]) -> set[str]:
    with pytest.raises(InputError) as exc:
        _subject(events, **data_changes)
    return {e.field for e in exc.value.errors}


def test_grade_course_going_backwards_is_named() -> None:
    event = _event("c", "crs", [(_at(days=2), 1), (_at(days=1), 2)])
    with pytest.raises(InputError, match="goes backwards") as exc:
        _subject([event])
    assert {e.field for e in exc.value.errors} == {"adverse_events.0.grades"}


def test_resolution_before_onset_is_named() -> None:
    event = _event("c", "crs", [(_at(days=2), 1)], resolution=_at(days=1))
    with pytest.raises(InputError, match="before onset") as exc:
        _subject([event])
    assert {e.field for e in exc.value.errors} == {"adverse_events.0.resolution"}


def test_other_bad_subject_input_is_named() -> None:
    first_not_onset = _event("c", "crs", [(_at(days=2), 1)])
    first_not_onset["onset"] = _at(days=1).isoformat()
    assert _fields({}, [first_not_onset]) == {"adverse_events.0.grades"}
    future = _event("c", "crs", [(_at(days=40), 1)])
    assert _fields({}, [future]) == {"adverse_events"}
    assert _fields({"evaluation_at": _at(days=-1).isoformat()}, []) == {"evaluation_at"}
    after_withdrawal = _event("c", "crs", [(_at(days=12), 1)])
    assert _fields({"off_study_at": _at(days=10).isoformat()}, [after_withdrawal]) == {"adverse_events"}
    twice = _event("c", "crs", [(_at(days=2), 1)])
    assert _fields({}, [twice, twice]) == {"adverse_events"}


def test_a_72_hour_clock_started_in_the_window_may_run_past_its_end() -> None:
    late_crs = [_event("c", "crs", [(_at(days=27, hours=12), 3)])]
    pending = adjudicate_dlt(_subject(late_crs, evaluation=_at(days=29)), RULES)
    assert (pending.status, pending.rule, pending.followup_days) == ("pending", "crs-grade3-persisting", 28.0)
    met = adjudicate_dlt(_subject(late_crs, evaluation=_at(days=31)), RULES)
    assert (met.status, met.dlt_at) == ("dlt", _at(days=30, hours=12))


def test_a_dlt_at_the_wrong_dose_is_reported_but_not_evaluable() -> None:
    result = adjudicate_dlt(_subject(_crs_grade3_for(80), infused_at_assigned_dose=False), RULES)
    assert (result.status, result.evaluable) == ("dlt", False)
    assert to_escalation_patients([result]) == ()
