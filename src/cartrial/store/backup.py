"""Backup and restore: SQLite's online backup API; pg_dump / pg_restore for PostgreSQL.

A restore replaces the whole database with the backup — the audit trail included, so `audit verify`
checks the restored chain.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from cartrial.errors import InputError


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InputError.single("database", "url", "an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump, pg_restore) reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise InputError.single(
            "database", "url", f"{name} is not installed; it is needed to back up PostgreSQL"
        )
    return tool


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database at `url` to `target`, while it stays in use."""
    if make_url(url).get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise InputError.single("database", "url", f"no database file {source}")
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy)
        return
    subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={target}", f"--dbname={_libpq_url(url)}"],
        check=True,
        capture_output=True,
    )


def restore(url: str, source: Path) -> None:
    """Replace the database at `url` with the backup in `source`."""
    if not source.exists():
        raise InputError.single("backup", "file", f"no backup file {source}")
    if make_url(url).get_backend_name() == "sqlite":
        with sqlite3.connect(source) as saved, sqlite3.connect(_sqlite_path(url)) as live:
            saved.backup(live)
        return
    subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            f"--dbname={_libpq_url(url)}",
            str(source),
        ],
        check=True,
        capture_output=True,
    )
