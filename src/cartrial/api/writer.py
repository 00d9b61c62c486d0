"""Group commit: the writes waiting at one moment share one transaction and one commit (one fsync).

A durable commit waits for the disk (SQLite `synchronous=FULL` syncs its write-ahead log on every commit;
PostgreSQL flushes its WAL before a synchronous commit returns). On the development container that wait
is 3–5 ms, longer than the rest of a screening write, and writers take turns (SQLite's one write lock,
the audit chain's head row on PostgreSQL): with one commit per request the disk alone caps the writes at
a few hundred a second, whatever the CPU does. Here the requests that arrived while the last commit was
on its way to the disk run together, in their order of arrival, in one transaction whose commit is
awaited in a worker thread — so the event loop parses, authenticates and validates the next requests
meanwhile. No request is answered before the commit that stores it has
returned: durability is the same as one commit per request; only the number of disk syncs changes.

Each request behaves as if it ran alone after the ones before it: it sees their changes (so enrollment
still finds the last slot taken), and if it fails only it gets the error and nothing it did is stored.
If the commit fails, or the database ends the transaction under a request, every request of the batch
gets the error and none is reported as stored.

Requests are expected to succeed: a batch first runs them one after the other with no savepoint between
them (a savepoint and its release cost about a fifth of a screening write: two statements and the ORM's
bookkeeping), and their audit entries are written together before the commit (one statement for the
batch instead of one per request). If one of them raises, that whole transaction is rolled back, nothing
of it answered, and the batch runs again with each request in its own savepoint, undone alone if it
fails — so the outcome is the one each request would have had alone, either way. After a batch with a
refused request the next one is run with savepoints from the start, and speculation resumes after a
batch with none, so a stream of failing requests costs at most one extra run in every other batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from cartrial.services.unit_of_work import TransactionLostError, UnitOfWork

T = TypeVar("T")

_log = logging.getLogger(__name__)

Step = Callable[[UnitOfWork, datetime], T]
"""One request's writing: its work in the shared transaction, at the time it runs."""

# At 50 concurrent clients a batch holds at most 50; the bound keeps one batch from holding the event
# loop (where the steps run) and the write lock for long when more are waiting.
MAX_BATCH = 64


@dataclass(slots=True)
class _Waiting:
    step: Step[Any]
    answer: asyncio.Future[Any]


class GroupCommit:
    """The one writer of an application: `await submit(step)` runs `step` in the next batch's transaction
    and returns its result once that transaction is committed (or raises its error)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        turn: AbstractAsyncContextManager[object],
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        """`after_commit` (SQLite's WAL checkpoint) runs in a worker thread after a batch is answered,
        one at a time, beside the next batches: nobody waits for it."""
        self._sessions = sessions
        self._clock = clock
        # Shared with the endpoints that write in a worker thread (login, signatures, new accounts).
        self._turn = turn
        self._after_commit = after_commit
        self._waiting: deque[_Waiting] = deque()
        self._writing: asyncio.Task[None] | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        # Whether the next batch runs without savepoints (the last one had no refused request).
        self._expect_success = True

    async def submit(self, step: Step[T]) -> T:
        answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(step, answer))
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_all())
        return await answer

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch = [self._waiting.popleft() for _ in range(min(len(self._waiting), MAX_BATCH))]
                async with self._turn:
                    await self._write(batch)
                self._keep_house()
        finally:
            self._writing = None

    def _keep_house(self) -> None:
        if self._after_commit is None or (self._housekeeping is not None and not self._housekeeping.done()):
            return
        self._housekeeping = asyncio.create_task(asyncio.to_thread(self._after_commit))
        self._housekeeping.add_done_callback(_report_failure)

    def _run(self, step: Step[Any], uow: UnitOfWork) -> Any:
        return step(uow, self._clock())

    async def _write(self, batch: list[_Waiting]) -> None:
        results = None
        try:
            if self._expect_success:
                with contextlib.suppress(_UnguardedRequestFailedError):
                    results = await self._run_batch(batch, guarded=False)
            if results is None:
                results = await self._run_batch(batch, guarded=True)
        except Exception as error:
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
            return
        self._expect_success = all(succeeded for _, succeeded, _ in results)
        for waiting, succeeded, value in results:
            if waiting.answer.done():
                continue
            if succeeded:
                waiting.answer.set_result(value)
            else:
                waiting.answer.set_exception(value)

    async def _run_batch(self, batch: list[_Waiting], *, guarded: bool) -> list[tuple[_Waiting, bool, Any]]:
        """The batch in one transaction, committed: each request in a savepoint of its own if `guarded`,
        else none, and `_UnguardedRequestFailedError` (the transaction rolled back) as soon as one raises."""
        results: list[tuple[_Waiting, bool, Any]] = []
        with UnitOfWork(self._sessions) as uow:
            attempt = uow.attempt if guarded else uow.attempt_unguarded
            # The batch's first statement takes the lock that orders writers (the audit chain's
            # head): another server process may hold it until its commit, and the wait is spent in a
            # worker thread, not in the event loop, which meanwhile answers reads and parses writes.
            await _outside_the_loop(uow.hold_audit_head)
            if not guarded:
                # Nothing of an unguarded batch is kept unless all of it is: its audit entries are
                # written together before the commit, one statement for the batch.
                uow.defer_audit_entries()
            for waiting in batch:
                # A request whose client went away before its turn is not run at all.
                if waiting.answer.cancelled():
                    continue
                try:
                    results.append((waiting, True, attempt(partial(self._run, waiting.step, uow))))
                except TransactionLostError:
                    raise
                except Exception as error:
                    if not guarded:
                        raise _UnguardedRequestFailedError from error
                    results.append((waiting, False, error))
            # The entries' statement is mostly Python (every row's values): here rather than in the
            # commit's thread, where it would contend for the GIL with the loop at every reply.
            uow.write_deferred_audit()
            # The commit waits for the disk outside the event loop.
            await _outside_the_loop(uow.commit)
        return results


class _UnguardedRequestFailedError(Exception):
    """A request of a batch run without savepoints raised: the batch's transaction is abandoned."""


async def _outside_the_loop(work: Callable[[], None]) -> None:
    """`work` on the batch's session, in a worker thread. Nothing else touches the session meanwhile (the
    next batch waits for this one), not even if the awaiting task is cancelled: it waits for the end."""
    working = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        await asyncio.shield(working)
    finally:
        if not working.done():
            await asyncio.wait({working})


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        # Housekeeping failing loses nothing stored; it is retried after the next batch.
        _log.warning("after a commit: %s", error, exc_info=error)
