"""The court's published list rows waiting for identity review, with the persons each may be."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Date, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain.errors import NotFound
from xinyong.services.court_candidates import CandidateMatch, CandidateStatus, ReviewCandidate


class CourtCandidateRow(Base):
    """One published row of a court's list: a cross-check for review, never a record."""

    __tablename__ = "court_candidates"
    __pii_columns__: ClassVar[set[str]] = {"name"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))  # SHA-256 of the imported file
    row: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    masked_number: Mapped[str] = mapped_column(String(18))  # as the court published it
    case_code: Mapped[str] = mapped_column(String(100))
    court_name: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date)
    flags: Mapped[list[str]] = mapped_column(Json)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The reviewer's decision: the person confirmed (none when rejected), why, who and when.
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    reasons: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("source", "row"),)


class SqlCourtCandidates:
    def __init__(self, session: Session) -> None:
        self.session = session

    def imported(self, source: str) -> bool:
        found = self.session.scalar(
            select(CourtCandidateRow.id).where(CourtCandidateRow.source == source).limit(1)
        )
        return found is not None

    def add_many(self, candidates: Sequence[ReviewCandidate], *, at: datetime) -> None:
        self.session.add_all(
            CourtCandidateRow(
                source=c.source,
                row=c.row,
                name=c.name,
                masked_number=c.masked_number,
                case_code=c.case_code,
                court_name=c.court_name,
                published_on=c.published_on,
                flags=list(c.flags),
                matches=[
                    {"subject_id": m.subject_id, "inconsistencies": list(m.inconsistencies)}
                    for m in c.matches
                ],
                status="open",
                created_at=at,
            )
            for c in candidates
        )
        self.session.flush()

    def open(self, *, limit: int) -> list[ReviewCandidate]:
        rows = self.session.scalars(
            select(CourtCandidateRow)
            .where(CourtCandidateRow.status == "open")
            .order_by(CourtCandidateRow.id)
            .limit(limit)
        )
        return [_to_domain(r) for r in rows]

    def get(self, candidate_id: int) -> ReviewCandidate:
        row = self.session.get(CourtCandidateRow, candidate_id)
        if row is None:
            raise NotFound(f"court candidate {candidate_id} does not exist")
        return _to_domain(row)

    def decide(self, candidate: ReviewCandidate) -> None:
        row = self.session.get(CourtCandidateRow, candidate.id)
        if row is None:
            raise NotFound(f"court candidate {candidate.id} does not exist")
        row.status = candidate.status.value
        row.subject_id = candidate.subject_id
        row.reasons = candidate.reasons or None
        row.decided_by = candidate.decided_by
        row.decided_at = candidate.decided_at
        self.session.flush()


def _to_domain(r: CourtCandidateRow) -> ReviewCandidate:
    return ReviewCandidate(
        source=r.source,
        row=r.row,
        name=r.name,
        masked_number=r.masked_number,
        case_code=r.case_code,
        court_name=r.court_name,
        published_on=r.published_on,
        flags=tuple(r.flags),
        matches=tuple(
            CandidateMatch(m["subject_id"], tuple(m["inconsistencies"])) for m in r.matches
        ),
        id=r.id,
        status=CandidateStatus(r.status),
        subject_id=r.subject_id,
        reasons=r.reasons or "",
        decided_by=r.decided_by,
        decided_at=r.decided_at,
    )
