import json

from tests.api.conftest import EXAMPLE, Api, record
from tests.store.test_audit_chain import tamper

SCREEN_S01 = "/api/v1/sites/S01/screenings"


def test_screening_stores_the_record_as_sent_and_returns_the_result(api: Api) -> None:
    sent = json.dumps(EXAMPLE, indent=3)
    response = api.client.post(
        SCREEN_S01, content=sent, headers={**api.auth("inv1"), "Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert (outcome["site_id"], outcome["screening_id"], outcome["screening_version"]) == (
        "S01",
        "S01-0001",
        1,
    )
    assert (outcome["verdict"], outcome["status"]) == ("eligible", "screening")
    assert outcome["result"]["protocol"] == "relma-cel-sle-phase1@1.0"
    detail = api.client.get(f"/api/v1/subjects/{outcome['subject_id']}", headers=api.auth("monitor")).json()
    assert detail["status"] == "screening" and detail["created_at"] == "2026-11-25T09:00:00Z"
    [version] = detail["screenings"]
    assert version["record"] == EXAMPLE and version["result"] == outcome["result"]
    assert version["reason"] is None and version["screened_at"] == "2026-11-25T09:00:00Z"


def test_correction_adds_a_version_with_its_reason(api: Api) -> None:
    staff = api.auth("inv1")
    first = api.client.post(SCREEN_S01, json=record(transplants=None), headers=staff).json()
    assert first["verdict"] == "incomplete"
    path = f"/api/v1/subjects/{first['subject_id']}/screenings"
    second = api.client.post(
        path, json={"reason": "transplant history taken", "record": EXAMPLE}, headers=staff
    )
    assert second.status_code == 201, second.text
    assert (second.json()["screening_version"], second.json()["verdict"]) == (2, "eligible")
    ineligible = record(transplants=[{"kind": "bone_marrow"}])
    third = api.client.post(path, json={"reason": "history corrected", "record": ineligible}, headers=staff)
    assert (third.json()["screening_version"], third.json()["status"]) == (3, "screen_failure")
    detail = api.client.get(f"/api/v1/subjects/{first['subject_id']}", headers=staff).json()
    assert [(v["version"], v["verdict"], v["reason"]) for v in detail["screenings"]] == [
        (1, "incomplete", None),
        (2, "eligible", "transplant history taken"),
        (3, "ineligible", "history corrected"),
    ]
    assert detail["status"] == "screen_failure"


def test_screening_the_same_candidate_twice_is_a_conflict(api: Api) -> None:
    assert api.client.post(SCREEN_S01, json=EXAMPLE, headers=api.auth("inv1")).status_code == 201
    again = api.client.post(SCREEN_S01, json=EXAMPLE, headers=api.auth("inv1"))
    assert again.status_code == 409
    assert again.json()["detail"] == "S01-0001 is screened already at S01; correct it with a reason"


def test_subject_list_is_scoped_to_the_callers_sites_and_paged(api: Api) -> None:
    for number in range(3):
        screening_id = f"S01-{number:04d}"
        api.client.post(SCREEN_S01, json=record(screening_id=screening_id), headers=api.auth("inv1"))
    api.client.post(
        "/api/v1/sites/S02/screenings",
        json=record(screening_id="S02-0001", site_id="S02"),
        headers=api.auth("coord2"),
    )

    def listed(user: str, query: str = "") -> tuple[int, list[str]]:
        body = api.client.get(f"/api/v1/subjects{query}", headers=api.auth(user)).json()
        return body["total"], [s["screening_id"] for s in body["subjects"]]

    assert listed("inv1") == (3, ["S01-0000", "S01-0001", "S01-0002"])
    assert listed("coord2") == (1, ["S02-0001"])
    assert listed("coord2", "?site_id=S01") == (0, [])
    assert listed("stat") == (4, ["S01-0000", "S01-0001", "S01-0002", "S02-0001"])
    assert listed("monitor", "?site_id=S02") == (1, ["S02-0001"])
    assert listed("monitor", "?limit=2&offset=1") == (4, ["S01-0001", "S01-0002"])


def test_audit_verify_names_an_edited_entry(api: Api) -> None:
    api.client.post(SCREEN_S01, json=EXAMPLE, headers=api.auth("inv1"))
    intact = api.client.get("/api/v1/audit/verify", headers=api.auth("monitor")).json()
    assert intact["intact"] is True and intact["problems"] == [] and intact["entries"] > 10
    engine = api.study.sessions.kw["bind"]
    tamper(
        engine.url.render_as_string(hide_password=False),
        "UPDATE audit_entries SET username = 'x' WHERE seq = 3",
    )
    broken = api.client.get("/api/v1/audit/verify", headers=api.auth("admin")).json()
    assert broken["intact"] is False
    assert broken["problems"] == [{"seq": 3, "problem": "content does not match its hash (edited)"}]
