"""The person's rights as use cases: authorisations and agency queries, objections, repair,
expiry, and the feed that tells every party that received an item what became of it.

Marks reach every output at once: an objection marks the record (and every listing resting on
it) in the same transaction, and appends to the change log, so the next check shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from xinyong.domain.access import ApiKey
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import add_working_days
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, Invalid, NotAllowed, NotFound
from xinyong.domain.identifiers import mask_name, normalise, redact_id_numbers
from xinyong.domain.index import person_key, subject_key
from xinyong.domain.lists import EntryState, ListEntry
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus
from xinyong.domain.rights import (
    Authorisation,
    FeedItem,
    Objection,
    Repair,
    RepairStatus,
    file_objection,
    grant,
    repair_eligibility,
)
from xinyong.domain.subjects import Subject
from xinyong.services.lists import find_subject
from xinyong.services.ports import QueryEntry, UnitOfWork, business_date


def _key(subject: Subject) -> int:
    return subject_key(subject.number, organisation=subject.kind is SubjectType.ORGANISATION)


def _notify(
    uow: UnitOfWork, subject: Subject, kind: str, entity_type: str, entity_id: int, detail: str
) -> int:
    """Tell every party that received this item (a check's entry, an agency's record) what
    became of it. Parties that received other items, or nothing, are not told."""
    key = _key(subject)
    wanted = ("record" if entity_type == "record" else "entry", entity_id)
    recipients = sorted(
        {party for party, returned in uow.rights.deliveries(key) if wanted in _items(returned)}
    )
    at = uow.now()
    clean = redact_id_numbers(detail)
    uow.rights.add_feed(
        [FeedItem(r, kind, entity_type, entity_id, key, clean, at) for r in recipients]
    )
    return len(recipients)


def _items(returned: str) -> set[tuple[str, int]]:
    """The items a query log entry says were given: `record@7`, `entry@12`, and a check's
    `M-COURT-FLIGHT@12` (a measure and the entry that triggered it)."""
    items: set[tuple[str, int]] = set()
    for part in returned.split(";"):
        head, _, tail = part.partition("@")
        if tail.isdigit():
            items.add(("record" if head == "record" else "entry", int(tail)))
    return items


# -- authorisations and agency queries -----------------------------------------------------------


def grant_authorisation(
    uow: UnitOfWork,
    policy: Policy,
    *,
    subject_id: int,
    grantee: str,
    purpose: str,
    scope: str,
    expires_on: date,
    actor: str,
) -> Authorisation:
    with uow:
        party = uow.departments.get(grantee)
        if party is None:
            raise NotFound(f"grantee: {grantee} is not a registered party")
        now = uow.now()
        authorisation = grant(
            subject_id=subject_id,
            grantee=grantee,
            purpose=purpose,
            scope=scope,
            expires_on=expires_on,
            granted_by=actor,
            at=now,
            on=business_date(now),
            rules=policy.rights,
        )
        uow.rights.add_authorisation(authorisation)
        uow.audit.add(
            AuditEvent(
                EventTag.AUTHORISATION_GRANTED,
                actor,
                "authorisation",
                str(authorisation.id),
                now,
                subject_id=subject_id,
                data={"grantee": grantee, "scope": scope, "until": expires_on.isoformat()},
            )
        )
        uow.commit()
    return authorisation


def revoke_authorisation(
    uow: UnitOfWork, *, subject_id: int, authorisation_id: int, actor: str
) -> Authorisation:
    with uow:
        authorisation = uow.rights.get_authorisation(authorisation_id)
        if authorisation.subject_id != subject_id:
            raise NotFound(f"authorisation {authorisation_id} does not exist")
        if authorisation.revoked_at is not None:
            raise Conflict(f"authorisation {authorisation_id} is revoked already")
        authorisation.revoked_at = uow.now()
        uow.rights.save_authorisation(authorisation)
        uow.audit.add(
            AuditEvent(
                EventTag.AUTHORISATION_REVOKED,
                actor,
                "authorisation",
                str(authorisation_id),
                authorisation.revoked_at,
                subject_id=subject_id,
            )
        )
        uow.commit()
    return authorisation


def authorisations_of(uow: UnitOfWork, subject_id: int) -> list[Authorisation]:
    with uow:
        return uow.rights.authorisations_of(subject_id)


@dataclass(frozen=True, slots=True)
class AgencyAnswer:
    query_id: int
    authorisation: Authorisation
    subject: Subject
    records: list[CreditRecord]
    entries: list[ListEntry]


class NotAuthorised(NotAllowed):
    """A query of non-public information without a live authorisation (it is logged too)."""


def agency_query(
    uow: UnitOfWork,
    policy: Policy,
    *,
    caller: ApiKey,
    number: str,
    purpose: str,
    scope: str,
) -> AgencyAnswer:
    """Answer an authorised party's query, or refuse it; either way it is in the query log."""
    if caller.department is None:
        raise NotAllowed("this key is not bound to a registered party")
    if not purpose.strip():
        raise Invalid("purpose: say what the query is for")
    purpose = purpose.strip()
    with uow:
        try:
            subject: Subject | None = find_subject(uow, number, SubjectType.PERSON)
        except NotFound:
            subject = None  # answered like a missing authorisation: nothing is revealed
        now = uow.now()
        today = business_date(now)
        live = [
            a
            for a in (uow.rights.authorisations_of(subject.id) if subject and subject.id else [])
            if a.grantee == caller.department
            and a.scope == scope
            and a.purpose == purpose
            and a.is_live_on(today)
        ]
        found_key = _key(subject) if subject else person_key(normalise(number))
        if found_key is None:
            raise Invalid("subject: not a valid citizen ID number")
        key: int = found_key
        if subject is None or subject.id is None or not live:
            uow.queries.add_many(
                [
                    QueryEntry(
                        now,
                        key,
                        "agency_refused",
                        caller.department,
                        caller.actor,
                        purpose.strip()[:64],
                        "no live authorisation",
                        "refused",
                    )
                ]
            )
            uow.audit.add(
                AuditEvent(
                    EventTag.AGENCY_REFUSED,
                    caller.actor,
                    "subject",
                    str(subject.id if subject else "unknown"),
                    now,
                    subject_id=subject.id if subject else None,
                    data={"party": caller.department, "scope": scope},
                )
            )
            uow.commit()
            raise NotAuthorised(
                f"no live authorisation of {caller.department} for scope {scope} and this"
                " purpose; the query was refused and logged"
            )
        authorisation = live[0]
        records = [
            r
            for r in uow.records.of_subject(subject.id)
            if r.is_displayable_on(today) and scope in ("report", "records")
        ]
        entries = [
            e
            for e in uow.entries.of_subject(subject.id, policy.list_types)
            if e.is_in_force_on(today) and scope in ("report", "lists")
        ]
        # What was returned, by id: who received which item is what the feed follows.
        returned = (
            ";".join([f"record@{r.id}" for r in records] + [f"entry@{e.id}" for e in entries])
            or "none"
        )
        (query_id,) = uow.queries.add_many(
            [
                QueryEntry(
                    now,
                    key,
                    "agency",
                    caller.department,
                    caller.actor,
                    purpose.strip()[:64],
                    f"authorisation {authorisation.id}",
                    returned,
                )
            ]
        )
        uow.audit.add(
            AuditEvent(
                EventTag.AGENCY_QUERIED,
                caller.actor,
                "subject",
                str(subject.id),
                now,
                subject_id=subject.id,
                data={"authorisation": authorisation.id, "returned": returned},
            )
        )
        uow.commit()
    return AgencyAnswer(query_id, authorisation, subject, records, entries)


