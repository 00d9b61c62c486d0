"""Read-only views of the store, as frozen values: rows are mapped here, at the repository boundary,
so shells never see the ORM. Who may read what is decided by `require` and `Principal.sites_readable`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select

from cartrial.eligibility import Verdict
from cartrial.eligibility.result import CriterionResult, Outcome
from cartrial.services.access import Permission, Principal, require, require_readable_subject
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.protocols import current_protocol_ref
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.models import (
    ClinicalRecord,
    Cohort,
    DltAssessment,
    Enrollment,
    Infusion,
    ProtocolVersion,
    Screening,
    Site,
    SrcDecision,
    Subject,
)
from cartrial.store.times import as_utc


@dataclass(frozen=True, slots=True)
class SiteView:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProtocolVersionView:
    ref: str
    protocol_id: str
    version: str
    content_sha256: str
    loaded_at: datetime
    activated_at: datetime | None
    active: bool


@dataclass(frozen=True, slots=True)
class SubjectView:
    id: int
    site_id: str
    screening_id: str
    status: str
    protocol_ref: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ScreeningVersionView:
    version: int
    verdict: str
    protocol_ref: str
    screened_at: datetime
    screened_by: int
    reason: str | None
    record: Any
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SubjectDetailView(SubjectView):
    """A subject with every version of its screening (record as submitted, result, reason)."""

    screenings: tuple[ScreeningVersionView, ...]


@dataclass(frozen=True, slots=True)
class CohortView:
    number: int
    dose_level: int
    size: int
    enrolled: int
    status: str
    protocol_ref: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class SrcDecisionView:
    id: int
    reviewed_cohort: int | None
    protocol_ref: str
    recommendation: dict[str, Any]
    action: str
    next_dose: int | None
    follows_recommendation: bool
    rationale: str | None
    signer_name: str
    signature_meaning: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class EnrollmentView:
    subject_id: int
    cohort: int
    slot: int
    dose_level: int
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class InfusionView:
    """Day 0: the CAR+ T cells actually infused, and the dose level they count at."""

    subject_id: int
    infused_on: date
    car_t_cells: int
    dose_level: int


@dataclass(frozen=True, slots=True)
class DltAssessmentView:
    subject_id: int
    version: int
    status: str
    rule: str | None
    followup_days: float
    evaluable: bool | None
    as_of: datetime
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClinicalDocumentView:
    kind: str
    key: str
    version: int
    document: dict[str, Any]
    recorded_at: datetime
    reason: str | None


def list_sites(uow: UnitOfWork) -> list[SiteView]:
    rows = uow.session.execute(select(Site).order_by(Site.id)).scalars()
    return [SiteView(row.id, row.name, as_utc(row.created_at)) for row in rows]


def _protocol_version_view(row: ProtocolVersion, active_ref: str | None) -> ProtocolVersionView:
    activated = None if row.activated_at is None else as_utc(row.activated_at)
    return ProtocolVersionView(
        row.ref,
        row.protocol_id,
        row.version,
        row.content_sha256,
        as_utc(row.loaded_at),
        activated,
        row.ref == active_ref,
    )


def list_protocol_versions(uow: UnitOfWork) -> list[ProtocolVersionView]:
    """Every stored version in the order loaded, the active one marked."""
    active = uow.session.execute(
        select(ProtocolVersion.ref).where(ProtocolVersion.activated_at.is_not(None))
    ).first()
    active_ref = current_protocol_ref(uow) if active is not None else None
    rows = uow.session.execute(select(ProtocolVersion).order_by(ProtocolVersion.loaded_at)).scalars()
    return [_protocol_version_view(row, active_ref) for row in rows]


def active_protocol_version(uow: UnitOfWork) -> ProtocolVersionView:
    ref = current_protocol_ref(uow)
    row = uow.session.get(ProtocolVersion, ref)
    assert row is not None  # current_protocol_ref read it from the same table
    return _protocol_version_view(row, ref)


def subject_view(row: Subject) -> SubjectView:
    return SubjectView(
        row.id, row.site_id, row.screening_id, row.status, row.protocol_ref, as_utc(row.created_at)
    )


def list_subjects(
    uow: UnitOfWork, principal: Principal, site_id: str | None, limit: int, offset: int
) -> tuple[int, list[SubjectView]]:
    """The subjects this user may read (optionally at one site), in order of entry, and their total."""
    require(principal, Permission.READ_SUBJECTS)
    condition: list[ColumnElement[bool]] = []
    sites = principal.sites_readable()
    if sites is not None:
        condition.append(Subject.site_id.in_(sites))
    if site_id is not None:
        condition.append(Subject.site_id == site_id)
    total = uow.session.execute(select(func.count(Subject.id)).where(*condition)).scalar_one()
    rows = uow.session.execute(
        select(Subject).where(*condition).order_by(Subject.id).limit(limit).offset(offset)
    ).scalars()
    return int(total), [subject_view(row) for row in rows]


# Built once (building a statement costs more than running it). GET /subjects/{id} in one query: the
# subject with each of its screenings (every subject is stored with its first screening), oldest first.
_SUBJECT_WITH_SCREENINGS = (
    select(
        Subject.site_id,
        Subject.screening_id,
        Subject.status,
        Subject.protocol_ref.label("subject_protocol_ref"),
        Subject.created_at,
        Screening.version,
        Screening.verdict,
        Screening.protocol_ref,
        Screening.screened_at,
        Screening.screened_by,
        Screening.reason,
        Screening.record_json,
        Screening.result_json,
    )
    .join(Screening, Screening.subject_id == Subject.id)
    .where(Subject.id == bindparam("subject_id"))
    .order_by(Screening.version)
)
_SUBJECT_SITE = select(Subject.site_id).where(Subject.id == bindparam("subject_id"))


def require_readable(uow: UnitOfWork, principal: Principal, subject_id: int) -> None:
    """NotFoundError unless the subject exists and this user may read it."""
    site_id = uow.execute(_SUBJECT_SITE, {"subject_id": subject_id}).scalar_one_or_none()
    require_readable_subject(principal, subject_id, site_id)


def subject_detail(uow: UnitOfWork, principal: Principal, subject_id: int) -> SubjectDetailView:
    """A subject with every version of its screening (record as submitted, result, reason), oldest
    first; NotFoundError for one the user may not read."""
    rows = uow.execute(_SUBJECT_WITH_SCREENINGS, {"subject_id": subject_id}).all()
    require_readable_subject(principal, subject_id, rows[0].site_id if rows else None)
    first = rows[0]
    return SubjectDetailView(
        subject_id,
        first.site_id,
        first.screening_id,
        first.status,
        first.subject_protocol_ref,
        as_utc(first.created_at),
        tuple(
            ScreeningVersionView(
                row.version,
                row.verdict,
                row.protocol_ref,
                as_utc(row.screened_at),
                row.screened_by,
                row.reason,
                json.loads(row.record_json),
                json.loads(row.result_json),
            )
            for row in rows
        ),
    )


def list_cohorts(uow: UnitOfWork, principal: Principal) -> list[CohortView]:
    """Every cohort in order, with its dose level and how many of its slots are taken."""
    require(principal, Permission.READ_SUBJECTS)
    counts = uow.session.execute(
        select(Enrollment.cohort_id, func.count(Enrollment.id)).group_by(Enrollment.cohort_id)
    ).all()
    enrolled = {cohort_id: int(n) for cohort_id, n in counts}
    rows = uow.session.execute(select(Cohort).order_by(Cohort.number)).scalars()
    return [
        CohortView(
            row.number,
            row.dose_level,
            row.size,
            enrolled.get(row.id, 0),
            row.status,
            row.protocol_ref,
            as_utc(row.opened_at),
        )
        for row in rows
    ]


def src_decision_view(uow: UnitOfWork, row: SrcDecision) -> SrcDecisionView:
    cohort = None if row.reviewed_cohort_id is None else uow.session.get(Cohort, row.reviewed_cohort_id)
    return SrcDecisionView(
        row.id,
        None if cohort is None else cohort.number,
        row.protocol_ref,
        json.loads(row.recommendation_json),
        row.action,
        row.next_dose,
        row.follows_recommendation,
        row.rationale,
        row.signer_name,
        row.signature_meaning,
        as_utc(row.signed_at),
    )


def list_src_decisions(uow: UnitOfWork, principal: Principal) -> list[SrcDecisionView]:
    """Every signed SRC decision with its signature: signer, time and meaning."""
    require(principal, Permission.READ_SUBJECTS)
    rows = uow.session.execute(select(SrcDecision).order_by(SrcDecision.id)).scalars()
    return [src_decision_view(uow, row) for row in rows]


def enrollment_view(uow: UnitOfWork, row: Enrollment) -> EnrollmentView:
    cohort = uow.session.get(Cohort, row.cohort_id)
    assert cohort is not None  # a foreign key
    return EnrollmentView(row.subject_id, cohort.number, row.slot, row.dose_level, as_utc(row.enrolled_at))


def dlt_assessment_view(row: DltAssessment) -> DltAssessmentView:
    return DltAssessmentView(
        row.subject_id,
        row.version,
        row.status,
        row.rule,
        row.followup_days,
        row.evaluable,
        as_utc(row.as_of),
        json.loads(row.result_json),
    )


def dlt_assessments(uow: UnitOfWork, principal: Principal, subject_id: int) -> list[DltAssessmentView]:
    """Every DLT assessment of a subject this user may read, oldest first (NotFoundError otherwise)."""
    require_readable(uow, principal, subject_id)
    rows = uow.session.execute(
        select(DltAssessment).where(DltAssessment.subject_id == subject_id).order_by(DltAssessment.version)
    ).scalars()
    return [dlt_assessment_view(row) for row in rows]


def clinical_document_view(row: ClinicalRecord) -> ClinicalDocumentView:
    return ClinicalDocumentView(
        row.kind,
        row.record_key,
        row.version,
        json.loads(row.document_json),
        as_utc(row.recorded_at),
        row.reason,
    )


def clinical_documents(
    uow: UnitOfWork, principal: Principal, subject_id: int, kind: str
) -> list[ClinicalDocumentView]:
    """The latest version of each of a subject's documents of one kind, in the order first recorded
    (NotFoundError for a subject this user may not read)."""
    require_readable(uow, principal, subject_id)
    return current_documents(uow, subject_id, kind)


def current_documents(uow: UnitOfWork, subject_id: int, kind: str) -> list[ClinicalDocumentView]:
    """The latest version of each of a subject's documents of one kind, in the order first recorded, for
    a subject the caller has already been allowed to see."""
    rows = uow.session.execute(
        select(ClinicalRecord)
        .where(ClinicalRecord.subject_id == subject_id, ClinicalRecord.kind == kind)
        .order_by(ClinicalRecord.id)
    ).scalars()
    latest: dict[str, ClinicalRecord] = {}
    for row in rows:
        latest[row.record_key] = row
    return [clinical_document_view(row) for row in latest.values()]


# --- the study summary: CONSORT counts and the cohort table


@dataclass(frozen=True, slots=True)
class ScreenFailureReasonView:
    """An exclusion criterion and how many screen failures it excluded (the latest screening of each)."""

    criterion: str
    title: str
    subjects: int


@dataclass(frozen=True, slots=True)
class ConsortView:
    """Subject flow (CONSORT) over the subjects the caller may read, each counted at its latest screening
    and its latest DLT assessment.

    A subject may fail several criteria, so `screen_failure_reasons` can add up to more than
    `screen_failures`. `completed_dlt_window` counts the subjects judged DLT-evaluable: a DLT, or followed
    through the window without one.
    """

    screened: int
    screen_failures: int
    screen_failure_reasons: tuple[ScreenFailureReasonView, ...]
    screening_incomplete: int
    eligible: int
    enrolled: int
    infused: int
    completed_dlt_window: int
    with_dlt: int
    withdrawn: int
    died: int


@dataclass(frozen=True, slots=True)
class CohortSummaryView:
    """A cohort and its patients: judged DLT-evaluable, with a DLT, still pending (no assessment yet, or
    the latest one pending: as the design counts them, so a subject withdrawn before infusion stays
    pending until judged not evaluable), and the SRC decision that reviewed it (None until one has)."""

    number: int
    dose_level: int
    size: int
    status: str
    patients: int
    evaluable: int
    dlts: int
    pending: int
    src_decision: str | None
    next_dose: int | None


@dataclass(frozen=True, slots=True)
class StudySummaryView:
    """CONSORT counts and the cohort table. Site staff see their own site's subjects counted; the
    cohorts and SRC decisions themselves are the study's."""

    sites: tuple[str, ...] | None
    """The sites counted; None for every site."""
    consort: ConsortView
    cohorts: tuple[CohortSummaryView, ...]


