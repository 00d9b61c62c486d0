"""The tables. Domain values stay frozen in the core; rows are mapped to them at the repository edge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoleAssignment(Base):
    """A user's role, at one site (site-scoped roles) or at every site (site_id null)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"), nullable=True)


class ProtocolVersion(Base):
    """A protocol version as loaded: its file text and the SHA-256 of that text."""

    __tablename__ = "protocol_versions"

    ref: Mapped[str] = mapped_column(String(120), primary_key=True)
    protocol_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(20))
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, doc="when it became the version new screenings use"
    )


class Subject(Base):
    """A candidate from screening on; `status` follows the life cycle in services.lifecycle."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("site_id", "screening_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    screening_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    protocol_ref: Mapped[str] = mapped_column(ForeignKey("protocol_versions.ref"))
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Screening(Base):
    """One screening of a subject: the record as submitted, the result, the protocol version used.

    A correction is a new row with a higher `version` and a reason; the earlier row stays.
    """

    __tablename__ = "screenings"
    __table_args__ = (UniqueConstraint("subject_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    version: Mapped[int] = mapped_column(Integer)
    record_json: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(16))
    result_json: Mapped[str] = mapped_column(Text)
    protocol_ref: Mapped[str] = mapped_column(ForeignKey("protocol_versions.ref"))
    screened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    screened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEntry(Base):
    """One append-only audit entry, chained to the one before it by SHA-256."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(120))
    changes_json: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head (one row). Locking it serialises appends, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token (stored only as its SHA-256) for one user, until it expires or is revoked."""

    __tablename__ = "api_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Cohort(Base):
    """A cohort at one dose level, opened by an SRC decision; `size` slots, filled by enrollment."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    dose_level: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    protocol_ref: Mapped[str] = mapped_column(ForeignKey("protocol_versions.ref"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class Enrollment(Base):
    """A subject's slot in a cohort and the dose level assigned. One slot number per cohort, ever."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("cohort_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), unique=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    slot: Mapped[int] = mapped_column(Integer)
    dose_level: Mapped[int] = mapped_column(Integer)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    enrolled_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Infusion(Base):
    """The CAR-T infusion actually given (day 0 of the DLT window)."""

    __tablename__ = "infusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), unique=True)
    infused_on: Mapped[str] = mapped_column(String(10), doc="ISO date")
    car_t_cells: Mapped[int] = mapped_column(Integer)
    dose_level: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class DltAssessment(Base):
    """A DLT adjudication of one subject as of a date; a later one supersedes it (higher version)."""

    __tablename__ = "dlt_assessments"
    __table_args__ = (UniqueConstraint("subject_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(120), nullable=True)
    followup_days: Mapped[float] = mapped_column()
    evaluable: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    input_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class SrcDecision(Base):
    """A safety review committee decision with its electronic signature (who, when, meaning)."""

    __tablename__ = "src_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reviewed_cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), nullable=True)
    protocol_ref: Mapped[str] = mapped_column(ForeignKey("protocol_versions.ref"))
    recommendation_json: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))
    next_dose: Mapped[int | None] = mapped_column(Integer, nullable=True)
    follows_recommendation: Mapped[bool] = mapped_column(Boolean)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    signed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signature_meaning: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClinicalRecord(Base):
    """One version of one clinical document of a subject (an adverse event, a lab result, a PK sample,
    a response assessment), validated by the domain core's model for its kind. A correction is a new
    version of the same key, with a reason; earlier versions stay."""

    __tablename__ = "clinical_records"
    __table_args__ = (UniqueConstraint("subject_id", "kind", "record_key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    kind: Mapped[str] = mapped_column(String(32))
    record_key: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    document_json: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