# -- objections ----------------------------------------------------------------------------------


def _entries_resting_on(uow: UnitOfWork, policy: Policy, record: CreditRecord) -> list[ListEntry]:
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


def _set_mark(uow: UnitOfWork, policy: Policy, objection: Objection, *, marked: bool) -> None:
    """Mark (or unmark) the contested item and every listing resting on it; checks follow."""
    now = uow.now()
    entries: list[ListEntry] = []
    if objection.record_id is not None:
        record = uow.records.get(objection.record_id)
        others = [
            o
            for o in uow.rights.objections_of(objection.subject_id)
            if o.id != objection.id and o.record_id == record.id and o.outcome is None
        ]
        if not marked and others:
            return  # another open objection keeps the mark
        record.under_objection = marked
        uow.records.save_status(record)
        entries = _entries_resting_on(uow, policy, record)
    if objection.entry_id is not None:
        entries.append(uow.entries.get(objection.entry_id, policy.list_types))
    if not marked:  # a listing stays marked while any other objection resting on it is open
        held: set[int | None] = set()
        for other in uow.rights.objections_of(objection.subject_id):
            if other.id == objection.id or other.outcome is not None:
                continue
            if other.entry_id is not None:
                held.add(other.entry_id)
            if other.record_id is not None:
                contested = uow.records.get(other.record_id)
                held.update(e.id for e in _entries_resting_on(uow, policy, contested))
        entries = [e for e in entries if e.id not in held]
    for entry in entries:
        entry.under_objection = marked
        uow.entries.save(entry, at=now)
        uow.changes.append("objection", subject_id=entry.subject_id, entity_id=entry.id, at=now)


