"""The JSON shapes the API reads and writes. Requests refuse unknown fields; every text is bounded so
that nothing the database columns cannot hold gets as far as the store."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from cartrial.services.access import Role

# The screening record's schema is the eligibility core's model, added to the OpenAPI components.
SCREENING_RECORD_REF = "#/components/schemas/ScreeningRecord"

# Column widths of the store (store/models.py) and patterns for identifiers typed by people.
SiteId = Annotated[
    str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
]
NewUsername = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@\-]*$")
]
# Accounts made with `cartrial users add` may have other characters; only control characters are refused.
LoginName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
# argon2 would hash any length; a bound keeps a login from costing the server more than a login.
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[^\x00]+$")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Login(Request):
    username: LoginName
    password: Password


class SiteCreate(Request):
    id: SiteId
    name: Label


class UserCreate(Request):
    username: NewUsername
    display_name: Label
    password: Password
    role: Role
    site: SiteId | None = Field(default=None, description="the site, for investigators and coordinators")


class ScreeningCorrection(Request):
    reason: Reason = Field(description="why the screening changes (kept with the new version and audited)")
    record: Annotated[dict[str, Any], WithJsonSchema({"allOf": [{"$ref": SCREENING_RECORD_REF}]})] = Field(
        description="the corrected screening record"
    )


class RoleAt(BaseModel):
    role: Role
    site_id: str | None


class Me(BaseModel):
    user_id: int
    username: str
    display_name: str
    roles: list[RoleAt]


class LoginResult(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: Me


class SiteOut(BaseModel):
    id: str
    name: str
    created_at: datetime


class UserOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: Role
    site: str | None


class ProtocolVersionOut(BaseModel):
    ref: str
    protocol_id: str
    version: str
    content_sha256: str
    loaded_at: datetime
    activated_at: datetime | None
    active: bool


class ActiveProtocol(BaseModel):
    version: ProtocolVersionOut
    protocol: dict[str, Any] = Field(description="the parsed protocol (schema: `cartrial schema protocol`)")


class ScreeningOutcomeOut(BaseModel):
    subject_id: int
    site_id: str
    screening_id: str
    screening_version: int
    status: str
    verdict: str
    result: dict[str, Any] = Field(description="the eligibility result, as `cartrial screen --json`")


class SubjectOut(BaseModel):
    id: int
    site_id: str
    screening_id: str
    status: str
    protocol_ref: str
    created_at: datetime


class SubjectList(BaseModel):
    total: int
    subjects: list[SubjectOut]


class ScreeningVersionOut(BaseModel):
    version: int
    verdict: str
    protocol_ref: str
    screened_at: datetime
    screened_by: int
    reason: str | None
    record: Any = Field(description="the record as submitted")
    result: dict[str, Any]


class SubjectDetail(SubjectOut):
    screenings: list[ScreeningVersionOut]


class ChainProblemOut(BaseModel):
    seq: int
    problem: str


class FieldProblem(BaseModel):
    field: str = Field(description="the field, as a dotted path inside the body, or a parameter's name")
    reason: str


class BadInput(BaseModel):
    """The body of every 422."""

    detail: list[FieldProblem]


class Refusal(BaseModel):
    """The body of every 401, 403, 404 and 409."""

    detail: str


class AuditVerification(BaseModel):
    intact: bool
    entries: int
    problems: list[ChainProblemOut]
