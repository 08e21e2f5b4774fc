"""What a node keeps about its exchange with others besides the applied-log: its own copies of
entities received from other origins."""

from __future__ import annotations

from sqlalchemy import BigInteger, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db.base import Base


class LocalCopyRow(Base):
    """This node's copy of an entity received from another origin (a listing's entry id)."""

    __tablename__ = "exchange_local_copies"

    entity_type: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(String(255))
    local_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("entity_type", "entity_key"),)
