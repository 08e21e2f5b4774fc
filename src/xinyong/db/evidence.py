"""Evidence files of objections and repair applications."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    LargeBinary,
    String,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, UTCDateTime
from xinyong.services.evidence import CaseType


class EvidenceRow(Base):
    """A file filed with an objection or a repair application; kept with the case."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_type: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int] = mapped_column(BigInteger, index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SqlEvidenceRepository:
    """Evidence files, kept with their case."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        case_type: CaseType,
        case_id: int,
        *,
        filename: str,
        content_type: str,
        content: bytes,
        at: datetime,
    ) -> int:
        row = EvidenceRow(
            case_type=case_type.value,
            case_id=case_id,
            filename=filename,
            content_type=content_type,
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            added_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def of_case(self, case_type: CaseType, case_id: int) -> list[tuple[int, str, str, str]]:
        rows = self.session.execute(
            select(
                EvidenceRow.id, EvidenceRow.filename, EvidenceRow.content_type, EvidenceRow.sha256
            )
            .where(EvidenceRow.case_type == case_type, EvidenceRow.case_id == case_id)
            .order_by(EvidenceRow.id)
        )
        return [(int(i), str(f), str(c), str(h)) for i, f, c, h in rows]

    def content(self, case_type: CaseType, case_id: int, evidence_id: int) -> bytes | None:
        found = self.session.scalar(
            select(EvidenceRow.content).where(
                EvidenceRow.id == evidence_id,
                EvidenceRow.case_type == case_type,
                EvidenceRow.case_id == case_id,
            )
        )
        return None if found is None else bytes(found)
