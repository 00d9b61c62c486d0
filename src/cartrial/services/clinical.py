"""Clinical records of a subject — consents, visits, adverse events, lab results, PK samples, response
visits — each a versioned document validated by the domain core's model for its kind. An adverse event
that arrives or changes re-adjudicates the subject's DLT status with the safety core, as of the time it
is recorded; `close_dlt_windows` judges the windows that closed with nothing new.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select

from cartrial.errors import InputError
from cartrial.json_number import JsonNumber, NonNegativeDecimal, PositiveDecimal
from cartrial.protocol import field_errors_from_validation
from cartrial.response import Visit
from cartrial.safety import AdverseEvent, LabResult, SubjectSafety, adjudicate_dlt, compile_dlt_rules
from cartrial.services.access import Permission, Principal, require
from cartrial.services.dosing import store_dlt_assessment, treatment_of
from cartrial.services.protocols import current_protocol
from cartrial.services.reads import (
    ClinicalDocumentView,
    DltAssessmentView,
    clinical_document_view,
    current_documents,
)
from cartrial.services.screening import visible_subject
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import Change, append_audit
from cartrial.store.models import ClinicalRecord, Subject


class _Input(BaseModel):
    # Read strictly, as every record (docs/protocol-readings.md, "Record format: read strictly").
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class LabRecord(_Input):
    """A lab result as collected: the sample, its date, and the result with the lab's limits."""

    sample_id: str = Field(min_length=1, max_length=60)
    collected_on: date
    result: LabResult


class PkSample(_Input):
    """A cellular-kinetics sample: CAR transgene (qPCR) or CAR+ cells (flow), days from infusion."""

    sample_id: str = Field(min_length=1, max_length=60)
    day: Annotated[Decimal, Field(ge=-60), JsonNumber]
    analyte: Literal["car_transgene_qpcr", "car_t_cells_flow"]
    value: NonNegativeDecimal | None = Field(description="null when below the LLOQ")
    unit: Literal["copies/ug gDNA", "cells/uL"]
    blq: bool
    lloq: PositiveDecimal


class ConsentRecord(_Input):
    """An informed consent form signed (or withdrawn), by ICF version."""

    icf_version: str = Field(min_length=1, max_length=40)
    signed_on: date
    withdrawn_on: date | None = None

    @model_validator(mode="after")
    def _withdrawn_after_signing(self) -> ConsentRecord:
        if self.withdrawn_on is not None and self.withdrawn_on < self.signed_on:
            raise ValueError("withdrawn_on is before signed_on")
        return self


class VisitRecord(_Input):
    """A scheduled visit as it happened: its name in the protocol's schedule and the date."""

    visit: str = Field(min_length=1, max_length=60)
    visit_date: date
    notes: str | None = Field(default=None, max_length=2000)


Kind = Literal["consent", "visit", "adverse_event", "lab", "pk_sample", "response_visit"]
_MODELS: dict[str, type[BaseModel]] = {
    "consent": ConsentRecord,
    "visit": VisitRecord,
    "adverse_event": AdverseEvent,
    "lab": LabRecord,
    "pk_sample": PkSample,
    "response_visit": Visit,
}


def _key(kind: str, document: BaseModel) -> str:
    if isinstance(document, ConsentRecord):
        return document.icf_version
    if isinstance(document, VisitRecord):
        return document.visit
    if isinstance(document, AdverseEvent):
        return document.id
    if isinstance(document, LabRecord):
        return f"{document.sample_id}:{document.result.test}"
    if isinstance(document, PkSample):
        return document.sample_id
    assert isinstance(document, Visit), kind
    return document.visit


def parse_clinical_document(kind: str, text: str) -> BaseModel:
    model = _MODELS.get(kind)
    if model is None:
        raise InputError.single("record", "kind", f"one of {sorted(_MODELS)}")
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise InputError(kind, field_errors_from_validation(exc)) from exc


