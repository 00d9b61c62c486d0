"""Group commit (cartrial.api.writer): requests waiting together share one transaction and one commit,
each as if alone: a refused one is undone alone, a lost transaction fails all of them. A batch runs
without savepoints until a request of it is refused; then it runs again with one per request."""

import asyncio
import contextlib
import itertools
import json
import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError

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


def _count(study: Study, event_name: str) -> list[int]:
    """How many times the engine's `event_name` ("commit", "savepoint") fires from now on."""
    fired = [0]

    def count(*_args: object) -> None:
        fired[0] += 1

    event.listen(study.sessions.kw["bind"], event_name, count)
    return fired


def _stored(study: Study) -> tuple[list[str], int]:
    with study.uow() as uow:
        ids = uow.session.execute(select(Subject.screening_id).order_by(Subject.id)).scalars().all()
        entries = uow.session.execute(select(func.count(AuditEntry.seq))).scalar_one()
        assert verify_chain(uow.session)[1] == ()
    return list(ids), entries


def test_waiting_requests_share_one_commit_and_a_refused_one_is_undone_alone(study: Study) -> None:
    _, entries_before = _stored(study)
    commits = _count(study, "commit")

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


def _refused(_uow: UnitOfWork, _now: datetime) -> None:
    raise ConflictError("refused")


def _refused_after_writing(study: Study) -> Callable[[UnitOfWork, datetime], None]:
    def step(uow: UnitOfWork, now: datetime) -> None:
        _screening(study, "S01-9999")(uow, now)
        raise ConflictError("refused")

    return step


def test_batches_run_without_savepoints_until_a_request_is_refused(study: Study) -> None:
    """The batch with the refused request runs twice (without, then with savepoints) and the next batch
    with savepoints from the start; after a batch with none refused, the next runs without again."""
    commits = _count(study, "commit")
    savepoints = _count(study, "savepoint")
    taken: list[int] = []

    async def main() -> list[list[object]]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        batches: list[list[Callable[[UnitOfWork, datetime], object]]] = [
            [_screening(study, "S01-0000"), _screening(study, "S01-0001")],
            [_screening(study, "S01-0002"), _refused_after_writing(study), _screening(study, "S01-0003")],
            [_screening(study, "S01-0004"), _screening(study, "S01-0005")],
            [_screening(study, "S01-0006"), _screening(study, "S01-0007")],
        ]
        answers: list[list[object]] = []
        for batch in batches:
            before = savepoints[0]
            answers.append(await asyncio.gather(*(writer.submit(s) for s in batch), return_exceptions=True))
            taken.append(savepoints[0] - before)
        return answers

    answers = asyncio.run(main())
    assert taken == [0, 3, 2, 0]
    assert commits == [4]
    refused = answers[1][1]
    assert isinstance(refused, ConflictError) and str(refused) == "refused"
    assert _stored(study)[0] == [f"S01-{n:04d}" for n in range(8)]


def _ends_the_transaction(uow: UnitOfWork, _now: datetime) -> None:
    uow.session.connection().exec_driver_sql("ROLLBACK")


def _swallows_a_database_error(uow: UnitOfWork, _now: datetime) -> None:
    with contextlib.suppress(DBAPIError):
        uow.session.connection().exec_driver_sql("SELECT no_such_column FROM audit_entries")


@pytest.mark.parametrize("after_a_refusal", [False, True], ids=["unguarded", "with savepoints"])
@pytest.mark.parametrize("breaking", [_ends_the_transaction, _swallows_a_database_error])
def test_a_transaction_lost_under_a_request_fails_every_request_of_the_batch(
    study: Study, breaking: Callable[[UnitOfWork, datetime], None], after_a_refusal: bool
) -> None:
    """The database ending the transaction (SQLite does on some errors), or an error that leaves it
    failed (PostgreSQL's), with no exception from the request, leaves nothing to report as stored: the
    requests that had succeeded before it are not acknowledged either, those after it are not run."""
    if breaking is _swallows_a_database_error and study.sessions.kw["bind"].dialect.name == "sqlite":
        pytest.skip("an SQLite statement error leaves the transaction usable")
    ran_after: list[str] = []

    def after(uow: UnitOfWork, now: datetime) -> ScreeningOutcome:
        ran_after.append("ran")
        return _screening(study, "S01-0001")(uow, now)

    async def main() -> list[object]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        if after_a_refusal:
            with pytest.raises(ConflictError):
                await writer.submit(_refused)
        steps = [_screening(study, "S01-0000"), breaking, after]
        return await asyncio.gather(*(writer.submit(s) for s in steps), return_exceptions=True)

    answers = asyncio.run(main())
    assert all(isinstance(a, TransactionLostError) for a in answers), answers
    assert ran_after == []
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
    commits = _count(study, "commit")

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


