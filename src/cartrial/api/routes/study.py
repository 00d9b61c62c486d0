"""The study summary: CONSORT counts and the cohort table."""

from __future__ import annotations

from fastapi import APIRouter

from cartrial.api.deps import Reading
from cartrial.services import reads
from cartrial.services.reads import StudySummaryView

router = APIRouter(prefix="/study", tags=["study"])


@router.get("/summary", response_model=StudySummaryView)
async def summary(call: Reading) -> StudySummaryView:
    """Subject flow (screened, screen failures by criterion, eligible, enrolled, infused, completed the
    DLT window, withdrawn, died) and every cohort with its dose level, patients, DLTs, pending and SRC
    decision. Site staff see their own site's subjects counted; the others every site's."""
    return await call.run(lambda work: reads.study_summary(work.uow, work.principal))
