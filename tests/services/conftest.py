"""Each service test gets a fresh copy of the seeded study database (tests/support/study.py)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartrial.store.db import make_engine, session_factory
from tests.support import postgres
from tests.support.study import NOW, PASSWORD, USERNAMES, Study, seed

__all__ = ["NOW", "PASSWORD", "USERNAMES", "Study", "seed", "study"]


@pytest.fixture(params=["sqlite", "postgresql"])
def study(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Study]:
    """A fresh copy of the seeded study database, of each kind."""
    if request.param == "sqlite":
        template, users = request.getfixturevalue("sqlite_template")
        copy = tmp_path / "study.sqlite"
        shutil.copyfile(template, copy)
        url = f"sqlite:///{copy}"
    else:
        template_url, users = request.getfixturevalue("postgres_template")
        url = postgres.create_database(request.getfixturevalue("postgres_cluster"), template=template_url)
    engine = make_engine(url)
    yield Study(session_factory(engine), users)
    engine.dispose()
