"""Objections: a person's claim that an item is wrong, its working-day clock, and its outcome.

The figures come from the `[objections]` section of `policy/rights.toml`: the credit centre's
check, the source department's decision, and one extension. A decision taken to administrative
reconsideration or to court keeps the item marked until the final decision is recorded. See
docs/rights.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from xinyong.domain.calendar import Deadline, add_working_days, working_days_between
from xinyong.domain.deadlines import DeadlineKind
from xinyong.domain.errors import Conflict, Invalid
from xinyong.domain.figures import bounded, whole_number, words
from xinyong.domain.identifiers import redact_id_numbers


@dataclass(frozen=True, slots=True)
class ObjectionRules:
    """The `[objections]` figures: deadlines in working days, grounds and outcomes."""

    centre_check_working_days: int
    source_decide_working_days: int
    extension_working_days: int
    grounds: tuple[str, ...]
    outcomes: tuple[str, ...]

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> ObjectionRules:
        """Read the figures; together the three deadlines take at most `LONGEST_OBJECTION`
        working days, the longest regime docs/domain.md §9 names."""
        rules = cls(
            centre_check_working_days=whole_number(
                data, file, "objections", "centre_check_working_days"
            ),
            source_decide_working_days=whole_number(
                data, file, "objections", "source_decide_working_days"
            ),
            extension_working_days=whole_number(data, file, "objections", "extension_working_days"),
            grounds=words(data, file, "objections", "grounds"),
            outcomes=words(data, file, "objections", "outcomes"),
        )
        bounded(
            rules.centre_check_working_days
            + rules.source_decide_working_days
            + rules.extension_working_days,
            file,
            "objections",
            "centre_check_working_days + source_decide_working_days + extension_working_days",
            at_most=LONGEST_OBJECTION,
            why=f"an objection is decided within {LONGEST_OBJECTION} working days at the longest"
            " (docs/domain.md §9)",
        )
        return rules


#: The longest an objection may take, in working days, extension included: the longest regime
#: docs/domain.md §9 names (Zhejiang, 5 up to 20; credit bureaus, 20).
LONGEST_OBJECTION = 20


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One step of a case's timeline (an objection's, a repair application's): done or not, when
    it was done if that is known, and the working-day deadline it runs against."""

    code: str  # filed, centre_check, source_decision, decided; applied, acceptance, feedback
    done: bool
    at: datetime | None = None
    due: Deadline | None = None
    extended: bool = False


class ObjectionStatus(StrEnum):
    FILED = "filed"  # with the credit centre, which checks it against the source
    FORWARDED = "forwarded"  # with the source department, which decides
    DECIDED = "decided"
    # decided, then taken to administrative reconsideration or to court: marked again until the
    # final decision is recorded
    CHALLENGED = "challenged"


#: How a person may challenge an objection's decision: administrative reconsideration (行政复议)
#: or an administrative lawsuit (行政诉讼).
CHALLENGE_KINDS = ("reconsideration", "litigation")
#: The longest case number a challenge may cite.
MAX_CHALLENGE_REFERENCE = 100
#: The longest name of who approved an extension, and of the approval's reference.
MAX_APPROVED_BY = 100
MAX_APPROVAL_REFERENCE = 100
#: The longest reasons an extension may give.
MAX_EXTENSION_REASONS = 2000
#: What stops an objection's clock: testing or inspection (检验检测) and expert review (专家评审);
#: the working days they take are not counted toward the deadline that runs.
PAUSE_KINDS = ("testing", "expert_review")
#: How a case closes when no one decides it: the record it is about was found to be another
#: person's (an identity review moved it to them), so the person who filed it has nothing left
#: to object to or to repair. Not one of the policy's outcomes: no department chooses it.
NOT_ABOUT_SUBJECT = "not_about_subject"


