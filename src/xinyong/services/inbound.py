"""What this platform does with a peer's event: the same gates and steps as a local submission
(catalog, mandates, expiry), in the consumer's transaction (docs/exchange.md, inbound).

`make_apply(policy)` returns the `apply(uow, event)` callback `services.exchange.consume` runs.
A domain error it raises rolls back its writes and is recorded as a refusal (`gate`); a change to
an entity that is this node's own is refused as `not_origin`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.calendar import add_working_days, business_date
from xinyong.domain.envelopes import RefusalReason, Refused
from xinyong.domain.errors import Invalid
from xinyong.domain.exchange import EntityType, Event, EventKind
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import BASIS_REVOKED, BASIS_WITHHELD, EntryState, ListEntry
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus, document_key, validate_row
from xinyong.domain.subjects import Subject
from xinyong.services.departments import require_department
from xinyong.services.feed import key_of, notify_many, record_notices
from xinyong.services.identity_reviews import ended_by_hold
from xinyong.services.list_bases import end_listings_resting_on, entries_resting_on
from xinyong.services.lists import changed
from xinyong.services.objection_marks import (
    held_entries,
    held_record,
    mark_entries,
    tell_origin_mark,
)
from xinyong.services.outbound import (
    LISTING_CONTESTED,
    OBJECTION_OUTCOME,
    RECEIVED_BY,
    RECORD_OBJECTION,
    REVIEW_DECISION,
    WITHHELD,
)
from xinyong.services.record_holds import identity_notices
from xinyong.services.records import settle_chunk, store_submissions

if TYPE_CHECKING:
    from xinyong.services.exchange import ExchangeUnitOfWork
    from xinyong.services.ports import UnitOfWork

    class PlatformUnitOfWork(UnitOfWork, ExchangeUnitOfWork, Protocol):
        """The platform's unit of work, carrying the exchange's repositories too."""


def make_apply(policy: Policy) -> Callable[[PlatformUnitOfWork, Event], None]:
    """Return the callback that applies a peer's event through this platform's services."""

    def apply(uow: PlatformUnitOfWork, event: Event) -> None:
        uow.outbox.pause()  # the origin tells its peers; this node never re-sends its change
        if event.change.entity.type is EntityType.RECORD:
            apply_record(uow, policy, event)
        else:
            apply_listing(uow, policy, event)

    return apply


def _actor(event: Event) -> str:
    return f"{RECEIVED_BY}{event.origin}"


def _not_origin(event: Event, why: str) -> Refused:
    entity = event.change.entity
    return Refused(
        RefusalReason.NOT_ORIGIN,
        f"{entity.type} {entity.key}: {why}; {event.origin} may not change it",
    )


def _own_department(uow: PlatformUnitOfWork, code: str) -> bool:
    node, department = uow.node.get(), uow.departments.get(code)
    return (
        node is not None and department is not None and node.identity.covers(department.region_code)
    )


def _record_key(key: str, *, field: str = "entity.key") -> tuple[str, str]:
    """The department and document number a record's key names; refused as the event's `field`
    (where the key was read) when it names none."""
    department, _, document = key.partition(":")
    if not department or not document:
        raise Invalid(f"{field}: {key!r} is not <department>:<document number>")
    return department, document


def _text(state: Mapping[str, object], name: str) -> str:
    value = state.get(name)
    if not isinstance(value, str):
        raise Invalid(f"state.{name}: required, a string")
    return value


def _optional(state: Mapping[str, object], name: str) -> str | None:
    value = state.get(name)
    return value if isinstance(value, str) else None


def _day(state: Mapping[str, object], name: str) -> date | None:
    value = state.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"state.{name}: not an ISO date") from None


# --- records -------------------------------------------------------------------------------


def apply_record(uow: PlatformUnitOfWork, policy: Policy, event: Event) -> None:
    """Store a peer's record as a local submission would be stored, then bring its status and
    objection mark to the origin's (kept apart as `marked_at_origin`; an open objection here
    holds the mark the copy shows); a mark set or lifted reaches the listings here and the
    parties here as a local objection's does (`_spread_mark`)."""
    change, entity = event.change, event.change.entity
    department, document = _record_key(entity.key)
    if department != change.department:
        raise Invalid("entity.key: names another department than the event")
    if _own_department(uow, department):
        raise _not_origin(event, f"department {department} is this node's own")
    owned_here = uow.inbox.owner(entity) is None
    known = uow.records.find_states(department, [document_key(document)])
    if known and owned_here:
        raise _not_origin(event, "this node holds it as its own")
    row = change.state.get("row")
    if not isinstance(row, dict):
        raise Invalid("state.row: required, an object (the row as submitted)")
    raw = {**row, "subject_id": change.subject.number, "subject_name": change.subject.name}
    # Unknown here: refused as a gate; dropped by this node's policy: the origin's all the same.
    dept = require_department(uow, department, active_only=False)
    today = business_date(uow.now())
    submission = validate_row(raw, row=0, department=dept, gate=policy.gate(today))
    actor = _actor(event)
    result = store_submissions(uow, [submission], batch_id=None, actor=actor, want_ids=True)
    settle_chunk(uow, policy, result, actor=actor)
    record = uow.records.get(result.record_ids[0])
    target = RecordStatus(_text(change.state, "status"))
    marked = change.state.get("under_objection") is True
    withheld = change.state.get(REVIEW_DECISION) == WITHHELD
    if record.status is not target:
        _move(uow, policy, record, target, event, withheld=withheld)
    elif withheld and record.status is RecordStatus.IDENTITY_HOLD:
        # Held here already; the origin's review keeps it withheld for good: told as a
        # review here tells it, with the listings here that ended when it was held.
        told = identity_notices(
            uow, FeedKind.WITHHELD, [(record, ended_by_hold(uow, policy, record))]
        )
        notify_many(uow, told, acknowledgements=policy.acknowledgements)
    # The copy keeps the origin's mark apart: an open objection here holds the mark it shows
    # whatever the origin's event says, and only this event lifts the origin's.
    moved = record.marked_at_origin is not marked
    record.marked_at_origin = marked
    shown = marked or (record.under_objection and held_record(uow, record))
    if record.under_objection is not shown:
        record.mark_objection(shown)
        uow.records.save_status(record)
        _spread_mark(uow, policy, record, event, marked=shown)
    elif moved:
        uow.records.save_status(record)
        if not marked:  # lifted there, held here: the origin's outcome is told all the same
            subject = uow.subjects.get(record.subject_id)
            outcome = change.state.get(OBJECTION_OUTCOME)
            tell_origin_mark(
                uow, policy, subject, event.origin, marked=False, outcome=outcome, record=record
            )


