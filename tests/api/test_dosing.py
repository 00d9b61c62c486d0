import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from cartrial.store.models import User
from tests.api.conftest import Api, record
from tests.services.conftest import PASSWORD
from tests.services.test_clinical_service import crs
from tests.services.test_dosing_service import safety

SIGN = "/api/v1/src-decisions"


def test_a_subject_from_src_decision_to_dlt_assessment(api: Api) -> None:
    staff, src = api.auth("inv1"), api.auth("src")
    start = api.client.get("/api/v1/dosing/recommendation", headers=api.auth("stat")).json()
    assert (start["decision"]["next_dose"], start["outcomes"], start["current_dose"]) == (2, [], None)

    wrong = api.client.post(SIGN, json={"password": "not it", "meaning": "approved"}, headers=src)
    assert wrong.status_code == 401
    with api.study.uow() as uow:  # the failed signature counts towards the lock-out, as a login does
        assert uow.session.execute(select(User.failed_logins).where(User.username == "src")).scalar_one() == 1
    assert (
        api.client.post(SIGN, json={"password": PASSWORD, "meaning": "approved"}, headers=staff).status_code
        == 403
    )
    signed = api.client.post(SIGN, json={"password": PASSWORD, "meaning": "approved"}, headers=src)
    assert signed.status_code == 201, signed.text
    decision = signed.json()
    assert (decision["action"], decision["next_dose"], decision["follows_recommendation"]) == (
        "stay",
        2,
        True,
    )
    assert (decision["signer_name"], decision["signature_meaning"]) == ("Src", "approved")
    assert decision["signed_at"] == "2026-11-25T09:00:00Z" and decision["reviewed_cohort"] is None
    assert api.client.get(SIGN, headers=api.auth("monitor")).json() == [decision]
    [cohort] = api.client.get("/api/v1/cohorts", headers=staff).json()
    assert (cohort["number"], cohort["dose_level"], cohort["size"], cohort["status"]) == (1, 2, 3, "open")

    subject = api.client.post("/api/v1/sites/S01/screenings", json=record(), headers=staff).json()[
        "subject_id"
    ]
    path = f"/api/v1/subjects/{subject}"
    enrolled = api.client.post(f"{path}/enrollment", headers=staff)
    assert enrolled.status_code == 201
    assert (enrolled.json()["cohort"], enrolled.json()["slot"], enrolled.json()["dose_level"]) == (1, 1, 2)
    assert api.client.post(f"{path}/enrollment", headers=staff).status_code == 409
    assert api.client.get("/api/v1/cohorts", headers=staff).json()[0]["enrolled"] == 1

    future = api.client.post(
        f"{path}/milestones", json={"status": "leukapheresis", "on": "2026-11-26"}, headers=staff
    )
    assert (future.status_code, future.json()["detail"][0]["field"]) == (422, "on")
    for status, on in (("leukapheresis", "2026-10-10"), ("lymphodepletion", "2026-10-27")):
        step = api.client.post(f"{path}/milestones", json={"status": status, "on": on}, headers=staff)
        assert step.json() == {"subject_id": subject, "status": status}
    infused = api.client.post(
        f"{path}/infusion", json={"infused_on": "2026-11-01", "car_t_cells": 25_000_000}, headers=staff
    )
    assert infused.status_code == 201
    assert infused.json() == {
        "subject_id": subject,
        "infused_on": "2026-11-01",
        "car_t_cells": 25_000_000,
        "dose_level": 2,
    }

    event = crs([("2026-11-02T08:00:00Z", 2)], resolution="2026-11-04T08:00:00Z")
    stored = api.client.post(f"{path}/records/adverse_event", json={"document": event}, headers=staff)
    assert stored.status_code == 201, stored.text
    assert (stored.json()["key"], stored.json()["version"], stored.json()["reason"]) == ("AE-1", 1, None)
    again = api.client.post(f"{path}/records/adverse_event", json={"document": event}, headers=staff)
    assert (again.status_code, again.json()["detail"][0]["field"]) == (422, "reason")
    corrected = api.client.post(
        f"{path}/records/adverse_event", json={"document": event, "reason": "resolution time"}, headers=staff
    )
    assert (corrected.json()["version"], corrected.json()["reason"]) == (2, "resolution time")
    listed = api.client.get(f"{path}/records/adverse_event", headers=api.auth("stat")).json()
    assert [(d["key"], d["version"]) for d in listed] == [("AE-1", 2)]

    api.clock.advance(timedelta(days=30))
    api.tokens.clear()  # a month later, the day's tokens have expired
    staff = api.auth("inv1")
    evaluated = datetime(2026, 12, 24, 9, tzinfo=UTC)
    sent = safety("S01-0001", 2, datetime(2026, 11, 1).date(), evaluated)
    assessed = api.client.post(
        f"{path}/dlt-assessments", content=sent, headers={**staff, "Content-Type": "application/json"}
    )
    assert assessed.status_code == 201, assessed.text
    assert (assessed.json()["status"], assessed.json()["evaluable"]) == ("no_dlt", True)
    history = api.client.get(f"{path}/dlt-assessments", headers=api.auth("src")).json()
    # Each adverse event version re-adjudicated the subject (pending, inside the window), then the record.
    assert [(a["version"], a["status"]) for a in history] == [(1, "pending"), (2, "pending"), (3, "no_dlt")]
    assert api.client.get(path, headers=staff).json()["status"] == "follow_up"
    later = api.client.get("/api/v1/dosing/recommendation", headers=api.auth("src")).json()
    assert later["outcomes"] == [{"dose_level": 2, "treated": 1, "dlts": 0, "pending": 0}]
    assert api.client.get("/api/v1/audit/verify", headers=api.auth("monitor")).json()["intact"] is True


