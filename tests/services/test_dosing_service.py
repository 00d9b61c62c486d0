import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cartrial.errors import InputError
from cartrial.services.dosing import (
    enroll,
    recommend,
    record_dlt_assessment,
    record_infusion,
    record_milestone,
    sign_src_decision,
)
from cartrial.services.errors import ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.reads import EnrollmentView, SrcDecisionView
from cartrial.services.screening import screen_candidate
from cartrial.store.audit import verify_chain
from cartrial.store.models import Cohort, Enrollment, Subject
from tests.services.conftest import NOW, PASSWORD, Study

EXAMPLE = json.loads((Path(__file__).parents[2] / "examples" / "screening" / "eligible.json").read_text())


def candidate(study: Study, n: int, site: str = "S01", user: str = "inv1") -> int:
    record = EXAMPLE | {"screening_id": f"{site}-{n:04d}", "site_id": site}
    with study.uow() as uow:
        outcome = screen_candidate(uow, study.users[user], site, json.dumps(record), NOW)
        uow.commit()
    return outcome.subject_id


def src_signs(study: Study, when: datetime = NOW, **override: Any) -> SrcDecisionView:
    with study.uow() as uow:
        decision = sign_src_decision(uow, study.users["src"], PASSWORD, "approved", when, **override)
        uow.commit()
    return decision


def enroll_subject(study: Study, subject_id: int, user: str = "inv1") -> EnrollmentView:
    with study.uow() as uow:
        enrollment = enroll(uow, study.users[user], subject_id, NOW)
        uow.commit()
    return enrollment


def test_enrollment_needs_an_open_cohort_opened_by_a_signed_src_decision(study: Study) -> None:
    subject = candidate(study, 1)
    with study.uow() as uow, pytest.raises(ConflictError, match="SRC decision is due"):
        enroll(uow, study.users["inv1"], subject, NOW)
    with study.uow() as uow, pytest.raises(UnauthenticatedError):
        sign_src_decision(uow, study.users["src"], "wrong password", "approved", NOW)
    with study.uow() as uow, pytest.raises(ForbiddenError):
        sign_src_decision(uow, study.users["inv1"], PASSWORD, "approved", NOW)
    decision = src_signs(study)
    assert (decision.action, decision.next_dose, decision.signer_name) == ("stay", 2, "Src")
    enrollment = enroll_subject(study, subject)
    assert (enrollment.slot, enrollment.dose_level) == (1, 2)


def test_cohort_takes_exactly_its_size_then_the_src_reviews(study: Study) -> None:
    subjects = [candidate(study, n) for n in range(1, 5)]
    src_signs(study)
    for subject in subjects[:3]:
        enroll_subject(study, subject)
    with study.uow() as uow, pytest.raises(ConflictError, match="SRC decision is due"):
        enroll(uow, study.users["inv1"], subjects[3], NOW)
    with study.uow() as uow, pytest.raises(ConflictError, match="inside the DLT window"):
        sign_src_decision(uow, study.users["src"], PASSWORD, "approved", NOW)


def safety(subject_label: str, dose_level: int, infused: date, evaluated: datetime) -> str:
    return json.dumps(
        {
            "subject_id": subject_label,
            "dose_level": dose_level,
            "infused_at_assigned_dose": True,
            "infusion_at": f"{infused.isoformat()}T10:00:00+00:00",
            "evaluation_at": evaluated.isoformat(),
            "adverse_events": [],
        }
    )


def treat(study: Study, subject: int, infused: date, evaluated: datetime) -> str:
    with study.uow() as uow:
        record_milestone(
            uow, study.users["inv1"], subject, SubjectStatus.LEUKAPHERESIS, infused - timedelta(20), NOW
        )
        record_milestone(
            uow, study.users["inv1"], subject, SubjectStatus.LYMPHODEPLETION, infused - timedelta(5), NOW
        )
        record_infusion(uow, study.users["inv1"], subject, infused, 25_000_000, evaluated)
        label = uow.session.get(Subject, subject).screening_id  # type: ignore[union-attr]
        assessment = record_dlt_assessment(
            uow, study.users["inv1"], subject, safety(label, 2, infused, evaluated), evaluated
        )
        uow.commit()
    return assessment.status