def record_clinical(
    uow: UnitOfWork,
    principal: Principal,
    subject_id: int,
    kind: str,
    text: str,
    now: datetime,
    reason: str | None = None,
) -> ClinicalDocumentView:
    """Store a new document, or a corrected version of one already stored (a reason is then required)."""
    subject = visible_subject(uow, principal, subject_id)
    actor = require(principal, Permission.RECORD_CLINICAL, subject.site_id)
    document = parse_clinical_document(kind, text)
    _check_dates(kind, document, now)
    _check_visit_in_schedule(uow, kind, document)
    key = _key(kind, document)
    latest = _latest_version(uow, subject.id, kind, key)
    if latest is not None and not (reason or "").strip():
        raise InputError.single(kind, "reason", f"{kind} {key!r} exists; a correction needs a reason")
    version = 1 if latest is None else latest + 1
    row = ClinicalRecord(
        subject_id=subject.id,
        kind=kind,
        record_key=key,
        version=version,
        document_json=document.model_dump_json(),
        recorded_at=now,
        recorded_by=principal.user_id,
        reason=reason if latest is not None else None,
    )
    uow.session.add(row)
    uow.session.flush()
    action = "create" if latest is None else "update"
    changes = [Change(f"{kind}:{key}", None if latest is None else f"version {latest}", f"version {version}")]
    append_audit(uow.session, actor, action, "subject", str(subject.id), changes, now, row.reason)
    if kind == "adverse_event":
        readjudicate(uow, principal, subject, now)
    return clinical_document_view(row)


def _check_dates(kind: str, document: BaseModel, now: datetime) -> None:
    """Nothing is recorded as having happened after now; a visit must be in the protocol's schedule."""
    day = now.date()
    if isinstance(document, ConsentRecord):
        for field, when in (("signed_on", document.signed_on), ("withdrawn_on", document.withdrawn_on)):
            if when is not None and when > day:
                raise InputError.single(kind, field, f"{when} is in the future")
    if isinstance(document, VisitRecord) and document.visit_date > day:
        raise InputError.single(kind, "visit_date", f"{document.visit_date} is in the future")


def _check_visit_in_schedule(uow: UnitOfWork, kind: str, document: BaseModel) -> None:
    if not isinstance(document, VisitRecord):
        return
    names = [v.name for v in current_protocol(uow).schedule.visits]
    if document.visit not in names:
        raise InputError.single(kind, "visit", f"{document.visit!r} is not in the visit schedule: {names}")


def _latest_version(uow: UnitOfWork, subject_id: int, kind: str, key: str) -> int | None:
    return uow.session.execute(
        select(func.max(ClinicalRecord.version)).where(
            ClinicalRecord.subject_id == subject_id,
            ClinicalRecord.kind == kind,
            ClinicalRecord.record_key == key,
        )
    ).scalar_one()


def readjudicate(
    uow: UnitOfWork, principal: Principal, subject: Subject, now: datetime
) -> DltAssessmentView | None:
    """Adjudicate from every stored adverse event as of `now`, if the subject has been infused.

    The DLT window starts at the start of the infusion day (the infusion is recorded as a date).
    """
    enrollment, infusion = treatment_of(uow, subject.id)
    if enrollment is None or infusion is None:
        return None
    protocol = current_protocol(uow)
    level = protocol.dose_level(enrollment.dose_level)
    events = [view.document for view in current_documents(uow, subject.id, "adverse_event")]
    safety_input = {
        "subject_id": subject.screening_id,
        "dose_level": enrollment.dose_level,
        "infused_at_assigned_dose": infusion.car_t_cells
        in (level.car_t_cells, level.alternative_car_t_cells),
        "infusion_at": datetime.combine(date.fromisoformat(infusion.infused_on), time(), UTC).isoformat(),
        "evaluation_at": now.isoformat(),
        "adverse_events": events,
    }
    text = json.dumps(safety_input)
    try:
        safety = SubjectSafety.model_validate_json(text)
    except ValidationError as exc:
        raise InputError("adverse events", field_errors_from_validation(exc)) from exc
    adjudication = adjudicate_dlt(safety, compile_dlt_rules(protocol.dlt))
    return store_dlt_assessment(uow, principal, subject, safety, text, adjudication, now)


def close_dlt_windows(uow: UnitOfWork, principal: Principal, now: datetime) -> list[DltAssessmentView]:
    """Re-adjudicate, as of `now`, every subject of the caller's sites still inside a DLT window (or infused
    and not yet judged), from the stored adverse events — so a window that closed with no DLT is judged."""
    require(principal, Permission.RECORD_CLINICAL)
    sites = principal.sites_readable()
    query = select(Subject).where(Subject.status.in_(("infused", "dlt_window"))).order_by(Subject.id)
    if sites is not None:
        query = query.where(Subject.site_id.in_(sites))
    judged = []
    for subject in uow.session.execute(query).scalars().all():
        assessment = readjudicate(uow, principal, subject, now)
        if assessment is not None:
            judged.append(assessment)
    return judged
