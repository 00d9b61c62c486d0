"""What a service refuses, each mapped by the shells: 401, 403, 404, 409 (InputError is 422)."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal a user can act on; `str()` says why."""


class UnauthenticatedError(ServiceError):
    """No valid credentials (wrong password, locked account, expired token)."""


class ForbiddenError(ServiceError):
    """The caller's role may not do this."""


class NotFoundError(ServiceError):
    """No such thing — or not one the caller may see (another site's subject looks the same)."""


class ConflictError(ServiceError):
    """The request contradicts the current state (cohort full, already screened, enrollment suspended)."""
