"""Batches and their summaries: what happened to every row a department sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import get_close_matches
from enum import StrEnum

from xinyong.domain.catalog import COMMON_FIELDS, BannedFields, Catalog
from xinyong.domain.errors import FieldProblem
from xinyong.domain.identifiers import redact_id_numbers

#: The columns every row of a CSV batch needs, whatever its item: `validate_row` requires each
#: of them on every row, so a header without one of them would only refuse every row.
REQUIRED_COLUMNS = (
    "item",
    "document_number",
    "subject_id",
    "subject_name",
    "decision_date",
    "authority_name",
    "authority_uscc",
)


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
            open=self.status is BatchStatus.OPEN,
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
    #: Still being ingested (or interrupted): its counts grow as its chunks commit.
    open: bool = False

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


def header_problems(names: Sequence[str], catalog: Catalog, banned: BannedFields) -> list[str]:
    """What is wrong with a CSV batch's header, checked before any row: each column every row
    needs and the header lacks, and each column that no catalog item knows (with the known
    column it most resembles, when one does).

    A banned field is not a header problem: every row carrying it is refused with the statutory
    ban as its reason.
    """
    known = set(COMMON_FIELDS)
    for item in catalog:
        known.update(f.name for f in item.fields)
    problems: list[str] = []
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        them = "them" if len(missing) > 1 else "it"
        problems.append(f"no column {', '.join(missing)} (every row needs {them})")
    by_lower = {k.lower(): k for k in known}
    unknown: list[str] = []
    for name in names:
        if name in known or banned.match(name):
            continue
        close = get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.75)
        hint = f" (did you mean {by_lower[close[0]]}?)" if close else ""
        unknown.append(redact_id_numbers(name)[:64] + hint)
    if unknown:
        problems.append(f"no catalog {catalog.version} field is called {', '.join(unknown)}")
    return problems
