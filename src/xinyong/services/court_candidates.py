"""The court's published list of dishonest judgment debtors, imported as a cross-check: each row
goes to the identity-review queue with the persons it may be and its flags, never to the
records (a masked number identifies nobody; docs/exchange.md, the court's published list)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.court_list import (
    KnownPerson,
    court_flags,
    match_candidate,
    parse_published_list,
    read_published_rows,
)
from xinyong.domain.errors import Conflict, FieldProblem, Invalid

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class CandidateMatch:
    """A person the platform holds whom the row may mean, and what disagrees (none: all)."""

    subject_id: int
    inconsistencies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReviewCandidate:
    """One published row waiting for a reviewer."""

    source: str
    row: int
    name: str
    masked_number: str
    case_code: str
    court_name: str
    published_on: date
    flags: tuple[str, ...]
    matches: tuple[CandidateMatch, ...]


class CourtCandidateRepository(Protocol):
    def imported(self, source: str) -> bool: ...
    def add_many(self, candidates: Sequence[ReviewCandidate], *, at: datetime) -> None: ...
    def open(self, *, limit: int) -> list[ReviewCandidate]: ...


@dataclass(frozen=True, slots=True)
class CourtImport:
    candidates: int
    matched: int  # rows that agree with at least one person the platform holds
    flagged: int  # rows with a court inconsistency or a disagreeing match
    problems: list[FieldProblem]


def import_court_list(uow: UnitOfWork, text: str, *, actor: str) -> CourtImport:
    """Read a file in the court's published layout; every readable row becomes a review
    candidate with its matches and flags. A file imported before is refused (Conflict)."""
    try:
        rows = read_published_rows(text)
    except ValueError as exc:
        raise Invalid(f"the file is neither a JSON array nor JSON Lines: {exc}") from None
    parsed = parse_published_list(rows)
    source = hashlib.sha256(text.encode()).hexdigest()
    with uow:
        if uow.candidates.imported(source):
            raise Conflict("this file was imported already")
        found: list[ReviewCandidate] = []
        for c in parsed.candidates:
            persons = []
            if c.is_person and c.masked_number[6:10].isdigit():
                persons = [
                    KnownPerson(s.id or 0, s.number, s.name)
                    for s in uow.subjects.persons_born(
                        c.masked_number[:6], int(c.masked_number[6:10])
                    )
                ]
            matches = tuple(
                CandidateMatch(m.person_id, m.inconsistencies) for m in match_candidate(c, persons)
            )
            found.append(
                ReviewCandidate(
                    source=source,
                    row=c.row,
                    name=c.name,
                    masked_number=c.masked_number,
                    case_code=c.case_code,
                    court_name=c.court_name,
                    published_on=c.published_on,
                    flags=tuple(court_flags(c)),
                    matches=matches,
                )
            )
        at = uow.now()
        uow.candidates.add_many(found, at=at)
        uow.audit.add(
            AuditEvent(
                EventTag.COURT_LIST_IMPORTED,
                actor,
                "court_list",
                source[:16],
                at,
                data={"candidates": len(found), "problems": len(parsed.problems)},
            )
        )
        uow.commit()
    return CourtImport(
        candidates=len(found),
        matched=sum(1 for c in found if any(not m.inconsistencies for m in c.matches)),
        flagged=sum(1 for c in found if c.flags or any(m.inconsistencies for m in c.matches)),
        problems=parsed.problems,
    )


def open_candidates(uow: UnitOfWork, *, limit: int = 100) -> list[ReviewCandidate]:
    with uow:
        return uow.candidates.open(limit=limit)
