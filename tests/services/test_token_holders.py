"""A token's holder is read once per transaction (`principal_from_token`), and what was read is forgotten
whenever it may have changed: a user, role or token row written in the transaction, a savepoint rolled
back. The expiry is checked at every call."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from cartrial.services.access import Role
from cartrial.services.accounts import TOKEN_LIFETIME, issue_token, principal_from_token, revoke_token
from cartrial.services.errors import UnauthenticatedError
from cartrial.services.unit_of_work import UnitOfWork
from cartrial.store.models import RoleAssignment
from tests.services.conftest import NOW, Study


def _token(study: Study, username: str) -> str:
    with study.uow() as uow:
        token = issue_token(uow, study.users[username], NOW)
        uow.commit()
    return token


def _holder_reads(study: Study) -> list[int]:
    """How many times the token's holder is read from the database."""
    reads = [0]

    def count(*args: object) -> None:
        if "api_tokens" in str(args[2]):
            reads[0] += 1

    event.listen(study.sessions.kw["bind"], "before_cursor_execute", count)
    return reads


def test_the_holder_is_read_once_per_transaction(study: Study) -> None:
    token = _token(study, "inv1")
    reads = _holder_reads(study)
    for _ in range(2):
        with study.uow() as uow:
            first = principal_from_token(uow, token, NOW)
            again = principal_from_token(uow, token, NOW + timedelta(minutes=1))
    assert first == again == study.users["inv1"]
    assert reads == [2]


def test_the_expiry_is_checked_at_every_call(study: Study) -> None:
    token = _token(study, "inv1")
    with study.uow() as uow:
        principal_from_token(uow, token, NOW + TOKEN_LIFETIME - timedelta(microseconds=1))
        with pytest.raises(UnauthenticatedError, match="expired"):
            principal_from_token(uow, token, NOW + TOKEN_LIFETIME)


def test_a_token_revoked_in_the_transaction_is_refused_at_once(study: Study) -> None:
    token = _token(study, "inv1")
    with study.uow() as uow:
        principal_from_token(uow, token, NOW)
        revoke_token(uow, token)  # not flushed yet: the next call writes it first
        with pytest.raises(UnauthenticatedError, match="revoked"):
            principal_from_token(uow, token, NOW)


def test_a_role_added_in_the_transaction_is_seen(study: Study) -> None:
    token = _token(study, "monitor")
    with study.uow() as uow:
        before = principal_from_token(uow, token, NOW)
        assert [a.role for a in before.assignments] == [Role.MONITOR]
        uow.session.add(RoleAssignment(user_id=before.user_id, role=Role.STATISTICIAN.value))
        after = principal_from_token(uow, token, NOW)
        assert [a.role for a in after.assignments] == [Role.MONITOR, Role.STATISTICIAN]


def test_what_was_read_under_a_savepoint_rolled_back_is_forgotten(study: Study) -> None:
    token = _token(study, "inv1")
    with study.uow() as uow:

        def revoke_then_use(uow: UnitOfWork = uow) -> None:
            revoke_token(uow, token)
            principal_from_token(uow, token, NOW)  # reads the revoked token, and is refused

        with pytest.raises(UnauthenticatedError, match="revoked"):
            uow.attempt(revoke_then_use)
        # The revocation was undone with its savepoint; so was what was read of it.
        assert principal_from_token(uow, token, NOW) == study.users["inv1"]
