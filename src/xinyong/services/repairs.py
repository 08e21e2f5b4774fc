"""Repair as use cases: one window for every application, routed to the department that made
the finding ("who finds, who repairs"); success stops publication, sharing and measures at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import add_working_days, business_date
from xinyong.domain.errors import Conflict, DomainError, Invalid, NotRouted, NotYours
from xinyong.domain.exchange import EventKind
from xinyong.domain.feed import FeedKind
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus
from xinyong.domain.repairs import (
    Repair,
    RepairStatus,
    repair_eligibility,
    require_repairable_here,
    require_repairable_item,
)
from xinyong.services.audit import misroutes_audited
from xinyong.services.evidence import CaseType, evidence_kind
from xinyong.services.feed import key_of, notify_many, record_notices
from xinyong.services.list_bases import end_on_ground, entries_resting_on
from xinyong.services.outbound import queue_record

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class RepairRepository(Protocol):
    def add(self, repair: Repair) -> int: ...
    def get(self, repair_id: int) -> Repair: ...
    def save(self, repair: Repair) -> None: ...
    def of_subject(self, subject_id: int) -> list[Repair]: ...
    def open(self, department: str | None) -> list[Repair]: ...


class RepairTooEarly(Conflict):
    def __init__(self, allowed_from: date) -> None:
        super().__init__(
            f"repair may be applied for from {allowed_from.isoformat()}, when the minimum display"
            " period has passed"
        )
        self.allowed_from = allowed_from


def _require_negative_in_force(policy: Policy, record: CreditRecord) -> None:
    """Only negative information in force has anything to repair."""
    item = policy.item_of(record)
    if item is None or item.nature.value != "negative":
        raise Invalid(f"record {record.id} is not negative information: nothing to repair")
    if record.status is not RecordStatus.ACTIVE:
        raise Conflict(f"record {record.id} is {record.status.value}: nothing to repair")


def _require_repairable_now(
    uow: UnitOfWork,
    policy: Policy,
    record: CreditRecord,
    applications: Sequence[Repair],
    today: date,
) -> None:
    """Refuse what an application for this record would be refused for today: what
    `_require_repairable` refuses, or the minimum display period not yet passed."""
    _require_repairable(uow, policy, record, applications)
    if record.repair_from is not None and today < record.repair_from:
        raise RepairTooEarly(record.repair_from)


def _require_repairable(
    uow: UnitOfWork, policy: Policy, record: CreditRecord, applications: Sequence[Repair]
) -> None:
    """Refuse, whatever the day, an application for this record: conduct a law declares
    unrepairable, a court's finding (the court repairs it), or another application for it still
    open, or lacking materials (which is completed rather than doubled)."""
    require_repairable_item(record.item_code, policy.repairs)
    finder = uow.departments.get(record.department)
    if finder is not None:
        require_repairable_here(finder.kind, finder.name)
    for r in applications:
        if r.record_id != record.id:
            continue
        if r.status is RepairStatus.MISSING_MATERIALS:
            raise Conflict(
                f"repair application {r.id} for record {record.id} lacks materials: supply them"
                " to it rather than applying again"
            )
        if r.status in (RepairStatus.APPLIED, RepairStatus.ACCEPTED):
            raise Conflict(f"a repair application for record {record.id} is already open")


def repair_refusals(
    uow: UnitOfWork, policy: Policy, subject_id: int
) -> dict[int, DomainError | None]:
    """The person's negative records in force, each with what an application to repair it made
    today would be refused for (None: it would be taken), by the rules `apply_for_repair` applies.
    """
    with uow:
        today = business_date(uow.now())
        applications = uow.repairs.of_subject(subject_id)
        found: dict[int, DomainError | None] = {}
        for record in uow.records.of_subject(subject_id):
            try:
                _require_negative_in_force(policy, record)
            except DomainError:
                continue  # nothing to repair: not offered, and nothing to explain
            try:
                _require_repairable_now(uow, policy, record, applications, today)
                found[record.id] = None
            except DomainError as exc:
                found[record.id] = exc
        return found


def apply_for_repair(
    uow: UnitOfWork,
    policy: Policy,
    *,
    subject_id: int,
    record_id: int,
    obligations_performed: bool,
    commitment: str,
    evidence: Sequence[tuple[str, str, bytes]] = (),
    actor: str,
) -> Repair:
    """One window for every kind of negative record; routed to the department that found it.
    Another person's record does not exist for the person, and the reach is audited."""
    with misroutes_audited(uow, actor=actor, department=None), uow:
        record = uow.records.get(record_id)
        if record.subject_id != subject_id:
            raise NotYours(
                f"record {record_id}", action="repair:apply", subject_id=record.subject_id
            )
        _require_negative_in_force(policy, record)
        now = uow.now()
        today = business_date(now)
        _require_repairable_now(uow, policy, record, uow.repairs.of_subject(subject_id), today)
        eligibility = repair_eligibility(
            repair_from=record.repair_from,
            obligations_performed=obligations_performed,
            commitment=commitment,
            on=today,
            rules=policy.repairs,
        )
        repair = Repair(
            id=None,
            subject_id=subject_id,
            record_id=record_id,
            entry_id=None,
            department=record.department,
            status=RepairStatus.APPLIED if eligibility.eligible else RepairStatus.MISSING_MATERIALS,
            obligations_performed=obligations_performed,
            commitment=commitment.strip(),
            missing=eligibility.missing,
            applied_by=actor,
            applied_at=now,
            accept_due=add_working_days(today, policy.repairs.accept_working_days),
            feedback_due=add_working_days(today, policy.repairs.feedback_working_days),
        )
        uow.repairs.add(repair)
        for filename, _, content in evidence:
            uow.evidence.add(
                CaseType.REPAIR,
                repair.id or 0,
                filename=filename,
                content_type=evidence_kind(content),
                content=content,
                at=now,
            )
        uow.audit.add(
            AuditEvent(
                EventTag.REPAIR_APPLIED,
                actor,
                "repair",
                str(repair.id),
                now,
                subject_id=subject_id,
                data={"record": record_id, "missing": list(eligibility.missing)},
            )
        )
        uow.commit()
    return repair


