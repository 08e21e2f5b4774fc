"""The audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.chain import append_chained
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain.audit import AuditEvent


class AuditEventRow(Base):
    """Who did what, when and why: written in the same transaction as the change it describes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    tag: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: The previous event's link and this one's (domain/chain.py): edits break the chain.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    chain: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: AuditEvent) -> None:
        self.add_many([event])

    def add_many(self, events: Sequence[AuditEvent]) -> None:
        # Each linked to the event before it (db/chain.py): editing the table breaks the chain.
        # One lock, one read of the last link and one write for all of them (COPY on PostgreSQL).
        append_chained(
            self.session.connection(),
            "audit_events",
            [
                {
                    "at": event.at,
                    "tag": event.tag.value,
                    "actor": event.actor,
                    "entity_type": event.entity_type,
                    "entity_id": event.entity_id,
                    "subject_id": event.subject_id,
                    "reason": event.reason,
                    "data": event.data,
                }
                for event in events
            ],
        )

    def count(self, tag: str | None = None) -> int:
        query = select(func.count()).select_from(AuditEventRow)
        if tag:
            query = query.where(AuditEventRow.tag == tag)
        return int(self.session.scalar(query) or 0)

    def count_since(
        self, tag: str, *, subject_id: int, since: datetime, actor: str | None = None
    ) -> int:
        query = (
            select(func.count())
            .select_from(AuditEventRow)
            .where(
                AuditEventRow.tag == tag,
                AuditEventRow.subject_id == subject_id,
                AuditEventRow.at >= since,
            )
        )
        if actor is not None:
            query = query.where(AuditEventRow.actor == actor)
        return int(self.session.scalar(query) or 0)