def test_a_batch_without_savepoints_writes_its_audit_entries_in_one_statement(study: Study) -> None:
    _, entries_before = _stored(study)
    audit_inserts = [0]

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        audit_inserts[0] += "INSERT INTO audit_entries" in statement

    event.listen(study.sessions.kw["bind"], "before_cursor_execute", seen)

    async def main() -> list[ScreeningOutcome]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        return await asyncio.gather(*(writer.submit(_screening(study, f"S01-{n:04d}")) for n in range(5)))

    asyncio.run(main())
    assert audit_inserts == [1]
    ids, entries = _stored(study)  # the chain verifies
    assert ids == [f"S01-{n:04d}" for n in range(5)] and entries == entries_before + 5


# A request of a generated batch: ("screen", n) screens candidate n (refused if n was stored before it),
# ("refuse", n) screens candidate n and then raises, ("refuse first", n) raises before writing anything.
Kind = tuple[str, int]
_KINDS = st.tuples(
    st.sampled_from(["screen", "screen", "screen", "refuse", "refuse first"]), st.integers(0, 5)
)
_examples = itertools.count()
_DUPLICATE = "screened already"


def _generated_step(study: Study, prefix: str, kind: Kind) -> Callable[[UnitOfWork, datetime], object]:
    what, n = kind
    screen = _screening(study, f"{prefix}-{n}")
    if what == "screen":
        return screen

    def refused(uow: UnitOfWork, now: datetime) -> None:
        if what == "refuse":
            screen(uow, now)
        raise ConflictError("refused")

    return refused


def _expected(batches: list[list[Kind]], prefix: str) -> tuple[list[list[str]], list[str]]:
    """Each request as if it ran alone after the ones before it: its answer, and what ends up stored."""
    stored: list[str] = []
    answers: list[list[str]] = []
    for batch in batches:
        answers.append([])
        for what, n in batch:
            screening_id = f"{prefix}-{n}"
            if what != "refuse first" and screening_id in stored:
                answers[-1].append(_DUPLICATE)
            elif what == "screen":
                stored.append(screening_id)
                answers[-1].append(screening_id)
            else:
                answers[-1].append("refused")
    return answers, stored


def _answer(outcome: object) -> str:
    if isinstance(outcome, ScreeningOutcome):
        return outcome.screening_id
    assert isinstance(outcome, ConflictError), outcome
    return _DUPLICATE if _DUPLICATE in str(outcome) else str(outcome)


@pytest.mark.parametrize("study", ["sqlite"], indirect=True)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(_KINDS, min_size=1, max_size=6), min_size=1, max_size=4))
def test_every_request_of_a_batch_gets_the_outcome_it_would_have_had_alone(
    study: Study, batches: list[list[Kind]]
) -> None:
    """Whatever the mix of successes and refusals, and whether the batch before ran with savepoints or
    without: the answers and what is stored are those of the requests run one at a time, in order, one
    commit a batch."""
    prefix = f"G{next(_examples)}"
    engine = study.sessions.kw["bind"]
    commits = [0]

    def count(_connection: object) -> None:
        commits[0] += 1

    async def main() -> list[list[object]]:
        writer = GroupCommit(study.sessions, lambda: NOW, asyncio.Lock())
        answers: list[list[object]] = []
        for batch in batches:
            steps = [_generated_step(study, prefix, kind) for kind in batch]
            answers.append(await asyncio.gather(*(writer.submit(s) for s in steps), return_exceptions=True))
        return answers

    event.listen(engine, "commit", count)
    try:
        answers = asyncio.run(main())
    finally:
        event.remove(engine, "commit", count)
    expected_answers, expected_stored = _expected(batches, prefix)
    assert [[_answer(a) for a in batch] for batch in answers] == expected_answers
    assert commits == [len(batches)]
    assert [i for i in _stored(study)[0] if i.startswith(f"{prefix}-")] == expected_stored
