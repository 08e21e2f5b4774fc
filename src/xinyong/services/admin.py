"""Credit-centre administration: departments from policy, API keys, the identity-review queue."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from xinyong.domain.access import KEY_PREFIX, PERSON_SCOPES, ApiKey, Scope, hash_secret, split_key
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.departments import Department
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.records import RecordStatus
from xinyong.services.ports import IdentityReview, UnitOfWork


def sync_departments(uow: UnitOfWork, departments: Iterable[Department], *, actor: str) -> int:
    """Store the policy's departments; return how many were added or changed."""
    changed = 0
    with uow:
        at = uow.now()
        for department in departments:
            if uow.departments.upsert(department, at=at):
                changed += 1
                uow.audit.add(
                    AuditEvent(
                        EventTag.DEPARTMENTS_SYNCED,
                        actor,
                        "department",
                        department.code,
                        at,
                        data={"items": sorted(department.items)},
                    )
                )
        uow.commit()
    return changed


def create_api_key(
    uow: UnitOfWork,
    *,
    label: str,
    scopes: Iterable[Scope],
    department: str | None,
    actor: str,
) -> str:
    """Create a key and return it in full; only its hash is stored, so it is shown once."""
    scope_set = frozenset(scopes)
    if not scope_set:
        raise Invalid("a key needs at least one scope")
    if scope_set & PERSON_SCOPES:
        raise Invalid("scope me belongs to a person's own session; an API key cannot hold it")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with uow:
        if department is not None and uow.departments.get(department) is None:
            raise NotFound(f"department {department} is not registered")
        at = uow.now()
        key = ApiKey(None, prefix, hash_secret(secret), label, department, scope_set, at)
        uow.keys.add(key)
        uow.audit.add(
            AuditEvent(
                EventTag.KEY_CREATED,
                actor,
                "api_key",
                prefix,
                at,
                data={"department": department, "scopes": sorted(s.value for s in scope_set)},
            )
        )
        uow.commit()
    return f"{KEY_PREFIX}{prefix}_{secret}"


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
        uow.changes.append("api_key", subject_id=None, entity_id=None, at=at)
        uow.commit()


def list_identity_reviews(
    uow: UnitOfWork, *, status: str | None = "open", limit: int = 100, offset: int = 0
) -> list[IdentityReview]:
    with uow:
        return uow.reviews.list(status=status, limit=limit, offset=offset)


def resolve_identity_review(
    uow: UnitOfWork, review_id: int, *, same_person: bool, note: str, actor: str
) -> IdentityReview:
    """Decide a held submission: the same person (release the record) or not (keep it withheld)."""
    with uow:
        review = uow.reviews.get(review_id)
        if review.status != "open":
            raise Conflict(f"identity review {review_id} is already resolved")
        at = uow.now()
        record = uow.records.get(review.record_id)
        resolution = "same_person" if same_person else "different_person"
        if same_person and record.status is RecordStatus.IDENTITY_HOLD:
            record.status = RecordStatus.ACTIVE
            record.updated_at = at
            uow.records.save_status(record)
        uow.reviews.resolve(review_id, resolution=resolution, note=note, by=actor, at=at)
        uow.audit.add(
            AuditEvent(
                EventTag.IDENTITY_REVIEW_RESOLVED,
                actor,
                "identity_review",
                str(review_id),
                at,
                subject_id=review.subject_id,
                reason=note,
                data={"resolution": resolution, "record_id": review.record_id},
            )
        )
        uow.commit()
        return uow.reviews.get(review_id)


def list_departments(uow: UnitOfWork) -> list[Department]:
    with uow:
        return uow.departments.list()


def list_api_keys(uow: UnitOfWork) -> list[ApiKey]:
    with uow:
        return uow.keys.list()


def count_records(uow: UnitOfWork) -> int:
    with uow:
        return uow.records.count()