def file(
    uow: UnitOfWork,
    policy: Policy,
    *,
    subject_id: int,
    record_id: int | None,
    entry_id: int | None,
    ground: str,
    reasons: str,
    evidence: Sequence[tuple[str, str, bytes]] = (),
    actor: str,
) -> Objection:
    """File an objection: the item is marked at once, routed to its source, the clock starts."""
    with uow:
        if record_id is not None:
            record = uow.records.get(record_id)
            if record.subject_id != subject_id:
                raise NotFound(f"record {record_id} does not exist")
            department = record.department
        elif entry_id is not None:
            entry = uow.entries.get(entry_id, policy.list_types)
            if entry.subject_id != subject_id:
                raise NotFound(f"list entry {entry_id} does not exist")
            department = uow.entries.department_of(entry_id) or ""
            if not department:
                raise Conflict(f"list entry {entry_id} has no department to route an objection to")
        else:
            raise Invalid("an objection is against one record or one list entry")
        now = uow.now()
        objection = file_objection(
            subject_id=subject_id,
            record_id=record_id,
            entry_id=entry_id,
            department=department,
            ground=ground,
            reasons=reasons,
            filed_by=actor,
            at=now,
            on=business_date(now),
            rules=policy.rights,
        )
        uow.rights.add_objection(objection)
        for filename, content_type, content in evidence:
            uow.rights.add_evidence(
                "objection",
                objection.id or 0,
                filename=filename,
                content_type=content_type,
                content=content,
                at=now,
            )
        _set_mark(uow, policy, objection, marked=True)
        subject = uow.subjects.get(subject_id)
        what = "record" if record_id is not None else "list_entry"
        _notify(uow, subject, "under_objection", what, record_id or entry_id or 0, ground)
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_FILED,
                actor,
                "objection",
                str(objection.id),
                now,
                subject_id=subject_id,
                data={"ground": ground, "department": department, "files": len(evidence)},
            )
        )
        uow.commit()
    return objection


def add_evidence(
    uow: UnitOfWork,
    case_type: str,
    case_id: int,
    *,
    subject_id: int,
    filename: str,
    content_type: str,
    content: bytes,
) -> int:
    """Add a file to the person's own objection or repair application; it stays with the case."""
    with uow:
        case: Objection | Repair = (
            uow.rights.get_objection(case_id)
            if case_type == "objection"
            else uow.rights.get_repair(case_id)
        )
        if case.subject_id != subject_id:
            raise NotFound(f"{case_type} {case_id} does not exist")
        evidence_id = uow.rights.add_evidence(
            case_type,
            case_id,
            filename=filename,
            content_type=content_type,
            content=content,
            at=uow.now(),
        )
        uow.commit()
    return evidence_id


def _case(uow: UnitOfWork, objection_id: int, department: str | None) -> Objection:
    objection = uow.rights.get_objection(objection_id)
    if department is not None and objection.department != department:
        raise NotFound(f"objection {objection_id} does not exist")
    return objection


def forward(
    uow: UnitOfWork, policy: Policy, objection_id: int, *, department: str | None, actor: str
) -> Objection:
    """The centre's check found no mismatch it can correct: the source decides by a deadline."""
    with uow:
        objection = _case(uow, objection_id, department)
        now = uow.now()
        objection.forward(on=business_date(now), rules=policy.rights)
        uow.rights.save_objection(objection)
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_FORWARDED,
                actor,
                "objection",
                str(objection_id),
                now,
                subject_id=objection.subject_id,
            )
        )
        uow.commit()
    return objection


