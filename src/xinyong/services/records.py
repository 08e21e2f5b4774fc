"""Single records: submit one, read one, revoke one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.errors import NotFound
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, Outcome, validate_row
from xinyong.services.ingest import require_department, store_submissions
from xinyong.services.ports import UnitOfWork, business_date


@dataclass(frozen=True, slots=True)
class Stored:
    """The outcome of one submission and the record it landed in."""

    outcome: Outcome
    record: CreditRecord
    subject_number: str
    held_for_review: bool


def submit_record(
    uow: UnitOfWork, policy: Policy, raw: Mapping[str, object], *, department: str, actor: str
) -> Stored:
    """Validate and store one record; raise RowRejected naming each bad field."""
    with uow:
        dept = require_department(uow, department)
        submission = validate_row(
            raw, row=0, department=dept, gate=policy.gate(business_date(uow.now()))
        )
        result = store_submissions(uow, [submission], batch_id=None, actor=actor, want_ids=True)
        record = uow.records.get(result.record_ids[0])
        if result.accepted:
            outcome = Outcome.ACCEPTED
            uow.audit.add(
                AuditEvent(
                    EventTag.RECORD_ACCEPTED,
                    actor,
                    "record",
                    str(record.id),
                    uow.now(),
                    subject_id=record.subject_id,
                    data={"item": record.item_code, "severity": record.severity},
                )
            )
        elif result.updated:
            outcome = Outcome.UPDATED
        else:
            outcome = Outcome.UNCHANGED
        subject_number = uow.subjects.get(record.subject_id).number
        uow.commit()
    return Stored(outcome, record, subject_number, bool(result.held))


def get_record(
    uow: UnitOfWork, record_id: int, *, department: str | None
) -> tuple[CreditRecord, str]:
    """Return a record and its subject's number; a department sees only its own records."""
    with uow:
        record = uow.records.get(record_id)
        if department is not None and record.department != department:
            raise NotFound(f"record {record_id} does not exist")
        return record, uow.subjects.get(record.subject_id).number


def revoke_record(
    uow: UnitOfWork, record_id: int, *, department: str | None, reason: str, actor: str
) -> tuple[CreditRecord, str]:
    """Withdraw a record because the decision behind it was revoked or varied."""
    with uow:
        record = uow.records.get(record_id)
        if department is not None and record.department != department:
            raise NotFound(f"record {record_id} does not exist")  # do not reveal others' records
        at = uow.now()
        record.revoke(reason=reason, at=at)
        uow.records.save_status(record)
        uow.audit.add(
            AuditEvent(
                EventTag.RECORD_REVOKED,
                actor,
                "record",
                str(record.id),
                at,
                subject_id=record.subject_id,
                reason=reason,
            )
        )
        number = uow.subjects.get(record.subject_id).number
        uow.commit()
    return record, number
