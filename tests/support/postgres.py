"""A throw-away PostgreSQL cluster for the tests: initdb + pg_ctl in a temporary folder, Unix socket only.

As root (CI here runs as root), the server runs as the `postgres` system user, since PostgreSQL refuses
to run as root. Without the binaries (or that user), `unavailable()` says why and the tests skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PORT = 54329


def _as_server_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def unavailable() -> str | None:
    for binary in ("initdb", "pg_ctl"):
        if shutil.which(binary) is None:
            return f"PostgreSQL binary {binary!r} not on PATH"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server"
    return None


@contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yield a URL template with `{db}` for the database name; stop and remove it."""
    folder = Path(tempfile.mkdtemp(prefix="cartrial-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    run = _as_server_user()
    subprocess.run(
        [*run, "initdb", "-D", str(data), "-U", "cartrial", "-A", "trust", "--no-sync", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-k {folder} -p {PORT} -c listen_addresses='' -c fsync=off -c max_connections=200"
    subprocess.run(
        [*run, "pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://cartrial@/{{db}}?host={folder}&port={PORT}"
    finally:
        subprocess.run([*run, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(url_template: str, template: str | None = None) -> str:
    """A new database in the cluster — empty, or a copy of the database at URL `template` — and its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = url_template.format(db="postgres").replace("postgresql+psycopg://", "postgresql://")
    source = "" if template is None else f' TEMPLATE "{make_url(template).database}"'
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{source}')
    return url_template.format(db=name)