def test_a_whole_cohort_escalates_after_its_windows_close(study: Study) -> None:
    subjects = [candidate(study, n) for n in range(1, 4)]
    src_signs(study)
    for subject in subjects:
        enroll_subject(study, subject)
    infused = date(2026, 10, 1)
    assert treat(study, subjects[0], infused, datetime(2026, 10, 10, tzinfo=UTC)) == "pending"
    with study.uow() as uow:
        assert recommend(uow, study.users["stat"]).decision.action == "suspend"
    after_window = datetime(2026, 10, 30, tzinfo=UTC)
    for subject in subjects[1:]:
        assert treat(study, subject, infused, after_window) == "no_dlt"
    with study.uow() as uow:
        label = uow.session.get(Subject, subjects[0]).screening_id  # type: ignore[union-attr]
        record_dlt_assessment(
            uow, study.users["inv1"], subjects[0], safety(label, 2, infused, after_window), after_window
        )
        uow.commit()
    with study.uow() as uow:
        recommendation = recommend(uow, study.users["src"]).decision
    assert (recommendation.action, recommendation.next_dose) == ("escalate", 3)
    decision = src_signs(study, after_window)
    assert decision.follows_recommendation and decision.next_dose == 3
    with study.uow() as uow:
        cohorts = uow.session.execute(
            select(Cohort.number, Cohort.dose_level, Cohort.status).order_by(Cohort.number)
        )
        assert list(cohorts) == [(1, 2, "closed"), (2, 3, "open")]
        assert uow.session.get(Subject, subjects[1]).status == "follow_up"  # type: ignore[union-attr]
        assert verify_chain(uow.session)[1] == ()


def test_src_may_be_more_cautious_with_a_rationale_never_bolder(study: Study) -> None:
    with study.uow() as uow, pytest.raises(InputError, match="rationale"):
        sign_src_decision(uow, study.users["src"], PASSWORD, "approved", NOW, next_dose=1)
    with study.uow() as uow, pytest.raises(InputError, match="next_dose"):
        sign_src_decision(uow, study.users["src"], PASSWORD, "approved", NOW, next_dose=3, rationale="bold")
    decision = src_signs(study, next_dose=1, rationale="start at the backup level")
    assert (decision.action, decision.next_dose, decision.follows_recommendation) == ("override", 1, False)


def test_enrollment_is_site_scoped_and_needs_an_eligible_screening(study: Study) -> None:
    other_site = candidate(study, 1, site="S02", user="coord2")
    src_signs(study)
    with study.uow() as uow, pytest.raises(NotFoundError):
        enroll(uow, study.users["inv1"], other_site, NOW)
    ineligible = EXAMPLE | {"screening_id": "S01-0099", "transplants": [{"kind": "bone_marrow"}]}
    with study.uow() as uow:
        failure = screen_candidate(uow, study.users["inv1"], "S01", json.dumps(ineligible), NOW).subject_id
        uow.commit()
    with study.uow() as uow, pytest.raises(ConflictError, match="screen_failure"):
        enroll(uow, study.users["inv1"], failure, NOW)


def test_infusion_input_is_checked(study: Study) -> None:
    subject = candidate(study, 1)
    src_signs(study)
    enroll_subject(study, subject)
    with study.uow() as uow, pytest.raises(ConflictError):
        record_infusion(
            uow, study.users["inv1"], subject, date(2026, 11, 1), 25_000_000, NOW
        )  # no apheresis yet
    with study.uow() as uow, pytest.raises(InputError, match="future"):
        record_infusion(uow, study.users["inv1"], subject, date(2026, 12, 1), 25_000_000, NOW)


def test_fifty_simultaneous_enrollments_fill_a_three_slot_cohort_exactly(study: Study) -> None:
    subjects = [candidate(study, n) for n in range(1, 51)]
    src_signs(study)
    start = threading.Barrier(len(subjects))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(subject: int) -> None:
        start.wait()
        try:
            with study.uow() as uow:
                enroll(uow, study.users["inv1"], subject, NOW)
                uow.commit()
            result = "enrolled"
        except ConflictError:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in subjects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("enrolled") == 3
    assert outcomes.count("refused") == 47
    with study.uow() as uow:
        assert uow.session.execute(select(func.count(Enrollment.id))).scalar_one() == 3
        slots = uow.session.execute(select(Enrollment.slot).order_by(Enrollment.slot)).scalars().all()
        assert slots == [1, 2, 3]
        assert verify_chain(uow.session)[1] == ()


def test_milestone_dates_cannot_be_in_the_future(study: Study) -> None:
    subject = candidate(study, 1)
    src_signs(study)
    enroll_subject(study, subject)
    with study.uow() as uow, pytest.raises(InputError, match="future"):
        record_milestone(
            uow, study.users["inv1"], subject, SubjectStatus.LEUKAPHERESIS, date(2026, 11, 26), NOW
        )
