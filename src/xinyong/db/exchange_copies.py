"""What a node keeps about its exchange with others besides the applied-log: its own copies of
entities received from other origins, and the acknowledgements agencies owe for withdrawals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import UTCDateTime


class LocalCopyRow(Base):
    """This node's copy of an entity received from another origin (a listing's entry id)."""

    __tablename__ = "exchange_local_copies"

    entity_type: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(String(255))
    local_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("entity_type", "entity_key"),)


class AcknowledgementRow(Base):
    """A withdrawal sent to an agency, which must acknowledge it by the policy's deadline."""

    __tablename__ = "exchange_acknowledgements"

    peer: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (PrimaryKeyConstraint("peer", "seq"),)
