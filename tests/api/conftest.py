"""The API over the services' test study (three sites, one user per role), on SQLite and PostgreSQL."""

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from starlette.exceptions import StarletteDeprecationWarning

from cartrial.api import create_app
from cartrial.services import accounts

with warnings.catch_warnings():
    # Starlette 1.x prefers the `httpx2` package, which is not a dependency here; httpx still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient
from cartrial.store.models import User
from tests.services.conftest import NOW, PASSWORD, Study, study

__all__ = [
    "EXAMPLE",
    "HOME_SITE",
    "NOW",
    "PASSWORD",
    "ROLES",
    "Api",
    "Clock",
    "Study",
    "TestClient",
    "record",
    "study",
]

EXAMPLE = json.loads((Path(__file__).parents[2] / "examples" / "screening" / "eligible.json").read_text())
ROLES = ("admin", "inv1", "coord2", "src", "stat", "monitor")
HOME_SITE = {"inv1": "S01", "coord2": "S02"}


def record(**changes: object) -> dict[str, object]:
    """The eligible example record with some fields changed."""
    return {**EXAMPLE, **changes}


# argon2id at its smallest cost: every API test logs users in, and the production cost (about 0.2 s a
# hash here) would make the suite slow without testing anything more.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHEAP_HASH = CHEAP_HASHER.hash(PASSWORD)


@dataclass
class Clock:
    """The server's clock, moved by the tests."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass
class Api:
    client: TestClient
    clock: Clock
    study: Study
    tokens: dict[str, str] = field(default_factory=dict)

    def login(self, username: str, password: str = PASSWORD) -> str:
        """A bearer token for `username` (the cookie jar is emptied, so requests carry only the token)."""
        response = self.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.client.cookies.clear()
        token: str = response.json()["access_token"]
        return token

    def auth(self, username: str) -> dict[str, str]:
        """The Authorization header of `username`, logging in once per test."""
        if username not in self.tokens:
            self.tokens[username] = self.login(username)
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture
def api(study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setattr(accounts, "_hasher", CHEAP_HASHER)
    with study.uow() as uow:  # the seeded accounts, the same password hashed at that cost
        uow.session.execute(update(User).values(password_hash=CHEAP_HASH))
        uow.commit()
    clock = Clock()
    with TestClient(create_app(study.sessions, clock)) as client:
        yield Api(client, clock, study)
