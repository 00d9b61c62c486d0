"""The protocol versions in the store and the one new screenings use."""

from __future__ import annotations

from fastapi import APIRouter

from cartrial.api.deps import Reading, Work
from cartrial.api.schemas import ActiveProtocol
from cartrial.protocol import Protocol
from cartrial.services import reads
from cartrial.services.protocols import stored_protocol
from cartrial.services.reads import ProtocolVersionView

router = APIRouter(prefix="/protocols", tags=["protocols"])


@router.get("", response_model=list[ProtocolVersionView])
async def protocol_versions(call: Reading) -> list[ProtocolVersionView]:
    """Every stored protocol version with its content hash; `active` marks the one in use."""
    return await call.run(lambda work: reads.list_protocol_versions(work.uow))


@router.get("/active", response_model=ActiveProtocol)
async def active_protocol(call: Reading) -> ActiveProtocol:
    """The protocol version new screenings and dose decisions use, parsed."""

    def active(work: Work) -> tuple[ProtocolVersionView, Protocol]:
        version = reads.active_protocol_version(work.uow)
        return version, stored_protocol(work.uow, version.ref)

    version, protocol = await call.run(active)
    return ActiveProtocol(
        version=version,
        protocol=protocol.model_dump(mode="json"),
    )
