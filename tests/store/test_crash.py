"""A writer killed with SIGKILL in the middle of a stream of writes loses nothing it acknowledged, and
leaves an audit chain that verifies."""

import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import select

from cartrial.store.audit import verify_chain
from cartrial.store.db import make_engine, session_factory
from cartrial.store.migrate import upgrade
from cartrial.store.models import Site

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from cartrial.services.accounts import add_site
    from cartrial.services.unit_of_work import UnitOfWork
    from cartrial.store.audit import SYSTEM_ACTOR
    from cartrial.store.db import make_engine, session_factory

    sessions = session_factory(make_engine(sys.argv[1]))
    for n in range(1, 100_000):
        site = f"W{n:05d}"
        with UnitOfWork(sessions) as uow:
            add_site(uow, SYSTEM_ACTOR, site, "written before the crash", datetime.now(UTC))
            uow.commit()
        print(site, flush=True)  # acknowledged only after the commit returned
    """
)
ACKNOWLEDGED_BEFORE_KILL = 40


def test_sigkill_mid_stream_loses_no_acknowledged_write(database_url: str) -> None:
    upgrade(database_url)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, database_url], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().strip() for _ in range(ACKNOWLEDGED_BEFORE_KILL)]
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        stored = set(session.execute(select(Site.id)).scalars())
        assert set(acknowledged) <= stored
        checked, problems = verify_chain(session)
        assert problems == ()
        assert checked == len(stored)
    engine.dispose()
