"""Log in (bearer token and session cookie), log out (revoke), who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from cartrial.api.deps import SESSION_COOKIE, Anonymous, Reading, Writing
from cartrial.api.schemas import Login, LoginResult, Me, RoleAt
from cartrial.services.access import Principal
from cartrial.services.accounts import (
    TOKEN_LIFETIME,
    authenticate,
    display_name,
    issue_token,
    revoke_token,
)
from cartrial.services.errors import UnauthenticatedError
from cartrial.services.unit_of_work import UnitOfWork

router = APIRouter(prefix="/auth", tags=["authentication"])


def _me(uow: UnitOfWork, principal: Principal) -> Me:
    return Me(
        user_id=principal.user_id,
        username=principal.username,
        display_name=display_name(uow, principal.user_id),
        roles=[RoleAt(role=a.role, site_id=a.site_id) for a in principal.assignments],
    )


@router.post("/login", response_model=LoginResult)
def login(body: Login, request: Request, response: Response, call: Anonymous) -> LoginResult:
    """Check the password; return a bearer token and set the same token as an HttpOnly session cookie.

    Five failures in a row lock the account for 15 minutes (the failures are stored even though the
    request fails)."""
    with call.transaction() as uow:
        try:
            principal = authenticate(uow, body.username, body.password, call.now)
        except UnauthenticatedError:
            uow.commit()
            raise
        token = issue_token(uow, principal, call.now)
        result = LoginResult(
            access_token=token, expires_at=call.now + TOKEN_LIFETIME, user=_me(uow, principal)
        )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(TOKEN_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return result


@router.post("/logout", status_code=204)
async def logout(call: Writing) -> Response:
    """Revoke the token this request was made with and clear the session cookie."""
    await call.write(lambda work: revoke_token(work.uow, work.token))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/me", response_model=Me)
async def me(call: Reading) -> Me:
    """The logged-in user and their roles."""
    return await call.run(lambda work: _me(work.uow, work.principal))
