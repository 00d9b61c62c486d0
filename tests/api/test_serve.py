import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from cartrial.services.access import Role
from cartrial.services.accounts import add_site, add_user
from cartrial.services.dosing import sign_src_decision
from cartrial.services.protocols import prepare_store
from cartrial.services.screening import screen_candidate
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.audit import SYSTEM_ACTOR, verify_chain
from cartrial.store.db import make_engine, session_factory
from cartrial.store.migrate import upgrade
from cartrial.store.models import Enrollment
from tests.api.conftest import EXAMPLE, NOW, PASSWORD, Study
from tests.support.server import serving


def test_serve_upgrades_the_database_and_serves_the_api(tmp_path: Path) -> None:
    with serving(f"sqlite:///{tmp_path / 'study.sqlite'}") as served:
        response = httpx.get(f"{served.base}/api/v1/protocols/active")
        assert response.status_code == 401
        assert response.json() == {"detail": "log in first: send the bearer token or the session cookie"}
    assert "database at revision" in served.output
    assert "active protocol relma-cel-sle-phase1@1.0" in served.output


def test_fifty_concurrent_writes_all_succeed(tmp_path: Path) -> None:
    """Fifty clients screening at once on SQLite: every one stored, none stuck behind the write lock."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with UnitOfWork(session_factory(engine)) as uow:
        prepare_store(uow, now)
        add_site(uow, SYSTEM_ACTOR, "S01", "Hospital 1", now)
        add_user(uow, SYSTEM_ACTOR, "inv1", "Inv1", PASSWORD, Role.INVESTIGATOR, "S01", now)
        uow.commit()
    engine.dispose()
    with serving(url) as served, httpx.Client(base_url=served.base, timeout=120) as client:
        login = client.post("/api/v1/auth/login", json={"username": "inv1", "password": PASSWORD})
        headers = {
            "Authorization": f"Bearer {login.json()['access_token']}",
            "Content-Type": "application/json",
        }

        def screen(number: int) -> int:
            record = json.dumps({**EXAMPLE, "screening_id": f"S01-{number:04d}"})
            with httpx.Client(base_url=served.base, timeout=120) as own:
                return own.post("/api/v1/sites/S01/screenings", content=record, headers=headers).status_code

        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(screen, range(50)))
        assert statuses == [201] * 50
        listed = client.get("/api/v1/subjects", headers=headers).json()
        assert listed["total"] == 50


# SQLite, where each process's turn would otherwise be the only queue; on PostgreSQL two processes are
# two more connections taking the cohort's row lock, as the service test's fifty threads already do.
@pytest.mark.parametrize("study", ["sqlite"], indirect=True)
def test_two_server_processes_never_over_enroll(study: Study) -> None:
    """`cartrial serve --workers 2`: the turn each process keeps is not what orders writes, the database
    is (BEGIN IMMEDIATE). 50 enrollments sent at once into a 3-slot cohort: exactly 3 enrolled, every
    other one refused with 409."""
    subjects = []
    with study.uow() as uow:
        for n in range(50):
            record = json.dumps({**EXAMPLE, "screening_id": f"S01-{n:04d}"})
            subjects.append(screen_candidate(uow, study.users["inv1"], "S01", record, NOW).subject_id)
        sign_src_decision(uow, study.users["src"], PASSWORD, "approved", NOW)
        uow.commit()
    bind = study.sessions.kw["bind"]
    url = bind.url.render_as_string(hide_password=False)
    with serving(url, workers=2) as served:
        login = httpx.post(
            f"{served.base}/api/v1/auth/login", json={"username": "inv1", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def enroll(subject_id: int) -> int:
            with httpx.Client(base_url=served.base, timeout=120) as own:
                return own.post(f"/api/v1/subjects/{subject_id}/enrollment", headers=headers).status_code

        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(enroll, subjects))
    assert sorted(statuses) == [201] * 3 + [409] * 47
    with study.uow() as uow:
        slots = uow.session.execute(select(Enrollment.slot).order_by(Enrollment.slot)).scalars().all()
        assert slots == [1, 2, 3]
        assert verify_chain(uow.session)[1] == ()
