"""The seeded test study: protocols, three sites, one user per role (used by service and API tests)."""

from dataclasses import dataclass
from datetime import UTC, datetime

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
USERNAMES = ("admin", "inv1", "coord2", "src", "stat", "monitor")


@dataclass
class Study:
    sessions: sessionmaker[Session]
    users: dict[str, Principal]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)


def seed(url: str) -> dict[str, Principal]:
    """Migrate and fill a new database; return each user as logged in."""
    upgrade(url)
    engine = make_engine(url)
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
    with UnitOfWork(sessions) as uow:
        users = {username: authenticate(uow, username, PASSWORD, NOW) for username in USERNAMES}
        uow.commit()
    engine.dispose()
    return users
