"""Every refusal mapped to its HTTP status, in this one place.

Bad input (`InputError`, or a request FastAPI could not validate) is 422 with
`{"detail": [{"field": ..., "reason": ...}]}`; the services' refusals are 401, 403, 404 and 409 with
`{"detail": "<why>"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from cartrial.errors import FieldError, InputError
from cartrial.services.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
    UnauthenticatedError,
)

# Where FastAPI says a bad value was; the field name that follows is relative to that part of the request.
_REQUEST_PARTS = frozenset({"body", "path", "query", "header", "cookie"})

# What the core's validation calls the input as a whole (cartrial.protocol.field_errors_from_validation).
WHOLE_INPUT = "(top level)"

# The methods of RFC 9110 (§9.3) and PATCH (RFC 5789), for the Allow header.
HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")

_STATUS: dict[type[ServiceError], int] = {
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
}


def bad_input_response(errors: Iterable[FieldError]) -> JSONResponse:
    return JSONResponse({"detail": [{"field": e.field, "reason": e.reason} for e in errors]}, status_code=422)


def field_errors_of_request(errors: Sequence[Any]) -> tuple[FieldError, ...]:
    """FastAPI's validation errors as (field, reason): the field is the path inside the body (or the
    parameter's name); JSON that cannot be parsed is the field `body`."""
    found = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in _REQUEST_PARTS:
            part, location = location[0], location[1:]
        else:
            part = "body"
        if error.get("type") == "json_invalid":
            found.append(
                FieldError("body", f"not valid JSON ({error.get('ctx', {}).get('error', 'syntax')})")
            )
            continue
        found.append(FieldError(".".join(location) or part, str(error.get("msg", "invalid"))))
    return tuple(found)


async def _input_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    # The core's name for "the input as a whole"; here the whole input is the request body.
    return bad_input_response(
        FieldError("body" if e.field == WHOLE_INPUT else e.field, e.reason) for e in exc.errors
    )


async def _request_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return bad_input_response(field_errors_of_request(exc.errors()))


def allowed_methods(request: Request) -> str:
    """The methods the request's path answers, for a 405's Allow header (RFC 9110 §15.5.6: the resource's
    supported methods). Starlette's 405 names only those of the first route whose path matched, and each
    method of a path is a route of its own here (GET and POST /sites)."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in HTTP_METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI could not read the body at all (not UTF-8, or JSON that Python refuses to load).
        return bad_input_response([FieldError("body", "cannot be read as UTF-8 JSON")])
    if exc.status_code == 405:
        exc = StarletteHTTPException(405, exc.detail, headers={"Allow": allowed_methods(request)})
    return await http_exception_handler(request, exc)


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


async def _integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    # Two requests racing to create the same thing (PostgreSQL lets both try; a unique index stops one).
    return JSONResponse(
        {"detail": "a concurrent change created the same record first; reload and retry"}, status_code=409
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
