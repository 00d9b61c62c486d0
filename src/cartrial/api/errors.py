"""Every refusal mapped to its HTTP status, in this one place.

Bad input (`InputError`, or a request FastAPI could not validate) is 422 with
`{"detail": [{"field": ..., "reason": ...}]}`; the services' refusals are 401, 403, 404 and 409 with
`{"detail": "<why>"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

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
    return bad_input_response(exc.errors)


async def _request_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return bad_input_response(field_errors_of_request(exc.errors()))


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
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
