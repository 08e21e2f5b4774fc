"""What this platform tells its peers: every change to a record, a listing or an objection mark,
queued in the outbox in the transaction that made it (docs/exchange.md, outbound).

Services call these functions right after they change an entity. Nothing is queued while the
platform is no exchange node, while a transaction applies a peer's change (`Outbox.pause`), or
for an entity another origin owns: the origin alone speaks for its entities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from xinyong.domain.catalog import CatalogItem
from xinyong.domain.errors import NotFound
from xinyong.domain.exchange import (
    Change,
    Entity,
    EntityType,
    EventKind,
    JsonValue,
    Sharing,
    SubjectIdentity,
    SubjectType,
    json_safe,
    sharing_for,
    subject_reference,
)
from xinyong.domain.lists import EntryState, ListEntry
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus, Submission, document_key
from xinyong.domain.subjects import Subject

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

#: Fields of a submitted row that travel as the subject's identity, sealed, not in the row.
_IDENTITY_FIELDS = frozenset({"subject_id", "subject_name"})
#: Who proposed a listing copy received from a peer: `node:<origin>`. Such copies are the
#: origin's to report, never this node's.
RECEIVED_BY = "node:"


def record_entity(department: str, document_number: str) -> Entity:
    """A record's name in the exchange: its department and document key, the same everywhere."""
    return Entity(EntityType.RECORD, f"{department}:{document_key(document_number)}")


def listing_entity(origin: str, entry_id: int) -> Entity:
    return Entity(EntityType.LISTING, f"{origin}:{entry_id}")


def identity_of(subject: Subject) -> tuple[str, SubjectIdentity]:
    """The subject's exchange reference and its sealed identity."""
    kind = SubjectType(subject.kind.value)
    return subject_reference(kind, subject.number), SubjectIdentity(
        kind, subject.number, subject.name
    )


def _sharing(item: CatalogItem | None) -> Sharing:
    """How far a record of `item` travels: a local item (a local legal basis only) never."""
    return sharing_for(item.sharing_scope, local_only=item.is_local) if item else Sharing.SHARED


def _row(original: Mapping[str, object]) -> dict[str, JsonValue]:
    return {
        str(k): json_safe(v)
        for k, v in sorted(original.items())
        if k not in _IDENTITY_FIELDS and v is not None and v != ""
    }


#: The key of a record event's state that carries an identity review's decision, and its one
#: value: the record is not about the person, withheld for good. Only the event the decision
#: queues carries it (a resend carries the record's state alone), so a peer tells its own
#: recipients once, as the origin tells its own (docs/exchange.md, "Agencies in step").
REVIEW_DECISION = "identity_review"
WITHHELD = "withheld"
#: The key of a record event's state that carries the outcome of the objection whose decision
#: lifted the record's mark (a policy outcome, `[objections] outcomes`): only the event that
#: lifts it carries it, so a peer tells its recipients of the copy the outcome once, as the
#: origin tells its own (docs/exchange.md, "Agencies in step").
OBJECTION_OUTCOME = "objection_outcome"
#: The key of a listing event's state saying that its objection mark is set by an objection to
#: the listing itself (filed, or its decision challenged), not to a record under it, whose own
#: event tells the peer's recipients: only the event that sets the mark carries it, and the one
#: that lifts it on a decision carries `OBJECTION_OUTCOME`, so a peer tells the recipients of its
#: copy once of each, as the origin tells its own.
LISTING_CONTESTED = "listing_contested"
#: The key of a listing event's state that carries the outcome of an objection to a record the
#: listing rests on, beside that record's key (`{"record": key, "outcome": outcome}`): only the
#: event that lifts the listing's mark on that decision carries it. The record's own event
#: (`OBJECTION_OUTCOME`) tells a peer that holds its copy, which then tells nothing from this
#: one; a peer that holds no copy of it (not shared with it, or refused there) tells the
#: recipients of the listing's copy from this one, so that each is told once.
RECORD_OBJECTION = "record_objection"


