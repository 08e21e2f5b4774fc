"""The audit log: every change is recorded with its actor, in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.errors import OutsideMandate

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> None: ...
    def count(self, tag: str | None = None) -> int: ...
    def count_since(
        self, tag: str, *, subject_id: int, since: datetime, actor: str | None = None
    ) -> int:
        """Events with `tag` about `subject_id` since `since` (by `actor` only, if given)."""
        ...


def record_refusal(
    uow: UnitOfWork,
    refusal: OutsideMandate,
    *,
    actor: str,
    department: str | None,
    subject_id: int | None = None,
) -> None:
    """Audit a refusal for want of a mandate, in a transaction of its own (what was refused
    changed nothing)."""
    with uow:
        uow.audit.add(
            AuditEvent(
                EventTag.MANDATE_REFUSED,
                actor,
                "mandate",
                refusal.action,
                uow.now(),
                subject_id=subject_id,
                reason=refusal.detail,
                data={"department": department},
            )
        )
        uow.commit()


def record_rate_limited(
    uow: UnitOfWork, *, action: str, who: str, actor: str, client: str, retry_after: int
) -> None:
    """Audit the first refusal of a run by an abuse limit (docs/security.md, "Abuse limits").
    `client` is a keyed digest of the address, never the address; no identifier is kept."""
    with uow:
        uow.audit.add(
            AuditEvent(
                EventTag.RATE_LIMITED,
                actor,
                "rate_limit",
                action,
                uow.now(),
                data={"who": who, "client": client, "retry_after": retry_after},
            )
        )
        uow.commit()
