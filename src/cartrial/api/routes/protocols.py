"""The protocol versions in the store and the one new screenings use."""

from __future__ import annotations

from fastapi import APIRouter

from cartrial.api import queries
from cartrial.api.deps import CurrentCaller, Uow
from cartrial.api.schemas import ActiveProtocol, ProtocolVersionOut
from cartrial.services.errors import NotFoundError
from cartrial.services.protocols import current_protocol_ref, stored_protocol
from cartrial.store.models import ProtocolVersion

router = APIRouter(prefix="/protocols", tags=["protocols"])


@router.get("", response_model=list[ProtocolVersionOut])
def protocol_versions(caller: CurrentCaller, uow: Uow) -> list[ProtocolVersionOut]:
    """Every stored protocol version with its content hash; `active` marks the one in use."""
    try:
        active: str | None = current_protocol_ref(uow)
    except NotFoundError:
        active = None
    return queries.list_protocol_versions(uow, active)


@router.get("/active", response_model=ActiveProtocol)
def active_protocol(caller: CurrentCaller, uow: Uow) -> ActiveProtocol:
    """The protocol version new screenings and dose decisions use, parsed."""
    ref = current_protocol_ref(uow)
    protocol = stored_protocol(uow, ref)
    row = uow.session.get(ProtocolVersion, ref)
    assert row is not None  # stored_protocol found it in this transaction
    return ActiveProtocol(
        version=queries.protocol_version_out(row, ref), protocol=protocol.model_dump(mode="json")
    )
