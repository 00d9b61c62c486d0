"""Sites, user accounts and password authentication (argon2id, lock-out after repeated failures)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, bindparam, event, select
from sqlalchemy.orm import Mapper, Session, object_session

from cartrial.errors import InputError
from cartrial.services.access import SITE_SCOPED_ROLES, Assignment, Principal, Role
from cartrial.services.errors import ConflictError, UnauthenticatedError
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR, Actor, Change, append_audit
from cartrial.store.models import ApiToken, RoleAssignment, Site, User
from cartrial.store.times import as_utc

# Lock-out policy: 5 consecutive failures lock the account for 15 minutes (a site policy, not literature).
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def add_site(uow: UnitOfWork, actor: Actor, site_id: str, name: str, now: datetime) -> None:
    if uow.session.get(Site, site_id) is not None:
        raise ConflictError(f"site {site_id!r} exists already")
    uow.session.add(Site(id=site_id, name=name, created_at=now))
    append_audit(uow.session, actor, "create", "site", site_id, [Change("name", None, name)], now)


def add_user(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    site_id: str | None,
    now: datetime,
) -> int:
    """Create an account with one role; site staff must name their site, others must not."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError.single("user", "password", f"at least {MIN_PASSWORD_LENGTH} characters")
    if (role in SITE_SCOPED_ROLES) != (site_id is not None):
        reason = (
            "site staff need a site" if role in SITE_SCOPED_ROLES else f"a {role.value} acts at every site"
        )
        raise InputError.single("user", "site", reason)
    if site_id is not None and uow.session.get(Site, site_id) is None:
        raise InputError.single("user", "site", f"no site {site_id!r}")
    if uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none() is not None:
        raise ConflictError(f"user {username!r} exists already")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
        failed_logins=0,
        active=True,
        created_at=now,
    )
    uow.session.add(user)
    uow.session.flush()
    uow.session.add(RoleAssignment(user_id=user.id, role=role.value, site_id=site_id))
    changes = [Change("display_name", None, display_name), Change("role", None, role.value)]
    if site_id is not None:
        changes.append(Change("site", None, site_id))
    append_audit(uow.session, actor, "create", "user", username, changes, now)
    return user.id


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash("the password of an account that does not exist")


def _check_against_decoy(password: str) -> None:
    """Spend a password check on an unknown username, so response times do not say which accounts exist."""
    with contextlib.suppress(VerificationError):
        _hasher.verify(_decoy_hash(), password)


def principal_of(uow: UnitOfWork, user: User) -> Principal:
    rows = uow.session.execute(
        select(RoleAssignment).where(RoleAssignment.user_id == user.id).order_by(RoleAssignment.id)
    ).scalars()
    return Principal(user.id, user.username, tuple(Assignment(Role(r.role), r.site_id) for r in rows))


def authenticate(uow: UnitOfWork, username: str, password: str, now: datetime) -> Principal:
    """Check a password. Failures count towards a lock-out; the reason given never says which part was
    wrong. The caller commits (failures are recorded too)."""
    user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    refusal = UnauthenticatedError("wrong username or password, or the account is locked")
    if user is None or not user.active:
        _check_against_decoy(password)
        raise refusal
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        raise refusal
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            append_audit(
                uow.session,
                SYSTEM_ACTOR,
                "lock",
                "user",
                username,
                [Change("locked_until", None, str(user.locked_until))],
                now,
            )
        raise refusal from None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return principal_of(uow, user)


# Bearer tokens expire after a working day; the user logs in again.
TOKEN_LIFETIME = timedelta(hours=8)


def issue_token(uow: UnitOfWork, principal: Principal, now: datetime) -> str:
    """A new bearer token for an authenticated user; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    uow.session.add(
        ApiToken(
            token_sha256=_token_digest(token),
            user_id=principal.user_id,
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
            revoked=False,
        )
    )
    return token


# Built once: every request looks its token up, and building the statement costs more than running it.
_TOKEN_HOLDER = (
    select(
        ApiToken.revoked,
        ApiToken.expires_at,
        User.id,
        User.username,
        User.active,
        RoleAssignment.role,
        RoleAssignment.site_id,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
    .where(ApiToken.token_sha256 == bindparam("digest"))
    .order_by(RoleAssignment.id)
)


def principal_from_token(uow: UnitOfWork, token: str, now: datetime) -> Principal:
    """The user a bearer token belongs to, with every role they hold, in one query (every request asks).

    Read once per transaction and token: the requests of a group commit (`api.writer`) share a
    transaction, and most carry the same few tokens. What was read stays true for the transaction until
    a user, role or token row is written in it (which forgets it, `_forget_token_holders`) or a
    savepoint is rolled back (`UnitOfWork.attempt` forgets everything read). Other transactions'
    changes are not seen meanwhile; the requests of one transaction all arrived before it began, so
    each is concurrent with them and may be ordered before them. The expiry is checked at every call,
    against the caller's own time."""
    # Pending changes of this transaction are written first, so that a change to these rows is seen.
    uow.session.flush()
    holders, digest = _token_holders(uow.session), _token_digest(token)
    rows = holders.get(digest)
    if rows is None:
        rows = holders[digest] = uow.execute(_TOKEN_HOLDER, {"digest": digest}).all()
    if not rows or rows[0].revoked or as_utc(rows[0].expires_at) <= now:
        raise UnauthenticatedError("the token is unknown, revoked or expired; log in again")
    first = rows[0]
    if not first.active:
        raise UnauthenticatedError("the account is not active")
    assignments = tuple(Assignment(Role(r.role), r.site_id) for r in rows if r.role is not None)
    return Principal(first.id, first.username, assignments)


# Where a transaction keeps the token holders it has read (`Session.info`): (its root transaction,
# {token digest: rows of _TOKEN_HOLDER}).
_TOKEN_HOLDERS = "cartrial_token_holders"


def _token_holders(session: Session) -> dict[str, Sequence[Row[Any]]]:
    transaction = session.get_transaction()
    held = session.info.get(_TOKEN_HOLDERS)
    if held is None or held[0] is not transaction:
        held = session.info[_TOKEN_HOLDERS] = (transaction, {})
    holders: dict[str, Sequence[Row[Any]]] = held[1]
    return holders


def _forget_token_holders(_mapper: Mapper[Any], _connection: Connection, target: object) -> None:
    session = object_session(target)
    if session is not None:
        session.info.pop(_TOKEN_HOLDERS, None)


# Every write of the rows a token's holder is read from, whoever makes it, as the ORM flushes it.
for _table in (User, RoleAssignment, ApiToken):
    for _event in ("after_insert", "after_update", "after_delete"):
        event.listen(_table, _event, _forget_token_holders)


def revoke_token(uow: UnitOfWork, token: str) -> None:
    row = uow.session.get(ApiToken, _token_digest(token))
    if row is not None:
        row.revoked = True


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_name(uow: UnitOfWork, user_id: int) -> str:
    user = uow.session.get(User, user_id)
    if user is None:
        raise UnauthenticatedError("no such user")
    return user.display_name
