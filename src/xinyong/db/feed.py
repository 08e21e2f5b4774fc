"""The feed of notices to the parties that received an item."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    String,
    Text,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base, in_chunks
from xinyong.db.querylog import QueryRow
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.feed import FeedItem, FeedKind


class FeedItemRow(Base):
    """A notice to a party that once received an item: corrected, revoked, repaired, expired.

    Numbered by `seq`; a party reads its own items after the last one it has seen.
    """

    __tablename__ = "feed_items"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    subject_key: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date)


class SqlFeed:
    """The feed, and what each party was given (read from the query log)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        self.session.execute(
            insert(FeedItemRow),
            [
                {
                    "recipient": i.recipient,
                    "kind": i.kind.value,
                    "entity_type": i.entity_type,
                    "entity_id": i.entity_id,
                    "subject_key": i.subject_key,
                    "detail": i.detail,
                    "at": i.at,
                    "due_on": i.due_on,
                }
                for i in items
            ],
        )

    def after(self, recipient: str, seq: int, *, limit: int) -> list[FeedItem]:
        rows = self.session.scalars(
            select(FeedItemRow)
            .where(FeedItemRow.recipient == recipient, FeedItemRow.seq > seq)
            .order_by(FeedItemRow.seq)
            .limit(limit)
        )
        return [
            FeedItem(
                r.recipient,
                FeedKind(r.kind),
                r.entity_type,
                r.entity_id,
                r.subject_key,
                r.detail,
                r.at,
                r.seq,
                r.due_on,
            )
            for r in rows
        ]

    def deliveries(self, subject_keys: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        """Per subject key, (party, what it was given) for every answered query about it."""
        out: dict[int, list[tuple[str, str]]] = {}
        for part in in_chunks(sorted(set(subject_keys))):
            rows = self.session.execute(
                select(QueryRow.subject_key, QueryRow.department_code, QueryRow.returned).where(
                    QueryRow.subject_key.in_(part),
                    QueryRow.department_code.is_not(None),
                    QueryRow.kind != "agency_refused",
                    QueryRow.returned != "none",
                )
            )
            for key, party, returned in rows:
                out.setdefault(int(key), []).append((str(party), str(returned)))
        return out
