"""Sites and user accounts: anyone logged in lists sites; administrators add sites and users."""

from __future__ import annotations

from fastapi import APIRouter

from cartrial.api import queries
from cartrial.api.deps import CurrentCaller, Now, Uow
from cartrial.api.schemas import SiteCreate, SiteOut, UserCreate, UserOut
from cartrial.services.access import Permission, require
from cartrial.services.accounts import add_site, add_user

router = APIRouter(tags=["accounts"])


@router.get("/sites", response_model=list[SiteOut])
def sites(caller: CurrentCaller, uow: Uow) -> list[SiteOut]:
    """Every study site."""
    return queries.list_sites(uow)


@router.post("/sites", response_model=SiteOut, status_code=201)
def create_site(body: SiteCreate, caller: CurrentCaller, uow: Uow, now: Now) -> SiteOut:
    """Add a study site (administrators)."""
    actor = require(caller.principal, Permission.MANAGE_ACCOUNTS)
    add_site(uow, actor, body.id, body.name, now)
    return SiteOut(id=body.id, name=body.name, created_at=now)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, caller: CurrentCaller, uow: Uow, now: Now) -> UserOut:
    """Create an account with one role; investigators and coordinators name their site (administrators)."""
    actor = require(caller.principal, Permission.MANAGE_ACCOUNTS)
    user_id = add_user(uow, actor, body.username, body.display_name, body.password, body.role, body.site, now)
    return UserOut(
        user_id=user_id,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        site=body.site,
    )
