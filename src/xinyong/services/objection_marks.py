"""An objection mark spread from the contested item to what rests on it, and told: the listings
resting on a contested record marked (or unmarked), and every party that received the record or
such a listing told once.

A local objection (`services/objections.py`) and a peer's mark on its record or its listing
(`services/inbound.py`) both go through here, so that a mark reaches the same outputs and the
same parties here wherever the objection was filed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xinyong.domain.checks import ChangeKind
from xinyong.domain.exchange import EventKind
from xinyong.domain.feed import OUTCOME_KINDS, AcknowledgementRules, FeedKind
from xinyong.domain.lists import ListEntry
from xinyong.domain.objections import Objection
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord
from xinyong.domain.subjects import Subject
from xinyong.services.feed import Notice, key_of, notify_many, record_notices
from xinyong.services.list_bases import entries_resting_on
from xinyong.services.outbound import queue_listing, queue_record

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


#: The exchange event a mark set (True) or lifted (False) queues.
MARK_EVENTS = {True: EventKind.OBJECTION_MARK_SET, False: EventKind.OBJECTION_MARK_CLEARED}


def held_entries(
    uow: UnitOfWork, policy: Policy, subject_id: int, *, besides: int | None = None
) -> set[int | None]:
    """The listings that stay marked when an objection of the subject (`besides`) lets go of
    them: those another open objection contests, those resting on a record it contests, and
    those resting on a record still marked for any other reason (a peer's copy, marked by an
    objection at its origin). Nothing is read when nothing here may hold a mark (no open
    objection of the subject's, no record of theirs marked): the case of nearly every listing
    event a peer sends."""
    held: set[int | None] = set()
    if not uow.objections.may_hold_marks(subject_id):
        return held
    contested: dict[int, CreditRecord] = {
        r.id: r for r in uow.records.of_subject(subject_id) if r.under_objection
    }
    for other in uow.objections.of_subject(subject_id):
        if other.id == besides or not other.keeps_mark:
            continue
        if other.entry_id is not None:
            held.add(other.entry_id)
        if other.record_id is not None and other.record_id not in contested:
            contested[other.record_id] = uow.records.get(other.record_id)
    for record in contested.values():
        held.update(e.id for e in entries_resting_on(uow, policy, record))
    return held


def held_record(uow: UnitOfWork, record: CreditRecord, *, besides: Objection | None = None) -> bool:
    """Whether an open objection here to the record, other than `besides`, holds its mark: one
    of the person it is about, or of the filer of `besides` (whom a record an identity review
    moved away no longer names, and whose challenged decision still holds it). A peer's copy
    stays marked while one does, whatever its origin's event says (`services/inbound.py
    apply_record`); a decision here lifts the mark only when none does (`set_mark`)."""
    filers = {record.subject_id} if besides is None else {record.subject_id, besides.subject_id}
    skip = None if besides is None else besides.id
    return any(
        o.id != skip and o.record_id == record.id and o.keeps_mark
        for filer in sorted(filers)
        for o in uow.objections.of_subject(filer)
    )


def mark_entries(
    uow: UnitOfWork,
    policy: Policy,
    entries: Sequence[ListEntry],
    *,
    marked: bool,
    contested: int | None = None,
    outcome: str | None = None,
    record: CreditRecord | None = None,
) -> None:
    """Mark (or unmark) the listings; the change log moves, so the next check shows it, and the
    exchange carries it to the peers holding a copy. The event of the listing `contested` (the
    objection's own, not one resting on its record) says so when it sets the mark, and carries
    the decided `outcome` when it lifts it, for the peers to tell their recipients; the lift of
    a listing resting on the contested `record` carries the outcome beside the record's key,
    for the peers that hold no copy of the record to tell. A copy of a peer's listing that its
    origin marks stays marked: only the origin's event lifts that mark
    (`services/inbound.py apply_listing`)."""
    now = uow.now()
    decided = None if marked or record is None or outcome is None else (record, outcome)
    for entry in entries:
        if not marked and entry.marked_at_origin:
            continue
        entry.under_objection = marked
        uow.entries.save(entry, at=now)
        uow.changes.append(
            ChangeKind.OBJECTION, subject_id=entry.subject_id, entity_id=entry.id, at=now
        )
        own = contested is not None and entry.id == contested
        queue_listing(
            uow,
            policy,
            entry,
            MARK_EVENTS[marked],
            contested=own and marked,
            outcome=outcome if own and not marked else None,
            record_outcome=None if own else decided,
        )


def set_mark(uow: UnitOfWork, policy: Policy, objection: Objection, *, marked: bool) -> None:
    """Mark (or unmark) the contested item and every listing resting on it; checks follow. An
    item stays marked while another open objection to it holds it (the filer's, or its person's).
    Lifted by a decision, the contested item's event (the record's, or the listing's) carries
    the outcome, which a peer holding a copy tells its own recipients (`services/inbound.py`);
    the lifts of the listings resting on a contested record carry it beside the record's key."""
    entries: list[ListEntry] = []
    record: CreditRecord | None = None
    # A decision's outcome only: a case closed undecided (its record is another person's) has
    # none to tell.
    outcome = objection.outcome if not marked and objection.outcome in OUTCOME_KINDS else None
    if objection.record_id is not None:
        record = uow.records.get(objection.record_id)
        if not marked and (record.marked_at_origin or held_record(uow, record, besides=objection)):
            return  # another open objection (or, on a peer's copy, its origin) keeps the mark
        record.mark_objection(marked)
        uow.records.save_status(record)
        queue_record(uow, policy, record, MARK_EVENTS[marked], outcome=outcome)
        entries = entries_resting_on(uow, policy, record)
    if objection.entry_id is not None:
        entries.append(uow.entries.get(objection.entry_id, policy.list_types))
    if not marked:  # a listing stays marked while any other objection resting on it is open
        held = held_entries(uow, policy, objection.subject_id, besides=objection.id)
        entries = [e for e in entries if e.id not in held]
    contested = objection.entry_id
    mark_entries(
        uow, policy, entries, marked=marked, contested=contested, outcome=outcome, record=record
    )


def tell_mark(
    uow: UnitOfWork,
    policy: Policy,
    subject: Subject,
    kind: FeedKind,
    detail: str,
    *,
    record: CreditRecord | None = None,
    entry_id: int | None = None,
    acknowledgements: AcknowledgementRules | None = None,
) -> None:
    """Tell every party that received the contested item (`record`, else the listing
    `entry_id`), or a listing resting on the contested record, once: of the item itself if it
    received it, else of the first such listing it received."""
    key = key_of(subject)
    if record is None:
        notices = [Notice(key, kind, "list_entry", entry_id or 0, detail, None, subject.id)]
    else:
        resting = sorted(entries_resting_on(uow, policy, record), key=lambda e: e.id or 0)
        notices = record_notices(
            key, kind, record, resting, record_detail=detail, entry_detail=detail
        )
    notify_many(uow, notices, acknowledgements=acknowledgements, once=True)


def tell_origin_mark(
    uow: UnitOfWork,
    policy: Policy,
    subject: Subject,
    origin: str,
    *,
    marked: bool,
    outcome: object,
    record: CreditRecord | None = None,
    entry_id: int | None = None,
) -> None:
    """A mark the origin `origin` set (or lifted) on the item copied here (`record`, else the
    listing `entry_id`), told to the parties here as `tell_mark` tells a local one:
    `under_objection` when set, the `outcome` the origin decided when its decision lifts it (a
    lift that carries no outcome of `OUTCOME_KINDS`, as a resend, tells nothing)."""
    if marked:
        said = f"under objection at its origin {origin}"
        kind = FeedKind.UNDER_OBJECTION
        tell_mark(uow, policy, subject, kind, said, record=record, entry_id=entry_id)
    elif isinstance(outcome, str) and outcome in OUTCOME_KINDS:
        said = f"objection decided at its origin {origin}: {outcome}"
        owed = policy.acknowledgements
        kind = OUTCOME_KINDS[outcome]
        tell_mark(
            uow,
            policy,
            subject,
            kind,
            said,
            record=record,
            entry_id=entry_id,
            acknowledgements=owed,
        )
