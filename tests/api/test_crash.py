"""`cartrial serve` killed with SIGKILL in the middle of a stream of writes over HTTP, then restarted on the
same database: every write it acknowledged (2xx) is there, and the audit trail verifies."""

import json
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from cartrial.services.access import Role
from cartrial.services.accounts import add_site, add_user
from cartrial.services.protocols import prepare_store
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR
from cartrial.store.db import make_engine, session_factory
from cartrial.store.migrate import upgrade
from tests.api.conftest import EXAMPLE, PASSWORD
from tests.support.server import serving

STREAMS = 4  # clients writing at once, so that writes are in flight when the server dies
ACKNOWLEDGED_BEFORE_KILL = 30


def _seed(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with UnitOfWork(session_factory(engine)) as uow:
        prepare_store(uow, now)
        add_site(uow, SYSTEM_ACTOR, "S01", "Hospital 1", now)
        add_user(uow, SYSTEM_ACTOR, "inv1", "Inv1", PASSWORD, Role.INVESTIGATOR, "S01", now)
        add_user(uow, SYSTEM_ACTOR, "monitor", "Monitor", PASSWORD, Role.MONITOR, None, now)
        uow.commit()
    engine.dispose()


def _token(base: str, username: str) -> dict[str, str]:
    login = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


# On the SQLite file, whose durability is what the kill tests. PostgreSQL passes it too (its server is not
# the process killed; the store's own crash test runs on both) but costs two more server starts.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sigkill_mid_stream_over_http_loses_no_acknowledged_write(database_url: str) -> None:
    _seed(database_url)
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    with serving(database_url) as served:
        headers = {**_token(served.base, "inv1"), "Content-Type": "application/json"}
        before = httpx.get(f"{served.base}/api/v1/audit/verify", headers=_token(served.base, "monitor"))
        entries_before = before.json()["entries"]

        def stream(number: int) -> None:
            with httpx.Client(base_url=served.base, headers=headers, timeout=30) as client:
                for n in range(100_000):
                    screening_id = f"C{number}-{n:05d}"
                    body = json.dumps({**EXAMPLE, "screening_id": screening_id})
                    try:
                        response = client.post("/api/v1/sites/S01/screenings", content=body)
                    except httpx.TransportError:
                        return  # the server died with this write unanswered: it may or may not be stored
                    assert response.status_code == 201, response.text
                    with lock:
                        acknowledged.append(screening_id)
                        if len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL:
                            enough.set()

        with ThreadPoolExecutor(STREAMS) as pool:
            streams = [pool.submit(stream, number) for number in range(STREAMS)]
            assert enough.wait(timeout=120), "the writes did not get going"
            os.kill(served.process.pid, signal.SIGKILL)
            for finished in streams:
                finished.result()
    assert served.process.returncode == -signal.SIGKILL

    with serving(database_url) as served, httpx.Client(base_url=served.base, timeout=30) as client:
        monitor = _token(served.base, "monitor")
        listed = client.get("/api/v1/subjects", params={"limit": 1000}, headers=monitor).json()
        stored = {subject["screening_id"] for subject in listed["subjects"]}
        assert listed["total"] == len(stored) < 1000
        assert set(acknowledged) <= stored
        # At most one write per stream was in flight when the server died.
        assert len(stored) - len(acknowledged) <= STREAMS
        verification = client.get("/api/v1/audit/verify", headers=monitor).json()
    assert verification["intact"] is True, verification["problems"]
    assert verification["entries"] == entries_before + len(stored)  # one entry per stored screening
