"""Every endpoint × every role × the caller's own site and another site: the exact status code.

inv1 is an investigator at S01 and coord2 a coordinator at S02; for them "own" is their site and "other"
the other one. The other roles act at every site, so own (S01) and other (S02) must answer alike.
"""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import count

import httpx

from cartrial.services.dosing import enroll, record_infusion, record_milestone
from cartrial.services.lifecycle import SubjectStatus
from cartrial.services.screening import screen_candidate
from cartrial.store.models import Cohort
from tests.api.conftest import HOME_SITE, ROLES, Api, record
from tests.services.conftest import NOW, PASSWORD
from tests.services.test_clinical_service import crs
from tests.services.test_dosing_service import safety

JSON = {"Content-Type": "application/json"}

SITE_STAFF_WRITE = {**dict.fromkeys(ROLES, (403, 403)), "inv1": (201, 404), "coord2": (201, 404)}

# endpoint -> role -> (status at the caller's own site, status at another site)
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "GET /auth/me": dict.fromkeys(ROLES, (200, 200)),
    "GET /sites": dict.fromkeys(ROLES, (200, 200)),
    "POST /sites": {**dict.fromkeys(ROLES, (403, 403)), "admin": (201, 201)},
    "POST /users": {**dict.fromkeys(ROLES, (403, 403)), "admin": (201, 201)},
    "GET /protocols": dict.fromkeys(ROLES, (200, 200)),
    "GET /protocols/active": dict.fromkeys(ROLES, (200, 200)),
    "POST /sites/{site}/screenings": {
        **dict.fromkeys(ROLES, (403, 403)),
        "inv1": (201, 404),
        "coord2": (201, 404),
    },
    "GET /subjects": {**dict.fromkeys(ROLES, (200, 200)), "admin": (403, 403)},
    "GET /subjects/{subject}": {
        **dict.fromkeys(ROLES, (200, 200)),
        "admin": (403, 403),
        "inv1": (200, 404),
        "coord2": (200, 404),
    },
    "POST /subjects/{subject}/screenings": {
        **dict.fromkeys(ROLES, (403, 403)),
        "inv1": (201, 404),
        "coord2": (201, 404),
    },
    "GET /dosing/recommendation": {**dict.fromkeys(ROLES, (200, 200)), "admin": (403, 403)},
    "GET /cohorts": {**dict.fromkeys(ROLES, (200, 200)), "admin": (403, 403)},
    # Site staff judge their own site's open windows; the endpoint takes no site.
    "POST /dosing/close-windows": {
        **dict.fromkeys(ROLES, (403, 403)),
        "inv1": (200, 200),
        "coord2": (200, 200),
    },
    "GET /src-decisions": {**dict.fromkeys(ROLES, (200, 200)), "admin": (403, 403)},
    # The SRC member passes the access check and meets the rule: the open cohort still has free slots.
    "POST /src-decisions": {**dict.fromkeys(ROLES, (403, 403)), "src": (409, 409)},
    "POST /subjects/{subject}/enrollment": SITE_STAFF_WRITE,
    "POST /subjects/{subject}/milestones": SITE_STAFF_WRITE,
    "POST /subjects/{subject}/infusion": SITE_STAFF_WRITE,
    "POST /subjects/{subject}/dlt-assessments": SITE_STAFF_WRITE,
    "POST /subjects/{subject}/records/{kind}": SITE_STAFF_WRITE,
    "GET /subjects/{subject}/dlt-assessments": {
        **dict.fromkeys(ROLES, (200, 200)),
        "admin": (403, 403),
        "inv1": (200, 404),
        "coord2": (200, 404),
    },
    "GET /subjects/{subject}/records/{kind}": {
        **dict.fromkeys(ROLES, (200, 200)),
        "admin": (403, 403),
        "inv1": (200, 404),
        "coord2": (200, 404),
    },
    # Site staff get their own site's counts; the endpoint takes no site.
    "GET /study/summary": {**dict.fromkeys(ROLES, (200, 200)), "admin": (403, 403)},
    "GET /audit/verify": {**dict.fromkeys(ROLES, (403, 403)), "admin": (200, 200), "monitor": (200, 200)},
    "POST /auth/logout": dict.fromkeys(ROLES, (204, 204)),
}

