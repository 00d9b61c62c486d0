"""A read-only unit of work reads, refuses any write (the database says no), and leaves the connection
it used writable for the next unit of work; a reader does not wait for a writer holding the lock."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from cartrial.services.accounts import add_site
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR
from cartrial.store.db import make_engine, session_factory
from cartrial.store.migrate import upgrade
from cartrial.store.models import Site

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_a_read_only_unit_of_work_refuses_writes_and_does_not_wait_for_a_writer(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with UnitOfWork(sessions, read_only=True) as uow, pytest.raises(DBAPIError, match="read"):
        add_site(uow, SYSTEM_ACTOR, "R01", "never stored", NOW)
        uow.session.flush()
    with UnitOfWork(sessions) as writer:
        add_site(writer, SYSTEM_ACTOR, "W01", "stored", NOW)
        writer.session.flush()  # the writer holds the write lock (SQLite) and its row locks from here
        with UnitOfWork(sessions, read_only=True) as reader:
            # The last committed state: the writer's site is not there yet, and the read does not block.
            assert reader.session.execute(select(func.count(Site.id))).scalar_one() == 0
        writer.commit()
    with UnitOfWork(sessions, read_only=True) as reader:
        assert reader.session.execute(select(Site.id)).scalars().all() == ["W01"]
    engine.dispose()