@dataclass(frozen=True, slots=True)
class _RecordFacts:
    department: str
    document_number: str
    item: CatalogItem | None
    item_code: str
    catalog_version: str
    status: RecordStatus
    decided_on: date
    under_objection: bool
    fields: Mapping[str, object]
    original: Mapping[str, object]
    content_hash: str
    revocation_reason: str | None


def _record_change(
    facts: _RecordFacts,
    kind: EventKind,
    subject: Subject,
    uow: UnitOfWork,
    decision: str | None = None,
    outcome: str | None = None,
) -> Change:
    ref, identity = identity_of(subject)
    state: dict[str, JsonValue] = {
        "document_number": facts.document_number,
        "status": facts.status.value,
        "decided_on": facts.decided_on.isoformat(),
        "under_objection": facts.under_objection,
        "fields": {str(k): json_safe(v) for k, v in sorted(facts.fields.items())},
        "row": _row(facts.original),
        "content_hash": facts.content_hash,
    }
    if facts.revocation_reason:
        state["revocation_reason"] = facts.revocation_reason
    if decision is not None:
        state[REVIEW_DECISION] = decision
    if outcome is not None:
        state[OBJECTION_OUTCOME] = outcome
    return Change(
        kind=kind,
        occurred_at=uow.now(),
        department=facts.department,
        catalog_item=facts.item_code,
        catalog_version=facts.catalog_version,
        sharing=_sharing(facts.item),
        entity=record_entity(facts.department, facts.document_number),
        subject_ref=ref,
        subject=identity,
        state=state,
    )


def queue_record(
    uow: UnitOfWork,
    policy: Policy,
    record: CreditRecord,
    kind: EventKind,
    *,
    outcome: str | None = None,
) -> None:
    """Queue the record's whole state after `kind` happened to it (`outcome`: the decided
    objection's, when its decision lifted the mark)."""
    queue_record_of(uow, policy.item_of(record), record, kind, outcome=outcome)


def queue_if_moved(
    uow: UnitOfWork, policy: Policy, record_id: int, was: tuple[RecordStatus, int]
) -> None:
    """Queue `record.updated` if the record's status or subject is no longer `was`."""
    record = uow.records.get(record_id)
    if (record.status, record.subject_id) != was:
        queue_record(uow, policy, record, EventKind.RECORD_UPDATED)


def queue_records(
    uow: UnitOfWork, policy: Policy, record_ids: Sequence[int], kind: EventKind
) -> None:
    """`queue_record` for many records that `kind` happened to (the sweep's chunks), as one
    write of the outbox: nothing is read unless this platform is an exchange node."""
    if not record_ids or uow.outbox.origin() is None:
        return
    records = [uow.records.get(record_id) for record_id in record_ids]
    foreign = uow.outbox.foreign([record_entity(r.department, r.document_number) for r in records])
    subjects = uow.subjects.get_many({r.subject_id for r in records})
    changes: list[Change] = []
    for r in records:
        if record_entity(r.department, r.document_number) in foreign:
            continue
        facts = _RecordFacts(
            department=r.department,
            document_number=r.document_number,
            item=policy.item_of(r),
            item_code=r.item_code,
            catalog_version=r.catalog_version,
            status=r.status,
            decided_on=r.decision_date,
            under_objection=r.under_objection,
            fields=r.fields,
            original=uow.records.original(r.id),
            content_hash=r.content_hash,
            revocation_reason=r.revocation_reason,
        )
        changes.append(_record_change(facts, kind, subjects[r.subject_id], uow))
    uow.outbox.add_many(changes, at=uow.now())