def supply_materials(
    uow: UnitOfWork,
    policy: Policy,
    repair_id: int,
    *,
    subject_id: int,
    obligations_performed: bool,
    commitment: str,
    actor: str,
) -> Repair:
    """The applicant supplies what an application lacked (`Repair.supply`): the conditions are
    checked again today, and a complete application goes to its department with its deadlines
    counted from today. Another person's application does not exist for the person, and the
    reach is audited."""
    with misroutes_audited(uow, actor=actor, department=None), uow:
        repair = uow.repairs.get(repair_id)
        if repair.subject_id != subject_id:
            raise NotYours(
                f"repair application {repair_id}",
                action="repair:supply",
                subject_id=repair.subject_id,
            )
        if repair.record_id is None:
            raise Conflict(f"repair {repair_id} names no record: nothing to supply")
        record = uow.records.get(repair.record_id)
        if record.subject_id != subject_id:  # moved to another person by an identity review
            raise NotYours(
                f"record {record.id}", action="repair:supply", subject_id=record.subject_id
            )
        _require_negative_in_force(policy, record)
        # As the rules stand today, beside the person's other applications; the minimum
        # display period is a missing condition here, listed with the rest.
        others = [r for r in uow.repairs.of_subject(subject_id) if r.id != repair_id]
        _require_repairable(uow, policy, record, others)
        now = uow.now()
        today = business_date(now)
        eligibility = repair_eligibility(
            repair_from=record.repair_from,
            obligations_performed=obligations_performed,
            commitment=commitment,
            on=today,
            rules=policy.repairs,
        )
        repair.supply(
            obligations_performed=obligations_performed,
            commitment=commitment,
            eligibility=eligibility,
            accept_due=add_working_days(today, policy.repairs.accept_working_days),
            feedback_due=add_working_days(today, policy.repairs.feedback_working_days),
        )
        uow.repairs.save(repair)
        uow.audit.add(
            AuditEvent(
                EventTag.REPAIR_SUPPLIED,
                actor,
                "repair",
                str(repair_id),
                now,
                subject_id=subject_id,
                data={"record": repair.record_id, "missing": list(eligibility.missing)},
            )
        )
        uow.commit()
    return repair