@dataclass(frozen=True, slots=True)
class _SubjectFacts:
    """What the summary counts of one subject: its latest screening and its latest DLT assessment."""

    status: str
    verdict: str
    result_json: str
    cohort_id: int | None
    infused: bool
    dlt_status: str | None
    evaluable: bool | None


def study_summary(uow: UnitOfWork, principal: Principal) -> StudySummaryView:
    """The study's CONSORT counts and cohort table, as this user may read them."""
    require(principal, Permission.READ_SUBJECTS)
    sites = principal.sites_readable()
    in_scope: list[ColumnElement[bool]] = [] if sites is None else [Subject.site_id.in_(sites)]
    latest_screening = (
        select(Screening.subject_id, func.max(Screening.version).label("version"))
        .group_by(Screening.subject_id)
        .subquery()
    )
    latest_assessment = (
        select(DltAssessment.subject_id, func.max(DltAssessment.version).label("version"))
        .group_by(DltAssessment.subject_id)
        .subquery()
    )
    rows = [
        _SubjectFacts(*row)
        for row in uow.session.execute(
            select(
                Subject.status,
                Screening.verdict,
                Screening.result_json,
                Enrollment.cohort_id,
                Infusion.id.is_not(None).label("infused"),
                DltAssessment.status.label("dlt_status"),
                DltAssessment.evaluable,
            )
            .join(latest_screening, latest_screening.c.subject_id == Subject.id)
            .join(
                Screening,
                (Screening.subject_id == Subject.id) & (Screening.version == latest_screening.c.version),
            )
            .outerjoin(Enrollment, Enrollment.subject_id == Subject.id)
            .outerjoin(Infusion, Infusion.subject_id == Subject.id)
            .outerjoin(latest_assessment, latest_assessment.c.subject_id == Subject.id)
            .outerjoin(
                DltAssessment,
                (DltAssessment.subject_id == Subject.id)
                & (DltAssessment.version == latest_assessment.c.version),
            )
            .where(*in_scope)
            .order_by(Subject.id)
        )
    ]
    return StudySummaryView(
        None if sites is None else tuple(sorted(sites)),
        _consort(rows),
        _cohort_table(uow, rows),
    )


