"""Instants as the databases return them: SQLite gives naive UTC, PostgreSQL gives aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def utc_iso(at: datetime) -> str:
    """One text for an instant whatever the database returned."""
    return as_utc(at).replace(tzinfo=None).isoformat(timespec="microseconds")