def _spread_mark(
    uow: PlatformUnitOfWork, policy: Policy, record: CreditRecord, event: Event, *, marked: bool
) -> None:
    """The origin's objection mark reaches what rests on the copy here, as a local objection's
    does: this node's own listings on it marked, or unmarked unless an open objection here holds
    one (a copy of the origin's listing keeps the mark the origin gives it), and every party
    here that received the copy or a listing on it told once: `under_objection` when marked, the
    outcome the origin decided when its decision lifts it (a lift that carries no outcome, as a
    resend, tells nothing; nor does one at the origin)."""
    own = [
        e
        for e in entries_resting_on(uow, policy, record)
        if not e.proposed_by.startswith(RECEIVED_BY)
    ]
    if not marked:
        held = held_entries(uow, policy, record.subject_id)
        own = [e for e in own if e.id not in held]
    mark_entries(uow, policy, own, marked=marked)
    subject = uow.subjects.get(record.subject_id)
    outcome = event.change.state.get(OBJECTION_OUTCOME)
    tell_origin_mark(
        uow, policy, subject, event.origin, marked=marked, outcome=outcome, record=record
    )


def _move(
    uow: PlatformUnitOfWork,
    policy: Policy,
    record: CreditRecord,
    target: RecordStatus,
    event: Event,
    *,
    withheld: bool = False,
) -> None:
    """Bring a record to the origin's status with the domain's own transitions where one
    applies; what no longer grounds anything ends the listings resting on it here too.
    `withheld`: the move is the origin's identity review finding the record is not about the
    person, told as such rather than as a hold."""
    at, today = uow.now(), business_date(uow.now())
    was = record.status
    years = policy.archive_years(record)
    if target is RecordStatus.REVOKED:
        reason = str(event.change.state.get("revocation_reason") or "revoked at its origin")
        due = add_working_days(today, policy.periods.withdraw_working_days)
        record.revoke(reason=reason, at=at, archive_years=years, withdraw_by=due)
    elif target is RecordStatus.REPAIRED and record.status is RecordStatus.ACTIVE:
        record.repair(at=at, archive_years=years)
    elif target is RecordStatus.CORRECTED and record.status is RecordStatus.ACTIVE:
        record.stop_display(at=at, archive_years=years)
    elif target is RecordStatus.EXPIRED and record.status is RecordStatus.ACTIVE:
        record.expire(at=at)
    else:
        record.status = target
        record.updated_at = at
    uow.records.save_status(record)
    if not record.is_displayable_on(today):
        # Held at its origin, the record is withheld as a hold here withholds it: the listings
        # resting on it end on the identity-review ground, and stand again if it is released.
        ground = BASIS_WITHHELD if target is RecordStatus.IDENTITY_HOLD else BASIS_REVOKED
        ended = end_listings_resting_on(
            uow, policy, record, today=today, actor=_actor(event), ground=ground
        )
        if target in (RecordStatus.REVOKED, RecordStatus.REPAIRED):
            kind = FeedKind.REVOKED if target is RecordStatus.REVOKED else FeedKind.REPAIRED
            subject = uow.subjects.get(record.subject_id)
            notice = f"{target.value} at its origin {event.origin}"
            # A revocation here as there: every party withdraws its copy by the working day.
            by = record.withdraw_by if kind is FeedKind.REVOKED else None
            if by is not None:
                notice += f"; withdraw every copy by {by.day.isoformat()}"
            # As a local revocation or repair: whoever was given the copy or a listing it
            # ended is told once, of the copy if it received it.
            notices = record_notices(
                key_of(subject), kind, record, ended, record_detail=notice,
                entry_detail=f"ended, the record was {notice}", due_on=by,
            )  # fmt: skip
            notify_many(uow, notices, acknowledgements=policy.acknowledgements, once=True)
        elif target is RecordStatus.IDENTITY_HOLD:
            # Held at its origin for an identity review, or withheld by its decision: told
            # here as a hold or a decision here is.
            kind = FeedKind.WITHHELD if withheld else FeedKind.IDENTITY_HOLD
            held = identity_notices(uow, kind, [(record, ended)])
            notify_many(uow, held, acknowledgements=policy.acknowledgements)
    elif was is RecordStatus.IDENTITY_HOLD:
        released = identity_notices(uow, FeedKind.RELEASED, [(record, [])])
        notify_many(uow, released, acknowledgements=policy.acknowledgements)


