"""API keys: how a department, an agency or the credit centre calls the API. Only a hash of the
secret is stored; a person's session is represented by the same caller type, with scope `me`."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from xinyong.domain.access import Scope

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
    #: A staff user's console session (services/staff.py): their department and role's scopes.
    staff_id: int | None = None
    #: The agency staff member an agency's key is issued to (domain/agencies.py): they make its
    #: queries, and the staff blacklist refuses them.
    agency_staff_id: int | None = None

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
        if self.staff_id is not None:
            return f"staff:{self.staff_id}"
        if self.agency_staff_id is not None:
            return f"agency-staff:{self.agency_staff_id}"
        return f"key:{self.prefix}"


def split_key(token: str) -> tuple[str, str] | None:
    """Split `xy_<prefix>_<secret>` into prefix and secret, or None if it is not that shape."""
    if not token.startswith(KEY_PREFIX):
        return None
    parts = token[len(KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]