def _consort(rows: Sequence[_SubjectFacts]) -> ConsortView:
    verdicts = Counter(row.verdict for row in rows)
    statuses = Counter(row.status for row in rows)
    enrolled = [row for row in rows if row.cohort_id is not None]
    reasons: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row.verdict == Verdict.INELIGIBLE.value:
            reasons.update(
                (c["id"], c["title"])
                for c in json.loads(row.result_json)["criteria"]
                if CriterionResult(c["id"], c["kind"], c["title"], Outcome(c["result"]), (), ()).excludes
            )
    return ConsortView(
        screened=len(rows),
        screen_failures=verdicts[Verdict.INELIGIBLE.value],
        screen_failure_reasons=tuple(
            ScreenFailureReasonView(criterion, title, n)
            for (criterion, title), n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ),
        screening_incomplete=verdicts[Verdict.INCOMPLETE.value],
        eligible=verdicts[Verdict.ELIGIBLE.value],
        enrolled=len(enrolled),
        infused=sum(1 for row in enrolled if row.infused),
        completed_dlt_window=sum(1 for row in enrolled if row.evaluable is True),
        with_dlt=sum(1 for row in enrolled if row.dlt_status == "dlt"),
        withdrawn=statuses[SubjectStatus.WITHDRAWN.value],
        died=statuses[SubjectStatus.DIED.value],
    )


