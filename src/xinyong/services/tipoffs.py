"""Tip-offs as use cases: the public files one; the department it was routed to reads its queue.

A tip-off is stored and audited, and goes to one department's queue; it is never a record, a
listing or a check hit (docs/domain.md §14). Filing is limited per sender and day
(`policy/tipoffs.toml [limits]`), the sender known only by a keyed hash of their address.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.errors import NotFound, TooManyAttempts
from xinyong.domain.policy import Policy
from xinyong.domain.tipoffs import TipOff, receive_tipoff

if TYPE_CHECKING:
    from datetime import datetime

    from xinyong.services.ports import UnitOfWork


class TipOffRepository(Protocol):
    def add(self, tipoff: TipOff) -> int:
        """Store a new tip-off and set its id."""
        ...

    def get(self, tipoff_id: int) -> TipOff: ...
    def of_department(self, department: str | None, *, limit: int, offset: int) -> list[TipOff]:
        """Newest first: one department's (None: every department's)."""
        ...

    def count_from(self, source: str, *, since: datetime) -> int: ...


def sender_of(secret_key: str, address: str) -> str:
    """The keyed hash a sender is counted by: the same address gives the same hash, and the
    address cannot be read back from it."""
    return hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def file_tipoff(
    uow: UnitOfWork,
    policy: Policy,
    *,
    topic: str,
    subject_name: str,
    subject_number: str | None,
    account: str,
    contact: str | None,
    source: str,
) -> TipOff:
    """Take a tip-off and route it to its topic's department, unless this sender has filed as
    many as a day allows."""
    with uow:
        now = uow.now()
        tipoff = receive_tipoff(
            topic=topic,
            subject_name=subject_name,
            subject_number=subject_number,
            account=account,
            contact=contact,
            source=source,
            at=now,
            rules=policy.tipoffs,
        )
        sent = uow.tipoffs.count_from(source, since=now - timedelta(days=1))
        if sent >= policy.tipoffs.max_per_source_per_day:
            raise TooManyAttempts("too many tip-offs from this address today; try again tomorrow")
        uow.tipoffs.add(tipoff)
        uow.audit.add(
            AuditEvent(
                EventTag.TIPOFF_RECEIVED,
                "public",
                "tipoff",
                str(tipoff.id),
                now,
                data={"topic": tipoff.topic, "department": tipoff.department},
            )
        )
        uow.commit()
    return tipoff


def tipoff_queue(
    uow: UnitOfWork, department: str | None, *, limit: int, offset: int
) -> list[TipOff]:
    """The tip-offs routed to `department` (the credit centre, None: all of them), newest first."""
    with uow:
        return uow.tipoffs.of_department(department, limit=limit, offset=offset)


def read_tipoff(uow: UnitOfWork, tipoff_id: int, *, department: str | None, actor: str) -> TipOff:
    """One tip-off in full (who it names, how to reach the sender), for the department it was
    routed to (or the centre); reading it is audited."""
    with uow:
        tipoff = uow.tipoffs.get(tipoff_id)
        if department is not None and tipoff.department != department:
            raise NotFound(f"tip-off {tipoff_id} does not exist")
        uow.audit.add(AuditEvent(EventTag.TIPOFF_READ, actor, "tipoff", str(tipoff_id), uow.now()))
        uow.commit()
    return tipoff
