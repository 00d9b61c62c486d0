from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from cartrial.services.accounts import add_site
from cartrial.services.protocols import prepare_store
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR, verify_chain
from cartrial.store.backup import backup, restore
from cartrial.store.db import make_engine, session_factory
from cartrial.store.migrate import upgrade
from cartrial.store.models import Site

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_backup_then_restore_round_trip(database_url: str, tmp_path: Path) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with UnitOfWork(sessions) as uow:
        prepare_store(uow, NOW)
        add_site(uow, SYSTEM_ACTOR, "S01", "Before the backup", NOW)
        uow.commit()
    saved = tmp_path / "study.backup"
    backup(database_url, saved)
    with UnitOfWork(sessions) as uow:
        add_site(uow, SYSTEM_ACTOR, "S02", "After the backup", NOW)
        uow.commit()
    engine.dispose()
    restore(database_url, saved)
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        assert session.execute(select(Site.id)).scalars().all() == ["S01"]
        checked, problems = verify_chain(session)
        assert problems == ()
        assert checked == 4  # two protocol versions loaded, one activated, site S01
    engine.dispose()
