"""The listing procedure as use cases: notify, hear the defence, decide, publish, end (a
proposal, which opens it: `services/list_proposals.py`).

Every step loads the entry, asks the domain to make the transition (which refuses what the law
does not allow), stores it, audits it with its actor, and, when it changes what a check answers,
appends to the change log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Invalid, NotFound, NotRouted, NotYours
from xinyong.domain.exchange import EventKind
from xinyong.domain.lists import (
    CLEAN_STATUS_ENDERS,
    REFUSAL,
    SERIOUS_LISTING,
    IllegalTransition,
    ListEntry,
    ListType,
)
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import Subject
from xinyong.services import audit
from xinyong.services.outbound import queue_listing
from xinyong.services.publication import ResultPage

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class ListEntryRepository(Protocol):
    def add(
        self, entry: ListEntry, *, department: str | None, source_record: int | None, at: datetime
    ) -> int:
        """Store a new entry and set its id."""
        ...

    def add_many(self, entries: Sequence[ListEntry], *, at: datetime) -> None:
        """Store new entries the platform records itself (no department, no source record) in
        one statement, and set their ids."""
        ...

    def get(self, entry_id: int, list_types: Mapping[str, ListType]) -> ListEntry: ...
    def department_of(self, entry_id: int) -> str | None: ...
    def in_procedure(
        self,
        department: str | None,
        list_types: Mapping[str, ListType],
        *,
        limit: int,
        offset: int = 0,
    ) -> list[ListEntry]:
        """Listings still in their procedure (one department's, or all), oldest first."""
        ...

    def count_in_procedure(self, department: str | None) -> int: ...

    def source_record_of(self, entry_id: int) -> int | None: ...
    def past_period(self, day: date, list_types: Mapping[str, ListType]) -> list[ListEntry]: ...
    def published_with_end(
        self, codes: Collection[str], list_types: Mapping[str, ListType], *, after: int, limit: int
    ) -> list[ListEntry]:
        """Entries on these lists published (in force, in their notice, or ended since) with an
        end of their own, after entry `after`, oldest first, at most `limit`."""
        ...

    def save(self, entry: ListEntry, *, at: datetime) -> None: ...
    def of_subject(
        self, subject_id: int, list_types: Mapping[str, ListType]
    ) -> list[ListEntry]: ...
    def linked_records(self, record_ids: Collection[int]) -> set[int]:
        """Which of these records already have an entry recorded from them."""
        ...

    def subjects_listed(self, subject_ids: Collection[int]) -> set[int]:
        """Which of these subjects have an entry in its procedure (proposed, noticed) or in
        force (decided, published): those a changed record of theirs may have listings on."""
        ...

    def live_of_lists(
        self,
        codes: Collection[str],
        subject_ids: Collection[int] | None,
        list_types: Mapping[str, ListType],
    ) -> list[ListEntry]:
        """Decided or published entries on these lists (of these subjects, or everybody's)."""
        ...

    def count(self, state: str | None = None) -> int: ...


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry with the subject it is about (for responses and documents)."""

    entry: ListEntry
    subject: Subject
    department: str | None


def list_type_of(policy: Policy, code: str) -> ListType:
    found = policy.list_types.get(code)
    if found is None:
        raise NotFound(f"no list type {code}; see GET /api/v1/lists/types")
    return found


def entity_id(subject: Subject) -> int:
    if subject.id is None:
        raise NotFound("subject: not stored")
    return subject.id


def audit_entry(
    uow: UnitOfWork, tag: EventTag, actor: str, entry: ListEntry, **data: object
) -> None:
    uow.audit.add(
        AuditEvent(
            tag,
            actor,
            "list_entry",
            str(entry.id),
            uow.now(),
            subject_id=entry.subject_id,
            data={"list": entry.list_type.code, "state": entry.state.value, **data},
        )
    )


def changed(
    uow: UnitOfWork, entry: ListEntry, policy: Policy, kind: EventKind | None = None
) -> None:
    """The days a listing is in force changed: checks follow (the change log), and so do the
    exchange's peers (the outbox), and the display of the record a court's or authority's
    listing rests on (docs/lists-and-measures.md, "A listing keeps its record shown")."""
    uow.changes.append(
        ChangeKind.LISTING, subject_id=entry.subject_id, entity_id=entry.id, at=uow.now()
    )
    queue_listing(uow, policy, entry, kind)
    from xinyong.services.list_bases import hold_record_display  # it builds on this module

    hold_record_display(uow, policy, entry, actor="platform")


def lose_clean_status(
    uow: UnitOfWork, policy: Policy, subject_ids: Collection[int], ground: str, *, actor: str
) -> int:
    """End, inside the caller's transaction, the derived good-credit status these subjects hold:
    a new negative record or a serious listing ends it at once, not at the next sweep."""
    derived = [t.code for t in policy.list_types.values() if t.derived]
    if not subject_ids or not derived:
        return 0
    today = business_date(uow.now())
    held = uow.entries.live_of_lists(derived, subject_ids, policy.list_types)
    for entry in held:
        entry.exit(ground=ground, on=today)
        uow.entries.save(entry, at=uow.now())
        audit_entry(uow, EventTag.LISTING_EXITED, actor, entry, ground=ground)
        changed(uow, entry, policy)
    return len(held)


def end_clean_status_on_listing(
    uow: UnitOfWork, policy: Policy, entry: ListEntry, *, actor: str
) -> None:
    """A serious or key-supervision listing in force ends the subject's derived clean status."""
    if entry.list_type.kind in CLEAN_STATUS_ENDERS and entry.is_in_force_on(
        business_date(uow.now())
    ):
        lose_clean_status(uow, policy, [entry.subject_id], SERIOUS_LISTING, actor=actor)


def owned(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    department: str | None,
    *,
    action: str,
    subject_id: int | None = None,
) -> tuple[ListEntry, str | None]:
    """An entry and its department; another department's entry, or (for a person acting on
    their own file, `subject_id`) another person's, does not exist for the caller. Either reach
    is a refusal for want of a mandate (`NotRouted`, for `services.audit.misroutes_audited` to
    audit as the step `action`)."""
    entry = uow.entries.get(entry_id, policy.list_types)
    owner = uow.entries.department_of(entry_id)
    if department is not None and owner != department:
        raise NotRouted(f"list entry {entry_id}", action=action, subject_id=entry.subject_id)
    if subject_id is not None and entry.subject_id != subject_id:
        raise NotYours(f"list entry {entry_id}", action=action, subject_id=entry.subject_id)
    return entry, owner


def _step(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    *,
    department: str | None,
    actor: str,
    tag: EventTag,
    step: Callable[[ListEntry, date], object],
    subject_id: int | None = None,
    **data: object,
) -> EntryView:
    """Load, transition, store and audit one entry. A step that changes the days the entry is
    in force (a decision, an exit) also appends to the change log, which checks follow."""
    with audit.misroutes_audited(uow, actor=actor, department=department), uow:
        entry, owner = owned(
            uow, policy, entry_id, department, action=tag.value, subject_id=subject_id
        )
        before = entry.force_window()
        now = uow.now()
        step(entry, business_date(now))
        uow.entries.save(entry, at=now)
        audit_entry(uow, tag, actor, entry, **data)
        if entry.force_window() != before:
            changed(uow, entry, policy)
            end_clean_status_on_listing(uow, policy, entry, actor=actor)
        subject = uow.subjects.get(entry.subject_id)
        uow.commit()
    return EntryView(entry, subject, owner)


def serve_notice(
    uow: UnitOfWork, policy: Policy, entry_id: int, *, department: str | None, actor: str
) -> EntryView:
    """Serve the prior notice with the repair notice; the defence window starts today."""
    return _step(
        uow,
        policy,
        entry_id,
        department=department,
        actor=actor,
        tag=EventTag.LISTING_NOTICE_SERVED,
        step=lambda entry, today: entry.serve_notice(on=today),
    )


def state_defence(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    text: str,
    *,
    department: str | None,
    actor: str,
) -> EntryView:
    """Record the person's defence or objection, within the window."""
    if not text.strip():
        raise Invalid("defence: the defence is empty")
    return _step(
        uow,
        policy,
        entry_id,
        department=department,
        actor=actor,
        tag=EventTag.LISTING_DEFENCE_STATED,
        step=lambda entry, today: entry.state_defence(text.strip(), on=today),
    )


def state_own_defence(
    uow: UnitOfWork, policy: Policy, entry_id: int, text: str, *, subject_id: int, actor: str
) -> EntryView:
    """The person states their own defence or objection to a listing proposed about them,
    within the window the notice opened; the deciding department reads it before deciding."""
    if not text.strip():
        raise Invalid("defence: the defence is empty")
    return _step(
        uow,
        policy,
        entry_id,
        department=None,
        subject_id=subject_id,
        actor=actor,
        tag=EventTag.LISTING_DEFENCE_STATED,
        step=lambda entry, today: entry.state_defence(text.strip(), on=today),
        by="subject",
    )


def refuse_entry(
    uow: UnitOfWork, policy: Policy, entry_id: int, *, subject_id: int, actor: str
) -> EntryView:
    """The person refuses a good-credit entry about them (an honour, volunteering, a
    donation): it ends today and its rewards stop at once."""
    return _step(
        uow,
        policy,
        entry_id,
        department=None,
        subject_id=subject_id,
        actor=actor,
        tag=EventTag.LISTING_EXITED,
        step=lambda entry, today: entry.refuse(on=today),
        ground=REFUSAL,
    )


def decide(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    *,
    reasons: str,
    months: int | None,
    department: str | None,
    actor: str,
) -> EntryView:
    """Decide the listing in writing, with reasons and a period; measures apply from today."""
    if not reasons.strip():
        raise Invalid("reasons: a decision states its reasons")

    from xinyong.services.list_bases import require_live_basis  # it builds on this module

    def step(entry: ListEntry, today: date) -> None:
        require_live_basis(uow, entry, today)
        entry.decide(reasons=reasons.strip(), on=today, months=months)

    return _step(
        uow,
        policy,
        entry_id,
        department=department,
        actor=actor,
        tag=EventTag.LISTING_DECIDED,
        step=step,
    )


def publish(
    uow: UnitOfWork, policy: Policy, entry_id: int, *, department: str | None, actor: str
) -> EntryView:
    """Publish a decided listing (of a published list, in its period); a refusal is audited."""
    try:
        return _step(
            uow,
            policy,
            entry_id,
            department=department,
            actor=actor,
            tag=EventTag.LISTING_PUBLISHED,
            step=lambda entry, today: entry.publish(on=today),
        )
    except IllegalTransition as refusal:
        audit.record_listing_refused(
            uow, refusal, entry_id=entry_id, step="publish", actor=actor, department=department
        )
        raise


def end_listing(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    *,
    ground: str,
    note: str,
    department: str | None,
    actor: str,
) -> EntryView:
    """End a listing on one of its list's exit grounds; checks stop returning it at once."""
    return _step(
        uow,
        policy,
        entry_id,
        department=department,
        actor=actor,
        tag=EventTag.LISTING_EXITED,
        step=lambda entry, today: entry.exit(ground=ground, on=today),
        ground=ground,
        note=note,
    )


def withdraw(
    uow: UnitOfWork, policy: Policy, entry_id: int, *, department: str | None, actor: str
) -> EntryView:
    """Drop a proposal before any decision (after the defence, say)."""
    return _step(
        uow,
        policy,
        entry_id,
        department=department,
        actor=actor,
        tag=EventTag.LISTING_WITHDRAWN,
        step=lambda entry, today: entry.withdraw(on=today),
    )


def get_entry(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    *,
    department: str | None,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> EntryView:
    """One entry (a department only its own; reaching for another's is audited through
    `refusals`, `uow` itself unless it only reads)."""
    with audit.misroutes_audited(refusals or uow, actor=actor, department=department), uow:
        entry, owner = owned(uow, policy, entry_id, department, action="listing:read")
        return EntryView(entry, uow.subjects.get(entry.subject_id), owner)


def listings_in_procedure(
    uow: UnitOfWork, policy: Policy, *, department: str | None, page: int = 1, size: int = 100
) -> ResultPage[EntryView]:
    """Listings proposed, noticed or decided and not yet published (a department's own), a
    page at a time, oldest first, with how many there are in all."""
    with uow:
        entries = uow.entries.in_procedure(
            department, policy.list_types, limit=size, offset=(page - 1) * size
        )
        views = tuple(
            EntryView(e, uow.subjects.get(e.subject_id), uow.entries.department_of(e.id or 0))
            for e in entries
        )
        return ResultPage(views, uow.entries.count_in_procedure(department), page, size)


def entries_of(uow: UnitOfWork, policy: Policy, subject_id: int) -> list[EntryView]:
    """Every entry about one subject, in any state, oldest first."""
    with uow:
        subject = uow.subjects.get(subject_id)
        return [
            EntryView(entry, subject, uow.entries.department_of(entry.id or 0))
            for entry in uow.entries.of_subject(subject_id, policy.list_types)
        ]
