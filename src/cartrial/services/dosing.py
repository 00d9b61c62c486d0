"""Dosing: the design's recommendation from stored outcomes, SRC decisions with an electronic signature,
enrollment into the open cohort (never over-enrolled), infusion, and DLT adjudication.

The first cohort, like every later one, is opened by a signed SRC decision; a cohort takes exactly
`cohort_size` subjects; enrollment is refused while no cohort is open (an SRC decision is due) or, for
time-to-event designs, while the design says to suspend accrual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import func, select

from cartrial.eligibility import Verdict
from cartrial.errors import FieldError, InputError
from cartrial.escalation import (
    Decision,
    EscalationState,
    PatientOutcome,
    build_design,
    settings_from_protocol,
    summarise_outcomes,
)
from cartrial.escalation.interface import decide_start
from cartrial.protocol import Protocol, field_errors_from_validation
from cartrial.safety import DltAdjudication, SubjectSafety, adjudicate_dlt, compile_dlt_rules
from cartrial.services.access import Permission, Principal, require
from cartrial.services.accounts import authenticate, display_name
from cartrial.services.errors import ConflictError, NotFoundError
from cartrial.services.lifecycle import SubjectStatus, check_transition
from cartrial.services.protocols import current_protocol, current_protocol_ref, stored_protocol
from cartrial.services.reads import (
    DltAssessmentView,
    EnrollmentView,
    InfusionView,
    SrcDecisionView,
    dlt_assessment_view,
    src_decision_view,
)
from cartrial.services.screening import visible_subject
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import Actor, Change, append_audit
from cartrial.store.models import Cohort, DltAssessment, Enrollment, Infusion, Screening, SrcDecision, Subject
from cartrial.store.times import as_utc

OPEN, FULL, CLOSED = "open", "full", "closed"
_DLT_FOR_DESIGN = {"dlt": "yes", "no_dlt": "no", "pending": "pending"}
SIGNATURE_MEANINGS = ("approved", "reviewed")


@dataclass(frozen=True, slots=True)
class Recommendation:
    protocol_ref: str
    decision: Decision
    state: EscalationState


def _protocol(uow: UnitOfWork) -> Protocol:
    return current_protocol(uow)


def escalation_state(uow: UnitOfWork) -> EscalationState:
    """Every enrolled subject in order of enrollment, with the latest DLT status (pending until judged).

    Subjects judged not DLT-evaluable are left out, as the design must not count them.
    """
    rows = uow.session.execute(
        select(Enrollment.subject_id, Enrollment.dose_level, Subject.screening_id)
        .join(Subject, Subject.id == Enrollment.subject_id)
        .order_by(Enrollment.id)
    ).all()
    patients: list[PatientOutcome] = []
    for subject_id, dose_level, label in rows:
        latest = _latest_assessment(uow, subject_id)
        if latest is not None and latest.evaluable is False:
            continue
        dlt = "pending" if latest is None else _DLT_FOR_DESIGN[latest.status]
        followup = 0.0 if latest is None else latest.followup_days
        patients.append(PatientOutcome(dose_level=dose_level, dlt=dlt, followup_days=followup, id=label))
    current = uow.session.execute(select(Cohort.dose_level).order_by(Cohort.number.desc()).limit(1)).scalar()
    return EscalationState(patients=tuple(patients), current_dose=current)


def recommend(uow: UnitOfWork, principal: Principal) -> Recommendation:
    """The design's recommendation now, from the stored outcomes, under the active protocol."""
    require(principal, Permission.READ_SUBJECTS)
    return _recommendation(uow)


def _recommendation(uow: UnitOfWork) -> Recommendation:
    protocol = _protocol(uow)
    design = build_design(settings_from_protocol(protocol))
    state = escalation_state(uow)
    has_cohort = uow.session.execute(select(Cohort.id).limit(1)).first() is not None
    if not has_cohort:
        return Recommendation(protocol.ref, decide_start(design), state)
    return Recommendation(protocol.ref, design.decide(summarise_outcomes(state, design.n_doses)), state)


def _open_cohort(uow: UnitOfWork) -> Cohort | None:
    """The cohort taking subjects, locked for this transaction (row lock on PostgreSQL; SQLite
    transactions are BEGIN IMMEDIATE, which serialises writers)."""
    return uow.session.execute(
        select(Cohort).where(Cohort.status.in_((OPEN, FULL))).order_by(Cohort.number.desc()).with_for_update()
    ).scalar_one_or_none()


