"""Dosing: the design's recommendation, cohorts, SRC decisions signed electronically, enrollment,
milestones, infusion, DLT assessments, and the clinical records that feed them."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Path

from cartrial.api.deps import JsonText, LoggedIn, Reading, Writing
from cartrial.api.routes.subjects import SubjectId
from cartrial.api.schemas import (
    SUBJECT_SAFETY_REF,
    ClinicalDocumentIn,
    DecisionOut,
    DoseLevelOutcomes,
    InfusionIn,
    Milestone,
    RecommendationOut,
    SrcSignature,
    SubjectStatusOut,
)
from cartrial.services import reads
from cartrial.services.clinical import close_dlt_windows, record_clinical
from cartrial.services.dosing import (
    enroll,
    recommend,
    record_dlt_assessment,
    record_infusion,
    record_milestone,
    sign_src_decision,
)
from cartrial.services.errors import UnauthenticatedError
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.reads import (
    ClinicalDocumentView,
    CohortView,
    DltAssessmentView,
    EnrollmentView,
    InfusionView,
    SrcDecisionView,
)

router = APIRouter(tags=["dosing"])

ClinicalKind = Literal["consent", "visit", "adverse_event", "lab", "pk_sample", "response_visit"]


@router.get("/dosing/recommendation", response_model=RecommendationOut)
async def recommendation(call: Reading) -> RecommendationOut:
    """What the protocol's design recommends now, from the stored outcomes (before the SRC decides)."""
    found = await call.run(lambda work: recommend(work.uow, work.principal))
    decision = found.decision
    treated = Counter(p.dose_level for p in found.state.patients)
    dlts = Counter(p.dose_level for p in found.state.patients if p.dlt == "yes")
    pending = Counter(p.dose_level for p in found.state.patients if p.dlt == "pending")
    return RecommendationOut(
        protocol_ref=found.protocol_ref,
        current_dose=found.state.current_dose,
        decision=DecisionOut(
            design=decision.design,
            action=decision.action,
            next_dose=decision.next_dose,
            eliminated=list(decision.eliminated),
            stop=decision.stop,
            reason=decision.reason,
            details=json.loads(json.dumps(dict(decision.details), default=str)),
        ),
        outcomes=[
            DoseLevelOutcomes(dose_level=level, treated=n, dlts=dlts[level], pending=pending[level])
            for level, n in sorted(treated.items())
        ],
    )


@router.post("/dosing/close-windows", response_model=list[DltAssessmentView])
async def close_windows(call: Writing) -> list[DltAssessmentView]:
    """Judge, as of now, every subject of the caller's site still inside a DLT window, from the stored
    adverse events: a window that closed with nothing new is judged too (site staff)."""

    return await call.write(lambda work: close_dlt_windows(work.uow, work.principal, work.now))


@router.get("/cohorts", response_model=list[CohortView])
async def cohorts(call: Reading) -> list[CohortView]:
    """Every cohort in order, with its dose level and how many of its slots are taken."""
    return await call.run(lambda work: reads.list_cohorts(work.uow, work.principal))


@router.get("/src-decisions", response_model=list[SrcDecisionView])
async def src_decisions(call: Reading) -> list[SrcDecisionView]:
    """Every signed SRC decision with its signature: signer, time and meaning."""
    return await call.run(lambda work: reads.list_src_decisions(work.uow, work.principal))


@router.post("/src-decisions", response_model=SrcDecisionView, status_code=201)
def sign(body: SrcSignature, call: LoggedIn) -> SrcDecisionView:
    """Sign the SRC's decision (SRC members, re-entering their password); it opens the next cohort.

    A wrong password counts towards the lock-out, as at login."""
    with call.authenticated() as work:
        try:
            return sign_src_decision(
                work.uow,
                work.principal,
                body.password,
                body.meaning,
                work.now,
                next_dose=body.next_dose,
                stop=body.stop,
                rationale=body.rationale,
            )
        except UnauthenticatedError:
            work.uow.commit()
            raise


@router.post("/subjects/{subject_id}/enrollment", response_model=EnrollmentView, status_code=201)
async def enrollment(subject_id: SubjectId, call: Writing) -> EnrollmentView:
    """Give an eligible subject the next slot of the open cohort, at the cohort's dose level."""
    return await call.write(lambda work: enroll(work.uow, work.principal, subject_id, work.now))


@router.post("/subjects/{subject_id}/milestones", response_model=SubjectStatusOut, status_code=201)
async def milestone(subject_id: SubjectId, body: Milestone, call: Writing) -> SubjectStatusOut:
    """Leukapheresis, lymphodepletion, withdrawal or death, on its date."""
    status = SubjectStatus(body.status)
    await call.write(
        lambda work: record_milestone(work.uow, work.principal, subject_id, status, body.on, work.now)
    )
    return SubjectStatusOut(subject_id=subject_id, status=body.status)


@router.post("/subjects/{subject_id}/infusion", response_model=InfusionView, status_code=201)
async def infusion(subject_id: SubjectId, body: InfusionIn, call: Writing) -> InfusionView:
    """Day 0: the CAR+ T cells actually infused (a dose off the assigned level's is kept and audited)."""
    return await call.write(
        lambda work: record_infusion(
            work.uow, work.principal, subject_id, body.infused_on, body.car_t_cells, work.now
        )
    )


@router.post(
    "/subjects/{subject_id}/dlt-assessments",
    response_model=DltAssessmentView,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": SUBJECT_SAFETY_REF}}},
        }
    },
)
async def dlt_assessment(subject_id: SubjectId, safety: JsonText, call: Writing) -> DltAssessmentView:
    """Adjudicate the subject's DLT status with the safety core from its safety record (the body,
    `cartrial schema subject-safety`), and keep it as the subject's next assessment."""
    return await call.write(
        lambda work: record_dlt_assessment(work.uow, work.principal, subject_id, safety, work.now)
    )


@router.get("/subjects/{subject_id}/dlt-assessments", response_model=list[DltAssessmentView])
async def dlt_assessments(subject_id: SubjectId, call: Reading) -> list[DltAssessmentView]:
    """Every DLT assessment of the subject, oldest first; the last one is its current DLT status."""
    return await call.run(lambda work: reads.dlt_assessments(work.uow, work.principal, subject_id))


@router.post("/subjects/{subject_id}/records/{kind}", response_model=ClinicalDocumentView, status_code=201)
async def record(
    subject_id: SubjectId,
    kind: Annotated[ClinicalKind, Path()],
    body: ClinicalDocumentIn,
    call: Writing,
) -> ClinicalDocumentView:
    """Record an adverse event, lab, PK sample or response visit, or correct one (with a reason).
    An adverse event re-adjudicates the subject's DLT status."""
    text = json.dumps(body.document)
    return await call.write(
        lambda work: record_clinical(work.uow, work.principal, subject_id, kind, text, work.now, body.reason)
    )


@router.get("/subjects/{subject_id}/records/{kind}", response_model=list[ClinicalDocumentView])
async def records(
    subject_id: SubjectId, kind: Annotated[ClinicalKind, Path()], call: Reading
) -> list[ClinicalDocumentView]:
    """The current version of each of the subject's documents of one kind."""
    return await call.run(lambda work: reads.clinical_documents(work.uow, work.principal, subject_id, kind))