# --- listings ------------------------------------------------------------------------------


def apply_listing(uow: PlatformUnitOfWork, policy: Policy, event: Event) -> None:
    """Keep this node's copy of a peer's listing as the origin has it, resting on this node's
    copies of its records, so that checks here answer as they do there. A mark an objection to
    the listing itself set or lifted at the origin is told to the parties here that received the
    copy, once (`_tell_contested`); one that follows an objection to a record under it is told
    only when no copy here of a record under it is marked, since otherwise the record's own
    event told them."""
    change, entity = event.change, event.change.entity
    if not entity.key.startswith(f"{event.origin}:"):
        raise _not_origin(event, "a listing is named by its origin")
    if change.department and _own_department(uow, change.department):
        raise _not_origin(event, f"department {change.department} is this node's own")
    state = change.state
    list_type = policy.list_types.get(_text(state, "list_type"))
    if list_type is None:
        raise Invalid(f"list type {state.get('list_type')!r} is not kept on this platform")
    subject = uow.subjects.get_by_number(change.subject.number)
    if subject is None or subject.id is None:
        raise Invalid("the listing's subject has no record on this platform yet")
    basis = _local_records(uow, state.get("records"))
    stage = EntryState(_text(state, "stage"))
    local_id = uow.inbox.local_id(entity)
    values = {
        "state": stage,
        "grounds": str(state.get("grounds") or ""),
        "basis_records": tuple(basis),
        "decided_on": _day(state, "decided_on"),
        "published_on": _day(state, "published_on"),
        "ends_on": _day(state, "ends_on"),
        "exited_on": _day(state, "exited_on"),
        "exit_ground": _optional(state, "exit_ground"),
        "under_objection": state.get("under_objection") is True,
        "marked_at_origin": state.get("under_objection") is True,
        "ground": _optional(state, "ground"),
    }
    at = uow.now()
    was_marked = False
    if local_id is None:
        entry = ListEntry(
            id=None,
            list_type=list_type,
            subject_id=subject.id,
            proposed_by=_actor(event),
            proposed_at=at,
            **values,  # type: ignore[arg-type]
        )
        source = basis[0] if basis and not uow.entries.linked_records(basis[:1]) else None
        entry.id = uow.entries.add(entry, department=change.department, source_record=source, at=at)
        uow.inbox.set_local_id(entity, entry.id)
    else:
        entry = uow.entries.get(local_id, policy.list_types)
        was_marked = entry.marked_at_origin
        for name, value in values.items():
            setattr(entry, name, value)
        uow.entries.save(entry, at=at)
    if not entry.under_objection and entry.id in held_entries(uow, policy, subject.id):
        # An objection here to the copy, or a marked record copy under it, holds its mark
        # whatever the origin's state says.
        entry.under_objection = True
        uow.entries.save(entry, at=at)
    changed(uow, entry, policy)  # checks here follow at once
    unheard = entry.marked_at_origin and not was_marked and not _marked_here(uow, basis)
    _tell_contested(uow, policy, event, subject, entry.id or 0, unheard=unheard)


