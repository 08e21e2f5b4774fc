"""`xinyong keys`: a key is printed once, authenticates, never shows its secret, and is revoked."""

from __future__ import annotations

from tests.functional.helpers import run, squashed
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.access import Scope
from xinyong.services import keys


def test_a_created_key_is_printed_once_and_authenticates(migrated: str) -> None:
    result = run("keys", "create", "--department", "BJ-AMR", "--scope", "records:write")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("xy_")
    engine = make_engine(migrated)
    try:
        key = keys.authenticate(SqlUnitOfWork(make_session_factory(engine)), token)
    finally:
        engine.dispose()
    assert key is not None
    assert key.department == "BJ-AMR"
    assert key.scopes == {Scope.RECORDS_WRITE}


def test_the_key_list_never_shows_a_secret(migrated: str) -> None:
    token = run("keys", "create", "--role", "credit_centre").stdout.strip()
    prefix, secret = token.removeprefix("xy_").split("_", 1)
    result = run("keys", "list")
    assert result.exit_code == 0, result.output
    assert prefix in result.output
    assert secret not in squashed(result.output)
    assert token not in squashed(result.output)


def test_a_key_for_an_unregistered_department_is_refused(migrated: str) -> None:
    result = run("keys", "create", "--department", "NOPE", "--scope", "records:write")
    assert result.exit_code == 2
    assert "not registered" in result.output
    assert "xy_" not in result.output


def test_an_unknown_scope_is_refused_listing_the_scopes(migrated: str) -> None:
    result = run("keys", "create", "--scope", "records:delete")
    assert result.exit_code == 2
    assert "records:write" in result.output


def test_a_revoked_key_no_longer_authenticates(migrated: str) -> None:
    token = run("keys", "create", "--scope", "catalog:read").stdout.strip()
    prefix = token.removeprefix("xy_").split("_", 1)[0]
    assert run("keys", "revoke", prefix).exit_code == 0
    engine = make_engine(migrated)
    try:
        assert keys.authenticate(SqlUnitOfWork(make_session_factory(engine)), token) is None
    finally:
        engine.dispose()
