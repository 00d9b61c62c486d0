"""Sites and user accounts: anyone logged in lists sites; administrators add sites and users."""

from __future__ import annotations

from fastapi import APIRouter

from cartrial.api.deps import LoggedIn, Reading, Work, Writing
from cartrial.api.schemas import SiteCreate, UserCreate, UserOut
from cartrial.services import reads
from cartrial.services.access import Permission, require
from cartrial.services.accounts import add_site, add_user
from cartrial.services.reads import SiteView

router = APIRouter(tags=["accounts"])


@router.get("/sites", response_model=list[SiteView])
async def sites(call: Reading) -> list[SiteView]:
    """Every study site."""
    return await call.run(lambda work: reads.list_sites(work.uow))


@router.post("/sites", response_model=SiteView, status_code=201)
async def create_site(body: SiteCreate, call: Writing) -> SiteView:
    """Add a study site (administrators)."""

    def add(work: Work) -> SiteView:
        actor = require(work.principal, Permission.MANAGE_ACCOUNTS)
        add_site(work.uow, actor, body.id, body.name, work.now)
        return SiteView(id=body.id, name=body.name, created_at=work.now)

    return await call.write(add)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, call: LoggedIn) -> UserOut:
    """Create an account with one role; investigators and coordinators name their site (administrators)."""
    with call.authenticated() as work:
        actor = require(work.principal, Permission.MANAGE_ACCOUNTS)
        user_id = add_user(
            work.uow, actor, body.username, body.display_name, body.password, body.role, body.site, work.now
        )
    return UserOut(
        user_id=user_id,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        site=body.site,
    )
