"""API keys over the fakes: shown once, kept as a hash, scoped, bound to a department, revoked."""

from __future__ import annotations

import pytest

from tests.fakes import FakeUnitOfWork
from xinyong.domain.access import Scope
from xinyong.domain.audit import EventTag
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Invalid, NotFound
from xinyong.domain.keys import hash_secret, split_key
from xinyong.services.keys import authenticate, create_api_key, list_api_keys, revoke_api_key


def _key(uow: FakeUnitOfWork, department: str | None = "BJ-AMR") -> str:
    return create_api_key(
        uow, label="amr feed", scopes=[Scope.RECORDS_WRITE], department=department, actor="admin"
    )


def test_a_key_is_shown_once_kept_as_a_hash_and_authenticates(uow: FakeUnitOfWork) -> None:
    token = _key(uow)
    key = authenticate(uow, token)
    assert key is not None
    assert (key.department, key.scopes, key.label) == (
        "BJ-AMR",
        frozenset({Scope.RECORDS_WRITE}),
        "amr feed",
    )
    parts = split_key(token)
    assert parts is not None
    prefix, secret = parts
    [stored] = list_api_keys(uow)
    assert (stored.prefix, stored.secret_hash) == (prefix, hash_secret(secret))
    assert secret not in repr(uow.committed)
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.KEY_CREATED]
    assert (event.entity_id, event.data["department"]) == (prefix, "BJ-AMR")


def test_a_wrong_secret_or_a_malformed_token_authenticates_no_one(uow: FakeUnitOfWork) -> None:
    token = _key(uow)
    assert authenticate(uow, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    for malformed in ("", "xy_", token.removeprefix("xy_"), "Bearer " + token):
        assert authenticate(uow, malformed) is None


def test_a_key_needs_a_scope_a_key_may_hold_and_a_registered_department(
    uow: FakeUnitOfWork,
) -> None:
    before = uow.snapshot()
    with pytest.raises(Invalid, match="at least one scope"):
        create_api_key(uow, label="x", scopes=[], department=None, actor="admin")
    with pytest.raises(Invalid, match="scope me"):
        create_api_key(uow, label="x", scopes=[Scope.ME], department=None, actor="admin")
    with pytest.raises(NotFound, match="NOPE"):
        _key(uow, department="NOPE")
    # A department's key holds nothing only an agency does; an agency's only what an agency does.
    for scopes in ([Scope.AGENCY_QUERY], [Scope.RECORDS_READ, Scope.FEED_ACKNOWLEDGE]):
        with pytest.raises(Invalid, match="a department's key cannot hold it"):
            create_api_key(uow, label="x", scopes=scopes, department="BJ-AMR", actor="admin")
    for scopes in ([Scope.RECORDS_READ], [Scope.AGENCY_QUERY, Scope.CHECKS_RUN]):
        with pytest.raises(Invalid, match="not an agency's"):
            create_api_key(
                uow, label="x", scopes=scopes, department="AGENCY-BAIHANG", actor="a", staff="S-1"
            )
    assert uow.committed == before


def test_a_revoked_key_authenticates_no_one_and_the_servers_are_told(uow: FakeUnitOfWork) -> None:
    token = _key(uow)
    parts = split_key(token)
    assert parts is not None
    revoke_api_key(uow, parts[0], actor="admin")
    assert authenticate(uow, token) is None
    [change] = uow.committed.changes
    assert change.kind is ChangeKind.API_KEY  # servers drop their cached keys when the log moves
    assert EventTag.KEY_REVOKED in [e.tag for e in uow.committed.audit]
    before = uow.snapshot()
    with pytest.raises(NotFound):
        revoke_api_key(uow, parts[0], actor="admin")
    assert uow.committed == before