@dataclass(frozen=True, slots=True)
class Challenge:
    """A decision taken to reconsideration or to court: by what, under which case number, when it
    was recorded and by whom, the outcome challenged, and when the final decision was (None
    while it runs; the objection's `outcome` is then the final one)."""

    kind: str
    reference: str
    at: datetime
    by: str
    challenged_outcome: str
    concluded_at: datetime | None = None
    concluded_by: str | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    """The source department's deadline extended with approval: why (`reasons`), who approved
    it (`approved_by`: the approving official or body) and the approval's reference (a document
    number)."""

    reasons: str
    approved_by: str
    approval_reference: str


def extension_of(*, reasons: str, approved_by: str, approval_reference: str) -> Extension:
    """An extension as given, trimmed; each part is required, and neither who approved it nor
    its reference may be an ID number."""
    reasons, approved_by = reasons.strip(), approved_by.strip()
    approval_reference = approval_reference.strip()
    if not reasons:
        raise Invalid("reasons: say why the source department needs more time")
    if len(reasons) > MAX_EXTENSION_REASONS:
        raise Invalid(f"reasons: at most {MAX_EXTENSION_REASONS} characters")
    for field, value, limit, what in (
        ("approved_by", approved_by, MAX_APPROVED_BY, "the official or body that approved it"),
        ("approval_reference", approval_reference, MAX_APPROVAL_REFERENCE, "its document number"),
    ):
        if not value:
            raise Invalid(f"{field}: an extension needs its approval; give {what}")
        if len(value) > limit:
            raise Invalid(f"{field}: at most {limit} characters")
        if redact_id_numbers(value) != value:
            raise Invalid(f"{field}: {what}, not an ID number")
    return Extension(reasons, approved_by, approval_reference)


