"""Read-only views the services do not offer yet (lists of protocol versions, subjects, screenings,
cohorts, SRC decisions, DLT assessments).

They read the store directly but decide nothing: who may read what is still the services' `require`
and `Principal.sites_readable`. They belong in services/ and move there when the services grow them.
"""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, func, select

from cartrial.api.schemas import (
    CohortOut,
    ProtocolVersionOut,
    ScreeningVersionOut,
    SiteOut,
    SrcDecisionOut,
    SubjectOut,
)
from cartrial.services.access import Permission, Principal, require
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.models import (
    Cohort,
    DltAssessment,
    Enrollment,
    ProtocolVersion,
    Screening,
    Site,
    SrcDecision,
    Subject,
)
from cartrial.store.times import as_utc


def list_sites(uow: UnitOfWork) -> list[SiteOut]:
    rows = uow.session.execute(select(Site).order_by(Site.id)).scalars()
    return [SiteOut(id=row.id, name=row.name, created_at=as_utc(row.created_at)) for row in rows]


def list_protocol_versions(uow: UnitOfWork, active_ref: str | None) -> list[ProtocolVersionOut]:
    rows = uow.session.execute(select(ProtocolVersion).order_by(ProtocolVersion.loaded_at)).scalars()
    return [protocol_version_out(row, active_ref) for row in rows]


def protocol_version_out(row: ProtocolVersion, active_ref: str | None) -> ProtocolVersionOut:
    return ProtocolVersionOut(
        ref=row.ref,
        protocol_id=row.protocol_id,
        version=row.version,
        content_sha256=row.content_sha256,
        loaded_at=as_utc(row.loaded_at),
        activated_at=None if row.activated_at is None else as_utc(row.activated_at),
        active=row.ref == active_ref,
    )


def list_cohorts(uow: UnitOfWork) -> list[CohortOut]:
    counts = uow.session.execute(
        select(Enrollment.cohort_id, func.count(Enrollment.id)).group_by(Enrollment.cohort_id)
    ).all()
    enrolled = {cohort_id: int(n) for cohort_id, n in counts}
    rows = uow.session.execute(select(Cohort).order_by(Cohort.number)).scalars()
    return [
        CohortOut(
            number=row.number,
            dose_level=row.dose_level,
            size=row.size,
            enrolled=enrolled.get(row.id, 0),
            status=row.status,
            protocol_ref=row.protocol_ref,
            opened_at=as_utc(row.opened_at),
        )
        for row in rows
    ]


def list_src_decisions(uow: UnitOfWork) -> list[SrcDecisionOut]:
    rows = uow.session.execute(select(SrcDecision).order_by(SrcDecision.id)).scalars()
    return [src_decision_out(uow, row) for row in rows]


def src_decision_out(uow: UnitOfWork, row: SrcDecision) -> SrcDecisionOut:
    cohort = None if row.reviewed_cohort_id is None else uow.session.get(Cohort, row.reviewed_cohort_id)
    return SrcDecisionOut(
        id=row.id,
        reviewed_cohort=None if cohort is None else cohort.number,
        protocol_ref=row.protocol_ref,
        recommendation=json.loads(row.recommendation_json),
        action=row.action,
        next_dose=row.next_dose,
        follows_recommendation=row.follows_recommendation,
        rationale=row.rationale,
        signer_name=row.signer_name,
        signature_meaning=row.signature_meaning,
        signed_at=as_utc(row.signed_at),
    )


def subject_out(row: Subject) -> SubjectOut:
    return SubjectOut(
        id=row.id,
        site_id=row.site_id,
        screening_id=row.screening_id,
        status=row.status,
        protocol_ref=row.protocol_ref,
        created_at=as_utc(row.created_at),
    )


def list_subjects(
    uow: UnitOfWork, principal: Principal, site_id: str | None, limit: int, offset: int
) -> tuple[int, list[SubjectOut]]:
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
    return int(total), [subject_out(row) for row in rows]


def screening_versions(uow: UnitOfWork, subject_id: int) -> list[ScreeningVersionOut]:
    """Every screening of a subject the caller has already been allowed to see, oldest first."""
    rows = uow.session.execute(
        select(Screening).where(Screening.subject_id == subject_id).order_by(Screening.version)
    ).scalars()
    return [
        ScreeningVersionOut(
            version=row.version,
            verdict=row.verdict,
            protocol_ref=row.protocol_ref,
            screened_at=as_utc(row.screened_at),
            screened_by=row.screened_by,
            reason=row.reason,
            record=json.loads(row.record_json),
            result=json.loads(row.result_json),
        )
        for row in rows
    ]


def dlt_assessments(uow: UnitOfWork, subject_id: int) -> list[DltAssessment]:
    """Every DLT assessment of a subject the caller has already been allowed to see, oldest first."""
    return list(
        uow.session.execute(
            select(DltAssessment)
            .where(DltAssessment.subject_id == subject_id)
            .order_by(DltAssessment.version)
        ).scalars()
    )