def _marked_here(uow: PlatformUnitOfWork, record_ids: list[int]) -> bool:
    """Whether a copy here of a record the listing rests on is marked: its own event (or an
    objection here) told the parties here of the mark the listing's follows."""
    return any(uow.records.get(record_id).under_objection for record_id in record_ids)


def _tell_contested(
    uow: PlatformUnitOfWork,
    policy: Policy,
    event: Event,
    subject: Subject,
    entry_id: int,
    *,
    unheard: bool,
) -> None:
    """Tell the parties here that received the listing's copy what the origin's objection did, as
    a local objection's `_tell` does: `under_objection` when the event setting the mark says the
    listing itself is contested (`LISTING_CONTESTED`), or when the origin marks it for a record
    under it of which no copy here is marked (`unheard`: a record this node holds no copy of,
    whose own event never came), the outcome when the decision's lift carries one: of the
    listing's own objection, or of one to a record under it of which this node holds no copy
    (`RECORD_OBJECTION`: a copy's own event tells that outcome). Other marks and resends tell
    nothing."""
    state, kind = event.change.state, event.change.kind
    contested = kind is EventKind.OBJECTION_MARK_SET and state.get(LISTING_CONTESTED) is True
    outcome: object = state.get(OBJECTION_OUTCOME)
    if contested or unheard:
        marked = True
    elif kind is EventKind.OBJECTION_MARK_CLEARED:
        marked = False
        outcome = outcome or _unheard_outcome(uow, state.get(RECORD_OBJECTION))
    else:
        return
    tell_origin_mark(
        uow, policy, subject, event.origin, marked=marked, outcome=outcome, entry_id=entry_id
    )


def _unheard_outcome(uow: UnitOfWork, decided: object) -> object:
    """The outcome of an objection to a record under the listing, decided at its origin, when
    this node holds no copy of that record (whose own event would have told it); else None."""
    if not isinstance(decided, Mapping) or not isinstance(decided.get("record"), str):
        return None
    field = f"state.{RECORD_OBJECTION}.record"
    department, document = _record_key(decided["record"], field=field)
    if uow.records.find_states(department, [document_key(document)]):
        return None
    return decided.get("outcome")


def _local_records(uow: UnitOfWork, keys: object) -> list[int]:
    if not isinstance(keys, list):
        raise Invalid("state.records: required, a list of record keys")
    found: list[int] = []
    for key in keys:
        department, document = _record_key(str(key), field="state.records")
        states = uow.records.find_states(department, [document_key(document)])
        for state in states.values():
            found.append(state.id)
    return found
