"""Fixtures shared by the store and service tests: a fresh database on SQLite and on PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from cartrial.services.access import Principal
from tests.support import postgres
from tests.support.study import seed


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


# The seeded study is built once per session as a template; `study` (tests/services/conftest.py) copies it.
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Principal]]:
    path = tmp_path_factory.mktemp("template") / "study.sqlite"
    return path, seed(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: str) -> tuple[str, dict[str, Principal]]:
    url = postgres.create_database(postgres_cluster)
    return url, seed(url)
