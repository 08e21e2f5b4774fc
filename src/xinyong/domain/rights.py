"""The person's rights as rules: objections, repair, authorisations, with their deadlines.

The figures come from `policy/rights.toml`; every deadline counts working days on the official
calendar. The rules here decide; services store and route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from xinyong.domain.calendar import Deadline, add_months, add_working_days
from xinyong.domain.errors import CatalogError, Conflict, Invalid, NotAllowed


@dataclass(frozen=True, slots=True)
class RightsPolicy:
    """The figures of `rights.toml`."""

    centre_check_working_days: int
    source_decide_working_days: int
    extension_working_days: int
    objection_grounds: tuple[str, ...]
    objection_outcomes: tuple[str, ...]
    repair_accept_working_days: int
    repair_feedback_working_days: int
    commitment_min_chars: int
    authorisation_max_months: int
    authorisation_scopes: tuple[str, ...]
    session_hours: int
    api_token_days: int
    min_password_chars: int
    max_failed_logins: int
    lockout_minutes: int
    log_retention_years: int

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> RightsPolicy:
        def number(section: str, key: str) -> int:
            value = data.get(section, {}).get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise CatalogError(file, section, key, "must be a whole number ≥ 0")
            return value

        def words(section: str, key: str) -> tuple[str, ...]:
            value = data.get(section, {}).get(key)
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) for v in value)
            ):
                raise CatalogError(file, section, key, "must be a non-empty list of strings")
            return tuple(value)

        return cls(
            centre_check_working_days=number("objections", "centre_check_working_days"),
            source_decide_working_days=number("objections", "source_decide_working_days"),
            extension_working_days=number("objections", "extension_working_days"),
            objection_grounds=words("objections", "grounds"),
            objection_outcomes=words("objections", "outcomes"),
            repair_accept_working_days=number("repairs", "accept_working_days"),
            repair_feedback_working_days=number("repairs", "feedback_working_days"),
            commitment_min_chars=number("repairs", "commitment_min_chars"),
            authorisation_max_months=number("authorisations", "max_months"),
            authorisation_scopes=words("authorisations", "scopes"),
            session_hours=number("accounts", "session_hours"),
            api_token_days=number("accounts", "api_token_days"),
            min_password_chars=number("accounts", "min_password_chars"),
            max_failed_logins=number("accounts", "max_failed_logins"),
            lockout_minutes=number("accounts", "lockout_minutes"),
            log_retention_years=number("queries", "log_retention_years"),
        )


# -- objections ----------------------------------------------------------------------------------


class ObjectionStatus(StrEnum):
    FILED = "filed"  # with the credit centre, which checks it against the source
    FORWARDED = "forwarded"  # with the source department, which decides
    DECIDED = "decided"


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
    outcome: str | None = None
    outcome_reasons: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None

    def forward(self, *, on: date, rules: RightsPolicy) -> Deadline:
        """The centre found no mismatch it can correct itself: the source decides by a deadline."""
        if self.status is not ObjectionStatus.FILED:
            raise Conflict(
                f"objection {self.id} is {self.status.value}; only a filed one is forwarded"
            )
        self.source_due = add_working_days(on, rules.source_decide_working_days)
        self.status = ObjectionStatus.FORWARDED
        return self.source_due

    def extend(self, *, rules: RightsPolicy) -> Deadline:
        """With approval, the source gets more working days, once."""
        if self.status is not ObjectionStatus.FORWARDED or self.source_due is None:
            raise Conflict(f"objection {self.id} is not with its source department")
        if self.extended:
            raise Conflict(f"objection {self.id} was extended already; it may be extended once")
        self.source_due = add_working_days(self.source_due.day, rules.extension_working_days)
        self.extended = True
        return self.source_due

    def decide(
        self, outcome: str, *, reasons: str, by: str, at: datetime, rules: RightsPolicy
    ) -> None:
        if self.status is ObjectionStatus.DECIDED:
            raise Conflict(f"objection {self.id} was decided already")
        if outcome not in rules.objection_outcomes:
            raise Invalid(f"outcome: must be one of {', '.join(rules.objection_outcomes)}")
        if outcome == "remove_from_list" and self.entry_id is None:
            raise Invalid("outcome: remove_from_list applies to an objection against a list entry")
        if not reasons.strip():
            raise Invalid("reasons: every outcome is given with written reasons")
        self.outcome = outcome
        self.outcome_reasons = reasons.strip()
        self.decided_at = at
        self.decided_by = by
        self.status = ObjectionStatus.DECIDED

    def due(self) -> Deadline:
        """The deadline that runs now: the centre's, then the source's."""
        if self.status is ObjectionStatus.FILED or self.source_due is None:
            return self.centre_due
        return self.source_due

    def is_overdue_on(self, day: date) -> bool:
        return self.status is not ObjectionStatus.DECIDED and day > self.due().day


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
    rules: RightsPolicy,
) -> Objection:
    if (record_id is None) == (entry_id is None):
        raise Invalid("an objection is against one record or one list entry")
    if ground not in rules.objection_grounds:
        raise Invalid(f"ground: must be one of {', '.join(rules.objection_grounds)}")
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


# -- repair --------------------------------------------------------------------------------------


class RepairStatus(StrEnum):
    APPLIED = "applied"
    MISSING_MATERIALS = "missing_materials"
    ACCEPTED = "accepted"
    REPAIRED = "repaired"
    REFUSED = "refused"


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
    repairable: bool,
    obligations_performed: bool,
    commitment: str,
    on: date,
    rules: RightsPolicy,
) -> RepairEligibility:
    """The conditions of DOMAIN.md §10, each checked; every unmet one is listed."""
    if not repairable:
        raise NotAllowed("this information cannot be repaired (the rules exclude it)")
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


# -- authorisations ------------------------------------------------------------------------------


@dataclass(slots=True)
class Authorisation:
    id: int | None
    subject_id: int
    grantee: str
    purpose: str
    scope: str
    expires_on: date
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None = None

    def is_live_on(self, day: date) -> bool:
        """Granted, not revoked, and not past its last day."""
        return self.revoked_at is None and day <= self.expires_on


def grant(
    *,
    subject_id: int,
    grantee: str,
    purpose: str,
    scope: str,
    expires_on: date,
    granted_by: str,
    at: datetime,
    on: date,
    rules: RightsPolicy,
) -> Authorisation:
    if scope not in rules.authorisation_scopes:
        raise Invalid(f"scope: must be one of {', '.join(rules.authorisation_scopes)}")
    if not purpose.strip():
        raise Invalid("purpose: say what the query is for")
    if expires_on < on:
        raise Invalid("expires_on: is in the past")
    longest = add_months(on, rules.authorisation_max_months)
    if expires_on > longest:
        raise Invalid(
            f"expires_on: at most {rules.authorisation_max_months} months ahead ({longest})"
        )
    return Authorisation(
        None, subject_id, grantee, purpose.strip(), scope, expires_on, granted_by, at
    )


# -- accounts, repairs and the feed as stored ----------------------------------------------------


@dataclass(slots=True)
class Account:
    """A person's real-name account (the password only as an argon2 hash)."""

    id: int | None
    subject_id: int
    phone: str
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None


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

    def decide(self, *, repaired: bool, reasons: str, by: str, at: datetime) -> None:
        if self.status in (RepairStatus.REPAIRED, RepairStatus.REFUSED):
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


@dataclass(frozen=True, slots=True)
class FeedItem:
    """What a party that once received an item must now know about it."""

    recipient: str
    #: under_objection, corrected, supplemented, display_stopped, removed_from_list, revoked,
    #: repaired or expired
    kind: str
    entity_type: str  # record or list_entry
    entity_id: int
    subject_key: int
    detail: str
    at: datetime
    seq: int | None = None
