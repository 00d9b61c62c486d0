"""Roles, what each may do, and at which sites (DESIGN.md "Who uses it")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cartrial.services.errors import ForbiddenError, NotFoundError
from cartrial.store.audit import Actor


class Role(StrEnum):
    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"
    SRC_MEMBER = "src_member"
    STATISTICIAN = "statistician"
    MONITOR = "monitor"


class Permission(StrEnum):
    MANAGE_ACCOUNTS = "manage_accounts"
    READ_SUBJECTS = "read_subjects"
    SCREEN = "screen"
    ENROLL = "enroll"
    RECORD_CLINICAL = "record_clinical"
    SIGN_SRC_DECISION = "sign_src_decision"
    VERIFY_AUDIT = "verify_audit"


# Site staff act at their own site only; the others act (or read) across every site.
SITE_SCOPED_ROLES = frozenset({Role.INVESTIGATOR, Role.COORDINATOR})

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset({Permission.MANAGE_ACCOUNTS, Permission.VERIFY_AUDIT}),
    Role.INVESTIGATOR: frozenset(
        {Permission.READ_SUBJECTS, Permission.SCREEN, Permission.ENROLL, Permission.RECORD_CLINICAL}
    ),
    Role.COORDINATOR: frozenset(
        {Permission.READ_SUBJECTS, Permission.SCREEN, Permission.ENROLL, Permission.RECORD_CLINICAL}
    ),
    Role.SRC_MEMBER: frozenset({Permission.READ_SUBJECTS, Permission.SIGN_SRC_DECISION}),
    Role.STATISTICIAN: frozenset({Permission.READ_SUBJECTS}),
    Role.MONITOR: frozenset({Permission.READ_SUBJECTS, Permission.VERIFY_AUDIT}),
}


@dataclass(frozen=True, slots=True)
class Assignment:
    role: Role
    site_id: str | None


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user and every role they hold."""

    user_id: int
    username: str
    assignments: tuple[Assignment, ...]

    def grant(self, permission: Permission, site_id: str | None = None) -> Assignment | None:
        """The assignment that allows `permission` (at `site_id`, for site-scoped roles), if any."""
        for assignment in self.assignments:
            if permission not in PERMISSIONS[assignment.role]:
                continue
            if assignment.role in SITE_SCOPED_ROLES and site_id is not None and assignment.site_id != site_id:
                continue
            return assignment
        return None

    def sites_readable(self) -> frozenset[str] | None:
        """The sites whose subjects this user may read; None means every site."""
        sites: set[str] = set()
        for assignment in self.assignments:
            if Permission.READ_SUBJECTS not in PERMISSIONS[assignment.role]:
                continue
            if assignment.role not in SITE_SCOPED_ROLES:
                return None
            if assignment.site_id is not None:
                sites.add(assignment.site_id)
        return frozenset(sites)


def require_readable_subject(principal: Principal, subject_id: int, site_id: str | None) -> None:
    """Refuse a subject the user may not read — or that does not exist (`site_id` None) — alike, with
    NotFoundError (never 403: existence must not leak)."""
    require(principal, Permission.READ_SUBJECTS)
    sites = principal.sites_readable()
    if site_id is None or (sites is not None and site_id not in sites):
        raise NotFoundError(f"no subject {subject_id}")


def require(principal: Principal, permission: Permission, site_id: str | None = None) -> Actor:
    """The actor to audit, or a refusal. Site staff asking about another site get NotFoundError, so that the
    existence of another site's subject does not leak."""
    assignment = principal.grant(permission, site_id)
    if assignment is None:
        if site_id is not None and principal.grant(permission) is not None:
            raise NotFoundError(f"no such subject or site {site_id!r} for this user")
        raise ForbiddenError(f"{principal.username} may not {permission.value.replace('_', ' ')}")
    return Actor(principal.user_id, principal.username, assignment.role.value, assignment.site_id)
