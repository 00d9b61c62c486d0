import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import Actor, Change, append_audit, verify_chain
from cartrial.store.db import READ_ONLY_OPTIONS, make_engine, session_factory
from cartrial.store.migrate import current_revision, upgrade

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ACTOR = Actor(user_id=7, username="inv1", role="investigator", site_id="S01")


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def chain_of(url: str, entries: int) -> None:
    upgrade(url)
    with engine_for(url) as engine, session_factory(engine)() as session, session.begin():
        for i in range(entries):
            change = [Change("status", i, i + 1)]
            append_audit(session, ACTOR, "update", "subject", "1", change, T0 + timedelta(seconds=i))


def problems(url: str) -> list[str]:
    with engine_for(url) as engine, session_factory(engine)() as session:
        return [str(p) for p in verify_chain(session)[1]]


def tamper(url: str, sql: str) -> None:
    """An attacker with database access: drop the append-only guard, then change history."""
    with engine_for(url) as engine, engine.connect() as connection:
        if url.startswith("sqlite"):
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entries_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        connection.execute(text(sql))
        connection.commit()


def test_migration_reaches_head(database_url: str) -> None:
    upgrade(database_url)
    assert current_revision(database_url) == "0004"


def test_intact_chain_verifies(database_url: str) -> None:
    chain_of(database_url, 5)
    assert problems(database_url) == []


def test_audit_entries_cannot_be_updated_or_deleted(database_url: str) -> None:
    chain_of(database_url, 2)
    for sql in ("UPDATE audit_entries SET reason = 'x'", "DELETE FROM audit_entries"):
        with engine_for(database_url) as engine, engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(sql))
            connection.rollback()


def test_edited_entry_is_named(database_url: str) -> None:
    chain_of(database_url, 5)
    tamper(database_url, "UPDATE audit_entries SET changes_json = '[]' WHERE seq = 3")
    assert problems(database_url) == ["entry 3: content does not match its hash (edited)"]


def test_deleted_entry_is_named(database_url: str) -> None:
    chain_of(database_url, 5)
    tamper(database_url, "DELETE FROM audit_entries WHERE seq = 2")
    found = problems(database_url)
    assert "entry 2: missing (next entry present is 3)" in found
    assert "entry 3: does not follow the entry before it (deleted or reordered)" in found


def test_deleted_tail_is_detected(database_url: str) -> None:
    chain_of(database_url, 5)
    tamper(database_url, "DELETE FROM audit_entries WHERE seq = 5")
    assert problems(database_url) == ["entry 5: the last entries are missing (head points past the end)"]


def test_reordered_entries_are_detected(database_url: str) -> None:
    chain_of(database_url, 5)
    tamper(database_url, "UPDATE audit_entries SET seq = seq + 100 WHERE seq IN (2, 3)")
    tamper_sql = "UPDATE audit_entries SET seq = CASE seq WHEN 102 THEN 3 WHEN 103 THEN 2 END WHERE seq > 100"
    tamper(database_url, tamper_sql)
    found = problems(database_url)
    assert any(p.startswith("entry 2:") for p in found)
    assert any(p.startswith("entry 3:") for p in found)


def _append(session: Session, i: int) -> None:
    append_audit(session, ACTOR, "update", "subject", "1", [Change("status", i, i + 1)], T0)


def _append_then_refuse(session: Session) -> None:
    _append(session, 1)
    raise RuntimeError("refused after its audit entry")


def test_a_transaction_continues_the_chain_past_a_rolled_back_savepoint(database_url: str) -> None:
    """A transaction's later appends continue from the head it wrote last, unless a savepoint holding
    an append was rolled back: then from the head before it."""
    upgrade(database_url)
    with engine_for(database_url) as engine:
        with UnitOfWork(session_factory(engine)) as uow:
            uow.attempt(partial(_append, uow.session, 0))
            with pytest.raises(RuntimeError):
                uow.attempt(partial(_append_then_refuse, uow.session))
            uow.attempt(partial(_append, uow.session, 2))
            _append(uow.session, 3)
            uow.commit()
        with session_factory(engine)() as session:
            checked, found = verify_chain(session)
            olds = session.execute(text("SELECT changes_json FROM audit_entries ORDER BY seq")).scalars()
            assert [json.loads(c)[0]["old"] for c in olds] == [0, 2, 3]
    assert (checked, found) == (3, ())