def extend(
    uow: UnitOfWork, policy: Policy, objection_id: int, *, department: str | None, actor: str
) -> Objection:
    with uow:
        objection = _case(uow, objection_id, department)
        objection.extend(rules=policy.rights)
        uow.rights.save_objection(objection)
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_EXTENDED,
                actor,
                "objection",
                str(objection_id),
                uow.now(),
                subject_id=objection.subject_id,
            )
        )
        uow.commit()
    return objection


_FEED_KIND = {
    "correct": "corrected",
    "supplement": "supplemented",
    "stop_display": "display_stopped",
    "remove_from_list": "removed_from_list",
    "reject": "objection_rejected",
}


def decide(
    uow: UnitOfWork,
    policy: Policy,
    objection_id: int,
    *,
    outcome: str,
    reasons: str,
    department: str | None,
    actor: str,
) -> Objection:
    """Decide an objection; the mark is lifted, the outcome applied, every recipient told."""
    with uow:
        objection = _case(uow, objection_id, department)
        now = uow.now()
        today = business_date(now)
        objection.decide(outcome, reasons=reasons, by=actor, at=now, rules=policy.rights)
        uow.rights.save_objection(objection)
        _set_mark(uow, policy, objection, marked=False)
        if outcome == "stop_display" and objection.record_id is not None:
            record = uow.records.get(objection.record_id)
            record.status = RecordStatus.EXPIRED
            record.updated_at = now
            uow.records.save_status(record)
            for entry in _entries_resting_on(uow, policy, record):
                if "revocation" in entry.list_type.exit_grounds:
                    _end(uow, entry, "revocation", today)
        if outcome == "remove_from_list" and objection.entry_id is not None:
            _end(uow, uow.entries.get(objection.entry_id, policy.list_types), "revocation", today)
        subject = uow.subjects.get(objection.subject_id)
        what = "record" if objection.record_id is not None else "list_entry"
        _notify(
            uow,
            subject,
            _FEED_KIND.get(outcome, outcome),
            what,
            objection.record_id or objection.entry_id or 0,
            objection.outcome_reasons or "",
        )
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_DECIDED,
                actor,
                "objection",
                str(objection_id),
                now,
                subject_id=objection.subject_id,
                reason=reasons,
                data={"outcome": outcome},
            )
        )
        uow.commit()
    return objection


def _end(uow: UnitOfWork, entry: ListEntry, ground: str, today: date) -> None:
    """End a listing in force on `ground` (revocation or repair), if its list allows that."""
    if entry.state not in (EntryState.DECIDED, EntryState.PUBLISHED):
        return
    if ground not in entry.list_type.exit_grounds:
        raise NotAllowed(
            f"{entry.list_type.code} cannot be left on {ground}; its grounds are"
            f" {', '.join(entry.list_type.exit_grounds)}"
        )
    entry.exit(ground=ground, on=today)
    now = uow.now()
    uow.entries.save(entry, at=now)
    uow.changes.append("listing", subject_id=entry.subject_id, entity_id=entry.id, at=now)


def objection_queue(uow: UnitOfWork, *, department: str | None) -> list[Objection]:
    """Open objections, the most urgent first (overdue ones at the top)."""
    with uow:
        cases = uow.rights.open_objections(department)
    return sorted(cases, key=lambda o: (o.due().day, o.id or 0))


def objections_of(uow: UnitOfWork, subject_id: int) -> list[Objection]:
    with uow:
        return uow.rights.objections_of(subject_id)


# -- repair --------------------------------------------------------------------------------------


class RepairTooEarly(Conflict):
    def __init__(self, allowed_from: date) -> None:
        super().__init__(
            f"repair may be applied for from {allowed_from.isoformat()}, when the minimum display"
            " period has passed"
        )
        self.allowed_from = allowed_from


