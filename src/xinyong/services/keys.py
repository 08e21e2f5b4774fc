"""API keys: created for a department, an agency or the credit centre, shown once, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.access import (
    AGENCY_ONLY_SCOPES,
    AGENCY_SCOPES,
    CENTRE_SCOPES,
    PERSON_SCOPES,
    Scope,
)
from xinyong.domain.agencies import AGENCY_KIND, AgencyStaffMember
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Conflict, Invalid, NotFound, OutsideMandate
from xinyong.domain.keys import KEY_PREFIX, ApiKey, hash_secret, split_key
from xinyong.services.accounts import SESSION_PREFIX
from xinyong.services.agencies import find_staff_member

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> int: ...
    def by_prefix(self, prefix: str) -> ApiKey | None: ...
    def list(self) -> list[ApiKey]: ...
    def revoke(self, prefix: str, *, at: datetime) -> bool: ...


def create_api_key(
    uow: UnitOfWork,
    *,
    label: str,
    scopes: Iterable[Scope],
    department: str | None,
    actor: str,
    staff: str | None = None,
) -> str:
    """Create a key and return it in full; only its hash is stored, so it is shown once. An
    agency's key is issued to one of its registered staff members (`staff`, their staff number),
    who is named in every query made with it; none is issued to one on the staff blacklist."""
    scope_set = frozenset(scopes)
    if not scope_set:
        raise Invalid("a key needs at least one scope")
    if scope_set & PERSON_SCOPES:
        raise Invalid("scope me belongs to a person's own session; an API key cannot hold it")
    if department is not None and scope_set & CENTRE_SCOPES:
        held = ", ".join(sorted(s.value for s in scope_set & CENTRE_SCOPES))
        raise Invalid(f"scope {held} is the credit centre's own: a department's key cannot hold it")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with uow:
        party = uow.departments.get(department) if department is not None else None
        if department is not None and party is None:
            raise NotFound(f"department {department} is not registered")
        if party is not None:
            try:
                party.require_active("api_key:create")
            except OutsideMandate as refused:  # a request the centre should not make: 422
                raise Invalid(f"{refused.detail}; no key is issued to it") from None
        member = None
        _require_scopes_of(party.kind if party else None, scope_set)
        if party is not None and party.kind == AGENCY_KIND:
            member = _issued_to(uow, party.code, staff)
        elif staff is not None:
            raise Invalid("staff: only an agency's key is issued to a staff member")
        at = uow.now()
        key = ApiKey(None, prefix, hash_secret(secret), label, department, scope_set, at)
        key.agency_staff_id = member.id if member else None
        uow.keys.add(key)
        uow.audit.add(
            AuditEvent(
                EventTag.KEY_CREATED,
                actor,
                "api_key",
                prefix,
                at,
                data={
                    "department": department,
                    "scopes": sorted(s.value for s in scope_set),
                    **({"agency_staff": member.id} if member else {}),
                },
            )
        )
        uow.commit()
    return f"{KEY_PREFIX}{prefix}_{secret}"


def _require_scopes_of(kind: str | None, scopes: frozenset[Scope]) -> None:
    """An agency's key holds only what an agency does (it queries under authorisations and
    reads its feed); a department's key holds nothing only an agency does."""
    if kind == AGENCY_KIND and scopes - AGENCY_SCOPES:
        held = ", ".join(sorted(s.value for s in scopes - AGENCY_SCOPES))
        raise Invalid(f"scope {held} is not an agency's: an agency's key cannot hold it")
    if kind is not None and kind != AGENCY_KIND and scopes & AGENCY_ONLY_SCOPES:
        held = ", ".join(sorted(s.value for s in scopes & AGENCY_ONLY_SCOPES))
        raise Invalid(
            f"scope {held} is a credit reporting agency's: a department's key cannot hold it"
        )


def _issued_to(uow: UnitOfWork, agency: str, staff: str | None) -> AgencyStaffMember:
    """The registered staff member of `agency` a new key is issued to, if they still work there
    and are not blacklisted."""
    if staff is None:
        raise Invalid(
            "staff: an agency's key is issued to one of its staff members"
            " (register them first: xinyong agencies staff-add)"
        )
    member = find_staff_member(uow, agency, staff)
    if member.left_on is not None:
        raise Conflict(
            f"staff member {member.number} of {agency} left the agency on {member.left_on}"
        )
    if uow.agencies.active_staff_blacklisting(member.id or 0) is not None:
        raise Conflict(f"staff member {member.number} of {agency} is on the staff blacklist")
    return member


def authenticate(uow: UnitOfWork, token: str) -> ApiKey | None:
    """Return the active key a bearer token stands for, or None."""
    parts = split_key(token)
    if parts is None:
        return None
    prefix, secret = parts
    with uow:
        key = uow.keys.by_prefix(prefix)
    if key is None or not key.is_active or not key.matches(secret):
        return None
    return key


def revoke_api_key(uow: UnitOfWork, prefix: str, *, actor: str) -> None:
    with uow:
        at = uow.now()
        if not uow.keys.revoke(prefix, at=at):
            raise NotFound(f"no active key with prefix {prefix}")
        uow.audit.add(AuditEvent(EventTag.KEY_REVOKED, actor, "api_key", prefix, at))
        # Servers cache keys until the change log moves: this revocation moves it.
        uow.changes.append(ChangeKind.API_KEY, subject_id=None, entity_id=None, at=at)
        uow.commit()


def list_api_keys(uow: UnitOfWork) -> list[ApiKey]:
    with uow:
        return uow.keys.list()


def record_refused_token(uow: UnitOfWork, token: str, *, client: str) -> str:
    """Audit a bearer token that authenticated nobody, and return why: `revoked`, `expired`,
    `unknown` or `wrong secret`. Only a key's prefix is kept, never a secret."""
    parts = split_key(token)
    with uow:
        if token.startswith(SESSION_PREFIX):
            info = uow.accounts.token_info(hashlib.sha256(token.encode()).hexdigest())
            prefix = f"account-{info.account_id}" if info else "session"
            if info is None:
                why = "unknown"
            elif info.revoked_at is not None:
                why = "revoked"
            else:
                why = "expired"
        elif parts is None:
            prefix, why = "-", "unknown"
        else:
            prefix = parts[0]
            key = uow.keys.by_prefix(prefix)
            if key is None:
                why = "unknown"
            elif not key.is_active:
                why = "revoked"
            else:
                why = "wrong secret"
        uow.audit.add(
            AuditEvent(
                EventTag.KEY_REFUSED,
                "anonymous",
                "api_key",
                prefix[:16],
                uow.now(),
                reason=why,
                data={"client": client},
            )
        )
        uow.commit()
    return why