def queue_record_of(
    uow: UnitOfWork,
    item: CatalogItem | None,
    record: CreditRecord,
    kind: EventKind = EventKind.RECORD_UPDATED,
    *,
    decision: str | None = None,
    outcome: str | None = None,
) -> None:
    """`queue_record` for a caller that has the record's catalog item at hand; `decision` is an
    identity review's (`WITHHELD`), `outcome` an objection's, each carried by this one event."""
    if uow.outbox.origin() is None:
        return
    if uow.outbox.foreign([record_entity(record.department, record.document_number)]):
        return
    facts = _RecordFacts(
        department=record.department,
        document_number=record.document_number,
        item=item,
        item_code=record.item_code,
        catalog_version=record.catalog_version,
        status=record.status,
        decided_on=record.decision_date,
        under_objection=record.under_objection,
        fields=record.fields,
        original=uow.records.original(record.id),
        content_hash=record.content_hash,
        revocation_reason=record.revocation_reason,
    )
    subject = uow.subjects.get(record.subject_id)
    change = _record_change(facts, kind, subject, uow, decision, outcome)
    uow.outbox.add(change, at=uow.now())


def queue_submissions(
    uow: UnitOfWork,
    stored: Sequence[tuple[Submission, RecordStatus, EventKind]],
    subjects: Mapping[str, Subject],
) -> None:
    """Queue the records a chunk accepted or updated, in one statement (batches stay
    set-based); `subjects` maps each submission's number to its subject."""
    if not stored or uow.outbox.origin() is None:
        return
    foreign = uow.outbox.foreign(
        [record_entity(s.department, s.document_number) for s, _, _ in stored]
    )
    changes: list[Change] = []
    for s, status, kind in stored:
        if record_entity(s.department, s.document_number) in foreign:
            continue
        facts = _RecordFacts(
            department=s.department,
            document_number=s.document_number,
            item=s.item,
            item_code=s.item.code,
            catalog_version=s.catalog_version,
            status=status,
            decided_on=s.decision_date,
            under_objection=False,
            fields=s.fields,
            original=s.original,
            content_hash=s.content_hash,
            revocation_reason=None,
        )
        changes.append(_record_change(facts, kind, subjects[s.subject_number], uow))
    uow.outbox.add_many(changes, at=uow.now())


_IN_FORCE = (EntryState.DECIDED, EntryState.PUBLISHED)


def listing_state(entry: ListEntry, records: Sequence[Entity]) -> dict[str, JsonValue]:
    """A listing's state as the exchange carries it (and as leaves cover it)."""
    return {
        "list_type": entry.list_type.code,
        "state": "in_force" if entry.state in _IN_FORCE else "ended",
        "stage": entry.state.value,
        "records": [json_safe(k) for k in sorted(e.key for e in records)],
        "under_objection": entry.under_objection,
        "decided_on": json_safe(entry.decided_on),
        "published_on": json_safe(entry.published_on),
        "ends_on": json_safe(entry.ends_on),
        "exited_on": json_safe(entry.exited_on),
        "exit_ground": entry.exit_ground,
        "grounds": entry.grounds,
        "ground": entry.ground,
    }


def listing_kind(entry: ListEntry) -> EventKind | None:
    """What a save of this listing tells peers; None while it is only proposed (or a proposal
    was withdrawn): the procedure before a decision stays on its platform."""
    if entry.state in _IN_FORCE:
        return EventKind.LISTING_IN_FORCE
    if entry.state is EntryState.EXITED:
        return EventKind.LISTING_ENDED
    return None


def basis_of(uow: UnitOfWork, entry: ListEntry) -> list[CreditRecord]:
    """The records a listing rests on: those it names, and the record it was recorded from."""
    ids = list(entry.basis_records)
    source = uow.entries.source_record_of(entry.id or 0)
    if source is not None and source not in ids:
        ids.append(source)
    found = []
    for record_id in ids:
        try:
            found.append(uow.records.get(record_id))
        except NotFound:  # deleted after its retention
            continue
    return found


