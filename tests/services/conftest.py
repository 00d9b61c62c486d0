"""A migrated database with the embedded protocols, three sites and one user per role."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cartrial.services.access import Principal, Role
from cartrial.services.accounts import add_site, add_user, authenticate
from cartrial.services.protocols import activate_protocol, register_embedded_protocols
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR
from cartrial.store.db import make_engine, session_factory
from cartrial.store.migrate import upgrade

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@dataclass
class Study:
    sessions: sessionmaker[Session]
    users: dict[str, Principal]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)


@pytest.fixture
def study(database_url: str) -> Iterator[Study]:
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with UnitOfWork(sessions) as uow:
        register_embedded_protocols(uow, SYSTEM_ACTOR, NOW)
        activate_protocol(uow, SYSTEM_ACTOR, "relma-cel-sle-phase1@1.0", "registered protocol", NOW)
        for site_id in ("S01", "S02", "S03"):
            add_site(uow, SYSTEM_ACTOR, site_id, f"Hospital {site_id}", NOW)
        accounts: list[tuple[str, Role, str | None]] = [
            ("admin", Role.ADMIN, None),
            ("inv1", Role.INVESTIGATOR, "S01"),
            ("coord2", Role.COORDINATOR, "S02"),
            ("src", Role.SRC_MEMBER, None),
            ("stat", Role.STATISTICIAN, None),
            ("monitor", Role.MONITOR, None),
        ]
        for username, role, site in accounts:
            add_user(uow, SYSTEM_ACTOR, username, username.title(), PASSWORD, role, site, NOW)
        uow.commit()
    users = {}
    with UnitOfWork(sessions) as uow:
        for username in ("admin", "inv1", "coord2", "src", "stat", "monitor"):
            users[username] = authenticate(uow, username, PASSWORD, NOW)
        uow.commit()
    yield Study(sessions, users)
    engine.dispose()
