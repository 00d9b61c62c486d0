"""Engines and sessions: SQLite (default) and PostgreSQL, each set up for safe concurrent writes.

A transaction is a writer unless it is opened with the execution options `READ_ONLY_OPTIONS` (see
`services.unit_of_work.UnitOfWork(read_only=True)`): SQLite then begins it DEFERRED with `query_only` on,
so in WAL mode it reads a snapshot without waiting for the write lock; PostgreSQL runs it READ ONLY. Either
database refuses a write attempted in it.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///cartrial.sqlite"
# The execution option that marks a connection's transaction as read-only for SQLite (read by the
# "begin" listener below), and SQLAlchemy's own for PostgreSQL, with which psycopg begins the transaction
# as `BEGIN READ ONLY` (no extra round trip) and which is reset when the connection returns to the pool.
READ_ONLY = "cartrial_read_only"
READ_ONLY_OPTIONS = {READ_ONLY: True, "postgresql_readonly": True}


def database_url() -> str:
    """`CARTRIAL_DATABASE_URL`, or the SQLite file in the working directory."""
    return os.environ.get("CARTRIAL_DATABASE_URL", DEFAULT_DATABASE_URL)


def _read_only(connection: Any) -> bool:
    return bool(connection.get_execution_options().get(READ_ONLY, False))


def _sqlite_setup(engine: Engine, background_checkpoints: bool) -> None:
    """Foreign keys on, WAL journal, and every writing transaction `BEGIN IMMEDIATE`.

    IMMEDIATE takes the write lock when the transaction starts, so two writers never both read the
    last free slot and then both write (no check-then-write race), and the audit chain never forks.
    A read-only transaction begins DEFERRED: in WAL mode it reads the last committed state while a
    writer holds the lock, and `query_only` makes any write in it an error rather than a lock upgrade.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        if background_checkpoints:
            # The commit that crosses SQLite's checkpoint threshold (1000 WAL pages) would otherwise copy
            # the log into the database and sync it before returning: tens of milliseconds added to the
            # requests waiting for that commit. `checkpoint_wal` does it beside the writes instead.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Straight to the driver: two statements on every transaction, without the engine's per-statement
        # overhead (several times the statements' own cost).
        driver = connection.connection.driver_connection
        if _read_only(connection):
            driver.execute("PRAGMA query_only=ON")
            driver.execute("BEGIN DEFERRED")
        else:
            driver.execute("PRAGMA query_only=OFF")
            driver.execute("BEGIN IMMEDIATE")


def transaction_open(connection: Connection) -> bool:
    """Whether the database still holds `connection`'s transaction open and usable, by the driver's own
    account (no statement): SQLite ends a transaction on some errors, and after an error PostgreSQL
    refuses every statement until the transaction (or a savepoint) is rolled back."""
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        return driver.in_transaction
    if isinstance(driver, psycopg.Connection):
        return driver.info.transaction_status is TransactionStatus.INTRANS
    raise TypeError(f"cannot tell the transaction state of a {type(driver).__name__} connection")


def make_engine(url: str | None = None, *, background_checkpoints: bool = False) -> Engine:
    """An engine on `url` (default `database_url()`). `background_checkpoints`: SQLite's connections do not
    checkpoint the write-ahead log when they commit; whoever asks for this calls `checkpoint_wal` (the API
    server does, after its commits). Other processes on the same file checkpoint as usual."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_setup(engine, background_checkpoints)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def checkpoint_wal(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database file as far as no reader still needs it (PASSIVE:
    it waits for no reader or writer, and writers go on appending meanwhile); nothing on PostgreSQL. The
    log already holds every committed transaction durably: this only keeps it short."""
    if engine.dialect.name != "sqlite":
        return
    connection = engine.raw_connection()
    try:
        connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
    finally:
        connection.close()
