"""Fixtures shared by the store and service tests: a fresh database on SQLite and on PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import postgres


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    reason = postgres.unavailable()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    with postgres.cluster() as url_template:
        yield url_template


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind (the same tests run on both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cartrial.sqlite'}"
    template: str = request.getfixturevalue("postgres_cluster")
    return postgres.create_database(template)