Call = Callable[[dict[str, str], str], httpx.Response]


def calls(api: Api, subjects: dict[str, int], stages: dict[str, dict[str, int]]) -> dict[str, Call]:
    """Each endpoint as a call with the caller's headers at a site (S01 or S02)."""
    serial = count(1)
    client = api.client
    signature = {"password": PASSWORD, "meaning": "approved"}
    infusion = {"infused_on": "2026-11-01", "car_t_cells": 25_000_000}
    event = {"document": crs([("2026-11-02T08:00:00Z", 2)])}

    def at(stage: str, site: str) -> str:
        return f"/api/v1/subjects/{stages[stage][site]}"

    def safety_of(site: str) -> str:
        return safety(f"{site}-0103", 2, date(2026, 11, 1), datetime(2026, 11, 20, tzinfo=UTC))

    def screening_id(site: str) -> str:
        return f"{site}-{next(serial):04d}"

    def correction(site: str) -> dict[str, object]:
        return {"reason": "re-checked", "record": record(screening_id=f"{site}-0001", site_id=site)}

    return {
        "GET /auth/me": lambda h, s: client.get("/api/v1/auth/me", headers=h),
        "GET /sites": lambda h, s: client.get("/api/v1/sites", headers=h),
        "POST /sites": lambda h, s: client.post(
            "/api/v1/sites", json={"id": f"N{next(serial)}", "name": "New hospital"}, headers=h
        ),
        "POST /users": lambda h, s: client.post(
            "/api/v1/users",
            json={
                "username": f"user{next(serial)}",
                "display_name": "A. Coordinator",
                "password": "long enough password",
                "role": "coordinator",
                "site": s,
            },
            headers=h,
        ),
        "GET /protocols": lambda h, s: client.get("/api/v1/protocols", headers=h),
        "GET /protocols/active": lambda h, s: client.get("/api/v1/protocols/active", headers=h),
        "POST /sites/{site}/screenings": lambda h, s: client.post(
            f"/api/v1/sites/{s}/screenings",
            json=record(screening_id=screening_id(s), site_id=s),
            headers=h,
        ),
        "GET /subjects": lambda h, s: client.get("/api/v1/subjects", headers=h),
        "GET /subjects/{subject}": lambda h, s: client.get(f"/api/v1/subjects/{subjects[s]}", headers=h),
        "POST /subjects/{subject}/screenings": lambda h, s: client.post(
            f"/api/v1/subjects/{subjects[s]}/screenings", json=correction(s), headers=h
        ),
        "GET /dosing/recommendation": lambda h, s: client.get("/api/v1/dosing/recommendation", headers=h),
        "GET /cohorts": lambda h, s: client.get("/api/v1/cohorts", headers=h),
        "POST /dosing/close-windows": lambda h, s: client.post("/api/v1/dosing/close-windows", headers=h),
        "GET /src-decisions": lambda h, s: client.get("/api/v1/src-decisions", headers=h),
        "POST /src-decisions": lambda h, s: client.post("/api/v1/src-decisions", json=signature, headers=h),
        "POST /subjects/{subject}/enrollment": lambda h, s: client.post(
            f"{at('new', s)}/enrollment", headers=h
        ),
        "POST /subjects/{subject}/milestones": lambda h, s: client.post(
            f"{at('enrolled', s)}/milestones", json={"status": "leukapheresis", "on": "2026-10-10"}, headers=h
        ),
        "POST /subjects/{subject}/infusion": lambda h, s: client.post(
            f"{at('conditioned', s)}/infusion", json=infusion, headers=h
        ),
        "POST /subjects/{subject}/dlt-assessments": lambda h, s: client.post(
            f"{at('infused', s)}/dlt-assessments", content=safety_of(s), headers={**h, **JSON}
        ),
        "POST /subjects/{subject}/records/{kind}": lambda h, s: client.post(
            f"{at('infused', s)}/records/adverse_event", json=event, headers=h
        ),
        "GET /subjects/{subject}/dlt-assessments": lambda h, s: client.get(
            f"{at('infused', s)}/dlt-assessments", headers=h
        ),
        "GET /subjects/{subject}/records/{kind}": lambda h, s: client.get(
            f"{at('infused', s)}/records/adverse_event", headers=h
        ),
        "GET /study/summary": lambda h, s: client.get("/api/v1/study/summary", headers=h),
        "GET /audit/verify": lambda h, s: client.get("/api/v1/audit/verify", headers=h),
        "POST /auth/logout": lambda h, s: client.post("/api/v1/auth/logout", headers=h),
    }


