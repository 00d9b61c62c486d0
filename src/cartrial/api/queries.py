"""Read-only views the services do not offer yet (lists of protocol versions, subjects, screenings).

They read the store directly but decide nothing: who may read what is still the services' `require`
and `Principal.sites_readable`. They belong in services/ and move there when the services grow them.
"""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, func, select

from cartrial.api.schemas import ProtocolVersionOut, ScreeningVersionOut, SiteOut, SubjectOut
from cartrial.services.access import Permission, Principal, require
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.models import ProtocolVersion, Screening, Site, Subject
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
