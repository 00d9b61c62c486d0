import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from cartrial.errors import InputError
from cartrial.services.access import Assignment, Principal, Role
from cartrial.services.errors import ConflictError, ForbiddenError, NotFoundError
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.screening import correct_screening, count_subjects, screen_candidate, visible_subject
from cartrial.store.audit import verify_chain
from cartrial.store.models import AuditEntry, ProtocolVersion, Screening, Subject
from tests.services.conftest import NOW, Study

EXAMPLE = (Path(__file__).parents[2] / "examples" / "screening" / "eligible.json").read_text()


def record(**changes: object) -> str:
    data = json.loads(EXAMPLE)
    data.update(changes)
    return json.dumps(data)


def test_screening_stores_record_result_protocol_and_audit(study: Study) -> None:
    with study.uow() as uow:
        outcome = screen_candidate(uow, study.users["inv1"], "S01", EXAMPLE, NOW)
        uow.commit()
    assert outcome.result.verdict.value == "eligible"
    assert outcome.status is SubjectStatus.SCREENING
    with study.uow() as uow:
        subject = uow.session.get(Subject, outcome.subject_id)
        assert subject is not None and subject.protocol_ref == "relma-cel-sle-phase1@1.0"
        stored = uow.session.execute(select(Screening)).scalar_one()
        assert json.loads(stored.result_json)["verdict"] == "eligible"
        assert stored.record_json == EXAMPLE
        last = uow.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
        assert last is not None and last.username == "inv1" and last.role == "investigator"
        assert last.entity == "subject" and '"verdict"' in last.changes_json
        checked, problems = verify_chain(uow.session)
        assert checked > 10 and problems == ()


def test_ineligible_candidate_is_a_screen_failure(study: Study) -> None:
    with study.uow() as uow:
        outcome = screen_candidate(
            uow, study.users["inv1"], "S01", record(transplants=[{"kind": "bone_marrow"}]), NOW
        )
        uow.commit()
    assert outcome.status is SubjectStatus.SCREEN_FAILURE


def test_site_staff_screen_only_at_their_site_and_other_roles_not_at_all(study: Study) -> None:
    with study.uow() as uow, pytest.raises(NotFoundError):
        screen_candidate(uow, study.users["inv1"], "S02", record(site_id="S02"), NOW)
    with study.uow() as uow, pytest.raises(ForbiddenError):
        screen_candidate(uow, study.users["monitor"], "S01", EXAMPLE, NOW)


def test_other_sites_subjects_are_invisible(study: Study) -> None:
    with study.uow() as uow:
        outcome = screen_candidate(uow, study.users["inv1"], "S01", EXAMPLE, NOW)
        uow.commit()
    with study.uow() as uow:
        with pytest.raises(NotFoundError):
            visible_subject(uow, study.users["coord2"], outcome.subject_id)
        assert visible_subject(uow, study.users["monitor"], outcome.subject_id).site_id == "S01"
        assert count_subjects(uow, study.users["coord2"]) == 0
        assert count_subjects(uow, study.users["stat"]) == 1


def test_bad_record_writes_nothing(study: Study) -> None:
    with study.uow() as uow:
        before = verify_chain(uow.session)[0]
    with study.uow() as uow, pytest.raises(InputError):
        screen_candidate(uow, study.users["inv1"], "S01", record(consent_date="2026-12-01"), NOW)
    with study.uow() as uow:
        assert verify_chain(uow.session)[0] == before
        assert uow.session.execute(select(Subject)).first() is None


def test_duplicate_screening_is_refused(study: Study) -> None:
    with study.uow() as uow:
        screen_candidate(uow, study.users["inv1"], "S01", EXAMPLE, NOW)
        uow.commit()
    with study.uow() as uow, pytest.raises(ConflictError):
        screen_candidate(uow, study.users["inv1"], "S01", EXAMPLE, NOW)


def test_correction_is_a_new_version_with_a_reason(study: Study) -> None:
    with study.uow() as uow:
        first = screen_candidate(uow, study.users["inv1"], "S01", record(transplants=None), NOW)
        uow.commit()
    assert first.result.verdict.value == "incomplete"
    with study.uow() as uow, pytest.raises(InputError):
        correct_screening(uow, study.users["inv1"], first.subject_id, EXAMPLE, "  ", NOW)
    with study.uow() as uow:
        second = correct_screening(
            uow, study.users["inv1"], first.subject_id, EXAMPLE, "transplant history taken", NOW
        )
        uow.commit()
    assert (second.screening_version, second.result.verdict.value) == (2, "eligible")
    with study.uow() as uow:
        versions = uow.session.execute(select(Screening.version, Screening.verdict, Screening.reason)).all()
        assert sorted(versions) == [(1, "incomplete", None), (2, "eligible", "transplant history taken")]
        last = uow.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
        assert last is not None and last.reason == "transplant history taken"
        assert verify_chain(uow.session)[1] == ()


def test_an_activation_in_the_same_instant_still_takes_effect(study: Study) -> None:
    from cartrial.services.protocols import activate_protocol, current_protocol_ref
    from cartrial.store.audit import SYSTEM_ACTOR

    with study.uow() as uow:
        activate_protocol(uow, SYSTEM_ACTOR, "relma-cel-sle-phase1@2.0", "amendment", NOW)
        uow.commit()
    with study.uow() as uow:
        assert current_protocol_ref(uow) == "relma-cel-sle-phase1@2.0"
        activate_protocol(uow, SYSTEM_ACTOR, "relma-cel-sle-phase1@1.0", "back", NOW)
        assert current_protocol_ref(uow) == "relma-cel-sle-phase1@1.0"


def test_screening_without_an_active_protocol_is_refused_after_the_duplicate_check(study: Study) -> None:
    with study.uow() as uow:
        screen_candidate(uow, study.users["inv1"], "S01", EXAMPLE, NOW)
        uow.session.execute(update(ProtocolVersion).values(activated_at=None))
        uow.commit()
    with study.uow() as uow, pytest.raises(ConflictError, match="screened already"):
        screen_candidate(uow, study.users["inv1"], "S01", EXAMPLE, NOW)
    with study.uow() as uow, pytest.raises(NotFoundError, match="no protocol version is active"):
        screen_candidate(uow, study.users["inv1"], "S01", record(screening_id="SCR-NEW"), NOW)


def test_screening_at_a_site_not_stored_is_refused(study: Study) -> None:
    """A guard only: staff allowed to screen at a site are its staff, and their role names a stored site."""
    inv1 = study.users["inv1"]
    stray = Principal(inv1.user_id, inv1.username, (Assignment(Role.INVESTIGATOR, "S99"),))
    with study.uow() as uow, pytest.raises(NotFoundError, match="no site 'S99'"):
        screen_candidate(uow, stray, "S99", record(site_id="S99"), NOW)
