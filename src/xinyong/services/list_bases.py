"""What listings rest on: the records that ground them, and what happens to a listing when its
record goes (revoked, varied away, its display stopped, repaired)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import add_working_days, business_date
from xinyong.domain.errors import Conflict, NotAllowed, NotFound
from xinyong.domain.exchange import EventKind
from xinyong.domain.feed import FeedKind
from xinyong.domain.list_types import Decider
from xinyong.domain.lists import BASIS_REVOKED, BASIS_WITHHELD, EntryState, ListEntry
from xinyong.domain.periods import assess, held_display
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus
from xinyong.services.feed import Notice, key_of
from xinyong.services.lists import audit_entry, changed
from xinyong.services.outbound import queue_record

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


def entries_resting_on(uow: UnitOfWork, policy: Policy, record: CreditRecord) -> list[ListEntry]:
    """The listings a record grounds: those that name it (basis or source record), and those its
    department recorded on the list its kind of record feeds without naming any record (a
    court's listing entered through `POST /lists/decided` is the decision its record carries)."""
    found: list[ListEntry] = []
    for e in uow.entries.of_subject(record.subject_id, policy.list_types):
        source = uow.entries.source_record_of(e.id or 0)
        named = record.id in e.basis_records or source == record.id
        unlinked = (
            source is None
            and not e.basis_records
            and record.item_code in e.list_type.source_items
            and uow.entries.department_of(e.id or 0) == record.department
        )
        if named or unlinked:
            found.append(e)
    return found


def end_on_ground(
    uow: UnitOfWork, policy: Policy, entry: ListEntry, ground: str, today: date, *, actor: str
) -> bool:
    """End a listing in force on `ground` (revocation or repair), if its list allows that;
    audited, and the change log moves. Return whether it ended (one not in force stays)."""
    if entry.state not in (EntryState.DECIDED, EntryState.PUBLISHED):
        return False
    if ground not in entry.list_type.exit_grounds:
        raise NotAllowed(
            f"{entry.list_type.code} cannot be left on {ground}; its grounds are"
            f" {', '.join(entry.list_type.exit_grounds)}"
        )
    entry.exit(ground=ground, on=today)
    uow.entries.save(entry, at=uow.now())
    audit_entry(uow, EventTag.LISTING_EXITED, actor, entry, ground=ground)
    changed(uow, entry, policy)
    return True


def end_listings_resting_on(
    uow: UnitOfWork,
    policy: Policy,
    record: CreditRecord,
    *,
    today: date,
    actor: str,
    ground: str = BASIS_REVOKED,
    varied: bool = False,
) -> list[ListEntry]:
    """The record no longer grounds anything (revoked, withheld, display stopped): every
    listing resting on it alone ends today, and every proposal resting on it alone is withdrawn.
    A listing that rests on other records too, still displayable and grounding its list, stands
    on those, on its own ground. `varied`: the record was replaced by a changed version, and
    grounds no more only the listings it no longer grounds on their ground
    (`ListType.grounded_on`): a court's or authority's listing on a record varied to another
    ground of its list follows it there instead (`follow_varied_grounds`); the others stand.

    Returns the entries that ended or were withdrawn; the change log moves for each, so the next
    check no longer returns their measures (docs/domain.md §7).
    """
    ended: list[ListEntry] = []
    for entry in entries_resting_on(uow, policy, record):
        kind = entry.list_type
        if varied and kind.grounded_on(
            record.item_code, record.fields, record.severity, entry.ground
        ):
            continue
        if (
            varied
            and kind.follows_its_records
            and kind.grounded_by(record.item_code, record.fields, record.severity)
        ):
            continue  # it follows the record to its new ground (`follow_varied_grounds`)
        others = [r for r in entry.basis_records if r != record.id]
        if others and any(_still_grounds(uow, entry, r, today) for r in others):
            continue
        if entry.state in (EntryState.DECIDED, EntryState.PUBLISHED):
            entry.lose_basis(on=today, ground=ground)
        elif entry.state in (EntryState.PROPOSED, EntryState.NOTICED):
            entry.withdraw(on=today)
        else:
            continue
        uow.entries.save(entry, at=uow.now())
        audit_entry(uow, EventTag.LISTING_BASIS_LOST, actor, entry, record=record.id, ground=ground)
        changed(uow, entry, policy)
        ended.append(entry)
    return ended


def restore_listings_on(
    uow: UnitOfWork, policy: Policy, record: CreditRecord, *, today: date, actor: str
) -> list[ListEntry]:
    """The record an identity review withheld is the person's after all: every listing that
    ended because of the hold stands again for the rest of its period, and the change log moves
    so the next check returns its measures again."""
    restored: list[ListEntry] = []
    for entry in entries_resting_on(uow, policy, record):
        if entry.state is not EntryState.EXITED or entry.exit_ground != BASIS_WITHHELD:
            continue
        if not entry.regain_basis(on=today):
            continue
        uow.entries.save(entry, at=uow.now())
        audit_entry(uow, EventTag.LISTING_BASIS_REGAINED, actor, entry, record=record.id)
        changed(uow, entry, policy)
        restored.append(entry)
    return restored


def _still_grounds(uow: UnitOfWork, entry: ListEntry, record_id: int, today: date) -> bool:
    try:
        record = uow.records.get(record_id)
    except NotFound:  # deleted after its retention
        return False
    return record.is_displayable_on(today) and entry.list_type.grounded_on(
        record.item_code, record.fields, record.severity, entry.ground
    )


def follow_varied_grounds(
    uow: UnitOfWork, policy: Policy, record: CreditRecord, *, today: date, actor: str
) -> list[ListEntry]:
    """The record was replaced by a changed version that makes another ground of a list it
    grounds: every court's or authority's listing on it in force (or awaiting force) follows it
    to that ground and its period (`ListEntry.follow_ground`), audited, the change log moved and
    queued for the exchange. A platform listing does not: it ends (`end_listings_resting_on`).
    Returns the listings that followed."""
    followed: list[ListEntry] = []
    for entry in entries_resting_on(uow, policy, record):
        kind = entry.list_type
        if not kind.follows_its_records or not (
            entry.is_in_force_on(today) or entry.awaits_force_on(today)
        ):
            continue
        if not kind.grounded_by(record.item_code, record.fields, record.severity):
            continue  # varied away: it ends
        ground = kind.other_ground(record.item_code, record.fields, entry.ground)
        if ground is None:
            continue
        was, ended_on = entry.ground, entry.ends_on
        entry.follow_ground(ground.code, on=today)
        uow.entries.save(entry, at=uow.now())
        audit_entry(
            uow,
            EventTag.LISTING_GROUND_FOLLOWED,
            actor,
            entry,
            record=record.id,
            ground_was=was,
            ground=entry.ground,
            ends_on_was=_iso(ended_on),
            ends_on=_iso(entry.ends_on),
        )
        changed(uow, entry, policy)
        followed.append(entry)
    return followed


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def end_listings_varied_away(
    uow: UnitOfWork, policy: Policy, replaced: Mapping[int, int], *, actor: str
) -> list[Notice]:
    """Records a resubmission replaced with a changed version (record id: subject id): every
    listing resting on one that its list's rules no longer let it ground (an item or ground the
    list does not name, a severity below its floor) ends today on the revocation ground, and
    every such proposal is withdrawn, as when the record is revoked (`end_listings_resting_on`);
    so does a platform listing or proposal whose record now makes another ground of its list.
    A court's or authority's listing on it follows it to that ground (`follow_varied_grounds`).
    Returns what each party that received such a listing is told: an ended one, withdraw it
    within the policy's working days; one that followed, corrected. One query for all of them;
    a record is read only when its subject has a listing in its procedure or in force."""
    listed = uow.entries.subjects_listed(set(replaced.values())) if replaced else set()
    today = business_date(uow.now())
    due = add_working_days(today, policy.periods.withdraw_working_days)
    notices: list[Notice] = []
    for record_id, subject_id in sorted(replaced.items()):
        if subject_id not in listed:
            continue
        record = uow.records.get(record_id)
        followed = follow_varied_grounds(uow, policy, record, today=today, actor=actor)
        ended = end_listings_resting_on(uow, policy, record, today=today, actor=actor, varied=True)
        key = key_of(uow.subjects.get(subject_id)) if ended or followed else 0
        document = f"{record.item_code} {record.document_number}"
        notices += [
            Notice(
                key,
                FeedKind.REVOKED,
                "list_entry",
                entry.id or 0,
                f"{entry.list_type.code} listing ended: {document}, which it rested on,"
                f" {_varied(entry, record)}; withdraw every copy by {due.day.isoformat()}",
                due,
                subject_id,
            )
            for entry in ended
        ]
        notices += [
            Notice(
                key,
                FeedKind.CORRECTED,
                "list_entry",
                entry.id or 0,
                f"{entry.list_type.code} listing resting on {document}: the record was varied"
                f" to the ground {entry.ground} and the listing follows it; {_period(entry)}",
                None,
                subject_id,
            )
            for entry in followed
        ]
    return notices


def _varied(entry: ListEntry, record: CreditRecord) -> str:
    """Why a varied record grounds a listing no more, in the words of its notice."""
    kind = entry.list_type
    if not kind.grounded_by(record.item_code, record.fields, record.severity):
        return "was varied and grounds it no more"
    ground = kind.other_ground(record.item_code, record.fields, entry.ground)
    made = ground.code if ground else "another"
    return (
        f"was varied to the ground {made}, on which no listing was decided; a listing on it"
        " needs a procedure of its own"
    )


def _period(entry: ListEntry) -> str:
    """A followed listing's period as it now stands, in the words of its notice."""
    if entry.state is EntryState.EXITED:
        return (
            f"its period on that ground ended on {_iso(entry.exited_on)}; it is no longer in force"
        )
    if entry.ends_on is None:
        return "it now lasts until an exit ground"
    return f"it now ends on {entry.ends_on.isoformat()}"


def hold_record_display(
    uow: UnitOfWork, policy: Policy, entry: ListEntry, *, actor: str
) -> CreditRecord | None:
    """A listing a court or another authority decided was recorded, extended or ended: the
    record it rests on is shown while such a listing is in force, and goes back to the later of
    its own end and the day the last of them ended (docs/lists-and-measures.md, "A listing keeps
    its record shown"). In the caller's transaction; audited, and queued for the exchange."""
    if entry.list_type.decided_by is Decider.PLATFORM or entry.id is None:
        return None
    record_id = uow.entries.source_record_of(entry.id)
    if record_id is None:
        return None
    try:
        record = uow.records.get(record_id)
    except NotFound:  # deleted after its retention
        return None
    if record.status is RecordStatus.REVOKED:
        return record  # as if never made: nothing to show, ever
    item = policy.item_of(record)
    if item is None:
        return record
    today = business_date(uow.now())
    own = assess(
        item,
        record.fields,
        decision_date=record.decision_date,
        valid_until=_day(record.fields.get("valid_until")),
        policy=policy.periods,
    )
    decided = [
        e
        for e in entries_resting_on(uow, policy, record)
        if e.list_type.decided_by is not Decider.PLATFORM
    ]
    windows = [w for w in (e.force_window() for e in decided) if w is not None]
    ends, retention_ends = held_display(own, windows, item=item, policy=policy.periods)
    if record.status in (RecordStatus.REPAIRED, RecordStatus.CORRECTED):
        retention_ends = record.retention_ends  # archived from the day it stopped, for good
    listed_on = today if any(e.is_in_force_on(today) for e in decided) else None
    was = record.display_ends
    now = uow.now()
    if record.hold_display(ends, retention_ends=retention_ends, listed_on=listed_on, at=now):
        uow.records.save_status(record)
        uow.audit.add(
            AuditEvent(
                EventTag.RECORD_DISPLAY_HELD,
                actor,
                "record",
                str(record.id),
                now,
                subject_id=record.subject_id,
                data={
                    "list_entry": entry.id,
                    "display_ends_was": str(was),
                    "display_ends": str(ends),
                },
            )
        )
        queue_record(uow, policy, record, EventKind.RECORD_UPDATED)
    return record


def hold_listed_record(uow: UnitOfWork, policy: Policy, record_id: int, *, actor: str) -> None:
    """Hold a record shown again for the listings recorded from it (after a correction replaced
    it and its display was computed from its own period)."""
    record = uow.records.get(record_id)
    for entry in uow.entries.of_subject(record.subject_id, policy.list_types):
        if entry.id is not None and uow.entries.source_record_of(entry.id) == record_id:
            hold_record_display(uow, policy, entry, actor=actor)
            return  # it weighs every listing resting on the record


def _day(raw: object) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def require_live_basis(uow: UnitOfWork, entry: ListEntry, today: date) -> None:
    """Refuse to decide a listing none of whose records grounds it today: each was revoked,
    repaired, corrected, withheld, varied below what the list rests on, or is past its display
    period since the proposal."""
    if not entry.basis_records:
        return
    dead: list[str] = []
    for record_id in entry.basis_records:
        try:
            record = uow.records.get(record_id)
        except NotFound:
            dead.append(f"record {record_id} was deleted")
            continue
        kind = entry.list_type
        grounds = kind.grounded_on(record.item_code, record.fields, record.severity, entry.ground)
        if record.is_displayable_on(today) and grounds:
            return
        why = record.status.value
        if not kind.grounded_by(record.item_code, record.fields, record.severity):
            why = f"varied and grounds {kind.code} no more"
        elif not grounds:
            why = f"varied to another ground of {kind.code} than the proposal's {entry.ground}"
        elif record.status is RecordStatus.ACTIVE:
            why = f"past its display period, which ended on {record.display_ends}"
        dead.append(f"record {record_id} is {why}")
    raise Conflict(
        f"basis_records: {'; '.join(dead)}: it can ground no listing any more;"
        " withdraw the proposal"
    )
