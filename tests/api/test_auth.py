from datetime import timedelta

from sqlalchemy import select

from cartrial.services.accounts import LOCKOUT, MAX_FAILED_LOGINS, TOKEN_LIFETIME
from cartrial.store.models import User
from tests.api.conftest import Api
from tests.services.conftest import PASSWORD

ME = "/api/v1/auth/me"
LOGIN = "/api/v1/auth/login"


def test_login_gives_a_bearer_token_and_an_http_only_session_cookie(api: Api) -> None:
    response = api.client.post(LOGIN, json={"username": "inv1", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"] == "2026-11-25T17:00:00Z"  # NOW + 8 h
    assert body["user"]["roles"] == [{"role": "investigator", "site_id": "S01"}]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"cartrial_session={body['access_token']};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    # The cookie alone authenticates (pages); then the token alone (API clients).
    assert api.client.get(ME).json()["username"] == "inv1"
    api.client.cookies.clear()
    assert api.client.get(ME).status_code == 401
    me = api.client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["display_name"] == "Inv1"


def test_unknown_or_malformed_credentials_are_401(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic aW52MTpwdw=="}):
        response = api.client.get(ME, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert isinstance(response.json()["detail"], str)
    api.client.cookies.set("cartrial_session", "forged")
    assert api.client.get(ME).status_code == 401


def failed_logins(api: Api, username: str) -> int:
    with api.study.uow() as uow:
        return uow.session.execute(select(User.failed_logins).where(User.username == username)).scalar_one()


def test_five_failures_lock_the_account_for_fifteen_minutes(api: Api) -> None:
    wrong = {"username": "inv1", "password": "not the password"}
    for attempt in range(1, MAX_FAILED_LOGINS):
        assert api.client.post(LOGIN, json=wrong).status_code == 401
        assert failed_logins(api, "inv1") == attempt  # committed although the request failed
    assert api.client.post(LOGIN, json=wrong).status_code == 401
    right = {"username": "inv1", "password": PASSWORD}
    locked = api.client.post(LOGIN, json=right)
    assert locked.status_code == 401
    assert locked.json()["detail"] == "wrong username or password, or the account is locked"
    api.clock.advance(LOCKOUT - timedelta(seconds=1))
    assert api.client.post(LOGIN, json=right).status_code == 401
    api.clock.advance(timedelta(seconds=1))
    assert api.client.post(LOGIN, json=right).status_code == 200
    assert failed_logins(api, "inv1") == 0


def test_a_success_resets_the_failure_count(api: Api) -> None:
    wrong = {"username": "coord2", "password": "not the password"}
    for _ in range(MAX_FAILED_LOGINS - 1):
        api.client.post(LOGIN, json=wrong)
    api.login("coord2")
    assert failed_logins(api, "coord2") == 0
    assert api.client.post(LOGIN, json=wrong).status_code == 401
    assert failed_logins(api, "coord2") == 1


def test_tokens_expire_after_eight_hours(api: Api) -> None:
    headers = api.auth("monitor")
    api.clock.advance(TOKEN_LIFETIME - timedelta(microseconds=1))
    assert api.client.get(ME, headers=headers).status_code == 200
    api.clock.advance(timedelta(microseconds=1))
    expired = api.client.get(ME, headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_logout_revokes_the_token_and_clears_the_cookie(api: Api) -> None:
    other = api.auth("stat")  # a second session of the same user survives the first one's logout
    response = api.client.post(LOGIN, json={"username": "stat", "password": PASSWORD})
    token = response.json()["access_token"]
    logout = api.client.post("/api/v1/auth/logout")  # with the cookie
    assert logout.status_code == 204
    assert (
        'cartrial_session=""' in logout.headers["set-cookie"] and "Max-Age=0" in logout.headers["set-cookie"]
    )
    assert api.client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.client.get(ME, headers=other).status_code == 200
    assert api.client.post("/api/v1/auth/logout", headers=other).status_code == 204
    assert api.client.get(ME, headers=other).status_code == 401