def dosing_stages(api: Api) -> dict[str, dict[str, int]]:
    """Per site, a subject at each stage a dosing endpoint needs, made through the services, and one open
    cohort of 20 (stored directly: the cohort is the setting, not what is tested)."""
    with api.study.uow() as uow:
        uow.session.add(
            Cohort(
                number=1,
                dose_level=2,
                size=20,
                status="open",
                protocol_ref="relma-cel-sle-phase1@1.0",
                opened_at=NOW,
                row_version=1,
            )
        )
        uow.commit()
    stages: dict[str, dict[str, int]] = {stage: {} for stage in ("new", "enrolled", "conditioned", "infused")}
    for user, site in HOME_SITE.items():
        staff = api.study.users[user]
        with api.study.uow() as uow:
            for number, stage in enumerate(stages):
                text = json.dumps(record(screening_id=f"{site}-{100 + number:04d}", site_id=site))
                subject = screen_candidate(uow, staff, site, text, NOW).subject_id
                stages[stage][site] = subject
                if stage == "new":
                    continue
                enroll(uow, staff, subject, NOW)
                if stage == "enrolled":
                    continue
                record_milestone(uow, staff, subject, SubjectStatus.LEUKAPHERESIS, date(2026, 10, 10), NOW)
                record_milestone(uow, staff, subject, SubjectStatus.LYMPHODEPLETION, date(2026, 10, 27), NOW)
                if stage == "infused":
                    record_infusion(uow, staff, subject, date(2026, 11, 1), 25_000_000, NOW)
            uow.commit()
    return stages


def subject_per_site(api: Api) -> dict[str, int]:
    subjects = {}
    for user, site in HOME_SITE.items():
        response = api.client.post(
            f"/api/v1/sites/{site}/screenings",
            json=record(screening_id=f"{site}-0001", site_id=site),
            headers=api.auth(user),
        )
        subjects[site] = response.json()["subject_id"]
    return subjects


def test_every_endpoint_for_every_role_at_own_and_other_site(api: Api) -> None:
    endpoints = calls(api, subject_per_site(api), dosing_stages(api))
    assert set(endpoints) == set(EXPECTED)
    seen: dict[tuple[str, str, str], int] = {}
    for user in ROLES:
        own = HOME_SITE.get(user, "S01")
        other = "S02" if own == "S01" else "S01"
        for name, call in endpoints.items():  # logout comes last
            for which, site in (("own", own), ("other", other)):
                if name == "POST /auth/logout":
                    api.tokens.pop(user, None)  # a fresh session to end each time
                seen[(name, user, which)] = call(api.auth(user), site).status_code
    expected = {
        (name, user, which): by_role[user][index]
        for name, by_role in EXPECTED.items()
        for user in ROLES
        for index, which in enumerate(("own", "other"))
    }
    assert seen == expected


def test_every_endpoint_but_login_needs_credentials(api: Api) -> None:
    for name, call in calls(api, subject_per_site(api), dosing_stages(api)).items():
        response = call({}, "S01")
        assert (name, response.status_code) == (name, 401)


def test_the_openapi_document_lists_exactly_these_endpoints(api: Api) -> None:
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    listed = {
        f"{method.upper()} {path.removeprefix('/api/v1')}".replace("{site_id}", "{site}").replace(
            "{subject_id}", "{subject}"
        )
        for path, operations in paths.items()
        for method in operations
    }
    assert listed == set(EXPECTED) | {"POST /auth/login"}
