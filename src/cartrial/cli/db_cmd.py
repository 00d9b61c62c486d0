"""`cartrial db upgrade`, `cartrial audit verify`, `cartrial sites add`, `cartrial users add`.

The database is `CARTRIAL_DATABASE_URL` (default `sqlite:///cartrial.sqlite` in the working directory).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cartrial.cli.common import fail_bad_input, stderr, stdout
from cartrial.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

db_app = typer.Typer(help="The study database: create or migrate it.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
sites_app = typer.Typer(help="Study sites.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)

EXIT_AUDIT_BROKEN = 3
EXIT_REFUSED = 4


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")
    app.add_typer(sites_app, name="sites")
    app.add_typer(users_app, name="users")


def _now() -> datetime:
    return datetime.now(UTC)


def _open_study() -> tuple[Engine, sessionmaker[Session]]:
    from cartrial.store.db import database_url, make_engine, session_factory

    engine = make_engine(database_url())
    return engine, session_factory(engine)


@db_app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema, and load the embedded protocol versions."""
    from cartrial.services.protocols import prepare_store
    from cartrial.services.unit_of_work import UnitOfWork
    from cartrial.store.db import database_url
    from cartrial.store.migrate import current_revision
    from cartrial.store.migrate import upgrade as migrate

    url = database_url()
    migrate(url)
    engine, sessions = _open_study()
    with UnitOfWork(sessions) as uow:
        active = prepare_store(uow, _now())
        uow.commit()
    engine.dispose()
    stdout.print(f"database at revision {current_revision(url)}; active protocol {active}", highlight=False)


@db_app.command("backup")
def backup(target: Path = typer.Argument(..., help="the backup file to write")) -> None:
    """Back up the database while it stays in use (SQLite online backup; pg_dump for PostgreSQL)."""
    from cartrial.store.backup import backup as run_backup
    from cartrial.store.db import database_url

    try:
        run_backup(database_url(), target)
    except InputError as exc:
        fail_bad_input(exc)
    stdout.print(f"backed up to {target}", highlight=False)


@db_app.command("restore")
def restore(
    source: Path = typer.Argument(..., help="a backup file written by `cartrial db backup`"),
    yes: bool = typer.Option(False, "--yes", help="confirm: the database is replaced by the backup"),
) -> None:
    """Replace the database with a backup (then run `cartrial audit verify`)."""
    from cartrial.store.backup import restore as run_restore
    from cartrial.store.db import database_url

    if not yes:
        fail_bad_input(
            InputError.single("restore", "--yes", "a restore replaces the database; confirm with --yes")
        )
    try:
        run_restore(database_url(), source)
    except InputError as exc:
        fail_bad_input(exc)
    stdout.print(f"restored from {source}", highlight=False)


@audit_app.command("verify")
def verify() -> None:
    """Recompute the audit chain; exit 3 naming each edited, deleted or reordered entry."""
    from cartrial.store.audit import verify_chain

    engine, sessions = _open_study()
    with sessions() as session:
        checked, problems = verify_chain(session)
    engine.dispose()
    if problems:
        for problem in problems:
            stderr.print(f"audit: {problem}", highlight=False)
        raise typer.Exit(EXIT_AUDIT_BROKEN)
    stdout.print(f"audit trail intact: {checked} entries verified", highlight=False)


@sites_app.command("add")
def add_site(site_id: str, name: str) -> None:
    """Add a study site (as the system, before any administrator exists)."""
    from cartrial.services.accounts import add_site as add
    from cartrial.services.errors import ServiceError
    from cartrial.services.unit_of_work import UnitOfWork
    from cartrial.store.audit import SYSTEM_ACTOR

    engine, sessions = _open_study()
    try:
        with UnitOfWork(sessions) as uow:
            add(uow, SYSTEM_ACTOR, site_id, name, _now())
            uow.commit()
    except ServiceError as exc:
        stderr.print(f"refused: {exc}", highlight=False)
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        engine.dispose()
    stdout.print(f"site {site_id} added", highlight=False)


@users_app.command("add")
def add_user(
    username: str,
    role: str = typer.Option(..., help="admin, investigator, coordinator, src_member, statistician, monitor"),
    site: str | None = typer.Option(None, help="the site, for investigators and coordinators"),
    display_name: str | None = typer.Option(None, help="the name shown with signatures"),
) -> None:
    """Create an account. The password comes from CARTRIAL_PASSWORD or a prompt, never the command line."""
    from cartrial.services.access import Role
    from cartrial.services.accounts import add_user as add
    from cartrial.services.errors import ServiceError
    from cartrial.services.unit_of_work import UnitOfWork
    from cartrial.store.audit import SYSTEM_ACTOR

    try:
        chosen = Role(role)
    except ValueError:
        fail_bad_input(
            InputError.single("--role", "role", f"{role!r} is not one of {[r.value for r in Role]}")
        )
    password = os.environ.get("CARTRIAL_PASSWORD") or typer.prompt("password", hide_input=True)
    engine, sessions = _open_study()
    try:
        with UnitOfWork(sessions) as uow:
            add(uow, SYSTEM_ACTOR, username, display_name or username, password, chosen, site, _now())
            uow.commit()
    except InputError as exc:
        fail_bad_input(exc)
    except ServiceError as exc:
        stderr.print(f"refused: {exc}", highlight=False)
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        engine.dispose()
    stdout.print(f"user {username} added as {chosen.value}", highlight=False)
