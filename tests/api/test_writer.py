"""Group commit (cartrial.api.writer): requests waiting together share one transaction and one commit,
each as if alone: a refused one is undone alone, a lost transaction fails all of them."""

import asyncio
import json
import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import event, func, select

from cartrial.api.writer import GroupCommit
from cartrial.services.errors import ConflictError
from cartrial.services.screening import ScreeningOutcome, screen_candidate
from cartrial.services.unit_of_work import TransactionLostError, UnitOfWork
from cartrial.store.audit import verify_chain
from cartrial.store.models import AuditEntry, Subject
from tests.api.conftest import EXAMPLE, NOW, Study

Screening = Callable[[UnitOfWork, datetime], ScreeningOutcome]


def _screening(study: Study, screening_id: str) -> Screening:
    record = json.dumps({**EXAMPLE, "screening_id": screening_id})

    def step(uow: UnitOfWork, now: datetime) -> ScreeningOutcome:
        return screen_candidate(uow, study.users["inv1"], "S01", record, now)

    return step


def _count_commits(study: Study) -> list[int]:
    commits = [0]

    def count(_connection: object) -> None:
        commits[0] += 1

    event.listen(study.sessions.kw["bind"], "commit", count)
    return commits


def _stored(study: Study) -> tuple[list[str], int]:
    with study.uow() as uow:
        ids = uow.session.execute(select(Subject.screening_id).order_by(Subject.id)).scalars().all()
        entries = uow.session.execute(select(func.count(AuditEntry.seq))).scalar_one()
        assert verify_chain(uow.session)[1] == ()
    return list(ids), entries


def test_waiting_requests_share_one_commit_and_a_refused_one_is_undone_alone(study: Study) -> None:
    _, entries_before = _stored(study)
    commits = _count_commits(study)

    def screened_then_refused(uow: UnitOfWork, now: datetime) -> ScreeningOutcome:
        _screening(study, "S01-0100")(uow, now)
        raise ConflictError("refused after writing")

    async def main() -> list[object]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        steps = [_screening(study, f"S01-{n:04d}") for n in range(5)]
        # The same candidate again (refused: it sees the first one, uncommitted, in the shared
        # transaction), and a request that writes and then fails.
        steps += [_screening(study, "S01-0000"), screened_then_refused, _screening(study, "S01-0005")]
        return await asyncio.gather(*(writer.submit(s) for s in steps), return_exceptions=True)

    answers = asyncio.run(main())
    assert commits == [1]
    outcomes = [a for a in answers if isinstance(a, ScreeningOutcome)]
    assert [o.screening_id for o in outcomes] == [f"S01-{n:04d}" for n in (0, 1, 2, 3, 4, 5)]
    assert isinstance(answers[5], ConflictError) and "screened already" in str(answers[5])
    assert isinstance(answers[6], ConflictError) and str(answers[6]) == "refused after writing"
    ids, entries = _stored(study)
    assert ids == [f"S01-{n:04d}" for n in range(6)]
    assert entries == entries_before + 6  # one audit entry per stored screening, none of the refused


def test_a_transaction_lost_under_a_savepoint_fails_every_request_of_the_batch(study: Study) -> None:
    """The database ending the transaction (SQLite does on some errors) leaves nothing to report as stored:
    the requests that had succeeded before it are not acknowledged either."""

    def ends_the_transaction(uow: UnitOfWork, _now: datetime) -> None:
        uow.session.connection().exec_driver_sql("ROLLBACK")

    async def main() -> list[object]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        steps = [_screening(study, "S01-0000"), ends_the_transaction, _screening(study, "S01-0001")]
        return await asyncio.gather(*(writer.submit(s) for s in steps), return_exceptions=True)

    answers = asyncio.run(main())
    assert all(isinstance(a, TransactionLostError) for a in answers), answers
    assert _stored(study)[0] == []


def test_a_failed_commit_fails_every_request_of_the_batch(study: Study) -> None:
    def refuse(_connection: object) -> None:
        raise OSError("disk full")

    event.listen(study.sessions.kw["bind"], "commit", refuse)

    async def main() -> list[object]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        steps = [_screening(study, f"S01-{n:04d}") for n in range(3)]
        return await asyncio.gather(*(writer.submit(s) for s in steps), return_exceptions=True)

    answers = asyncio.run(main())
    event.remove(study.sessions.kw["bind"], "commit", refuse)
    assert [str(a) for a in answers] == ["disk full"] * 3
    assert _stored(study)[0] == []


@pytest.mark.parametrize("study", ["sqlite"], indirect=True)
def test_requests_arriving_during_a_commit_form_the_next_batch(study: Study) -> None:
    commits = _count_commits(study)

    async def main() -> list[ScreeningOutcome]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        started = asyncio.Event()

        def first_step(uow: UnitOfWork, now: datetime) -> ScreeningOutcome:
            started.set()
            return _screening(study, "S01-0000")(uow, now)

        first = asyncio.ensure_future(writer.submit(first_step))
        await started.wait()  # the first batch (one request) is under way; the next three wait for it
        rest = [writer.submit(_screening(study, f"S01-{n:04d}")) for n in (1, 2, 3)]
        return await asyncio.gather(first, *rest)

    outcomes = asyncio.run(main())
    assert [o.screening_id for o in outcomes] == [f"S01-{n:04d}" for n in range(4)]
    assert commits == [2]


def test_a_batch_waits_for_another_writer_outside_the_event_loop(study: Study) -> None:
    """Another server process's transaction holds the lock that orders writers: while a batch waits for
    it, the event loop goes on (it answers reads and parses the next requests meanwhile)."""
    with study.uow() as other:
        other.hold_audit_head()
        release = threading.Timer(0.5, other.commit)

        async def main() -> tuple[int, ScreeningOutcome]:
            writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
            write = asyncio.ensure_future(writer.submit(_screening(study, "S01-0200")))
            ticks = 0
            while not write.done():
                await asyncio.sleep(0.01)
                ticks += 1
            return ticks, await write

        release.start()
        ticks, outcome = asyncio.run(main())
        release.join()
    assert outcome.screening_id == "S01-0200"
    # About 50 ticks in the half second; none if the wait had held the loop.
    assert ticks >= 20
    assert _stored(study)[0][-1] == "S01-0200"