def apply_for_repair(
    uow: UnitOfWork,
    policy: Policy,
    *,
    subject_id: int,
    record_id: int,
    obligations_performed: bool,
    commitment: str,
    evidence: Sequence[tuple[str, str, bytes]] = (),
    actor: str,
) -> Repair:
    """One window for every kind of negative record; routed to the department that found it."""
    with uow:
        record = uow.records.get(record_id)
        if record.subject_id != subject_id:
            raise NotFound(f"record {record_id} does not exist")
        item = policy.catalog.get(record.item_code)
        if item is None or item.nature.value != "negative":
            raise Invalid(f"record {record_id} is not negative information: nothing to repair")
        if record.status is not RecordStatus.ACTIVE:
            raise Conflict(f"record {record_id} is {record.status.value}: nothing to repair")
        if any(
            r.record_id == record_id and r.status in (RepairStatus.APPLIED, RepairStatus.ACCEPTED)
            for r in uow.rights.repairs_of(subject_id)
        ):
            raise Conflict(f"a repair application for record {record_id} is already open")
        now = uow.now()
        today = business_date(now)
        eligibility = repair_eligibility(
            repair_from=record.repair_from,
            repairable=True,
            obligations_performed=obligations_performed,
            commitment=commitment,
            on=today,
            rules=policy.rights,
        )
        if record.repair_from is not None and today < record.repair_from:
            raise RepairTooEarly(record.repair_from)
        repair = Repair(
            id=None,
            subject_id=subject_id,
            record_id=record_id,
            entry_id=None,
            department=record.department,
            status=RepairStatus.APPLIED if eligibility.eligible else RepairStatus.MISSING_MATERIALS,
            obligations_performed=obligations_performed,
            commitment=commitment.strip(),
            missing=eligibility.missing,
            applied_by=actor,
            applied_at=now,
            accept_due=add_working_days(today, policy.rights.repair_accept_working_days),
            feedback_due=add_working_days(today, policy.rights.repair_feedback_working_days),
        )
        uow.rights.add_repair(repair)
        for filename, content_type, content in evidence:
            uow.rights.add_evidence(
                "repair",
                repair.id or 0,
                filename=filename,
                content_type=content_type,
                content=content,
                at=now,
            )
        uow.audit.add(
            AuditEvent(
                EventTag.REPAIR_APPLIED,
                actor,
                "repair",
                str(repair.id),
                now,
                subject_id=subject_id,
                data={"record": record_id, "missing": list(eligibility.missing)},
            )
        )
        uow.commit()
    return repair


def accept_repair(uow: UnitOfWork, repair_id: int, *, department: str | None, actor: str) -> Repair:
    """The department accepts a complete application; the feedback deadline keeps running."""
    with uow:
        repair = uow.rights.get_repair(repair_id)
        if department is not None and repair.department != department:
            raise NotFound(f"repair application {repair_id} does not exist")
        repair.accept()
        uow.rights.save_repair(repair)
        uow.audit.add(
            AuditEvent(
                EventTag.REPAIR_ACCEPTED,
                actor,
                "repair",
                str(repair_id),
                uow.now(),
                subject_id=repair.subject_id,
            )
        )
        uow.commit()
    return repair


def decide_repair(
    uow: UnitOfWork,
    policy: Policy,
    repair_id: int,
    *,
    repaired: bool,
    reasons: str,
    department: str | None,
    actor: str,
) -> Repair:
    """Decide a repair: success stops publication, sharing and measures at once."""
    with uow:
        repair = uow.rights.get_repair(repair_id)
        if department is not None and repair.department != department:
            raise NotFound(f"repair application {repair_id} does not exist")
        now = uow.now()
        today = business_date(now)
        repair.decide(repaired=repaired, reasons=reasons, by=actor, at=now)
        uow.rights.save_repair(repair)
        if repaired and repair.record_id is not None:
            record = uow.records.get(repair.record_id)
            record.status = RecordStatus.REPAIRED  # kept in the archive, not deleted
            record.updated_at = now
            uow.records.save_status(record)
            for entry in _entries_resting_on(uow, policy, record):
                if "repair" in entry.list_type.exit_grounds:
                    _end(uow, entry, "repair", today)
            _notify(
                uow,
                uow.subjects.get(repair.subject_id),
                "repaired",
                "record",
                repair.record_id,
                repair.reasons or "",
            )
        uow.audit.add(
            AuditEvent(
                EventTag.REPAIR_DECIDED,
                actor,
                "repair",
                str(repair_id),
                now,
                subject_id=repair.subject_id,
                reason=reasons,
                data={"repaired": repaired},
            )
        )
        uow.commit()
    return repair


