"""Protocol versions in the store: loaded from their files, content-hashed, parsed once per content."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select

from cartrial.data import (
    embedded_protocol,
    embedded_protocol_table,
    embedded_protocol_text,
    embedded_protocol_versions,
)
from cartrial.protocol import Protocol, parse_protocol
from cartrial.services.errors import ConflictError, NotFoundError
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR, Actor, Change, append_audit
from cartrial.store.models import ProtocolVersion
from cartrial.store.times import as_utc


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=32)
def _parsed(text: str, source: str) -> Protocol:
    return parse_protocol(text, source, embedded_protocol_table)


def register_protocol(uow: UnitOfWork, actor: Actor, text: str, source: str, now: datetime) -> Protocol:
    """Store a protocol version. The same version with other content is refused: amend, never overwrite."""
    protocol = _parsed(text, source)
    digest = sha256_text(text)
    existing = uow.session.get(ProtocolVersion, protocol.ref)
    if existing is not None:
        if existing.content_sha256 != digest:
            raise ConflictError(f"{protocol.ref} is stored with other content; a change needs a new version")
        return protocol
    uow.session.add(
        ProtocolVersion(
            ref=protocol.ref,
            protocol_id=protocol.id,
            version=protocol.version,
            content_sha256=digest,
            content=text,
            loaded_at=now,
        )
    )
    append_audit(
        uow.session, actor, "create", "protocol_version", protocol.ref, [Change("sha256", None, digest)], now
    )
    return protocol


def register_embedded_protocols(uow: UnitOfWork, actor: Actor, now: datetime) -> tuple[Protocol, ...]:
    return tuple(
        register_protocol(uow, actor, embedded_protocol_text(v), f"embedded {v}", now)
        for v in embedded_protocol_versions()
    )


def stored_protocol(uow: UnitOfWork, ref: str) -> Protocol:
    row = uow.session.get(ProtocolVersion, ref)
    if row is None:
        raise NotFoundError(f"no protocol version {ref!r} in the store")
    return _parsed(row.content, ref)


def activate_protocol(uow: UnitOfWork, actor: Actor, ref: str, reason: str, now: datetime) -> None:
    """Make a stored version the one new screenings and dose decisions use (an audited change)."""
    row = uow.session.get(ProtocolVersion, ref)
    if row is None:
        raise NotFoundError(f"no protocol version {ref!r} in the store")
    previous = current_protocol_ref(uow) if _any_active(uow) else None
    latest = uow.session.execute(select(func.max(ProtocolVersion.activated_at))).scalar()
    # Activations are ordered by time; one in the same instant as the last still comes after it.
    row.activated_at = (
        now if latest is None or as_utc(latest) < now else as_utc(latest) + timedelta(microseconds=1)
    )
    append_audit(
        uow.session,
        actor,
        "activate",
        "protocol_version",
        ref,
        [Change("active", previous, ref)],
        now,
        reason,
    )


def _any_active(uow: UnitOfWork) -> bool:
    return (
        uow.session.execute(
            select(ProtocolVersion.ref).where(ProtocolVersion.activated_at.is_not(None)).limit(1)
        ).first()
        is not None
    )


# The version activated last is the one new screenings and dose decisions use. Built once: every
# screening asks.
_ACTIVE = (
    select(ProtocolVersion.ref, ProtocolVersion.content)
    .where(ProtocolVersion.activated_at.is_not(None))
    .order_by(ProtocolVersion.activated_at.desc())
    .limit(1)
)
_ACTIVE_REF = _ACTIVE.with_only_columns(ProtocolVersion.ref)
_NONE_ACTIVE = "no protocol version is active; run `cartrial db upgrade`"


def current_protocol_ref(uow: UnitOfWork) -> str:
    """The protocol version new screenings use: the one activated last."""
    ref = uow.execute(_ACTIVE_REF).scalar_one_or_none()
    if ref is None:
        raise NotFoundError(_NONE_ACTIVE)
    return str(ref)


# The active version's ref and content as scalar subqueries, for a caller that reads them within a
# statement of its own (one round trip less on PostgreSQL); `protocol_of` parses what they gave.
ACTIVE_REF = _ACTIVE_REF.scalar_subquery()
ACTIVE_CONTENT = _ACTIVE.with_only_columns(ProtocolVersion.content).scalar_subquery()


def protocol_of(ref: str | None, content: str | None) -> Protocol:
    """The active protocol version from its ref and content as read (NotFoundError if none is active)."""
    if ref is None or content is None:
        raise NotFoundError(_NONE_ACTIVE)
    return _parsed(content, ref)


def current_protocol(uow: UnitOfWork) -> Protocol:
    """The protocol version new screenings and dose decisions use (the one activated last), parsed."""
    row = uow.execute(_ACTIVE).one_or_none()
    return protocol_of(None, None) if row is None else protocol_of(row.ref, row.content)


def prepare_store(uow: UnitOfWork, now: datetime) -> str:
    """Load every embedded protocol version; activate the registered one if none is active yet."""
    register_embedded_protocols(uow, SYSTEM_ACTOR, now)
    if not _any_active(uow):
        activate_protocol(uow, SYSTEM_ACTOR, embedded_protocol().ref, "the registered protocol", now)
    return current_protocol_ref(uow)