def _cohort_table(uow: UnitOfWork, rows: Sequence[_SubjectFacts]) -> tuple[CohortSummaryView, ...]:
    members: dict[int, list[_SubjectFacts]] = {}
    for row in rows:
        if row.cohort_id is not None:
            members.setdefault(row.cohort_id, []).append(row)
    decisions = {
        decision.reviewed_cohort_id: decision
        for decision in uow.session.execute(
            select(SrcDecision.reviewed_cohort_id, SrcDecision.action, SrcDecision.next_dose).where(
                SrcDecision.reviewed_cohort_id.is_not(None)
            )
        )
    }
    table = []
    for cohort in uow.session.execute(select(Cohort).order_by(Cohort.number)).scalars():
        patients = members.get(cohort.id, [])
        decision = decisions.get(cohort.id)
        table.append(
            CohortSummaryView(
                number=cohort.number,
                dose_level=cohort.dose_level,
                size=cohort.size,
                status=cohort.status,
                patients=len(patients),
                evaluable=sum(1 for row in patients if row.evaluable is True),
                dlts=sum(1 for row in patients if row.dlt_status == "dlt"),
                pending=sum(1 for row in patients if row.dlt_status in (None, "pending")),
                src_decision=None if decision is None else decision.action,
                next_dose=None if decision is None else decision.next_dose,
            )
        )
    return tuple(table)
