"""Batches and their summaries: what happened to every row a department sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from xinyong.domain.errors import FieldProblem


class BatchSource(StrEnum):
    FILE = "file"
    API = "api"


class BatchStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    FAILED = "failed"  # the input as a whole could not be read (header, encoding); nothing after it


@dataclass(slots=True)
class Batch:
    """One submission of many rows, and how far it is stored. Counters move only with commits."""

    id: int
    department: str
    source: BatchSource
    filename: str | None
    sha256: str | None
    status: BatchStatus
    rows_done: int
    accepted: int
    updated: int
    unchanged: int
    rejected: int
    held: int
    actor: str
    received_at: datetime
    completed_at: datetime | None = None

    def notes(self) -> list[str]:
        """What a reader of the batch's summary must know about where it stands."""
        if self.status is BatchStatus.OPEN:
            return ["the batch is still open: an interrupted file batch resumes when sent again"]
        if self.status is BatchStatus.FAILED:
            return ["the batch failed: its input could not be read past the rows counted here"]
        return []

    def summary(self, rejects: list[FieldProblem]) -> IngestSummary:
        """The batch as stored, with its refused rows."""
        return IngestSummary(
            batch_id=self.id,
            rows=self.rows_done,
            accepted=self.accepted,
            updated=self.updated,
            unchanged=self.unchanged,
            rejected=self.rejected,
            held_for_review=self.held,
            errors=rejects,
            notes=self.notes(),
        )


@dataclass(slots=True)
class IngestSummary:
    """What a batch did, row by row: counts, and every rejected row with its field and reason."""

    batch_id: int | None = None
    rows: int = 0
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    held_for_review: int = 0
    resumed_from_row: int = 0
    errors: list[FieldProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "rows": self.rows,
            "accepted": self.accepted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "held_for_review": self.held_for_review,
            "resumed_from_row": self.resumed_from_row,
            "errors": [e.as_dict() for e in self.errors],
            "notes": self.notes,
        }
