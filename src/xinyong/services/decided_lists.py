"""Listings a court or another authority decided: recorded by that authority alone, on a record
of its own; extended when it extends them; deleted by it within its deadline once a deletion
ground arises (docs/domain.md §6, §7)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import add_working_days, business_date
from xinyong.domain.errors import Invalid, OutsideMandate
from xinyong.domain.exchange import EventKind
from xinyong.domain.lists import (
    Decider,
    ListType,
    is_minor,
    record_decided_listing,
    require_decider,
)
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, conduct_date
from xinyong.services.audit import mandate_refusals_audited, misroutes_audited
from xinyong.services.lists import (
    EntryView,
    audit_entry,
    changed,
    end_clean_status_on_listing,
    entity_id,
    list_type_of,
    owned,
)
from xinyong.services.outbound import record_entity
from xinyong.services.subjects import find_subject

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


def record_decided(
    uow: UnitOfWork,
    policy: Policy,
    *,
    list_code: str,
    subject_number: str,
    grounds: str,
    decided_on: date,
    months: int | None,
    department: str | None,
    actor: str,
) -> EntryView:
    """Record a listing that a court or another authority decided: only by that authority, on a
    record of its own about this subject that the list rests on and no listing rests on yet: one
    listing per decision, so a person the court lists in two cases has two (docs/domain.md §7;
    docs/lists-and-measures.md)."""
    list_type = list_type_of(policy, list_code)
    if not grounds.strip():
        raise Invalid("grounds: the decision's grounds are required")
    with mandate_refusals_audited(uow, actor=actor, department=department), uow:
        dept = uow.departments.get(department) if department is not None else None
        require_decider(list_type, dept)
        subject = find_subject(uow, subject_number, list_type.subject_type)
        subject_id = entity_id(subject)
        # Held until the listing commits: a second recording about the person waits, then
        # finds this one's decision linked and takes another (`_unlinked_source`), never the
        # same one twice.
        uow.subjects.lock(subject_id)
        now = uow.now()
        if decided_on > business_date(now):
            raise Invalid("decided_on: a decision cannot be recorded before it is made")
        source = _unlinked_source(uow, list_type, subject_id, department, business_date(now))
        if source is None:
            raise OutsideMandate(
                f"{department} holds no displayable record of its own about this subject"
                f" that {list_type.code} rests on; record the decision itself first",
                action=f"listing:record:{list_type.code}",
            )
        ground = list_type.ground_for_record(source.item_code, source.fields)
        entry = record_decided_listing(
            list_type,
            subject_id=subject_id,
            subject_age=subject.age_on(conduct_date(source)),
            grounds=grounds.strip(),
            decided_on=decided_on,
            recorded_by=actor,
            at=now,
            months=months,
            age_of_majority=policy.periods.age_of_majority,
            ground=ground.code if ground else None,
        )
        # Linked to its record once, so that `record_court_listings` never records it again
        # and an objection to, or a revocation of, the record reaches it.
        uow.entries.add(entry, department=department, source_record=source.id, at=now)
        audit_entry(uow, EventTag.LISTING_RECORDED, actor, entry, record=source.id)
        changed(uow, entry, policy)
        end_clean_status_on_listing(uow, policy, entry, actor=actor)
        uow.commit()
    return EntryView(entry, subject, department)


def _unlinked_source(
    uow: UnitOfWork, list_type: ListType, subject_id: int, department: str | None, today: date
) -> CreditRecord | None:
    """The department's newest displayable record about the subject that can ground the list
    (of one of its items, with a ground the list names) and that no listing rests on yet."""
    if not list_type.source_items or department is None:
        return None
    candidates = [
        r
        for r in uow.records.of_subject(subject_id)
        if r.item_code in list_type.source_items
        and r.is_displayable_on(today)
        and r.department == department
        and list_type.rests_on(r.item_code, r.fields)
    ]
    linked = uow.entries.linked_records([r.id for r in candidates])
    free = [r for r in candidates if r.id not in linked]
    return max(free, key=lambda r: (r.decision_date, r.id)) if free else None


def record_court_listings(uow: UnitOfWork, policy: Policy, *, actor: str) -> int:
    """Record the court-decided listings behind active court records not yet on their list.

    A court's dishonest-debtor record (catalog item of a court list's `source_items`) is the
    court's decision; the platform records it on the list, once, linked to the record.
    """
    court_lists = [
        t for t in policy.list_types.values() if t.decided_by is Decider.COURT and t.source_items
    ]
    created = 0
    with uow:
        now = uow.now()
        today = business_date(now)
        for list_type in court_lists:
            records = uow.records.active_of_items(list_type.source_items)
            linked = uow.entries.linked_records([r.id for r in records])
            # A court record received from another platform is listed there, and its listing
            # arrives from there too.
            foreign = uow.outbox.foreign(
                [record_entity(r.department, r.document_number) for r in records]
            )
            for record in records:
                if record.id in linked or not record.is_displayable_on(today):
                    continue
                if record_entity(record.department, record.document_number) in foreign:
                    continue
                # Held as a recording holds the person (`record_decided`), then looked at again:
                # a recording under way may have listed this very decision.
                uow.subjects.lock(record.subject_id)
                if uow.entries.linked_records([record.id]):
                    continue
                subject = uow.subjects.get(record.subject_id)
                age = subject.age_on(conduct_date(record))
                if is_minor(age, policy.periods.age_of_majority):
                    continue  # never listed; the record itself was refused at acceptance anyway
                ground = list_type.ground_for_record(record.item_code, record.fields)
                entry = record_decided_listing(
                    list_type,
                    subject_id=record.subject_id,
                    subject_age=age,
                    grounds=f"{record.authority_name} {record.document_number}",
                    decided_on=min(record.decision_date, today),
                    recorded_by=actor,
                    at=now,
                    age_of_majority=policy.periods.age_of_majority,
                    ground=ground.code if ground else None,
                )
                uow.entries.add(
                    entry, department=record.department, source_record=record.id, at=now
                )
                audit_entry(uow, EventTag.LISTING_RECORDED, actor, entry, record=record.id)
                changed(uow, entry, policy)
                end_clean_status_on_listing(uow, policy, entry, actor=actor)
                created += 1
        uow.commit()
    return created


def extend_listing(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    *,
    months: int,
    decided_on: date,
    department: str | None,
    actor: str,
) -> EntryView:
    """Record an extension the deciding authority decided (a court's one to three more years),
    also after the fact; checks follow the new period at once."""
    with (
        mandate_refusals_audited(uow, actor=actor, department=department),
        misroutes_audited(uow, actor=actor, department=department),
        uow,
    ):
        entry, owner = owned(
            uow, policy, entry_id, department, action=EventTag.LISTING_EXTENDED.value
        )
        require_decider(entry.list_type, uow.departments.get(department) if department else None)
        if decided_on > business_date(uow.now()):
            raise Invalid("decided_on: an extension cannot be recorded before it is decided")
        entry.extend(months=months, decided_on=decided_on)
        uow.entries.save(entry, at=uow.now())
        audit_entry(
            uow,
            EventTag.LISTING_EXTENDED,
            actor,
            entry,
            months=months,
            decided_on=str(decided_on),
        )
        changed(uow, entry, policy, EventKind.LISTING_EXTENDED)
        subject = uow.subjects.get(entry.subject_id)
        uow.commit()
    return EntryView(entry, subject, owner)


def note_deletion_ground(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    *,
    ground: str,
    arose_on: date,
    department: str | None,
    actor: str,
) -> EntryView:
    """Record that a deletion ground arose (performance, settlement, the creditor's consent …):
    the deciding authority must delete the listing within the list's working days of that day
    (a court: 3). The listing stays in force until it does; past the deadline it is overdue."""
    with misroutes_audited(uow, actor=actor, department=department), uow:
        entry, owner = owned(
            uow, policy, entry_id, department, action=EventTag.LISTING_DELETION_GROUND.value
        )
        today = business_date(uow.now())
        if arose_on > today:
            raise Invalid("arose_on: a deletion ground cannot arise in the future")
        due = add_working_days(arose_on, entry.list_type.removal_working_days)
        entry.note_deletion_ground(ground, due=due)
        uow.entries.save(entry, at=uow.now())
        audit_entry(
            uow,
            EventTag.LISTING_DELETION_GROUND,
            actor,
            entry,
            ground=ground,
            arose_on=arose_on.isoformat(),
            due=due.day.isoformat(),
        )
        subject = uow.subjects.get(entry.subject_id)
        uow.commit()
    return EntryView(entry, subject, owner)