def sign_src_decision(
    uow: UnitOfWork,
    principal: Principal,
    password: str,
    meaning: str,
    now: datetime,
    next_dose: int | None = None,
    stop: bool = False,
    rationale: str | None = None,
) -> SrcDecisionView:
    """Sign the SRC's decision on the design's recommendation (re-entering the password).

    Without `next_dose`/`stop` the SRC follows the recommendation. A departure needs a rationale and may
    only be more cautious: a lower dose than recommended, or stopping.
    """
    actor = require(principal, Permission.SIGN_SRC_DECISION)
    authenticate(uow, principal.username, password, now)
    if meaning not in SIGNATURE_MEANINGS:
        raise InputError.single("signature", "meaning", f"one of {SIGNATURE_MEANINGS}")
    cohort = _open_cohort(uow)
    if cohort is not None and cohort.status == OPEN:
        raise ConflictError(f"cohort {cohort.number} still has free slots; the SRC reviews a full cohort")
    recommendation = _recommendation(uow)
    decision = recommendation.decision
    if decision.action == "suspend":
        raise ConflictError(f"not yet: {decision.reason}")
    action, dose = _decided(decision, next_dose, stop, rationale)
    follows = (action, dose) == (decision.action, decision.next_dose) or (action == "stop" and decision.stop)
    signer = display_name(uow, principal.user_id)
    row = SrcDecision(
        reviewed_cohort_id=None if cohort is None else cohort.id,
        protocol_ref=recommendation.protocol_ref,
        recommendation_json=json.dumps(decision.as_json(), default=str),
        action=action,
        next_dose=dose,
        follows_recommendation=follows,
        rationale=rationale,
        signed_by=principal.user_id,
        signer_name=signer,
        signature_meaning=meaning,
        signed_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    if cohort is not None:
        cohort.status = CLOSED
        cohort.row_version += 1
    changes = [
        Change("action", None, action),
        Change("next_dose", None, dose),
        Change("follows_recommendation", None, follows),
        Change("signer", None, signer),
        Change("meaning", None, meaning),
    ]
    append_audit(uow.session, actor, "sign", "src_decision", str(row.id), changes, now, rationale)
    if action != "stop" and dose is not None:
        _open_next_cohort(uow, actor, dose, recommendation.protocol_ref, now)
    return src_decision_view(uow, row)


def _decided(
    decision: Decision, next_dose: int | None, stop: bool, rationale: str | None
) -> tuple[str, int | None]:
    if not stop and next_dose is None:
        if decision.action == "suspend":
            raise ConflictError(decision.reason)
        return decision.action, None if decision.stop else decision.next_dose
    if not (rationale or "").strip():
        raise InputError.single(
            "decision", "rationale", "a departure from the recommendation needs a rationale"
        )
    if stop:
        return "stop", None
    recommended = decision.next_dose
    if recommended is None or next_dose is None or not 1 <= next_dose <= recommended:
        raise InputError.single(
            "decision", "next_dose", f"may only be at or below the recommended dose level {recommended}"
        )
    return "override", next_dose


def _open_next_cohort(uow: UnitOfWork, actor: Actor, dose: int, protocol_ref: str, now: datetime) -> Cohort:
    protocol = stored_protocol(uow, protocol_ref)
    number = int(uow.session.execute(select(func.coalesce(func.max(Cohort.number), 0))).scalar_one()) + 1
    cohort = Cohort(
        number=number,
        dose_level=dose,
        size=protocol.design.cohort_size,
        status=OPEN,
        protocol_ref=protocol_ref,
        opened_at=now,
        row_version=1,
    )
    uow.session.add(cohort)
    uow.session.flush()
    changes = [Change("dose_level", None, dose), Change("size", None, cohort.size)]
    append_audit(uow.session, actor, "open", "cohort", str(number), changes, now)
    return cohort


def enroll(uow: UnitOfWork, principal: Principal, subject_id: int, now: datetime) -> EnrollmentView:
    """Give an eligible subject the next slot of the open cohort, at its dose — or refuse clearly."""
    subject = visible_subject(uow, principal, subject_id)
    actor = require(principal, Permission.ENROLL, subject.site_id)
    if SubjectStatus(subject.status) is not SubjectStatus.SCREENING:
        raise ConflictError(f"subject {subject_id} is {subject.status}, not an eligible candidate")
    latest = uow.session.execute(
        select(Screening)
        .where(Screening.subject_id == subject.id)
        .order_by(Screening.version.desc())
        .limit(1)
    ).scalar_one()
    active = current_protocol_ref(uow)
    if latest.verdict != Verdict.ELIGIBLE.value:
        raise ConflictError(f"subject {subject_id}'s latest screening is {latest.verdict}, not eligible")
    if latest.protocol_ref != active:
        raise ConflictError(
            f"subject {subject_id} was screened under {latest.protocol_ref}; re-screen under {active}"
        )
    cohort = _open_cohort(uow)
    if cohort is None or cohort.status != OPEN:
        raise ConflictError("no cohort is open: an SRC decision is due")
    if _design_says_suspend(uow):
        raise ConflictError("accrual is suspended: too many subjects are inside their DLT window")
    used = int(
        uow.session.execute(
            select(func.count(Enrollment.id)).where(Enrollment.cohort_id == cohort.id)
        ).scalar_one()
    )
    if used >= cohort.size:
        raise ConflictError(f"cohort {cohort.number} is full")
    enrollment = Enrollment(
        subject_id=subject.id,
        cohort_id=cohort.id,
        slot=used + 1,
        dose_level=cohort.dose_level,
        enrolled_at=now,
        enrolled_by=principal.user_id,
    )
    uow.session.add(enrollment)
    _move(subject, SubjectStatus.ENROLLED)
    if used + 1 == cohort.size:
        cohort.status = FULL
        cohort.row_version += 1
    changes = [
        Change("status", SubjectStatus.SCREENING.value, SubjectStatus.ENROLLED.value),
        Change("cohort", None, cohort.number),
        Change("slot", None, used + 1),
        Change("dose_level", None, cohort.dose_level),
    ]
    append_audit(uow.session, actor, "enroll", "subject", str(subject.id), changes, now)
    uow.session.flush()
    return EnrollmentView(subject.id, cohort.number, used + 1, cohort.dose_level, as_utc(now))


def _design_says_suspend(uow: UnitOfWork) -> bool:
    """Time-to-event designs enroll one by one while windows are open and suspend by their own rule."""
    protocol = _protocol(uow)
    if not protocol.design.name.startswith("tite"):
        return False
    return _recommendation(uow).decision.action == "suspend"


def _move(subject: Subject, new: SubjectStatus) -> None:
    check_transition(SubjectStatus(subject.status), new)
    subject.status = new.value
    subject.row_version += 1


def record_milestone(
    uow: UnitOfWork, principal: Principal, subject_id: int, status: SubjectStatus, on: date, now: datetime
) -> None:
    """Leukapheresis, lymphodepletion, withdrawal or death, each on its date."""
    allowed = (
        SubjectStatus.LEUKAPHERESIS,
        SubjectStatus.LYMPHODEPLETION,
        SubjectStatus.WITHDRAWN,
        SubjectStatus.DIED,
    )
    if status not in allowed:
        raise InputError.single("milestone", "status", f"one of {[s.value for s in allowed]}")
    if on > now.date():
        raise InputError.single("milestone", "on", f"{on} is in the future")
    subject = visible_subject(uow, principal, subject_id)
    actor = require(principal, Permission.RECORD_CLINICAL, subject.site_id)
    old = subject.status
    _move(subject, status)
    changes = [Change("status", old, status.value), Change("date", None, on.isoformat())]
    append_audit(uow.session, actor, "update", "subject", str(subject.id), changes, now)


def record_infusion(
    uow: UnitOfWork, principal: Principal, subject_id: int, infused_on: date, car_t_cells: int, now: datetime
) -> InfusionView:
    """Day 0: the cells actually infused. A dose off the assigned level's is kept, and flagged."""
    subject = visible_subject(uow, principal, subject_id)
    actor = require(principal, Permission.RECORD_CLINICAL, subject.site_id)
    if car_t_cells <= 0:
        raise InputError.single("infusion", "car_t_cells", "must be positive")
    if infused_on > now.date():
        raise InputError.single("infusion", "infused_on", f"{infused_on} is in the future")
    enrollment = uow.session.execute(
        select(Enrollment).where(Enrollment.subject_id == subject.id)
    ).scalar_one_or_none()
    if enrollment is None:
        raise ConflictError(f"subject {subject_id} is not enrolled")
    old = subject.status
    _move(subject, SubjectStatus.INFUSED)
    infusion = Infusion(
        subject_id=subject.id,
        infused_on=infused_on.isoformat(),
        car_t_cells=car_t_cells,
        dose_level=enrollment.dose_level,
        recorded_at=now,
        recorded_by=principal.user_id,
    )
    uow.session.add(infusion)
    level = _protocol(uow).dose_level(enrollment.dose_level)
    at_assigned = car_t_cells in (level.car_t_cells, level.alternative_car_t_cells)
    changes = [
        Change("status", old, SubjectStatus.INFUSED.value),
        Change("infused_on", None, infused_on.isoformat()),
        Change("car_t_cells", None, car_t_cells),
        Change("at_assigned_dose", None, at_assigned),
    ]
    append_audit(uow.session, actor, "infuse", "subject", str(subject.id), changes, now)
    return InfusionView(subject.id, infused_on, infusion.car_t_cells, infusion.dose_level)


def record_dlt_assessment(
    uow: UnitOfWork, principal: Principal, subject_id: int, safety_json: str, now: datetime
) -> DltAssessmentView:
    """Adjudicate the subject's DLT status from its safety record (the safety core) and store it."""
    subject = visible_subject(uow, principal, subject_id)
    require(principal, Permission.RECORD_CLINICAL, subject.site_id)
    try:
        safety = SubjectSafety.model_validate_json(safety_json)
    except ValidationError as exc:
        raise InputError("subject-safety", field_errors_from_validation(exc)) from exc
    enrollment, infusion = treatment_of(uow, subject.id)
    if enrollment is None or infusion is None:
        raise ConflictError(f"subject {subject_id} has no infusion recorded")
    _check_consistent(safety, enrollment, infusion, now)
    adjudication = adjudicate_dlt(safety, compile_dlt_rules(_protocol(uow).dlt))
    return store_dlt_assessment(uow, principal, subject, safety, safety_json, adjudication, now)


def store_dlt_assessment(
    uow: UnitOfWork,
    principal: Principal,
    subject: Subject,
    safety: SubjectSafety,
    safety_json: str,
    adjudication: DltAdjudication,
    now: datetime,
) -> DltAssessmentView:
    """Keep an adjudication as the subject's next DLT assessment and move the subject's status with it."""
    actor = require(principal, Permission.RECORD_CLINICAL, subject.site_id)
    previous = _latest_assessment(uow, subject.id)
    version = 1 if previous is None else previous.version + 1
    row = DltAssessment(
        subject_id=subject.id,
        version=version,
        status=adjudication.status,
        rule=adjudication.rule,
        followup_days=adjudication.followup_days,
        evaluable=adjudication.evaluable,
        as_of=safety.evaluation_at,
        input_json=safety_json,
        result_json=json.dumps(adjudication.to_json(), default=str),
        recorded_at=now,
        recorded_by=principal.user_id,
    )
    uow.session.add(row)
    old = subject.status
    target = SubjectStatus.DLT_WINDOW if adjudication.status == "pending" else SubjectStatus.FOLLOW_UP
    if SubjectStatus(old) is SubjectStatus.INFUSED and target is SubjectStatus.FOLLOW_UP:
        _move(subject, SubjectStatus.DLT_WINDOW)
    if SubjectStatus(subject.status) is not target:
        _move(subject, target)
    changes = [
        Change("dlt_status", None if previous is None else previous.status, adjudication.status),
        Change(
            "followup_days", None if previous is None else previous.followup_days, adjudication.followup_days
        ),
    ]
    if subject.status != old:
        changes.append(Change("status", old, subject.status))
    append_audit(
        uow.session, actor, "adjudicate", "subject", str(subject.id), changes, now, adjudication.reason
    )
    return dlt_assessment_view(row)


def treatment_of(uow: UnitOfWork, subject_id: int) -> tuple[Enrollment | None, Infusion | None]:
    """The subject's enrollment and infusion, each None until it happens."""
    enrollment = uow.session.execute(select(Enrollment).where(Enrollment.subject_id == subject_id)).scalar()
    infusion = uow.session.execute(select(Infusion).where(Infusion.subject_id == subject_id)).scalar()
    return enrollment, infusion


def _check_consistent(
    safety: SubjectSafety, enrollment: Enrollment, infusion: Infusion, now: datetime
) -> None:
    errors: list[FieldError] = []
    if safety.dose_level != enrollment.dose_level:
        errors.append(
            FieldError("dose_level", f"{safety.dose_level} is not the assigned level {enrollment.dose_level}")
        )
    # The safety record's instants are in UTC; the infusion date is the site's calendar date (UTC+8 in
    # China), so the two may differ by a day.
    if abs(safety.infusion_at.date() - date.fromisoformat(infusion.infused_on)) > timedelta(days=1):
        errors.append(FieldError("infusion_at", f"the infusion is recorded on {infusion.infused_on}"))
    if as_utc(safety.evaluation_at) > now:
        errors.append(FieldError("evaluation_at", "is in the future"))
    if errors:
        raise InputError("subject-safety", tuple(errors))


def _latest_assessment(uow: UnitOfWork, subject_id: int) -> DltAssessment | None:
    return uow.session.execute(
        select(DltAssessment)
        .where(DltAssessment.subject_id == subject_id)
        .order_by(DltAssessment.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def cohort_of(uow: UnitOfWork, number: int) -> Cohort:
    cohort = uow.session.execute(select(Cohort).where(Cohort.number == number)).scalar_one_or_none()
    if cohort is None:
        raise NotFoundError(f"no cohort {number}")
    return cohort
