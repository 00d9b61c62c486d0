"""`create_app(sessions, clock)`: the FastAPI application over one study database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from sqlalchemy.orm import Session, sessionmaker

from cartrial import __version__
from cartrial.api.deps import settings_for
from cartrial.api.errors import install_error_handlers
from cartrial.api.routes import accounts, audit, auth, dosing, protocols, study, subjects
from cartrial.api.schemas import BadInput, FieldProblem, Refusal

API_PREFIX = "/api/v1"


def create_app(
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
    """The API over the store behind `sessions`; `clock` gives the server's time (aware UTC);
    `on_shutdown` runs when the server stops."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if on_shutdown is not None:
            on_shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="cartrial",
        version=__version__,
        description="The trial data platform of cartrial: accounts, protocols, screening, audit.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        responses={
            401: {
                "model": Refusal,
                "description": "not logged in, or the token is unknown, revoked or expired",
            },
            403: {"model": Refusal, "description": "the caller's role may not do this"},
            404: {"model": Refusal, "description": "no such thing, or not one the caller may see"},
            409: {"model": Refusal, "description": "the request contradicts the current state"},
        },
    )
    app.state.cartrial = settings_for(sessions, clock)
    install_error_handlers(app)
    for module in (auth, accounts, protocols, subjects, dosing, study, audit):
        app.include_router(module.router, prefix=API_PREFIX)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def openapi_text() -> str:
    """The OpenAPI document as committed in docs/openapi.json (it depends on no database or clock)."""
    app = create_app(sessionmaker(), lambda: datetime.now(UTC))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with this API's shape of a 422 and the schemas of the bodies read as sent
    (the core's screening record and subject safety record)."""
    from cartrial.eligibility import ScreeningRecord
    from cartrial.safety import SubjectSafety

    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    # Generated together, so that two core models of one name (each core has a LabResult) stay apart.
    _, core = models_json_schema(
        [(ScreeningRecord, "validation"), (SubjectSafety, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    clashes = set(schemas) & set(core["$defs"])
    assert not clashes, f"core schemas named like the API's: {clashes}"
    schemas.update(core["$defs"])
    # Every 422 of FastAPI's document refers to HTTPValidationError; errors.py answers with BadInput.
    del schemas["ValidationError"]
    for name, model in (("HTTPValidationError", BadInput), ("FieldProblem", FieldProblem)):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schemas[name] = schema
    return document
