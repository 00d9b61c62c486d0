"""Verify the audit trail (monitors and administrators)."""

from __future__ import annotations

from fastapi import APIRouter

from cartrial.api.deps import Reading
from cartrial.api.schemas import AuditVerification, ChainProblemOut
from cartrial.services.audit import verify_audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify", response_model=AuditVerification)
def verify(call: Reading) -> AuditVerification:
    """Recompute the hash chain; `problems` names each entry edited, deleted or reordered."""
    with call.authenticated() as work:
        checked, problems = verify_audit(work.uow, work.principal)
    return AuditVerification(
        intact=not problems,
        entries=checked,
        problems=[ChainProblemOut(seq=p.seq, problem=p.problem) for p in problems],
    )
