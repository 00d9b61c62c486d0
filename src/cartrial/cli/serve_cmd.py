"""`cartrial serve`: the JSON API (uvicorn) on `CARTRIAL_DATABASE_URL`; `cartrial openapi`: its document."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("openapi")(openapi)


def serve(
    host: str = typer.Option("127.0.0.1", help="the address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="the port to listen on"),
    workers: int = typer.Option(
        1, min=1, max=64, help="server processes (uvicorn workers); the database orders their writes"
    ),
    access_log: bool = typer.Option(True, help="log every request (uvicorn's access log)"),
) -> None:
    """Bring the database up to date (as `cartrial db upgrade`), then serve the API under /api/v1."""
    import uvicorn

    from cartrial.cli.db_cmd import upgrade

    upgrade()
    uvicorn.run(
        "cartrial.cli.serve_cmd:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
    )


def create_app_from_environment() -> FastAPI:
    """The API over `CARTRIAL_DATABASE_URL` on the server's UTC clock: what each `cartrial serve` worker
    process builds for itself (its own engine and connections)."""
    import gc
    from datetime import UTC, datetime

    from cartrial.api import create_app
    from cartrial.clinical.units import unit_registry
    from cartrial.store.db import make_engine, session_factory

    # The unit registry, built at the first screening (about half a second), is built now: otherwise the
    # first screening each server process takes holds up every request behind it.
    unit_registry()
    engine = make_engine(background_checkpoints=True)
    app = create_app(session_factory(engine), lambda: datetime.now(UTC), engine.dispose)
    # What exists now (the libraries, the protocol model, the app: some 200 000 objects) lives as long as
    # the process. Frozen, it is no longer scanned by the collector's full passes, each of which took up
    # to 80 ms here and stalled every request waiting at the time.
    gc.freeze()
    return app


def openapi() -> None:
    """Print the API's OpenAPI document (docs/openapi.json is this output)."""
    from cartrial.api.app import openapi_text

    typer.echo(openapi_text(), nl=False)
