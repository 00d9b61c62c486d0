"""Bad input on every POST: 422 with a JSON body naming the field, never a 5xx, nothing written."""

import json
from datetime import date
from typing import Any

from sqlalchemy import func, select

from cartrial.store.models import AuditEntry
from tests.api.conftest import NOW, Api, record
from tests.services.test_dosing_service import safety

JSON = {"Content-Type": "application/json"}
SCREEN = "/api/v1/sites/S01/screenings"
BAD_UNIT = [{"test": "creatinine", "value": 78, "unit": "kg", "result_date": "2026-10-21"}]
# The screening and safety records are read strictly: a number is no date, 0 is no boolean.
UNIX_TIME = [{"test": "ana", "positive": True, "result_date": 0}]
ZERO_FOR_FALSE = {**json.loads(safety("S01-0001", 2, date(2026, 11, 1), NOW)), "infused_at_assigned_dose": 0}
USER = {"username": "u1", "display_name": "U", "password": "long enough password", "role": "monitor"}


def screen(**changes: object) -> dict[str, Any]:
    return {"json": record(**changes)}


def fix(**changes: object) -> dict[str, Any]:
    return {"json": {"reason": "x", "record": record(**changes)}}


def raw(text: str | bytes) -> dict[str, Any]:
    return {"content": text.encode() if isinstance(text, str) else text, "headers": JSON}


def test_bad_input_names_the_field(api: Api) -> None:
    staff = api.auth("inv1")
    subject = api.client.post("/api/v1/sites/S01/screenings", json=record(), headers=staff).json()[
        "subject_id"
    ]
    correct = f"/api/v1/subjects/{subject}/screenings"
    assess = f"/api/v1/subjects/{subject}/dlt-assessments"
    # (method, path, who, request) -> the fields the 422 names
    cases: list[tuple[str, str, str | None, dict[str, Any], list[str]]] = [
        ("POST", "/api/v1/auth/login", None, raw('{"username": "inv1", '), ["body"]),
        ("POST", "/api/v1/auth/login", None, raw(b'{"username": "\xff"}'), ["body"]),
        ("POST", "/api/v1/auth/login", None, raw("[]"), ["body"]),
        ("POST", "/api/v1/auth/login", None, {"json": {"username": 7, "password": "x"}}, ["username"]),
        ("POST", "/api/v1/auth/login", None, {"json": {"username": "inv1"}}, ["password"]),
        ("POST", "/api/v1/auth/login", None, {"json": {"username": "a", "password": "b", "otp": 1}}, ["otp"]),
        ("POST", "/api/v1/auth/login", None, {"json": {"username": "a\x00", "password": "b"}}, ["username"]),
        ("POST", "/api/v1/auth/login", None, raw('{"username": "\\ud800", "password": "b"}'), ["username"]),
        ("POST", "/api/v1/sites", "admin", {"json": {"id": "S" * 17, "name": "x"}}, ["id"]),
        ("POST", "/api/v1/sites", "admin", {"json": {"id": "S 9", "name": ""}}, ["id", "name"]),
        ("POST", "/api/v1/sites", "admin", raw("{"), ["body"]),
        ("POST", "/api/v1/users", "admin", {"json": {**USER, "password": "short"}}, ["password"]),
        ("POST", "/api/v1/users", "admin", {"json": {**USER, "role": "king"}}, ["role"]),
        ("POST", "/api/v1/users", "admin", {"json": {**USER, "site": "S01"}}, ["site"]),
        ("POST", "/api/v1/users", "admin", {"json": {**USER, "role": "coordinator", "site": "S9"}}, ["site"]),
        ("POST", "/api/v1/users", "admin", {"json": {**USER, "admin": True}}, ["admin"]),
        ("POST", SCREEN, "inv1", raw("{"), ["body"]),
        ("POST", SCREEN, "inv1", raw(b'{"a": "\xff"}'), ["body"]),
        ("POST", SCREEN, "inv1", {"content": b"{}"}, ["content-type"]),
        ("POST", SCREEN, "inv1", raw(b" " * (1 << 20) + b"{}"), ["body"]),
        ("POST", SCREEN, "inv1", screen(screening_id="B1", labs=BAD_UNIT), ["labs.0"]),
        ("POST", SCREEN, "inv1", screen(screening_id="B2", consent_date="2026-12-01"), ["consent_date"]),
        ("POST", SCREEN, "inv1", screen(screening_id="B3", birth_date=19910417), ["birth_date"]),
        ("POST", SCREEN, "inv1", screen(screening_id="B4", shoe_size=38), ["shoe_size"]),
        ("POST", SCREEN, "inv1", screen(screening_id="B5", site_id="S02"), ["site_id"]),
        ("POST", SCREEN, "inv1", raw(json.dumps(record(sex="\ud800"))), ["body"]),
        ("POST", SCREEN, "inv1", screen(screening_id="B6", serology=UNIX_TIME), ["serology.0.result_date"]),
        ("POST", assess, "inv1", {"json": ZERO_FOR_FALSE}, ["infused_at_assigned_dose"]),
        ("POST", "/api/v1/sites/" + "S" * 17 + "/screenings", "inv1", {"json": record()}, ["site_id"]),
        ("POST", correct, "inv1", fix(labs=BAD_UNIT), ["record.labs.0"]),
        ("POST", correct, "inv1", {"json": {"reason": "  ", "record": record()}}, ["reason"]),
        ("POST", correct, "inv1", {"json": {"reason": "x", "record": [1]}}, ["record"]),
        ("POST", correct, "inv1", {"json": {"record": record()}}, ["reason"]),
        ("POST", correct, "inv1", fix(screening_id="S01-0002"), ["record.screening_id"]),
        ("POST", correct, "inv1", {"json": {"reason": "x", "record": record(), "by": "me"}}, ["by"]),
        ("POST", correct, "inv1", raw(json.dumps(fix(sex="\ud800")["json"])), ["record"]),
        ("POST", "/api/v1/subjects/" + "9" * 30 + "/screenings", "inv1", fix(), ["subject_id"]),
        ("GET", "/api/v1/subjects/0", "inv1", {}, ["subject_id"]),
        ("GET", "/api/v1/subjects/x1", "inv1", {}, ["subject_id"]),
        ("GET", "/api/v1/subjects?limit=100000000000000000000000&offset=-1", "inv1", {}, ["limit", "offset"]),
    ]  # fmt: skip
    with api.study.uow() as uow:
        entries_before = uow.session.execute(select(func.count(AuditEntry.seq))).scalar_one()
    answered = []
    for method, path, user, request, _fields in cases:
        headers = {**request.get("headers", {}), **(api.auth(user) if user else {})}
        response = api.client.request(method, path, **{**request, "headers": headers})
        body = response.json()
        fields = [item["field"] for item in body["detail"]] if response.status_code == 422 else body
        answered.append((method, path, response.status_code, fields))
    assert answered == [(method, path, 422, fields) for method, path, _, _, fields in cases]
    with api.study.uow() as uow:
        assert uow.session.execute(select(func.count(AuditEntry.seq))).scalar_one() == entries_before
