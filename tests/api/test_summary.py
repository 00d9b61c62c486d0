"""GET /study/summary: the services' study summary as JSON, counted as the caller may see it."""

from tests.api.conftest import Api, record


def test_the_summary_counts_each_callers_sites(api: Api) -> None:
    for user, site, number, changes in (
        ("inv1", "S01", 1, {}),
        ("inv1", "S01", 2, {"birth_date": "2012-01-01"}),
        ("coord2", "S02", 1, {}),
    ):
        screening = record(screening_id=f"{site}-{number:04d}", site_id=site, **changes)
        response = api.client.post(f"/api/v1/sites/{site}/screenings", json=screening, headers=api.auth(user))
        assert response.status_code == 201, response.text
    seen = {
        user: api.client.get("/api/v1/study/summary", headers=api.auth(user)).json()
        for user in ("monitor", "inv1", "coord2")
    }
    assert seen["monitor"]["sites"] is None and seen["monitor"]["cohorts"] == []
    assert seen["monitor"]["consort"] == {
        "screened": 3,
        "screen_failures": 1,
        "screen_failure_reasons": [
            {"criterion": "inc-2-age", "title": "Age 18-70 years at ICF signature", "subjects": 1}
        ],
        "screening_incomplete": 0,
        "eligible": 2,
        "enrolled": 0,
        "infused": 0,
        "completed_dlt_window": 0,
        "with_dlt": 0,
        "withdrawn": 0,
        "died": 0,
    }
    assert (seen["inv1"]["sites"], seen["inv1"]["consort"]["screened"]) == (["S01"], 2)
    assert (seen["coord2"]["sites"], seen["coord2"]["consort"]["screened"]) == (["S02"], 1)
    assert seen["coord2"]["consort"]["screen_failure_reasons"] == []