def repair_queue(uow: UnitOfWork, *, department: str | None) -> list[Repair]:
    with uow:
        cases = uow.rights.open_repairs(department)
    return sorted(cases, key=lambda r: (r.feedback_due.day, r.id or 0))


# -- expiry --------------------------------------------------------------------------------------


@dataclass(slots=True)
class SweepSummary:
    expired: int = 0
    listings_ended: int = 0
    deleted: int = 0


def sweep(uow: UnitOfWork, policy: Policy, *, actor: str, chunk: int = 1000) -> SweepSummary:
    """Move what is past its display period to the archive, end listings whose period is over,
    and delete what is past retention; tell every recipient. Safe to run again at any time."""
    summary = SweepSummary()
    while True:
        with uow:
            now = uow.now()
            today = business_date(now)
            due = uow.records.past_display(today, limit=chunk)
            for record in due:
                record.status = RecordStatus.EXPIRED
                record.updated_at = now
                uow.records.save_status(record)
                _notify(
                    uow,
                    uow.subjects.get(record.subject_id),
                    "expired",
                    "record",
                    record.id,
                    f"display ended {record.display_ends}",
                )
                uow.audit.add(
                    AuditEvent(
                        EventTag.RECORD_EXPIRED,
                        actor,
                        "record",
                        str(record.id),
                        now,
                        subject_id=record.subject_id,
                    )
                )
            uow.commit()
        summary.expired += len(due)
        if len(due) < chunk:
            break
    with uow:
        now = uow.now()
        today = business_date(now)
        for entry in uow.entries.past_period(today, policy.list_types):
            entry.exit(ground="expiry", on=entry.ends_on or today)
            uow.entries.save(entry, at=now)
            uow.changes.append("listing", subject_id=entry.subject_id, entity_id=entry.id, at=now)
            _notify(
                uow,
                uow.subjects.get(entry.subject_id),
                "expired",
                "list_entry",
                entry.id or 0,
                f"listing period ended {entry.ends_on}",
            )
            summary.listings_ended += 1
        deleted = uow.records.delete_past_retention(today)
        for record_id, subject_id in deleted:
            uow.audit.add(
                AuditEvent(
                    EventTag.RECORD_DELETED,
                    actor,
                    "record",
                    str(record_id),
                    now,
                    subject_id=subject_id,
                )
            )
        summary.deleted = len(deleted)
        uow.commit()
    return summary


# -- the feed ------------------------------------------------------------------------------------


def feed(uow: UnitOfWork, *, recipient: str, after: int, limit: int) -> list[FeedItem]:
    with uow:
        return uow.rights.feed_after(recipient, after, limit=limit)


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    """A record as the public sees it: a person's name and number de-identified."""

    id: int
    item: str
    item_name_zh: str
    subject_name: str
    subject_number: str
    department: str
    document_number: str
    decision_date: date
    shown_until: date | None
    under_objection: bool


def published(
    uow: UnitOfWork, policy: Policy, day: date, *, item: str | None, limit: int, offset: int
) -> list[PublishedRecord]:
    """Published records shown on `day`, newest first, de-identified (DOMAIN.md §11)."""
    with uow:
        found = uow.records.published(day, item=item, limit=limit, offset=offset)
        names = {d.code: d.name for d in uow.departments.list()}
    out: list[PublishedRecord] = []
    for record, subject in found:
        catalog_item = policy.catalog.get(record.item_code)
        person = subject.kind is SubjectType.PERSON
        out.append(
            PublishedRecord(
                id=record.id,
                item=record.item_code,
                item_name_zh=catalog_item.name_zh if catalog_item else record.item_code,
                subject_name=mask_name(subject.name) if person else subject.name,
                subject_number=subject.masked_number(),
                department=names.get(record.department, record.department),
                document_number=record.document_number,
                decision_date=record.decision_date,
                shown_until=record.display_ends,
                under_objection=record.under_objection,
            )
        )
    return out
