"""A unit of work: one database transaction that rolls back unless the service commits it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Engine, Executable, Result
from sqlalchemy.orm import Session, sessionmaker

from cartrial.store.audit import defer_audit_entries, hold_audit_head, write_deferred_audit
from cartrial.store.db import READ_ONLY_OPTIONS, checkpoint_wal, transaction_open

T = TypeVar("T")


class TransactionLostError(Exception):
    """A savepoint could not be rolled back or released: the database ended the whole transaction (SQLite
    rolls everything back on some errors), so nothing done in it may be reported as stored."""


class UnitOfWork:
    """`with UnitOfWork(sessions) as uow: ...; uow.commit()` — anything else rolls back.

    `read_only=True` opens a transaction that may only read (SQLite: deferred, so it does not wait for
    the write lock; PostgreSQL: READ ONLY); a write attempted in it is refused by the database.
    """

    def __init__(self, sessions: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._sessions = sessions
        self.read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        if self.read_only:
            # Begins the transaction on a connection carrying the option the engine's "begin" reads.
            self.session.connection(execution_options=READ_ONLY_OPTIONS)
        else:
            self.session.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.session.in_transaction():
            self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        write_deferred_audit(self.session)
        self.session.commit()

    def attempt(self, action: Callable[[], T]) -> T:
        """`action` in a savepoint of this transaction: if it raises, what it did is undone (and the
        exception passes on) while the transaction goes on with what came before it. Several requests
        share one transaction this way (`api.writer.GroupCommit`), each as if alone."""
        # Audit entries kept unwritten belong to what came before: rolling this savepoint back must not
        # take them along (`defer_audit_entries`).
        write_deferred_audit(self.session)
        savepoint = self.session.begin_nested()
        try:
            result = action()
            # Pending ORM changes are written now, so that a refusal of them is this action's error.
            self.session.flush()
        except Exception:
            # What the transaction read and keeps for reuse (`Session.info`: the audit chain's head and
            # its lock, token holders) may have been read or changed under the savepoint: forgotten.
            self.session.info.clear()
            try:
                savepoint.rollback()
            except Exception as lost:
                raise TransactionLostError(
                    "the transaction could not be rolled back to its savepoint"
                ) from lost
            raise
        try:
            savepoint.commit()
        except Exception as lost:
            raise TransactionLostError("the savepoint could not be released") from lost
        return result

    def attempt_unguarded(self, action: Callable[[], T]) -> T:
        """`action` without a savepoint of its own — two statements and the ORM's savepoint bookkeeping
        less than `attempt`, about a fifth of a screening write. If it raises, what it did cannot be undone
        alone: the caller must roll the whole transaction back. If it leaves the transaction ended or
        failed without raising (a raw ROLLBACK; an error it caught), `TransactionLostError`: what ran
        after it would not have been in the transaction."""
        result = action()
        self.session.flush()
        if not transaction_open(self.session.connection()):
            raise TransactionLostError("the transaction ended under an action")
        return result

    def defer_audit_entries(self) -> None:
        """Keep this transaction's audit entries and write them together at its commit, one statement
        for all (`store.audit.defer_audit_entries`): for a transaction that is rolled back as a whole if
        any of its actions fails (`attempt_unguarded`)."""
        defer_audit_entries(self.session)

    def write_deferred_audit(self) -> None:
        """Write the audit entries kept so far (`defer_audit_entries`); the commit would."""
        write_deferred_audit(self.session)

    def hold_audit_head(self) -> None:
        """Take the lock that orders writers (the audit chain's head) now, rather than at the first
        append (`store.audit.hold_audit_head`)."""
        hold_audit_head(self.session)

    def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Result[Any]:
        """Run a SQL statement (built once, by the caller) in this transaction, after flushing pending ORM
        changes so it sees them: on the transaction's connection, which costs a fraction of
        `session.execute` per statement (that also builds an ORM execution context)."""
        self.session.flush()
        return self.session.connection().execute(statement, parameters)


def shorten_log(sessions: sessionmaker[Session]) -> None:
    """Checkpoint the write-ahead log of the database behind `sessions` (SQLite; nothing on PostgreSQL):
    what a writer that commits often runs beside its commits (`store.db.checkpoint_wal`)."""
    bind = sessions.kw.get("bind")
    if isinstance(bind, Engine):
        checkpoint_wal(bind)
