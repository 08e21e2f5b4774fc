"""Records held or flagged for an identity review while they are stored: a conflicting name or
birth date, a document resubmitted under another person, a number whose region code no table
knows. Each opens a review and is audited in the storing transaction (services/records.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.records import RecordStatus
from xinyong.domain.subjects import IdentityConflict, IdentityConflictKind
from xinyong.services import outbound

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork
    from xinyong.services.records import NewRecord, StoredState


def flag_region(uow: UnitOfWork, record: NewRecord, record_id: int, *, actor: str) -> None:
    """A new person whose number's region code no table knows: the record is accepted and in
    force, and an identity review asks staff to confirm the number (never a refusal)."""
    at = uow.now()
    region = record.submission.subject_number[:6]
    conflict = IdentityConflict(IdentityConflictKind.REGION, "no known region code", region)
    review_id = uow.reviews.add(
        subject_id=record.subject_id, record_id=record_id, conflict=conflict, at=at
    )
    uow.audit.add(
        AuditEvent(
            EventTag.IDENTITY_FLAGGED,
            actor,
            "record",
            str(record_id),
            at,
            subject_id=record.subject_id,
            reason="the number's region code is in no table of codes; staff confirm the number",
            data={
                "review_id": review_id,
                "batch_id": record.batch_id,
                "row": record.submission.row,
            },
        )
    )


def hold_subject_change(
    uow: UnitOfWork, state: StoredState, resubmission: NewRecord, actor: str
) -> None:
    """A stored document resubmitted under another person: the record is withheld (it grounds
    nothing while it is unclear whom it is about), both persons' files carry the review, and
    the resubmission waits in it; the review applies it or drops it."""
    at = uow.now()
    record = uow.records.get(state.id)
    if record.status in (RecordStatus.ACTIVE, RecordStatus.EXPIRED):
        record.hold_for_review(at=at)
        uow.records.save_status(record)
        outbound.queue_record_of(uow, resubmission.submission.item, record)
    known = uow.subjects.get(state.subject_id).masked_number()
    named = uow.subjects.get(resubmission.subject_id).masked_number()
    review_id = uow.reviews.add(
        subject_id=state.subject_id,
        record_id=state.id,
        conflict=IdentityConflict(IdentityConflictKind.SUBJECT, known, named),
        at=at,
        other_subject_id=resubmission.subject_id,
        pending=resubmission,
    )
    uow.audit.add(
        AuditEvent(
            EventTag.RECORD_HELD,
            actor,
            "record",
            str(state.id),
            at,
            subject_id=state.subject_id,
            reason="resubmitted under another person; held until an identity review decides",
            data={
                "review_id": review_id,
                "other_subject": resubmission.subject_id,
                "batch_id": resubmission.batch_id,
                "row": resubmission.submission.row,
            },
        )
    )


def hold(
    uow: UnitOfWork, record: NewRecord, record_id: int, conflict: IdentityConflict, *, actor: str
) -> None:
    at = uow.now()
    review_id = uow.reviews.add(
        subject_id=record.subject_id, record_id=record_id, conflict=conflict, at=at
    )
    uow.audit.add(
        AuditEvent(
            EventTag.RECORD_HELD,
            actor,
            "record",
            str(record_id),
            at,
            subject_id=record.subject_id,
            reason=f"submitted {conflict.kind.value} differs from the known subject",
            data={
                "review_id": review_id,
                "batch_id": record.batch_id,
                "row": record.submission.row,
            },
        )
    )