def queue_listing(
    uow: UnitOfWork,
    policy: Policy,
    entry: ListEntry,
    kind: EventKind | None = None,
    *,
    contested: bool = False,
    outcome: str | None = None,
    record_outcome: tuple[CreditRecord, str] | None = None,
) -> None:
    """Queue a listing's whole state; `kind` defaults to what its state says (in force, ended).
    `contested`: an objection to the listing itself set its mark; `outcome`: the decided
    objection's, when its decision lifted the mark; `record_outcome`: the record under it whose
    objection's decision lifted the mark, and its outcome (each carried by this one event)."""
    kind = kind or listing_kind(entry)
    origin = uow.outbox.origin()
    if kind is None or origin is None or entry.id is None or entry.list_type.derived:
        return  # derived statuses: every platform derives its own
    if entry.proposed_by.startswith(RECEIVED_BY):
        return
    if entry.state is EntryState.WITHDRAWN or (
        entry.state is EntryState.EXITED and entry.decided_on is None
    ):
        return  # never in force: no peer ever heard of it
    basis = basis_of(uow, entry)
    first = basis[0] if basis else None
    item = policy.item_of(first) if first else None
    department = uow.entries.department_of(entry.id) or (first.department if first else origin)
    ref, identity = identity_of(uow.subjects.get(entry.subject_id))
    records = [record_entity(r.department, r.document_number) for r in basis]
    state = listing_state(entry, records)
    if contested:
        state[LISTING_CONTESTED] = True
    if outcome is not None:
        state[OBJECTION_OUTCOME] = outcome
    if record_outcome is not None:
        contested_record, decided = record_outcome
        key = record_entity(contested_record.department, contested_record.document_number).key
        state[RECORD_OBJECTION] = {"record": key, "outcome": decided}
    change = Change(
        kind=kind,
        occurred_at=uow.now(),
        department=department,
        catalog_item=first.item_code if first else entry.list_type.code,
        catalog_version=first.catalog_version if first else policy.catalog.version,
        sharing=_listing_sharing(entry, item),
        entity=listing_entity(origin, entry.id),
        subject_ref=ref,
        subject=identity,
        state=state,
    )
    uow.outbox.add(change, at=uow.now())


def _listing_sharing(entry: ListEntry, item: CatalogItem | None) -> Sharing:
    """How far a listing travels: as its first record's item when its list is published, to
    public bodies only when not; a listing on a local item's record never leaves its origin."""
    sharing = _sharing(item)
    if sharing is Sharing.NEVER or entry.list_type.published:
        return sharing
    return Sharing.SHARED


_KIND_OF_STATUS = {
    RecordStatus.REVOKED: EventKind.RECORD_REVOKED,
    RecordStatus.REPAIRED: EventKind.RECORD_REPAIRED,
    RecordStatus.EXPIRED: EventKind.RECORD_EXPIRED,
    RecordStatus.CORRECTED: EventKind.RECORD_CORRECTED,
}


def requeue_subjects(uow: UnitOfWork, policy: Policy, subject_ids: Sequence[int]) -> int:
    """Queue again the current state of everything this node is the origin of about these
    subjects (a peer's copy differs: reconciliation's repair). Return how many were queued."""
    queued = 0
    with uow:
        for subject_id in subject_ids:
            for record in uow.records.of_subject(subject_id):
                if uow.outbox.foreign([record_entity(record.department, record.document_number)]):
                    continue
                kind = _KIND_OF_STATUS.get(record.status, EventKind.RECORD_UPDATED)
                queue_record(uow, policy, record, kind)
                queued += 1
            for entry in uow.entries.of_subject(subject_id, policy.list_types):
                if listing_kind(entry) is None or entry.proposed_by.startswith(RECEIVED_BY):
                    continue
                if entry.list_type.derived or entry.decided_on is None:
                    continue
                queue_listing(uow, policy, entry)
                queued += 1
        uow.commit()
    return queued
