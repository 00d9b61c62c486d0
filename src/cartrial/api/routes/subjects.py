"""Screen candidates, list and read subjects (site staff see their own site only), correct screenings."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query

from cartrial.api.deps import JsonText, Reading, Writing
from cartrial.api.errors import WHOLE_INPUT
from cartrial.api.schemas import (
    SCREENING_RECORD_REF,
    ScreeningCorrection,
    ScreeningOutcomeOut,
    SiteId,
    SubjectList,
)
from cartrial.errors import FieldError, InputError
from cartrial.services import reads
from cartrial.services.reads import SubjectDetailView
from cartrial.services.screening import ScreeningOutcome, correct_screening, screen_candidate

router = APIRouter(tags=["subjects"])

# Row ids are 32-bit integers in the store (PostgreSQL INTEGER); a larger one names nothing.
MAX_ROW_ID = 2**31 - 1
SubjectId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the subject's id")]


def _outcome(outcome: ScreeningOutcome) -> ScreeningOutcomeOut:
    return ScreeningOutcomeOut(
        subject_id=outcome.subject_id,
        site_id=outcome.site_id,
        screening_id=outcome.screening_id,
        screening_version=outcome.screening_version,
        status=outcome.status.value,
        verdict=outcome.result.verdict.value,
        result=outcome.result_document,
    )


@router.post(
    "/sites/{site_id}/screenings",
    response_model=ScreeningOutcomeOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": SCREENING_RECORD_REF}}},
        }
    },
)
async def screen(site_id: Annotated[SiteId, Path()], record: JsonText, call: Writing) -> ScreeningOutcomeOut:
    """Screen a new candidate at a site under the active protocol. The body is the screening record
    (`cartrial schema screening-record`), stored exactly as sent with the eligibility result."""
    return _outcome(
        await call.write(lambda work: screen_candidate(work.uow, work.principal, site_id, record, work.now))
    )


@router.get("/subjects", response_model=SubjectList)
async def subjects(
    call: Reading,
    site_id: Annotated[SiteId | None, Query(description="only this site")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> SubjectList:
    """The subjects the caller may read, in order of entry: site staff their own site's, others all."""
    total, views = await call.run(
        lambda work: reads.list_subjects(work.uow, work.principal, site_id, limit, offset)
    )
    return SubjectList(total=total, subjects=views)


@router.get("/subjects/{subject_id}", response_model=SubjectDetailView)
async def subject(subject_id: SubjectId, call: Reading) -> SubjectDetailView:
    """A subject with every version of its screening (record as submitted, result, reason)."""
    return await call.run(lambda work: reads.subject_detail(work.uow, work.principal, subject_id))


@router.post(
    "/subjects/{subject_id}/screenings",
    response_model=ScreeningOutcomeOut,
    status_code=201,
)
async def correct(subject_id: SubjectId, body: ScreeningCorrection, call: Writing) -> ScreeningOutcomeOut:
    """Screen a subject again from a corrected record: a new version with the reason; the old one stays."""
    # ASCII escapes keep any lone surrogate as text, for the record parser to refuse by name.
    record = json.dumps(body.record)
    try:
        outcome = await call.write(
            lambda work: correct_screening(
                work.uow, work.principal, subject_id, record, body.reason, work.now
            )
        )
    except InputError as error:
        if error.source != "record":
            raise
        # The service names fields inside the record; in this request the record is the field `record`.
        raise InputError(
            "record",
            tuple(
                FieldError("record" if e.field == WHOLE_INPUT else f"record.{e.field}", e.reason)
                for e in error.errors
            ),
        ) from error
    return _outcome(outcome)
