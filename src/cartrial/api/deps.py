"""What every request needs: its unit of work (committed when the endpoint succeeds), the time, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from cartrial.errors import InputError
from cartrial.services.access import Principal
from cartrial.services.accounts import principal_from_token
from cartrial.services.errors import UnauthenticatedError
from cartrial.services.unit_of_work import UnitOfWork

SESSION_COOKIE = "cartrial_session"
# A screening record is a few kilobytes; a megabyte is not a record.
MAX_RECORD_BYTES = 1 << 20

_bearer = HTTPBearer(auto_error=False, description="the token from POST /api/v1/auth/login")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="the session cookie set by POST /api/v1/auth/login"
)


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """What `create_app` was given: where the study is stored and the clock (tests control time)."""

    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.cartrial
    return settings


def _unit_of_work(request: Request) -> Iterator[UnitOfWork]:
    with UnitOfWork(_settings(request).sessions) as uow:
        yield uow
        uow.commit()


def _now(request: Request) -> datetime:
    return _settings(request).clock()


# scope="function": the commit runs when the endpoint returns, before the response is sent, so a client
# never sees success for a change that was not stored.
Uow = Annotated[UnitOfWork, Depends(_unit_of_work, scope="function")]
Now = Annotated[datetime, Depends(_now)]


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user and the credential they sent (logout revokes it)."""

    principal: Principal
    token: str


def _caller(
    uow: Uow,
    now: Now,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Caller:
    token = bearer.credentials if bearer is not None else cookie
    if not token:
        raise UnauthenticatedError("log in first: send the bearer token or the session cookie")
    return Caller(principal_from_token(uow, token, now), token)


CurrentCaller = Annotated[Caller, Depends(_caller)]


async def _json_text(request: Request) -> str:
    """The request body as submitted (UTF-8 JSON text), for records stored exactly as they came."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InputError.single("request", "content-type", "must be application/json")
    body = await request.body()
    if len(body) > MAX_RECORD_BYTES:
        raise InputError.single("request", "body", f"larger than {MAX_RECORD_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single("request", "body", f"not UTF-8 ({exc.reason} at byte {exc.start})") from None


JsonText = Annotated[str, Depends(_json_text)]
