"""API load: requests/second and p50/p99 latency of a read and a write endpoint at 50 concurrent clients,
against a real `cartrial serve` (uvicorn) on 127.0.0.1, on SQLite and on a throw-away PostgreSQL.

Run: .venv/bin/python benchmarks/api_load.py [--clients 50] [--reads 2000] [--writes 500] [--seconds 60]
     [--database sqlite|postgresql|both] [--workers 1]
Read: GET /api/v1/subjects/{id} (a subject with its screening record and result) as a monitor.
Write: POST /api/v1/sites/S01/screenings (a new candidate screened and stored, with its audit entry) as an
investigator. Each phase stops at its request count or its time limit, whichever comes first, and prints
how many requests took more than 1.2 times the median ("late": a whole round of 50 that stalled shows
as 50 of them). The clients run in this process (one keep-alive connection each), on the same machine as
the server. Each phase also prints the CPU time it cost per request, in the server's processes and in
PostgreSQL's processes for the benchmark's database (Linux's /proc): on a shared machine that figure is
steadier than the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from tests.support.server import Served

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples" / "screening" / "eligible.json").read_text(encoding="utf-8"))
PASSWORD = "load test password"


@dataclass(frozen=True)
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    # CPU seconds the phase cost the server's processes and PostgreSQL's (None where /proc is not there).
    server_cpu: float | None = None
    database_cpu: float | None = None

    def line(self) -> str:
        ordered = sorted(self.latencies_ms)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        # At 50 closed-loop clients a request answered more than a fifth of a round late is rare unless a
        # whole round stalled (then it is 50 of them): one such round alone sets a short run's p99.
        late = sum(latency > LATE * p50 for latency in ordered)
        return (
            f"{self.name:<42} {self.requests:>6} req  {self.requests / self.seconds:>8.1f} req/s  "
            f"p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms  errors {self.errors}  late {late}"
            f"  CPU/req server {_per_request(self.server_cpu, self.requests)}"
            f" database {_per_request(self.database_cpu, self.requests)}"
        )


# A request is late above this multiple of the median.
LATE = 1.2


def _per_request(cpu: float | None, requests: int) -> str:
    return "n/a" if cpu is None or not requests else f"{1000 * cpu / requests:.2f} ms"


def _cpu_seconds(process: Callable[[int, str], bool]) -> float | None:
    """User and system CPU seconds of the processes `process(pid, command line)` selects (Linux's /proc);
    the load is CPU-bound on a shared machine, so what a request costs is steadier than requests/s."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not process(int(entry.name), command):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _in_tree(root: int) -> Callable[[int, str], bool]:
    """The server process and its workers (children)."""

    def selected(pid: int, _command: str) -> bool:
        if pid == root:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return False
        return int(stat[1]) == root  # ppid

    return selected


def _backends_of(url: str) -> Callable[[int, str], bool] | None:
    """PostgreSQL's server processes for the benchmark's database (their titles name it); None for SQLite."""
    if not url.startswith("postgresql"):
        return None
    database = make_url(url).database

    def selected(_pid: int, command: str) -> bool:
        return command.startswith("postgres:") and f" {database} " in command

    return selected


def seed(url: str) -> None:
    """A migrated study with one site, an investigator and a monitor."""
    from cartrial.services.access import Role
    from cartrial.services.accounts import add_site, add_user
    from cartrial.services.protocols import prepare_store
    from cartrial.services.unit_of_work import UnitOfWork
    from cartrial.store.audit import SYSTEM_ACTOR
    from cartrial.store.db import make_engine, session_factory
    from cartrial.store.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with UnitOfWork(session_factory(engine)) as uow:
        prepare_store(uow, now)
        add_site(uow, SYSTEM_ACTOR, "S01", "Load test hospital", now)
        add_user(uow, SYSTEM_ACTOR, "inv", "Investigator", PASSWORD, Role.INVESTIGATOR, "S01", now)
        add_user(uow, SYSTEM_ACTOR, "mon", "Monitor", PASSWORD, Role.MONITOR, None, now)
        uow.commit()
    engine.dispose()


class Connection:
    """One client's keep-alive HTTP/1.1 connection, spoken directly over asyncio streams so that the
    client's own overhead (a pooled HTTP library at 50-way concurrency) stays out of the latencies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
        """Send one request; read the whole response; return its status."""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


Send = Callable[[Connection, int], Awaitable[int]]


@dataclass(frozen=True)
class Target:
    """The server under load: its port, and how to find its processes and its database's."""

    port: int
    server: Callable[[int, str], bool]
    database: Callable[[int, str], bool] | None


async def run_phase(
    name: str, target: Target, clients: int, count: int, seconds: float, send: Send, expected: int
) -> Phase:
    port, server, database = target.port, target.server, target.database
    server_before, database_before = _cpu_seconds(server), database and _cpu_seconds(database)
    latencies: list[float] = []
    errors = 0
    issued = 0
    start = time.perf_counter()
    stop_at = start + seconds

    async def worker() -> None:
        nonlocal issued, errors
        connection = await Connection.open(port)
        try:
            while issued < count and time.perf_counter() < stop_at:
                number = issued
                issued += 1
                began = time.perf_counter()
                status = await send(connection, number)
                latencies.append((time.perf_counter() - began) * 1000)
                errors += status != expected
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    server_after, database_after = _cpu_seconds(server), database and _cpu_seconds(database)
    return Phase(
        name,
        len(latencies),
        errors,
        elapsed,
        latencies,
        _difference(server_before, server_after),
        _difference(database_before, database_after),
    )


def _difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


async def load(
    served: Served, url: str, clients: int, reads: int, writes: int, seconds: float
) -> list[Phase]:
    target = Target(int(served.base.rsplit(":", 1)[1]), _in_tree(served.process.pid), _backends_of(url))
    async with httpx.AsyncClient(base_url=served.base) as client:

        async def token(username: str) -> dict[str, str]:
            response = await client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        investigator, monitor = await token("inv"), await token("mon")
        first = await client.post("/api/v1/sites/S01/screenings", json=EXAMPLE, headers=investigator)
        subject = first.json()["subject_id"]
    write_headers = {**investigator, "Content-Type": "application/json"}

    def screen(connection: Connection, n: int) -> Awaitable[int]:
        record = json.dumps({**EXAMPLE, "screening_id": f"L{n:07d}"}).encode()
        return connection.request("POST", "/api/v1/sites/S01/screenings", write_headers, record)

    def read(connection: Connection, n: int) -> Awaitable[int]:
        return connection.request("GET", f"/api/v1/subjects/{subject}", monitor)

    await run_phase("warm-up", target, clients, 2 * clients, seconds, read, 200)
    return [
        await run_phase("read  GET /subjects/{id}", target, clients, reads, seconds, read, 200),
        await run_phase("write POST /sites/{id}/screenings", target, clients, writes, seconds, screen, 201),
    ]


def measure(label: str, url: str, arguments: argparse.Namespace) -> None:
    from tests.support.server import serving

    seed(url)
    with serving(url, arguments.workers) as served:
        phases = asyncio.run(
            load(served, url, arguments.clients, arguments.reads, arguments.writes, arguments.seconds)
        )
    print(f"{label}: {arguments.clients} concurrent clients, {arguments.workers} server process(es)")
    for phase in phases:
        print("  " + phase.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="cartrial serve --workers")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit of each phase")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    arguments = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # the test suite's server launcher and throw-away PostgreSQL cluster
    if arguments.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{Path(folder) / 'load.sqlite'}", arguments)
    if arguments.database in ("postgresql", "both"):
        from tests.support import postgres

        reason = postgres.unavailable()
        if reason is not None:
            print(f"PostgreSQL: skipped ({reason})")
            return
        with postgres.cluster() as template:
            measure("PostgreSQL", postgres.create_database(template), arguments)


if __name__ == "__main__":
    main()
