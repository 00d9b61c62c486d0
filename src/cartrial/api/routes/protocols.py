"""The protocol versions in the store and the one new screenings use."""

from __future__ import annotations

from fastapi import APIRouter

from cartrial.api import queries
from cartrial.api.deps import LoggedIn
from cartrial.api.schemas import ActiveProtocol, ProtocolVersionOut
from cartrial.services.errors import NotFoundError
from cartrial.services.protocols import current_protocol_ref, stored_protocol
from cartrial.store.models import ProtocolVersion

router = APIRouter(prefix="/protocols", tags=["protocols"])


@router.get("", response_model=list[ProtocolVersionOut])
def protocol_versions(call: LoggedIn) -> list[ProtocolVersionOut]:
    """Every stored protocol version with its content hash; `active` marks the one in use."""
    with call.authenticated() as work:
        try:
            active: str | None = current_protocol_ref(work.uow)
        except NotFoundError:
            active = None
        return queries.list_protocol_versions(work.uow, active)


@router.get("/active", response_model=ActiveProtocol)
def active_protocol(call: LoggedIn) -> ActiveProtocol:
    """The protocol version new screenings and dose decisions use, parsed."""
    with call.authenticated() as work:
        ref = current_protocol_ref(work.uow)
        protocol = stored_protocol(work.uow, ref)
        row = work.uow.session.get(ProtocolVersion, ref)
        assert row is not None  # stored_protocol found it in this transaction
        return ActiveProtocol(
            version=queries.protocol_version_out(row, ref), protocol=protocol.model_dump(mode="json")
        )