def infuse(cells: object) -> dict[str, Any]:
    return {"json": {"infused_on": "2026-11-01", "car_t_cells": cells}}


def test_dosing_bad_input_names_the_field(api: Api) -> None:
    staff, src = api.auth("inv1"), api.auth("src")
    subject = api.client.post("/api/v1/sites/S01/screenings", json=record(), headers=staff).json()[
        "subject_id"
    ]
    path = f"/api/v1/subjects/{subject}"
    json_text = {"Content-Type": "application/json"}
    password = {"password": PASSWORD, "meaning": "approved"}
    pk_fields = ["day", "analyte", "value", "unit", "blq", "lloq"]
    safety_fields = ["subject_id", "infused_at_assigned_dose", "infusion_at", "evaluation_at"]
    cases: list[tuple[str, dict[str, str], dict[str, Any], list[str]]] = [
        (SIGN, src, {"json": {"password": PASSWORD, "meaning": "fine"}}, ["meaning"]),
        (SIGN, src, {"json": {**password, "next_dose": 1}}, ["rationale"]),
        (SIGN, src, {"json": {**password, "next_dose": "two"}}, ["next_dose"]),
        (SIGN, src, {"json": {**password, "cosign": "x"}}, ["cosign"]),
        (SIGN, src, {"json": {**password, "stop": 0}}, ["stop"]),
        (f"{path}/milestones", staff, {"json": {"status": "enrolled", "on": "2026-11-01"}}, ["status"]),
        (f"{path}/milestones", staff, {"json": {"status": "died", "on": "2026-02-30"}}, ["on"]),
        # Found by the fuzz: a number was read as a Unix time (0: 1970-01-01) and stored.
        (f"{path}/milestones", staff, {"json": {"status": "died", "on": 0}}, ["on"]),
        (f"{path}/infusion", staff, {"json": {"infused_on": "0", "car_t_cells": 1}}, ["infused_on"]),
        (f"{path}/infusion", staff, infuse(0), ["car_t_cells"]),
        (f"{path}/infusion", staff, infuse(10**30), ["car_t_cells"]),
        (f"{path}/infusion", staff, infuse("many"), ["car_t_cells"]),
        (f"{path}/infusion", staff, infuse("25000000"), ["car_t_cells"]),
        (f"{path}/dlt-assessments", staff, {"content": "{", "headers": json_text}, ["body"]),
        (f"{path}/dlt-assessments", staff, {"json": {"dose_level": 2}}, safety_fields),
        (f"{path}/records/vitals", staff, {"json": {"document": {}}}, ["kind"]),
        (f"{path}/records/lab", staff, {"json": {"document": {"sample_id": "L1"}, "extra": 1}}, ["extra"]),
        (f"{path}/records/pk_sample", staff, {"json": {"document": {"sample_id": "P1"}}}, pk_fields),
    ]  # fmt: skip
    answered = []
    for url, headers, request, _ in cases:
        response = api.client.post(url, **{**request, "headers": {**request.get("headers", {}), **headers}})
        body = response.json()
        answered.append(
            (
                url,
                response.status_code,
                [e["field"] for e in body["detail"]] if response.status_code == 422 else body,
            )
        )
    assert answered == [(url, 422, fields) for url, _, _, fields in cases]
    assert json.loads(api.client.get(SIGN, headers=src).text) == []


def test_closing_windows_judges_the_callers_subjects_whose_window_ended(api: Api) -> None:
    staff = api.auth("inv1")
    assert (
        api.client.post(
            SIGN, json={"password": PASSWORD, "meaning": "approved"}, headers=api.auth("src")
        ).status_code
        == 201
    )
    subject = api.client.post("/api/v1/sites/S01/screenings", json=record(), headers=staff).json()[
        "subject_id"
    ]
    path = f"/api/v1/subjects/{subject}"
    assert api.client.post(f"{path}/enrollment", headers=staff).status_code == 201
    for status, on in (("leukapheresis", "2026-10-10"), ("lymphodepletion", "2026-10-27")):
        api.client.post(f"{path}/milestones", json={"status": status, "on": on}, headers=staff)
    infusion = {"infused_on": "2026-11-01", "car_t_cells": 25_000_000}
    assert api.client.post(f"{path}/infusion", json=infusion, headers=staff).status_code == 201
    inside = api.client.post("/api/v1/dosing/close-windows", headers=staff).json()
    assert [(a["subject_id"], a["status"]) for a in inside] == [(subject, "pending")]
    assert api.client.post("/api/v1/dosing/close-windows", headers=api.auth("coord2")).json() == []
    api.clock.advance(timedelta(days=10))
    api.tokens.clear()
    closed = api.client.post("/api/v1/dosing/close-windows", headers=api.auth("inv1")).json()
    assert [(a["status"], a["followup_days"]) for a in closed] == [("no_dlt", 28.0)]
