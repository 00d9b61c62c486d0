"""The JSON shapes the API reads and writes. Requests refuse unknown fields; every text is bounded so
that nothing the database columns cannot hold gets as far as the store."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from cartrial.services.access import Role
from cartrial.services.reads import ProtocolVersionView, SubjectView

# Bodies read as sent (and stored so) are the core's models; app.py adds their schemas to the document.
SCREENING_RECORD_REF = "#/components/schemas/ScreeningRecord"
SUBJECT_SAFETY_REF = "#/components/schemas/SubjectSafety"

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

_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _calendar_date_text(value: object) -> object:
    if isinstance(value, str) and _CALENDAR_DATE.fullmatch(value):
        return value
    raise ValueError("must be a calendar date, YYYY-MM-DD")


# A date as the document declares it (ISO 8601 text). Pydantic's lax mode would also take a number, or
# text of one, as a Unix time (0 is 1970-01-01) and a date-time at midnight as its date: a clinical date
# sent so is a mistake to name, not one to store. The ints and bools of the requests below are strict
# for the same reason (no "25" or 2.5e7 as a cell count, no 0 as false).
CalendarDate = Annotated[date, BeforeValidator(_calendar_date_text)]


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


class UserOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: Role
    site: str | None


class ActiveProtocol(BaseModel):
    version: ProtocolVersionView
    protocol: dict[str, Any] = Field(description="the parsed protocol (schema: `cartrial schema protocol`)")


class ScreeningOutcomeOut(BaseModel):
    subject_id: int
    site_id: str
    screening_id: str
    screening_version: int
    status: str
    verdict: str
    result: dict[str, Any] = Field(description="the eligibility result, as `cartrial screen --json`")


class SubjectList(BaseModel):
    total: int
    subjects: list[SubjectView]


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


# Cells are counted in a 32-bit column of the store; 2.1×10⁹ is far above any dose level of this study.
MAX_CELLS = 2**31 - 1


class SrcSignature(Request):
    """The SRC's decision, signed by re-entering the password; without next_dose or stop it follows
    the design's recommendation."""

    password: Password = Field(description="the signer's password, entered again to sign")
    meaning: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="what the signature means: approved or reviewed"
    )
    next_dose: Annotated[StrictInt, Field(ge=1, le=100)] | None = Field(
        default=None, description="a dose level below the recommended one (a departure needs a rationale)"
    )
    stop: StrictBool = Field(default=False, description="stop the study (a departure needs a rationale)")
    rationale: Reason | None = None


class Milestone(Request):
    status: Literal["leukapheresis", "lymphodepletion", "withdrawn", "died"]
    on: CalendarDate = Field(description="the calendar date it happened")


class InfusionIn(Request):
    infused_on: CalendarDate
    car_t_cells: Annotated[StrictInt, Field(gt=0, le=MAX_CELLS)] = Field(description="CAR+ T cells infused")


class ClinicalDocumentIn(Request):
    document: dict[str, Any] = Field(
        description="the document of its kind: adverse event, lab, PK sample or response visit"
    )
    reason: Reason | None = Field(default=None, description="required when correcting a stored document")


class DecisionOut(BaseModel):
    design: str
    action: str
    next_dose: int | None
    eliminated: list[int]
    stop: bool
    reason: str
    details: dict[str, Any]


class DoseLevelOutcomes(BaseModel):
    dose_level: int
    treated: int
    dlts: int
    pending: int


class RecommendationOut(BaseModel):
    protocol_ref: str
    current_dose: int | None
    decision: DecisionOut
    outcomes: list[DoseLevelOutcomes] = Field(description="the counts the design saw, per dose level")


class SubjectStatusOut(BaseModel):
    subject_id: int
    status: str
