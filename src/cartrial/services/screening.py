"""Screen a candidate and correct a screening: the eligibility engine's result, stored with its record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select

from cartrial.eligibility import ScreeningResult, Verdict, parse_screening_record, screen
from cartrial.eligibility.result import result_as_dict
from cartrial.errors import InputError
from cartrial.services.access import Permission, Principal, require, require_readable_subject
from cartrial.services.errors import ConflictError, NotFoundError
from cartrial.services.lifecycle import SubjectStatus, check_transition
from cartrial.services.protocols import ACTIVE_CONTENT, ACTIVE_REF, current_protocol, protocol_of
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import Change, append_audit
from cartrial.store.models import Screening, Site, Subject


@dataclass(frozen=True, slots=True)
class ScreeningOutcome:
    subject_id: int
    site_id: str
    screening_id: str
    screening_version: int
    status: SubjectStatus
    result: ScreeningResult
    # The result as stored (`result_as_dict`), built once for the store and the answer.
    result_document: dict[str, Any]


# Built once: every screening runs them (building a statement costs more than running it). Rows are
# inserted as statements, not ORM objects: nothing else in the transaction reads them back.
_SUBJECT_AT_SITE = select(Subject.id).where(
    Subject.site_id == bindparam("site_id"), Subject.screening_id == bindparam("screening_id")
)
# A screening's look-ups, in one statement (a round trip each on PostgreSQL) after its record is read:
# the site, the same subject at the site (a duplicate), and the active protocol version. The site is
# looked up after the record is read only because a caller allowed to screen there is one of its staff,
# whose role names the site (a foreign key): for them it always exists, and the check stays as a guard.
_LOOK_UPS = select(
    select(Site.id).where(Site.id == bindparam("site_id")).scalar_subquery().label("site"),
    _SUBJECT_AT_SITE.scalar_subquery().label("duplicate"),
    ACTIVE_REF.label("ref"),
    ACTIVE_CONTENT.label("content"),
)
_INSERT_SUBJECT = insert(Subject).returning(Subject.id)
_INSERT_SCREENING = insert(Screening)
_SUBJECT_COLUMNS = ("site_id", "screening_id", "status", "protocol_ref", "row_version", "created_at")
_SCREENING_COLUMNS = (
    "version",
    "record_json",
    "verdict",
    "result_json",
    "protocol_ref",
    "screened_at",
    "screened_by",
    "reason",
)
# PostgreSQL: the new subject and its first screening in one statement (one round trip instead of two), the
# screening taking the subject's id from a data-modifying CTE; it succeeds or fails as a whole. The
# screening's values are bound as `screening_<column>` (both rows have a `protocol_ref`). SQLite has no
# data-modifying CTE: it runs the two inserts, which cost no round trip there.
_NEW_SUBJECT = (
    insert(Subject)
    .values({name: bindparam(name) for name in _SUBJECT_COLUMNS})
    .returning(Subject.id)
    .cte("new_subject")
)
_INSERT_SUBJECT_AND_SCREENING = (
    insert(Screening)
    .from_select(
        ["subject_id", *_SCREENING_COLUMNS],
        select(
            _NEW_SUBJECT.c.id,
            *(
                bindparam(f"screening_{name}", type_=Screening.__table__.c[name].type)
                for name in _SCREENING_COLUMNS
            ),
        ),
    )
    .add_cte(_NEW_SUBJECT)
    .returning(Screening.subject_id)
)


def _status_after(verdict: Verdict) -> SubjectStatus:
    return SubjectStatus.SCREEN_FAILURE if verdict is Verdict.INELIGIBLE else SubjectStatus.SCREENING


def screen_candidate(
    uow: UnitOfWork, principal: Principal, site_id: str, record_text: str, now: datetime
) -> ScreeningOutcome:
    """Screen a new candidate at `site_id` under the active protocol version, in one transaction."""
    actor = require(principal, Permission.SCREEN, site_id)
    record = parse_screening_record(record_text, "record", now.date())
    if record.site_id is not None and record.site_id != site_id:
        raise InputError.single(
            "record", "site_id", f"{record.site_id!r} is not the site screening ({site_id!r})"
        )
    found = uow.execute(_LOOK_UPS, {"site_id": site_id, "screening_id": record.screening_id}).one()
    if found.site is None:
        raise NotFoundError(f"no site {site_id!r}")
    if found.duplicate is not None:
        raise ConflictError(
            f"{record.screening_id} is screened already at {site_id}; correct it with a reason"
        )
    protocol = protocol_of(found.ref, found.content)
    protocol_ref = protocol.ref
    result = screen(record, protocol)
    status = _status_after(result.verdict)
    document = result_as_dict(result)
    subject_row = {
        "site_id": site_id,
        "screening_id": record.screening_id,
        "status": status.value,
        "protocol_ref": protocol_ref,
        "row_version": 1,
        "created_at": now,
    }
    screening_row = _screening_row(1, record_text, result, document, actor.user_id, now, None)
    if uow.session.connection().dialect.name == "postgresql":
        both = subject_row | {f"screening_{name}": value for name, value in screening_row.items()}
        subject_id = uow.execute(_INSERT_SUBJECT_AND_SCREENING, both).scalar_one()
    else:
        subject_id = uow.execute(_INSERT_SUBJECT, subject_row).scalar_one()
        uow.execute(_INSERT_SCREENING, {"subject_id": subject_id} | screening_row)
    append_audit(
        uow.session,
        actor,
        "create",
        "subject",
        str(subject_id),
        [
            Change("screening_id", None, record.screening_id),
            Change("site_id", None, site_id),
            Change("status", None, status.value),
            Change("protocol", None, protocol_ref),
            Change("verdict", None, result.verdict.value),
        ],
        now,
    )
    return ScreeningOutcome(subject_id, site_id, record.screening_id, 1, status, result, document)


def correct_screening(
    uow: UnitOfWork, principal: Principal, subject_id: int, record_text: str, reason: str, now: datetime
) -> ScreeningOutcome:
    """Screen again from a corrected record: a new version with the reason; the old one stays."""
    if not reason.strip():
        raise InputError.single("correction", "reason", "a reason is required to change a screening")
    subject = visible_subject(uow, principal, subject_id)
    actor = require(principal, Permission.SCREEN, subject.site_id)
    current = SubjectStatus(subject.status)
    if current not in (SubjectStatus.SCREENING, SubjectStatus.SCREEN_FAILURE):
        raise ConflictError(
            f"subject {subject_id} is {current.value}; a screening can be corrected only before enrollment"
        )
    record = parse_screening_record(record_text, "record", now.date())
    if record.screening_id != subject.screening_id:
        raise InputError.single("record", "screening_id", f"must stay {subject.screening_id!r}")
    result = screen(record, current_protocol(uow))
    previous = uow.session.execute(
        select(Screening)
        .where(Screening.subject_id == subject.id)
        .order_by(Screening.version.desc())
        .limit(1)
    ).scalar_one()
    version = previous.version + 1
    document = result_as_dict(result)
    screening_row = _screening_row(version, record_text, result, document, actor.user_id, now, reason)
    uow.execute(_INSERT_SCREENING, {"subject_id": subject.id} | screening_row)
    status = _status_after(result.verdict)
    check_transition(current, status)
    changes = [
        Change("screening_version", previous.version, version),
        Change("verdict", previous.verdict, result.verdict.value),
    ]
    if status is not current:
        changes.append(Change("status", current.value, status.value))
        subject.status = status.value
        subject.row_version += 1
    append_audit(uow.session, actor, "update", "subject", str(subject.id), changes, now, reason)
    return ScreeningOutcome(
        subject.id, subject.site_id, subject.screening_id, version, status, result, document
    )


def _screening_row(
    version: int,
    record_text: str,
    result: ScreeningResult,
    document: dict[str, Any],
    user_id: int | None,
    now: datetime,
    reason: str | None,
) -> dict[str, Any]:
    """A screening's stored values (`_SCREENING_COLUMNS`), without its subject's id."""
    return {
        "version": version,
        "record_json": record_text,
        "verdict": result.verdict.value,
        "result_json": json.dumps(document, ensure_ascii=False),
        "protocol_ref": result.protocol,
        "screened_at": now,
        "screened_by": user_id,
        "reason": reason,
    }


def visible_subject(uow: UnitOfWork, principal: Principal, subject_id: int) -> Subject:
    """The subject if this user may read it, else NotFoundError (never 403: existence must not leak)."""
    subject = uow.session.get(Subject, subject_id)
    require_readable_subject(principal, subject_id, None if subject is None else subject.site_id)
    assert subject is not None  # a missing subject was refused above
    return subject


def count_subjects(uow: UnitOfWork, principal: Principal) -> int:
    require(principal, Permission.READ_SUBJECTS)
    query = select(func.count(Subject.id))
    sites = principal.sites_readable()
    if sites is not None:
        query = query.where(Subject.site_id.in_(sites))
    return int(uow.session.execute(query).scalar_one())
