"""Repair: an application to stop a negative record's publication, sharing and measures early.

The figures come from the `[repairs]` section of `policy/rights.toml`. See docs/rights.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from xinyong.domain.calendar import Deadline
from xinyong.domain.errors import CatalogError, Conflict, Invalid, NotAllowed
from xinyong.domain.figures import whole_number
from xinyong.domain.objections import NOT_ABOUT_SUBJECT, CaseStep


@dataclass(frozen=True, slots=True)
class RepairRules:
    """The `[repairs]` figures: acceptance and feedback deadlines, the commitment's length; and
    the catalog items whose records no application repairs (`[repairs.unrepairable]`: especially
    serious conduct a law declares unrepairable, each item with that law)."""

    accept_working_days: int
    feedback_working_days: int
    commitment_min_chars: int
    unrepairable: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> RepairRules:
        excluded = (data.get("repairs") or {}).get("unrepairable", {})
        if not isinstance(excluded, Mapping):
            raise CatalogError(file, "repairs", "unrepairable", "is a table: item code = its law")
        for code, basis in excluded.items():
            if not isinstance(basis, str) or not basis.strip():
                raise CatalogError(file, code, "unrepairable", "name the law that excludes it")
        feedback = whole_number(
            data,
            file,
            "repairs",
            "feedback_working_days",
            at_most=10,
            why="the applicant hears back within 10 working days (docs/domain.md §10)",
        )
        return cls(
            accept_working_days=whole_number(
                data,
                file,
                "repairs",
                "accept_working_days",
                at_most=min(3, feedback),
                why="the authority decides whether to accept within 3 working days, and before"
                " the applicant hears back (docs/domain.md §10)",
            ),
            feedback_working_days=feedback,
            commitment_min_chars=whole_number(data, file, "repairs", "commitment_min_chars"),
            unrepairable={str(code): str(basis).strip() for code, basis in excluded.items()},
        )


class RepairStatus(StrEnum):
    APPLIED = "applied"
    MISSING_MATERIALS = "missing_materials"
    ACCEPTED = "accepted"
    REPAIRED = "repaired"
    REFUSED = "refused"
    #: Closed undecided: the record was found to be another person's (an identity review).
    NOT_ABOUT_SUBJECT = NOT_ABOUT_SUBJECT


#: Where an application still waits for the applicant or the department.
OPEN_REPAIR = frozenset(
    {RepairStatus.APPLIED, RepairStatus.MISSING_MATERIALS, RepairStatus.ACCEPTED}
)
#: Where an application ended: decided, or closed because its record is another person's.
CLOSED_REPAIR = frozenset(
    {RepairStatus.REPAIRED, RepairStatus.REFUSED, RepairStatus.NOT_ABOUT_SUBJECT}
)


class RepairedByTheCourt(NotAllowed):
    """A court's finding is not repaired by the platform: the court that made it corrects or
    deletes it ("who finds, who repairs", docs/domain.md §7)."""

    def __init__(self, court: str) -> None:
        super().__init__(
            f"this is a court's finding: {court} corrects it or deletes it early (apply to that"
            " court in writing; it decides within 15 days, and its decision may be reviewed by"
            " the court above). The platform repairs no court finding."
        )
        self.court = court


def require_repairable_here(department_kind: str, department_name: str) -> None:
    """Refuse, naming the channel, an application to repair what only a court may undo."""
    if department_kind == "court":
        raise RepairedByTheCourt(department_name)


class Unrepairable(NotAllowed):
    """Especially serious conduct that a law declares unrepairable: no application repairs a
    record of this catalog item (`[repairs.unrepairable]`); the refusal names the law."""

    def __init__(self, item_code: str, basis: str) -> None:
        super().__init__(f"this information cannot be repaired under {basis} ({item_code})")
        self.item_code = item_code
        self.basis = basis


def require_repairable_item(item_code: str, rules: RepairRules) -> None:
    """Refuse an application to repair a record of an item the rules exclude from repair."""
    basis = rules.unrepairable.get(item_code)
    if basis is not None:
        raise Unrepairable(item_code, basis)


@dataclass(frozen=True, slots=True)
class RepairEligibility:
    """Whether an application may be made now, and if not, everything that is missing at once."""

    allowed_from: date | None
    missing: tuple[str, ...]

    @property
    def eligible(self) -> bool:
        return not self.missing


def repair_eligibility(
    *,
    repair_from: date | None,
    obligations_performed: bool,
    commitment: str,
    on: date,
    rules: RepairRules,
) -> RepairEligibility:
    """The conditions of docs/domain.md §10 an applicant can still meet, each checked; every
    unmet one is listed (what no applicant can meet is refused before: `require_repairable_item`,
    `require_repairable_here`)."""
    missing: list[str] = []
    if repair_from is not None and on < repair_from:
        missing.append(f"the minimum display period runs until {repair_from.isoformat()}")
    if not obligations_performed:
        missing.append("proof that the obligations the decision set are performed")
    if len(commitment.strip()) < rules.commitment_min_chars:
        missing.append(
            f"a signed credit commitment (at least {rules.commitment_min_chars} characters)"
        )
    return RepairEligibility(repair_from, tuple(missing))


@dataclass(slots=True)
class Repair:
    """A repair application, routed to the department that made the finding."""

    id: int | None
    subject_id: int
    record_id: int | None
    entry_id: int | None
    department: str
    status: RepairStatus
    obligations_performed: bool
    commitment: str
    missing: tuple[str, ...]
    applied_by: str
    applied_at: datetime
    accept_due: Deadline
    feedback_due: Deadline
    decided_at: datetime | None = None
    decided_by: str | None = None
    reasons: str | None = None

    def accept(self) -> None:
        """The department takes the application up (due within `accept_working_days`)."""
        if self.status is not RepairStatus.APPLIED:
            raise Conflict(
                f"repair {self.id} is {self.status.value}; only a complete application is accepted"
            )
        self.status = RepairStatus.ACCEPTED

    def supply(
        self,
        *,
        obligations_performed: bool,
        commitment: str,
        eligibility: RepairEligibility,
        accept_due: Deadline,
        feedback_due: Deadline,
    ) -> None:
        """The applicant supplies what the application lacked: it is complete once nothing is
        missing (`APPLIED`), and its deadlines then run from that day, the day it could be
        taken up; what still lacks is listed again, all at once."""
        if self.status is not RepairStatus.MISSING_MATERIALS:
            raise Conflict(
                f"repair {self.id} is {self.status.value}; only an application that lacks"
                " materials is supplied"
            )
        self.obligations_performed = obligations_performed
        self.commitment = commitment.strip()
        self.missing = eligibility.missing
        if eligibility.eligible:
            self.status = RepairStatus.APPLIED
            self.accept_due, self.feedback_due = accept_due, feedback_due

    @property
    def is_open(self) -> bool:
        """Whether the application still waits: applied, lacking materials, or accepted."""
        return self.status in OPEN_REPAIR

    def close_not_about_subject(self, *, reasons: str, by: str, at: datetime) -> None:
        """Close the application undecided (`NOT_ABOUT_SUBJECT`): its record is another
        person's now, so there is nothing of the applicant's to repair."""
        if not self.is_open:
            raise Conflict(f"repair {self.id} was {self.status.value} already")
        self.status = RepairStatus.NOT_ABOUT_SUBJECT
        self.reasons = reasons.strip()
        self.decided_at = at
        self.decided_by = by

    def decide(self, *, repaired: bool, reasons: str, by: str, at: datetime) -> None:
        if self.status in CLOSED_REPAIR:
            raise Conflict(f"repair {self.id} was decided already")
        if self.missing:
            raise Conflict(f"repair {self.id} still lacks: {'; '.join(self.missing)}")
        if not reasons.strip():
            raise Invalid("reasons: a repair decision gives its reasons")
        self.status = RepairStatus.REPAIRED if repaired else RepairStatus.REFUSED
        self.reasons = reasons.strip()
        self.decided_at = at
        self.decided_by = by

    def is_overdue_on(self, day: date) -> bool:
        open_ = self.status in (RepairStatus.APPLIED, RepairStatus.ACCEPTED)
        return open_ and day > self.feedback_due.day

    def steps(self) -> tuple[CaseStep, ...]:
        """The timeline: applied; accepted (by `accept_due`); the decision, which the applicant
        hears by `feedback_due`."""
        if self.status is RepairStatus.NOT_ABOUT_SUBJECT:  # closed before anyone decided it
            return (
                CaseStep("applied", True, self.applied_at),
                CaseStep("closed", True, self.decided_at),
            )
        decided = self.status in CLOSED_REPAIR
        accepted = decided or self.status is RepairStatus.ACCEPTED
        # Lacking materials, it waits for its applicant: no deadline runs until it is complete
        # (`supply` counts them from that day).
        running = self.status is not RepairStatus.MISSING_MATERIALS
        return (
            CaseStep("applied", True, self.applied_at),
            CaseStep("acceptance", accepted, None, self.accept_due if running else None),
            CaseStep("feedback", decided, self.decided_at, self.feedback_due if running else None),
        )
