"""Identity reviews decided: a held record released or kept withheld, a flagged number
confirmed or its record withheld, a resubmission under another person applied (the cases the
person it named before filed about it closed: `services/moved_records.py`) or dropped, a
registration's account opened or the registration refused (`services/registrations.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.errors import Conflict
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import BASIS_WITHHELD, EntryState, ListEntry
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus
from xinyong.domain.subjects import IdentityReview, ReviewResolution
from xinyong.services import outbound
from xinyong.services.feed import notify, notify_many
from xinyong.services.list_bases import (
    end_listings_resting_on,
    entries_resting_on,
    restore_listings_on,
)
from xinyong.services.moved_records import close_cases_of_moved_record
from xinyong.services.record_holds import identity_notices
from xinyong.services.registrations import decide_registration

if TYPE_CHECKING:
    from datetime import datetime

    from xinyong.services.ports import UnitOfWork


def resolve_identity_review(
    uow: UnitOfWork, policy: Policy, review_id: int, *, same_person: bool, note: str, actor: str
) -> IdentityReview:
    """Decide a review: the same person (a held record is released; a flagged number is
    confirmed; a registration's account opens) or not (a held record stays withheld, a
    resubmission under another person moves the document to them, a record under a flagged
    number is withheld and stops grounding anything, a registration is refused)."""
    with uow:
        review = uow.reviews.get(review_id)
        if not review.is_open:
            raise Conflict(f"identity review {review_id} is already resolved")
        at = uow.now()
        resolution = (
            ReviewResolution.SAME_PERSON if same_person else ReviewResolution.DIFFERENT_PERSON
        )
        if review.record_id is None:
            # A registration's name: the account opens, or the registration is refused.
            decide_registration(uow, policy, review, same_person=same_person, actor=actor, at=at)
        else:
            _decide_record(uow, policy, review, same_person, actor, at)
        uow.reviews.resolve(review_id, resolution=resolution, note=note, by=actor, at=at)
        uow.audit.add(
            AuditEvent(
                EventTag.IDENTITY_REVIEW_RESOLVED,
                actor,
                "identity_review",
                str(review_id),
                at,
                subject_id=review.subject_id,
                reason=note,
                data={"resolution": resolution.value, **_about(review)},
            )
        )
        uow.commit()
        return uow.reviews.get(review_id)


def _about(review: IdentityReview) -> dict[str, object]:
    if review.record_id is None:
        return {"registration_id": review.registration_id}
    return {"record_id": review.record_id}


def _decide_record(
    uow: UnitOfWork,
    policy: Policy,
    review: IdentityReview,
    same_person: bool,
    actor: str,
    at: datetime,
) -> None:
    """What a review's decision does to its record, the listings on it and those told of it."""
    if review.record_id is None:
        raise ValueError("a review about a registration decides no record")
    record = uow.records.get(review.record_id)
    was = (record.status, record.subject_id)
    told: tuple[FeedKind, Sequence[ListEntry]] | None = None
    if review.moves_subject and not same_person:
        # The document is about the person the resubmission named: it moves to them, and
        # whoever received it about the person it named before is told it was corrected.
        uow.reviews.apply_pending(review.id, at=at)
        # What the person it named before filed about it is no longer theirs to pursue.
        close_cases_of_moved_record(
            uow, policy, record.id, was=record.subject_id, review_id=review.id, actor=actor
        )
        detail = (
            f"{record.item_code} {record.document_number}: resubmitted by"
            f" {record.department} about another person, as an identity review confirmed;"
            " the earlier version is kept"
        )
        notify(
            uow,
            uow.subjects.get(record.subject_id),
            FeedKind.CORRECTED,
            "record",
            record.id,
            detail,
            acknowledgements=policy.acknowledgements,
        )
    elif not review.holds_record:
        if not same_person and record.status in (RecordStatus.ACTIVE, RecordStatus.EXPIRED):
            # The number is not the person's: the record grounds nothing from now on.
            record.hold_for_review(at=at)
            uow.records.save_status(record)
            ended = end_listings_resting_on(
                uow,
                policy,
                record,
                today=business_date(at),
                actor=actor,
                ground=BASIS_WITHHELD,
            )
            told = (FeedKind.WITHHELD, ended)
    elif (same_person or review.moves_subject) and record.status is RecordStatus.IDENTITY_HOLD:
        record.release(at=at)
        uow.records.save_status(record)
        restored: list[ListEntry] = []
        if same_person:
            restored = restore_listings_on(
                uow, policy, record, today=business_date(at), actor=actor
            )
        told = (FeedKind.RELEASED, restored)
    elif record.status is RecordStatus.IDENTITY_HOLD:
        # A held record is not the person's: it stays withheld, now for good, and so do the
        # listings that ended when it was held.
        told = (FeedKind.WITHHELD, ended_by_hold(uow, policy, record))
    if told is not None:
        # Whoever received it (or a listing on it) about this person is told, in this
        # transaction; an agency acknowledges a withheld record as it would a revoked one.
        kind, entries = told
        notices = identity_notices(uow, kind, [(record, entries)])
        notify_many(uow, notices, acknowledgements=policy.acknowledgements)
    if told is not None and told[0] is FeedKind.WITHHELD:
        # The decision travels with the record, moved or not: a peer holding a copy tells
        # its own recipients withheld, as this node does.
        item = policy.item_of(record)
        outbound.queue_record_of(uow, item, record, decision=outbound.WITHHELD)
    else:
        outbound.queue_if_moved(uow, policy, record.id, was)


def ended_by_hold(uow: UnitOfWork, policy: Policy, record: CreditRecord) -> list[ListEntry]:
    """The listings resting on a held record that ended because it was held."""
    return [
        e
        for e in entries_resting_on(uow, policy, record)
        if e.state is EntryState.EXITED and e.exit_ground == BASIS_WITHHELD
    ]
