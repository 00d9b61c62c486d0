"""Verify the audit trail (monitors and administrators)."""

from __future__ import annotations

from cartrial.services.access import Permission, Principal, require
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import ChainProblem, verify_chain


def verify_audit(uow: UnitOfWork, principal: Principal) -> tuple[int, tuple[ChainProblem, ...]]:
    """(entries checked, problems): each entry edited, deleted or reordered is named."""
    require(principal, Permission.VERIFY_AUDIT)
    return verify_chain(uow.session)