def _routed(uow: UnitOfWork, repair_id: int, department: str | None, *, step: str) -> Repair:
    """The application, if it is routed to `department` (the centre, None: any); another
    department's is `NotRouted` for the `repair:{step}` it was reached for."""
    repair = uow.repairs.get(repair_id)
    if department is not None and repair.department != department:
        raise NotRouted(
            f"repair application {repair_id}", action=f"repair:{step}", subject_id=repair.subject_id
        )
    return repair


def accept_repair(uow: UnitOfWork, repair_id: int, *, department: str | None, actor: str) -> Repair:
    """The department accepts a complete application; the feedback deadline keeps running."""
    with misroutes_audited(uow, actor=actor, department=department), uow:
        repair = _routed(uow, repair_id, department, step="accept")
        repair.accept()
        uow.repairs.save(repair)
        uow.audit.add(
            AuditEvent(
                EventTag.REPAIR_ACCEPTED,
                actor,
                "repair",
                str(repair_id),
                uow.now(),
                subject_id=repair.subject_id,
            )
        )
        uow.commit()
    return repair


def decide_repair(
    uow: UnitOfWork,
    policy: Policy,
    repair_id: int,
    *,
    repaired: bool,
    reasons: str,
    department: str | None,
    actor: str,
) -> Repair:
    """Decide a repair: success stops publication, sharing and measures at once."""
    with misroutes_audited(uow, actor=actor, department=department), uow:
        repair = _routed(uow, repair_id, department, step="decide")
        now = uow.now()
        today = business_date(now)
        repair.decide(repaired=repaired, reasons=reasons, by=actor, at=now)
        uow.repairs.save(repair)
        if repaired and repair.record_id is not None:
            record = uow.records.get(repair.record_id)
            # kept in the archive, not deleted: its archive years count from today
            record.repair(at=now, archive_years=policy.archive_years(record))
            uow.records.save_status(record)
            queue_record(uow, policy, record, EventKind.RECORD_REPAIRED)
            ended = [
                entry
                for entry in entries_resting_on(uow, policy, record)
                if "repair" in entry.list_type.exit_grounds
                and end_on_ground(uow, policy, entry, "repair", today, actor=actor)
            ]
            # Whoever was given the record or a listing it ended is told, once.
            why = repair.reasons or ""
            subject = uow.subjects.get(repair.subject_id)
            notices = record_notices(
                key_of(subject), FeedKind.REPAIRED, record, ended, record_detail=why,
                entry_detail=why,
            )  # fmt: skip
            notify_many(uow, notices, acknowledgements=policy.acknowledgements, once=True)
        uow.audit.add(
            AuditEvent(
                EventTag.REPAIR_DECIDED,
                actor,
                "repair",
                str(repair_id),
                now,
                subject_id=repair.subject_id,
                reason=reasons,
                data={"repaired": repaired},
            )
        )
        uow.commit()
    return repair


def repair_queue(uow: UnitOfWork, *, department: str | None) -> list[Repair]:
    with uow:
        cases = uow.repairs.open(department)
    return sorted(cases, key=lambda r: (r.feedback_due.day, r.id or 0))


def repairs_of(uow: UnitOfWork, subject_id: int) -> list[Repair]:
    """The person's own repair applications."""
    with uow:
        return uow.repairs.of_subject(subject_id)


def repair_case(
    uow: UnitOfWork,
    repair_id: int,
    *,
    department: str | None,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> Repair:
    """One repair application as staff see it (a department only those routed to it; reaching
    for another's is audited through `refusals`, `uow` itself unless it only reads)."""
    with misroutes_audited(refusals or uow, actor=actor, department=department), uow:
        return _routed(uow, repair_id, department, step="read")