@dataclass(slots=True)
class Objection:
    """An objection and its clock: the centre checks, the source decides, an outcome closes it."""

    id: int | None
    subject_id: int
    record_id: int | None
    entry_id: int | None
    department: str
    ground: str
    reasons: str
    status: ObjectionStatus
    filed_by: str
    filed_at: datetime
    centre_due: Deadline
    source_due: Deadline | None = None
    extended: bool = False
    #: Why and on whose approval it was extended (None: not extended, or extended before the
    #: approval was kept).
    extension: Extension | None = None
    outcome: str | None = None
    outcome_reasons: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    challenge: Challenge | None = None
    #: Since when the clock stands still for testing or expert review (None: it runs), and why.
    paused_since: date | None = None
    pause_kind: str | None = None
    #: Working days the deadlines were moved by earlier pauses, in all.
    paused_working_days: int = 0

    @property
    def keeps_mark(self) -> bool:
        """Whether the item stays marked "under objection" for this objection: until it is
        decided, and again while its decision is challenged."""
        return self.status is not ObjectionStatus.DECIDED

    def forward(self, *, on: date, rules: ObjectionRules) -> Deadline:
        """The centre found no mismatch it can correct itself: the source decides by a deadline."""
        if self.status is not ObjectionStatus.FILED:
            raise Conflict(
                f"objection {self.id} is {self.status.value}; only a filed one is forwarded"
            )
        if self.paused_since is not None:
            raise Conflict(f"objection {self.id} is paused; resume it with the result first")
        self.source_due = add_working_days(on, rules.source_decide_working_days)
        self.status = ObjectionStatus.FORWARDED
        return self.source_due

    def extend(self, extension: Extension, *, rules: ObjectionRules) -> Deadline:
        """With approval (`extension`: its reasons, who approved it and under which reference),
        the source gets more working days, once."""
        if self.status is not ObjectionStatus.FORWARDED or self.source_due is None:
            raise Conflict(f"objection {self.id} is not with its source department")
        if self.extended:
            raise Conflict(f"objection {self.id} was extended already; it may be extended once")
        self.source_due = self.source_due.extended(rules.extension_working_days)
        self.extended = True
        self.extension = extension
        return self.source_due

    def pause(self, kind: str, *, on: date) -> None:
        """Testing or expert review begins: the deadline that runs stands still from `on`."""
        if not self.has_clock:
            raise Conflict(f"objection {self.id} is {self.status.value}; no deadline runs")
        if self.paused_since is not None:
            raise Conflict(f"objection {self.id} is paused already since {self.paused_since}")
        if kind not in PAUSE_KINDS:
            raise Invalid(f"kind: must be one of {', '.join(PAUSE_KINDS)}")
        self.paused_since = on
        self.pause_kind = kind

    def resume(self, *, on: date) -> int:
        """Testing or expert review is over: the deadline that runs moves by the working days
        after the pause began up to and including `on`, which are not counted; return them."""
        if self.paused_since is None:
            raise Conflict(f"objection {self.id} is not paused")
        days = working_days_between(self.paused_since, max(on, self.paused_since))
        if self.status is ObjectionStatus.FILED:
            self.centre_due = self.centre_due.extended(days)
        elif self.source_due is not None:
            self.source_due = self.source_due.extended(days)
        self.paused_working_days += days
        self.paused_since = None
        self.pause_kind = None
        return days

    def challenge_decision(self, kind: str, *, reference: str, by: str, at: datetime) -> None:
        """The person took the decision to reconsideration or to court (`kind`, under the case
        number `reference`): the case is open again until its final decision (`decide`)."""
        if self.status is not ObjectionStatus.DECIDED:
            raise Conflict(
                f"objection {self.id} is {self.status.value}; only a decided one is challenged"
            )
        if kind not in CHALLENGE_KINDS:
            raise Invalid(f"kind: must be one of {', '.join(CHALLENGE_KINDS)}")
        reference = reference.strip()
        if not reference:
            raise Invalid("reference: give the case number of the reconsideration or the lawsuit")
        if len(reference) > MAX_CHALLENGE_REFERENCE:
            raise Invalid(f"reference: at most {MAX_CHALLENGE_REFERENCE} characters")
        if redact_id_numbers(reference) != reference:
            raise Invalid("reference: a case number, not an ID number")
        self.challenge = Challenge(kind, reference, at, by, self.outcome or "")
        self.status = ObjectionStatus.CHALLENGED

    def decide(
        self, outcome: str, *, reasons: str, by: str, at: datetime, rules: ObjectionRules
    ) -> None:
        """Decide with written reasons; a challenged case takes its final decision here, and its
        first decision's time stays what its deadlines are measured against."""
        if self.status is ObjectionStatus.DECIDED:
            raise Conflict(f"objection {self.id} was decided already")
        if self.paused_since is not None:
            raise Conflict(
                f"objection {self.id} is paused for {self.pause_kind} since {self.paused_since};"
                " resume it with the result first"
            )
        if outcome not in rules.outcomes:
            raise Invalid(f"outcome: must be one of {', '.join(rules.outcomes)}")
        if outcome == "remove_from_list" and self.entry_id is None:
            raise Invalid("outcome: remove_from_list applies to an objection against a list entry")
        if not reasons.strip():
            raise Invalid("reasons: every outcome is given with written reasons")
        self._close(outcome, reasons, by=by, at=at)

    def close_not_about_subject(self, *, reasons: str, by: str, at: datetime) -> None:
        """Close the case undecided (`NOT_ABOUT_SUBJECT`): its record is another person's now.
        A paused clock stops with it; a decided case, challenged or not, stays as it was."""
        if self.status not in (ObjectionStatus.FILED, ObjectionStatus.FORWARDED):
            # A challenged decision is before a reviewing body or a court: not the platform's
            # to close, and its outcome is the department's.
            raise Conflict(f"objection {self.id} was decided already")
        if self.record_id is None:
            raise Conflict(f"objection {self.id} is about a list entry, not a record")
        self.paused_since = None
        self.pause_kind = None
        self._close(NOT_ABOUT_SUBJECT, reasons, by=by, at=at)

    def _close(self, outcome: str, reasons: str, *, by: str, at: datetime) -> None:
        """End the case with `outcome`: a challenged decision's challenge concludes (the first
        decision's day and author stay), any other case is decided now."""
        self.outcome = outcome
        self.outcome_reasons = reasons.strip()
        if self.status is ObjectionStatus.CHALLENGED and self.challenge is not None:
            self.challenge = replace(self.challenge, concluded_at=at, concluded_by=by)
        else:
            self.decided_at = at
            self.decided_by = by
        self.status = ObjectionStatus.DECIDED

    def due(self) -> Deadline:
        """The deadline that runs now: the centre's, then the source's."""
        if self.status is ObjectionStatus.FILED or self.source_due is None:
            return self.centre_due
        return self.source_due

    @property
    def due_kind(self) -> DeadlineKind:
        """The kind of the deadline that runs now (`due`)."""
        if self.status is ObjectionStatus.FILED or self.source_due is None:
            return DeadlineKind.OBJECTION_CHECK
        return DeadlineKind.OBJECTION_DECISION

    @property
    def has_clock(self) -> bool:
        """Whether a platform deadline applies (the centre's or the source's), running or stopped
        for testing or expert review; a decided case has none, and a challenged one runs on the
        reconsideration body's or the court's time."""
        return self.status in (ObjectionStatus.FILED, ObjectionStatus.FORWARDED)

    @property
    def clock_runs(self) -> bool:
        """Whether a platform deadline runs now: it applies and is not stopped."""
        return self.has_clock and self.paused_since is None

    def in_hands_of(self, department: str | None) -> bool:
        """Whether `department` (None: the credit centre) may take the case's next step (decide
        it, stop or start its clock): the centre always, the source department once the centre
        has forwarded it. Which department a case is routed to is checked apart."""
        return department is None or self.status is not ObjectionStatus.FILED

    def is_overdue_on(self, day: date) -> bool:
        """Past the deadline that runs now (`clock_runs`)."""
        return self.clock_runs and day > self.due().day

    def steps(self) -> tuple[CaseStep, ...]:
        """The timeline: filed; the centre's check (by `centre_due`); the source's decision (by
        `source_due`, once forwarded); the outcome. A step not reached yet shows its deadline
        when it is known."""
        if self.outcome == NOT_ABOUT_SUBJECT:  # nobody checked or decided it: it was closed
            return (
                CaseStep("filed", True, self.filed_at),
                CaseStep("closed", True, self.decided_at),
            )
        decided = self.decided_at is not None
        steps = (
            CaseStep("filed", True, self.filed_at),
            CaseStep(
                "centre_check", self.status is not ObjectionStatus.FILED, None, self.centre_due
            ),
            CaseStep("source_decision", decided, None, self.source_due, self.extended),
            CaseStep("decided", decided, self.decided_at),
        )
        if self.challenge is None:
            return steps
        concluded = self.challenge.concluded_at
        return (
            *steps,
            CaseStep("challenged", True, self.challenge.at),
            CaseStep("challenge_concluded", concluded is not None, concluded),
        )


def file_objection(
    *,
    subject_id: int,
    record_id: int | None,
    entry_id: int | None,
    department: str,
    ground: str,
    reasons: str,
    filed_by: str,
    at: datetime,
    on: date,
    rules: ObjectionRules,
) -> Objection:
    if (record_id is None) == (entry_id is None):
        raise Invalid("an objection is against one record or one list entry")
    if ground not in rules.grounds:
        raise Invalid(f"ground: must be one of {', '.join(rules.grounds)}")
    if not reasons.strip():
        raise Invalid("reasons: say what is wrong")
    return Objection(
        id=None,
        subject_id=subject_id,
        record_id=record_id,
        entry_id=entry_id,
        department=department,
        ground=ground,
        reasons=reasons.strip(),
        status=ObjectionStatus.FILED,
        filed_by=filed_by,
        filed_at=at,
        centre_due=add_working_days(on, rules.centre_check_working_days),
    )
