"""The court's published list of dishonest judgment debtors, imported as a cross-check: each row
goes to the identity-review queue with the persons it may be and its flags, never to the
records (a masked number identifies nobody; docs/exchange.md, the court's published list). A
reviewer of the credit centre confirms which person a row means, or rejects it with reasons;
each decision is audited."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
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
from xinyong.domain.identifiers import mask_number

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class CandidateMatch:
    """A person the platform holds whom the row may mean, and what disagrees (none: all)."""

    subject_id: int
    inconsistencies: tuple[str, ...]


class CandidateStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"  # the reviewer found the person the row means
    REJECTED = "rejected"  # the row is none of the persons held


@dataclass(frozen=True, slots=True)
class ReviewCandidate:
    """One published row waiting for a reviewer, or decided by one."""

    source: str
    row: int
    name: str
    masked_number: str
    case_code: str
    court_name: str
    published_on: date
    flags: tuple[str, ...]
    matches: tuple[CandidateMatch, ...]
    id: int | None = None
    status: CandidateStatus = CandidateStatus.OPEN
    subject_id: int | None = None  # the person confirmed
    reasons: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None


class CourtCandidateRepository(Protocol):
    def imported(self, source: str) -> bool: ...
    def add_many(self, candidates: Sequence[ReviewCandidate], *, at: datetime) -> None: ...
    def open(self, *, limit: int) -> list[ReviewCandidate]: ...
    def get(self, candidate_id: int) -> ReviewCandidate: ...
    def decide(self, candidate: ReviewCandidate) -> None: ...


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


@dataclass(frozen=True, slots=True)
class HeldPerson:
    """A person the platform holds whom a candidate may mean, as the reviewer sees them: the
    number masked, the name, and what disagrees with the court's row."""

    subject_id: int
    masked_number: str
    name: str
    inconsistencies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CandidateCase:
    candidate: ReviewCandidate
    persons: tuple[HeldPerson, ...]


def candidate_case(uow: UnitOfWork, candidate_id: int) -> CandidateCase:
    """A candidate with the persons it may be (never a full number: the reviewer compares the
    court's masked number with the held number masked the same way, and the names)."""
    with uow:
        candidate = uow.candidates.get(candidate_id)
        persons = []
        for m in candidate.matches:
            subject = uow.subjects.get(m.subject_id)
            shown = mask_number(subject.number)
            persons.append(HeldPerson(m.subject_id, shown, subject.name, m.inconsistencies))
    return CandidateCase(candidate, tuple(persons))


def decide_candidate(
    uow: UnitOfWork,
    candidate_id: int,
    *,
    subject_id: int | None,
    reasons: str,
    actor: str,
) -> ReviewCandidate:
    """Confirm which person a published row means (`subject_id`: one of its matches; a match
    with inconsistencies only with the reviewer's reasons), or reject the row (`subject_id`
    None: it is none of the persons held; reasons required). Audited; decided once."""
    reasons = reasons.strip()
    with uow:
        candidate = uow.candidates.get(candidate_id)
        if candidate.status is not CandidateStatus.OPEN:
            raise Conflict(f"court candidate {candidate_id} was decided already")
        if subject_id is None:
            if not reasons:
                raise Invalid("reasons: say why the row is none of the persons held")
            status = CandidateStatus.REJECTED
        else:
            match = next((m for m in candidate.matches if m.subject_id == subject_id), None)
            if match is None:
                raise Invalid("subject_id: not one of the persons this row may be")
            if match.inconsistencies and not reasons:
                raise Invalid("reasons: say why the person is meant despite what disagrees")
            status = CandidateStatus.CONFIRMED
        at = uow.now()
        decided = replace(
            candidate,
            status=status,
            subject_id=subject_id,
            reasons=reasons,
            decided_by=actor,
            decided_at=at,
        )
        uow.candidates.decide(decided)
        uow.audit.add(
            AuditEvent(
                EventTag.COURT_CANDIDATE_DECIDED,
                actor,
                "court_candidate",
                str(candidate_id),
                at,
                data={"decision": status.value, "subject_id": subject_id},
            )
        )
        uow.commit()
    return decided
