"""Engines and sessions: SQLite (default) and PostgreSQL, each set up for safe concurrent writes."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///cartrial.sqlite"


def database_url() -> str:
    """`CARTRIAL_DATABASE_URL`, or the SQLite file in the working directory."""
    return os.environ.get("CARTRIAL_DATABASE_URL", DEFAULT_DATABASE_URL)


def _sqlite_setup(engine: Engine) -> None:
    """Foreign keys on, WAL journal, and every transaction `BEGIN IMMEDIATE`.

    IMMEDIATE takes the write lock when the transaction starts, so two writers never both read the
    last free slot and then both write (no check-then-write race), and the audit chain never forks.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
