"""Access: the scopes an API key may hold, and what each role of DOMAIN.md §2 is given."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Scope(StrEnum):
    """One permission. Every API route declares exactly one scope, or that it is public."""

    RECORDS_WRITE = "records:write"
    RECORDS_READ = "records:read"
    CATALOG_READ = "catalog:read"
    DEPARTMENTS_READ = "departments:read"
    SUBJECTS_READ = "subjects:read"
    SUBJECTS_WRITE = "subjects:write"
    REVIEWS_MANAGE = "reviews:manage"
    AUDIT_READ = "audit:read"
    LISTS_READ = "lists:read"
    LISTS_WRITE = "lists:write"
    CHECKS_RUN = "checks:run"
    OBJECTIONS_MANAGE = "objections:manage"
    REPAIRS_MANAGE = "repairs:manage"
    AGENCY_QUERY = "agency:query"
    FEED_READ = "feed:read"
    #: A person's own file, through their session; API keys never hold it.
    ME = "me"


#: Scopes only a person's session carries.
PERSON_SCOPES = frozenset({Scope.ME})


class Role(StrEnum):
    """The kinds of caller (DOMAIN.md §2) and the scopes a key for each is given by default."""

    SOURCE_DEPARTMENT = "source_department"
    IMPLEMENTING_DEPARTMENT = "implementing_department"
    CREDIT_CENTRE = "credit_centre"
    CREDIT_AGENCY = "credit_agency"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    # A source department proposes listings on its own records and runs their procedure.
    Role.SOURCE_DEPARTMENT: frozenset(
        {
            Scope.RECORDS_WRITE,
            Scope.RECORDS_READ,
            Scope.CATALOG_READ,
            Scope.LISTS_READ,
            Scope.LISTS_WRITE,
            # "Who finds, who repairs": objections and repairs about its own records.
            Scope.OBJECTIONS_MANAGE,
            Scope.REPAIRS_MANAGE,
            Scope.FEED_READ,
        }
    ),
    # An implementing department checks before it grants or restricts, and reports back.
    Role.IMPLEMENTING_DEPARTMENT: frozenset(
        {Scope.CATALOG_READ, Scope.LISTS_READ, Scope.CHECKS_RUN, Scope.FEED_READ}
    ),
    # Staff read and review; records are written by the departments that made the decisions.
    Role.CREDIT_CENTRE: frozenset(Scope) - {Scope.RECORDS_WRITE} - PERSON_SCOPES,
    # An agency queries with a person's authorisation and must apply corrections in step.
    Role.CREDIT_AGENCY: frozenset({Scope.CATALOG_READ, Scope.AGENCY_QUERY, Scope.FEED_READ}),
}

KEY_PREFIX = "xy_"


def hash_secret(secret: str) -> str:
    """Hash a key's secret part. Keys are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(slots=True)
class ApiKey:
    """A caller: an API key's stored half (who holds it, for which department or agency, with
    which scopes), or a person's session (`account_id` and `subject_id` set, scope `me`)."""

    id: int | None
    prefix: str
    secret_hash: str
    label: str
    department: str | None
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None
    account_id: int | None = None
    subject_id: int | None = None

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        return self.is_active and scope in self.scopes

    @property
    def actor(self) -> str:
        if self.account_id is not None:
            return f"account:{self.account_id}"
        return f"key:{self.prefix}"


def split_key(token: str) -> tuple[str, str] | None:
    """Split `xy_<prefix>_<secret>` into prefix and secret, or None if it is not that shape."""
    if not token.startswith(KEY_PREFIX):
        return None
    parts = token[len(KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]
