"""The audit trail: append-only entries, each chained to the previous by SHA-256 (21 CFR Part 11 style).

An entry records who (user, role), what (action, entity, id, each field's old -> new), when (server UTC)
and why (a reason, required for any change after first entry). `verify_chain` recomputes every hash and
names the first entry that was edited, deleted or reordered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from cartrial.store.models import AuditEntry, AuditHead
from cartrial.store.times import utc_iso

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user in one role (at a site, for site-scoped roles)."""

    user_id: int | None
    username: str
    role: str
    site_id: str | None = None


SYSTEM_ACTOR = Actor(user_id=None, username="system", role="system")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def changes_json(changes: Iterable[Change]) -> str:
    return canonical_json([{"field": c.field, "old": c.old, "new": c.new} for c in changes])


def _hash_of(
    seq: int,
    at: datetime,
    user_id: int | None,
    username: str,
    role: str,
    action: str,
    entity: str,
    entity_id: str,
    changes: str,
    reason: str | None,
    prev_hash: str,
) -> str:
    payload = canonical_json(
        {
            "seq": seq,
            "at": utc_iso(at),
            "user_id": user_id,
            "username": username,
            "role": role,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "changes": changes,
            "reason": reason,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over every field of the entry except its own hash, in a canonical form."""
    return _hash_of(
        entry.seq,
        entry.at,
        entry.user_id,
        entry.username,
        entry.role,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.changes_json,
        entry.reason,
        entry.prev_hash,
    )


# Built once: every write appends, and building these statements costs more than running them.
_LOCK_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID).with_for_update()
_INSERT_ENTRY = insert(AuditEntry)
_MOVE_HEAD = (
    update(AuditHead)
    .where(AuditHead.id == HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
# PostgreSQL: the entry and the head's move in one statement (a data-modifying CTE always runs in full,
# and the statement succeeds or fails as a whole), one round trip instead of two. SQLite has no
# data-modifying CTE: it runs the two statements, which cost no round trip there.
_APPEND_AND_MOVE_HEAD = insert(AuditEntry).add_cte(_MOVE_HEAD.cte("moved_head"))


# Where a transaction keeps the chain head it holds (`Session.info`): (its root transaction, seq, hash).
_HEAD_HELD = "cartrial_audit_head"
# Where a transaction that defers its appends keeps the entries not yet written (`Session.info`): (its root
# transaction, the entries' values in chain order).
_PENDING = "cartrial_audit_pending"


def append_audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    changes: Iterable[Change],
    at: datetime,
    reason: str | None = None,
) -> None:
    """Append one entry in the caller's transaction, locking the chain head so appends never fork.

    Written with SQL statements on the session's connection (no ORM objects): entries are only ever
    inserted, and the head is only read here, under its lock. The first append of a transaction reads
    the head and locks it (PostgreSQL's row lock; SQLite's write lock is held from BEGIN IMMEDIATE); from
    then on no other transaction can move it, so the transaction's later appends continue from the head
    it wrote last instead of reading it again — a statement less per entry, one round trip on
    PostgreSQL. A savepoint rolled back undoes that append and, on PostgreSQL, the lock taken inside it:
    whoever rolls one back forgets what the session holds (`UnitOfWork.attempt`), and the next append
    reads and locks the head again.
    """
    connection = session.connection()
    transaction = session.get_transaction()
    held = session.info.get(_HEAD_HELD)
    if held is not None and held[0] is transaction:
        seq, prev_hash = held[1] + 1, held[2]
    else:
        head = connection.execute(_LOCK_HEAD).one()
        seq, prev_hash = head.seq + 1, head.hash
    values: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes_json": changes_json(changes),
        "reason": reason,
        "prev_hash": prev_hash,
    }
    values["hash"] = _hash_of(
        seq,
        at,
        actor.user_id,
        actor.username,
        actor.role,
        action,
        entity,
        entity_id,
        values["changes_json"],
        reason,
        prev_hash,
    )
    pending = session.info.get(_PENDING)
    if pending is not None and pending[0] is transaction:
        pending[1].append(values)
    elif connection.dialect.name == "postgresql":
        connection.execute(_APPEND_AND_MOVE_HEAD, values | _head_at(values))
    else:
        connection.execute(_INSERT_ENTRY, values)
        connection.execute(_MOVE_HEAD, _head_at(values))
    session.info[_HEAD_HELD] = (transaction, seq, values["hash"])


def _head_at(entry: dict[str, Any]) -> dict[str, Any]:
    """The parameters of `_MOVE_HEAD` that move the chain head to `entry` (an entry's values)."""
    return {"new_seq": entry["seq"], "new_hash": entry["hash"]}


def defer_audit_entries(session: Session) -> None:
    """From now on, this transaction's appends are chained and kept, not written: `write_deferred_audit`
    writes those kept so far in one statement and moves the head once (`services.unit_of_work`'s commit
    does, before committing). For a transaction of many writes — one statement per entry less — that
    rolls back as a whole if any of them fails: a savepoint rolled back must take its entries with it,
    so whoever opens one writes the entries kept before it first (`UnitOfWork.attempt`), and forgets
    what the session holds if it rolls back. Until written, the entries are not in the table: this
    transaction's own reads of it (`verify_chain` writes them first) would not see them."""
    session.info[_PENDING] = (session.get_transaction(), [])


def write_deferred_audit(session: Session) -> None:
    """Write the entries kept by `defer_audit_entries` (nothing if none), in chain order, and move the
    head to the last of them."""
    pending = session.info.get(_PENDING)
    if pending is None or pending[0] is not session.get_transaction() or not pending[1]:
        return
    entries = pending[1]
    connection = session.connection()
    connection.execute(_INSERT_ENTRY, entries)
    connection.execute(_MOVE_HEAD, _head_at(entries[-1]))
    entries.clear()


def hold_audit_head(session: Session) -> None:
    """Read and lock the chain head now, ahead of the transaction's first append, which continues from
    it: for a writer that would rather wait for the lock at a moment of its choosing (`api.writer`).
    On SQLite this statement also begins the transaction, taking the database's write lock."""
    head = session.connection().execute(_LOCK_HEAD).one()
    session.info[_HEAD_HELD] = (session.get_transaction(), head.seq, head.hash)


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}"


def verify_chain(session: Session) -> tuple[int, tuple[ChainProblem, ...]]:
    """(entries checked, problems found). No problems means no entry was edited, deleted or reordered."""
    write_deferred_audit(session)
    problems: list[ChainProblem] = []
    expected_seq, previous_hash, checked = 1, GENESIS_HASH, 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        checked += 1
        if entry.seq != expected_seq:
            problems.append(ChainProblem(expected_seq, f"missing (next entry present is {entry.seq})"))
        if entry.prev_hash != previous_hash:
            problems.append(
                ChainProblem(entry.seq, "does not follow the entry before it (deleted or reordered)")
            )
        if entry_hash(entry) != entry.hash:
            problems.append(ChainProblem(entry.seq, "content does not match its hash (edited)"))
        expected_seq, previous_hash = entry.seq + 1, entry.hash
    head = session.execute(select(AuditHead).where(AuditHead.id == HEAD_ID)).scalar_one_or_none()
    if head is None:
        problems.append(ChainProblem(0, "the chain head is missing"))
    elif (head.seq, head.hash) != (expected_seq - 1, previous_hash):
        problems.append(ChainProblem(head.seq, "the last entries are missing (head points past the end)"))
    return checked, tuple(problems)
