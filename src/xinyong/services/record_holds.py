"""Records held or flagged for an identity review while they are stored: a conflicting name or
birth date, a document resubmitted under another person, a number whose region code no table
knows. Each opens a review and is audited in the storing transaction (services/records.py).

What the parties that received such a record are told (`identity_notices`): held at once, when
the hold stops the platform showing and using it; withheld, or released, when the review
decides (docs/rights.md, "The feed")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import ListEntry
from xinyong.domain.records import CreditRecord, RecordStatus
from xinyong.domain.subjects import IdentityConflict, IdentityConflictKind
from xinyong.services import outbound
from xinyong.services.feed import Notice, record_notices

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


#: What each identity kind tells about the record, and about a listing resting on it.
_SAID: dict[FeedKind, tuple[str, str]] = {
    FeedKind.IDENTITY_HOLD: (
        "held while an identity review decides whom it is about; not shown or used meanwhile",
        "ended while an identity review decides whom the record is about",
    ),
    FeedKind.WITHHELD: (
        "withheld: an identity review found it is not about this person; it no longer stands",
        "ended: an identity review found the record is not about this person",
    ),
    FeedKind.RELEASED: (
        "an identity review found it is about this person; it stands again",
        "stands again: an identity review found the record is about this person",
    ),
}


def identity_notices(
    uow: UnitOfWork,
    kind: FeedKind,
    changed: Sequence[tuple[CreditRecord, Sequence[ListEntry]]],
) -> list[Notice]:
    """The notices of records an identity review holds, withholds or releases, and of the
    listings resting on them that ended or stand again: for every party that received them
    about the record's subject (`services.feed.notify_many` finds who). Each record's notices
    are one event, told to a party once (of the record if it received it, else of the first
    listing on it it received), however many records the notices tell of. The subjects' keys
    are read once, as stored; the detail names the document, never the person's number."""
    if not changed:
        return []
    record_said, entry_said = _SAID[kind]
    keys = uow.subjects.keys_of({record.subject_id for record, _ in changed})
    notices: list[Notice] = []
    for record, entries in changed:
        notices += record_notices(
            keys[record.subject_id],
            kind,
            record,
            entries,
            record_detail=f"{record.item_code} {record.document_number}: {record_said}",
            entry_detail=entry_said,
            event=("record", record.id),
        )
    return notices
