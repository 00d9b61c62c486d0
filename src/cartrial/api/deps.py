"""What every request needs: the time, the caller's credential, and one unit of work (committed when the
endpoint's block succeeds)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, QueuePool
from sqlalchemy.orm import Session, sessionmaker

from cartrial.api.writer import GroupCommit
from cartrial.errors import InputError
from cartrial.services.access import Principal
from cartrial.services.accounts import principal_from_token
from cartrial.services.errors import UnauthenticatedError
from cartrial.services.unit_of_work import UnitOfWork, shorten_log

T = TypeVar("T")

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
    # Writers wait here, in order and without holding a worker thread, for their turn at the database.
    turn: AbstractAsyncContextManager[object] = field(default_factory=nullcontext)
    # Where the endpoints of the event loop write (`Writing`): a batch at a time, in the turn above.
    writer: GroupCommit = field(init=False)
    # The reads of the event loop, one at a time in order of arrival (`Call.run`).
    reading_turn: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        after_commit = partial(shorten_log, self.sessions)
        object.__setattr__(self, "writer", GroupCommit(self.sessions, self.clock, self.turn, after_commit))


def settings_for(sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> ApiSettings:
    """SQLite runs one writing transaction at a time (each is BEGIN IMMEDIATE): one turn, rather than its
    busy handler's polling with growing sleeps, which lets late-comers overtake. PostgreSQL: as many
    turns as the engine's pool has connections, rather than dozens of threads contending for them and
    the GIL. Readers take no turn: a read-only transaction never waits for a writer (SQLite in WAL mode
    reads the last committed state; PostgreSQL takes no row locks)."""
    bind = sessions.kw.get("bind")
    turn: AbstractAsyncContextManager[object] = nullcontext()
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        turn = asyncio.Lock()
    elif isinstance(bind, Engine) and isinstance(bind.pool, QueuePool):
        turn = asyncio.Semaphore(bind.pool.size())
    return ApiSettings(sessions, clock, turn)


@dataclass(frozen=True, slots=True)
class Work:
    """What an endpoint works with: one unit of work, the request's time, and (if logged in) the caller."""

    uow: UnitOfWork
    now: datetime
    principal: Principal
    token: str


@dataclass(frozen=True, slots=True)
class Call:
    """A request, before any database work: where the study is, its time, and the credential it carried.

    `transaction()` opens the request's one unit of work, committed when the block ends without an
    exception — read-only for a request that only reads (`Reading`). The endpoint opens it where it runs
    and the transaction ends there: a transaction spread over several of the server's worker threads
    could hold the database's write lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's row locks) while
    waiting for a thread that the requests queued behind that lock are occupying.
    """

    settings: ApiSettings
    now: datetime
    token: str | None
    read_only: bool = False

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        with UnitOfWork(self.settings.sessions, read_only=self.read_only) as uow:
            yield uow
            uow.commit()

    @contextmanager
    def authenticated(self) -> Iterator[Work]:
        """The transaction, as the caller whose token the request carried (401 if none is valid)."""
        if not self.token:
            raise UnauthenticatedError(NOT_LOGGED_IN)
        with self.transaction() as uow:
            yield Work(uow, self.now, principal_from_token(uow, self.token, self.now), self.token)

    async def run(self, action: Callable[[Work], T]) -> T:
        """`action` in the request's transaction as the caller, committed when it returns.

        Run in the event loop itself: a transaction is a few statements of microseconds (SQLite) or a
        local round trip each (PostgreSQL), less than the two hops to a worker thread and back that a
        synchronous endpoint costs per request, and one process runs Python one thread at a time anyway.
        Endpoints whose work is long (a password hash, the whole audit chain) are synchronous instead and
        open their transaction in their worker thread.

        The reads take turns (`ApiSettings.reading_turn`, first come first served), one per pass of the
        event loop. Without them one pass ran every request that had become ready, each to the end, and
        the loop reads its sockets only between passes: at 50 clients a pass was a whole round of 50
        reads (about 50 ms). The request answered last in a round, whose client asks again at once,
        arrived just after the sockets were read: it was read a round later, and its task started in the
        pass after that — two rounds, one request in each round, which set the 99th percentile at twice
        the median. Handed on one at a time, each read runs in a pass of its own, the loop reads its
        sockets between two reads, and a late request queues behind only those that came before it."""
        async with self.settings.reading_turn:
            # Holding the turn over one pass of the loop: the reads that became ready in this pass queue
            # behind this one (an uncontended lock would let each run at once, all in the same pass).
            await asyncio.sleep(0)
            with self.authenticated() as work:
                return action(work)

    async def write(self, action: Callable[[Work], T]) -> T:
        """`action` as the caller, in the next group commit's transaction (`api.writer`); returns once
        it is committed. The token is checked there, at the time the action runs (`Work.now`)."""
        token = self.token
        if not token:
            raise UnauthenticatedError(NOT_LOGGED_IN)

        def step(uow: UnitOfWork, now: datetime) -> T:
            return action(Work(uow, now, principal_from_token(uow, token, now), token))

        return await self.settings.writer.submit(step)


NOT_LOGGED_IN = "log in first: send the bearer token or the session cookie"


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.cartrial
    return settings


async def _anonymous(request: Request) -> AsyncIterator[Call]:
    settings = _settings(request)
    async with settings.turn:
        yield Call(settings, settings.clock(), None)


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
Cookie = Annotated[str | None, Depends(_cookie)]


def _token(bearer: HTTPAuthorizationCredentials | None, cookie: str | None) -> str:
    """The credential the request carried. Each dependency below takes the bearer and the cookie itself
    rather than through a dependency of its own: FastAPI's solving costs per node, on every request."""
    token = bearer.credentials if bearer is not None else cookie
    # Refused before the body is validated: a request without credentials learns nothing but 401.
    if not token:
        raise UnauthenticatedError(NOT_LOGGED_IN)
    return token


async def _logged_in(request: Request, bearer: Bearer, cookie: Cookie) -> AsyncIterator[Call]:
    token = _token(bearer, cookie)
    settings = _settings(request)
    async with settings.turn:
        yield Call(settings, settings.clock(), token)


async def _writing(request: Request, bearer: Bearer, cookie: Cookie) -> Call:
    """A call whose writing waits for the group commit (`Call.write`), which takes the turn itself."""
    settings = _settings(request)
    return Call(settings, settings.clock(), _token(bearer, cookie))


async def _reading(request: Request, bearer: Bearer, cookie: Cookie) -> Call:
    """A read-only transaction, without a turn (`settings_for`)."""
    settings = _settings(request)
    return Call(settings, settings.clock(), _token(bearer, cookie), read_only=True)


# scope="function": the queue's turn ends when the endpoint returns, before the response is written.
Anonymous = Annotated[Call, Depends(_anonymous, scope="function")]
LoggedIn = Annotated[Call, Depends(_logged_in, scope="function")]
Reading = Annotated[Call, Depends(_reading)]
Writing = Annotated[Call, Depends(_writing)]


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