def test_a_new_transaction_reads_the_head_again(database_url: str) -> None:
    """A session's next transaction does not continue from the head its last one wrote: another
    transaction may have appended in between."""
    upgrade(database_url)
    with engine_for(database_url) as engine, session_factory(engine)() as first:
        with first.begin():
            _append(first, 0)
        with session_factory(engine)() as second, second.begin():
            _append(second, 1)
        with first.begin():
            _append(first, 2)
        assert verify_chain(first) == (3, ())


def _audit_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM audit_entries ORDER BY seq")).all()
        head = connection.execute(text("SELECT seq, hash FROM audit_head")).one()
    return [tuple(row) for row in rows] + [tuple(head)]


def _deferred_or_not(url: str, defer: bool) -> list[tuple[object, ...]]:
    upgrade(url)
    with engine_for(url) as engine:
        with UnitOfWork(session_factory(engine)) as uow:
            if defer:
                uow.defer_audit_entries()
            for i in range(4):
                _append(uow.session, i)
            uow.commit()
        return _audit_rows(engine)


def test_deferred_entries_are_the_entries_written_one_by_one(tmp_path: Path) -> None:
    """Same appends, same times: deferring changes when the entries are written, nothing of what."""
    one_by_one = _deferred_or_not(f"sqlite:///{tmp_path / 'direct.sqlite'}", defer=False)
    deferred = _deferred_or_not(f"sqlite:///{tmp_path / 'deferred.sqlite'}", defer=True)
    assert deferred == one_by_one
    assert len(deferred) == 5 and deferred[-1] == (4, deferred[-2][-1])  # the head: the last entry


def test_deferred_entries_are_written_in_one_statement_at_commit(database_url: str) -> None:
    upgrade(database_url)
    with engine_for(database_url) as engine:
        inserts: list[str] = []

        def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"):
                inserts.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        with UnitOfWork(session_factory(engine)) as uow:
            uow.defer_audit_entries()
            for i in range(3):
                _append(uow.session, i)
            assert inserts == []
            # Nothing is in the table before the commit (read beside the transaction).
            with engine.connect().execution_options(**READ_ONLY_OPTIONS) as other:
                assert other.execute(text("SELECT count(*) FROM audit_entries")).scalar_one() == 0
            uow.commit()
        assert len(inserts) == 1
    assert problems(database_url) == []


def test_a_savepoint_rolled_back_keeps_the_deferred_entries_before_it(database_url: str) -> None:
    """The entries kept before a savepoint are written before it opens: its rollback takes only its own."""
    upgrade(database_url)
    with engine_for(database_url) as engine:
        with UnitOfWork(session_factory(engine)) as uow:
            uow.defer_audit_entries()
            _append(uow.session, 0)
            with pytest.raises(RuntimeError):
                uow.attempt(partial(_append_then_refuse, uow.session))
            uow.attempt(partial(_append, uow.session, 2))
            uow.commit()
        with session_factory(engine)() as session:
            checked, found = verify_chain(session)
            olds = session.execute(text("SELECT changes_json FROM audit_entries ORDER BY seq")).scalars()
            assert [json.loads(c)[0]["old"] for c in olds] == [0, 2]
    assert (checked, found) == (2, ())


def test_verify_chain_sees_the_transactions_deferred_entries(database_url: str) -> None:
    upgrade(database_url)
    with engine_for(database_url) as engine, UnitOfWork(session_factory(engine)) as uow:
        uow.defer_audit_entries()
        _append(uow.session, 0)
        _append(uow.session, 1)
        assert verify_chain(uow.session) == (2, ())
        _append(uow.session, 2)
        uow.commit()
    assert problems(database_url) == []
