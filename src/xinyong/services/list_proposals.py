"""A proposal, which opens the platform's listing procedure: only by a department competent for
the list (or the credit centre, which runs it), on the subject's own records heavy enough for the
list, each named once, and never beside an open entry of the person on that list (docs/domain.md
§7). A refusal for want of a mandate is audited (`mandate:refused`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.errors import Invalid, NotFound
from xinyong.domain.list_proposals import (
    AlreadyOnList,
    distinct_basis,
    open_entry_of,
    require_heavy_basis,
    require_proposer,
)
from xinyong.domain.lists import ListEntry, MinorNeverListed, is_minor, propose_listing
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus, conduct_date
from xinyong.services.audit import mandate_refusals_audited
from xinyong.services.lists import EntryView, audit_entry, entity_id, list_type_of
from xinyong.services.subjects import find_subject

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


def propose(
    uow: UnitOfWork,
    policy: Policy,
    *,
    list_code: str,
    subject_number: str,
    grounds: str,
    basis_records: Sequence[int],
    department: str | None,
    actor: str,
) -> EntryView:
    """Open a platform-run listing on the records it rests on."""
    list_type = list_type_of(policy, list_code)
    if not grounds.strip():
        raise Invalid("grounds: a proposal states its grounds")
    basis = distinct_basis(basis_records)
    with mandate_refusals_audited(uow, actor=actor, department=department), uow:
        proposer = uow.departments.get(department) if department is not None else None
        require_proposer(list_type, proposer)
        subject = find_subject(uow, subject_number, list_type.subject_type)
        subject_id = entity_id(subject)
        # Held until the proposal commits: a second proposal about the person waits, then
        # finds this one's entry open (`open_entry_of` below).
        uow.subjects.lock(subject_id)
        now = uow.now()
        today = business_date(now)
        # The list and the person first (a court's list, a minor), then the records it
        # rests on, then the entries the person already has.
        entry = propose_listing(
            list_type,
            subject_id=subject_id,
            subject_age=subject.age_on(today),
            grounds=grounds.strip(),
            basis_records=basis,
            proposed_by=actor,
            at=now,
            age_of_majority=policy.periods.age_of_majority,
        )
        records = [_basis_record(uow, entry, r, department, today) for r in basis]
        # The age at the conduct decides, not the age today: conduct at 17 never grounds a
        # listing, however old the person is when it is proposed.
        youngest = subject.age_on(min(conduct_date(r) for r in records))
        if is_minor(youngest, policy.periods.age_of_majority):
            raise MinorNeverListed
        made = {list_type.ground_for_record(r.item_code, r.fields) for r in records}
        if len(made) > 1:
            raise Invalid("basis_records: the records make different grounds; propose each apart")
        ground = made.pop()
        entry.ground = ground.code if ground else None
        held = uow.entries.of_subject(subject_id, policy.list_types)
        if (open_entry := open_entry_of(held, list_type.code, today)) is not None:
            raise AlreadyOnList(list_type.code, open_entry.id or 0)
        uow.entries.add(entry, department=department, source_record=None, at=now)
        audit_entry(uow, EventTag.LISTING_PROPOSED, actor, entry, records=list(basis))
        uow.commit()
    return EntryView(entry, subject, department)


def _basis_record(
    uow: UnitOfWork, entry: ListEntry, record_id: int, department: str | None, today: date
) -> CreditRecord:
    """One record the proposal rests on: the subject's own (a department's, its own), active,
    in display, of an item the list rests on, and heavy enough for the list."""
    list_type = entry.list_type
    try:
        record = uow.records.get(record_id)
    except NotFound:
        raise Invalid(f"basis_records: record {record_id} does not exist") from None
    if department is not None and record.department != department:
        # A department proposes on its own findings; others' records stay unseen.
        raise Invalid(f"basis_records: record {record_id} does not exist")
    if record.subject_id != entry.subject_id:
        raise Invalid(f"basis_records: record {record_id} is about someone else")
    if record.status is not RecordStatus.ACTIVE:
        raise Invalid(f"basis_records: record {record_id} is {record.status.value}")
    if not record.is_displayable_on(today):
        raise Invalid(
            f"basis_records: record {record_id}'s display period ended on"
            f" {record.display_ends}; it can ground nothing any more"
        )
    if list_type.source_items and record.item_code not in list_type.source_items:
        allowed = ", ".join(sorted(list_type.source_items))
        raise Invalid(
            f"basis_records: record {record_id} is a {record.item_code} record;"
            f" {list_type.code} rests on {allowed}"
        )
    require_heavy_basis(list_type, record_id, record.severity)
    return record
