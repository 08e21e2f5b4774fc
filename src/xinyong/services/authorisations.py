"""Authorisations as use cases: a person grants and revokes; an authorised party queries.

Every agency query is in the query log, answered or refused, and the person sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.agencies import AGENCY_KIND, AgencySuspended
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.authorisations import Authorisation, grant
from xinyong.domain.calendar import business_date
from xinyong.domain.catalog import SubjectType
from xinyong.domain.departments import Department
from xinyong.domain.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, NotYours
from xinyong.domain.exchange import Change, EntityType, Sharing, sharing_for
from xinyong.domain.identifiers import normalise
from xinyong.domain.index import person_key
from xinyong.domain.keys import ApiKey
from xinyong.domain.lists import ListEntry
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import (
    REFUSED,
    Delivered,
    ItemKind,
    QueryEntry,
    QueryKind,
    encode_returned,
)
from xinyong.domain.records import CreditRecord
from xinyong.domain.subjects import Subject
from xinyong.services.agencies import require_staff_standing, require_standing
from xinyong.services.audit import misroutes_audited
from xinyong.services.feed import key_of
from xinyong.services.subjects import find_subject

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class AuthorisationRepository(Protocol):
    def add(self, authorisation: Authorisation) -> int: ...
    def get(self, authorisation_id: int) -> Authorisation: ...
    def of_subject(self, subject_id: int) -> list[Authorisation]: ...
    def save(self, authorisation: Authorisation) -> None: ...


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
            raise NotFound("grantee: not a registered party")
        if party.kind != AGENCY_KIND:
            # Departments look under a legal basis (a check), never under a person's grant: a
            # grant to one would read as consent that nothing ever asks for.
            raise Invalid(
                "grantee: only a credit reporting agency queries under a person's authorisation"
            )
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
            rules=policy.authorisations,
        )
        uow.authorisations.add(authorisation)
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
    """Revoke one of the person's own authorisations (another person's does not exist for
    them, and the reach for it is audited)."""
    with misroutes_audited(uow, actor=actor, department=None), uow:
        authorisation = uow.authorisations.get(authorisation_id)
        if authorisation.subject_id != subject_id:
            raise NotYours(
                f"authorisation {authorisation_id}",
                action="authorisation:revoke",
                subject_id=authorisation.subject_id,
            )
        if authorisation.revoked_at is not None:
            raise Conflict(f"authorisation {authorisation_id} is revoked already")
        authorisation.revoked_at = uow.now()
        uow.authorisations.save(authorisation)
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
        return uow.authorisations.of_subject(subject_id)


#: The kind of registered party that queries a person's file under an authorisation
#: (docs/domain.md §2: credit reporting agencies).
AUTHORISED_KIND = "credit_agency"


def authorisable_parties(uow: UnitOfWork) -> list[Department]:
    """The registered parties a person may authorise, by name."""
    with uow:
        found = [d for d in uow.departments.list() if d.kind == AUTHORISED_KIND]
    return sorted(found, key=lambda d: d.code)


@dataclass(frozen=True, slots=True)
class AgencyAnswer:
    query_id: int
    authorisation: Authorisation
    subject: Subject
    records: list[CreditRecord]
    entries: list[ListEntry]


def _refuse(
    uow: UnitOfWork,
    caller: ApiKey,
    subject: Subject | None,
    key: int,
    purpose: str,
    scope: str,
    *,
    basis: str,
) -> None:
    """Log a refused agency query in the person's query log and audit it (the caller commits)."""
    now = uow.now()
    uow.queries.add_many(
        [
            QueryEntry(
                now,
                key,
                QueryKind.AGENCY_REFUSED,
                caller.department,
                caller.actor,
                purpose.strip()[:64],
                basis,
                REFUSED,
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
            reason=basis,
            data={"party": caller.department, "scope": scope, "key": caller.prefix},
        )
    )


#: How far a record may travel for an agency to be given it (the exchange's rule, `may_receive`).
_TO_AGENCIES = frozenset({Sharing.PUBLIC, Sharing.AUTHORISED})


def _for_agencies(policy: Policy, record: CreditRecord) -> bool:
    """Whether an agency may be given this record at all, by the exchange's rule
    (`sharing_for`), with its catalog item in the version the record was accepted under: neither
    for public bodies only (`sharing_scope = "government"`) nor a local item (a local legal basis
    only, which never leaves its origin). An item not held is withheld."""
    item = policy.item_of(record)
    return (
        item is not None
        and sharing_for(item.sharing_scope, local_only=item.is_local) in _TO_AGENCIES
    )


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
    # A query names a published purpose; the person's authorisation must name the same one.
    purpose = policy.authorisations.purpose(purpose).code
    with uow:
        try:
            subject: Subject | None = find_subject(uow, number, SubjectType.PERSON)
        except NotFound:
            subject = None  # answered like a missing authorisation: nothing is revealed
        now = uow.now()
        today = business_date(now)
        live = [
            a
            for a in (uow.authorisations.of_subject(subject.id) if subject and subject.id else [])
            if a.grantee == caller.department
            and a.scope == scope
            and a.purpose == purpose
            and a.is_live_on(today)
        ]
        found_key = key_of(subject) if subject else person_key(normalise(number))
        if found_key is None:
            raise Invalid("subject: not a valid citizen ID number")
        key: int = found_key
        try:  # a supervised body: a valid licence, not on the agency blacklist; and the key's
            # staff member registered and not on the staff blacklist
            require_standing(uow, caller.department, on=today)
            member = require_staff_standing(uow, caller.department, caller.agency_staff_id)
        except AgencySuspended as suspended:
            who = "agency" if suspended.staff is None else f"staff member {suspended.staff}"
            _refuse(uow, caller, subject, key, purpose, scope, basis=f"{who} {suspended.why}"[:200])
            uow.commit()
            raise
        if subject is None or subject.id is None or not live:
            _refuse(uow, caller, subject, key, purpose, scope, basis="no live authorisation")
            uow.commit()
            raise NotAuthorised(
                f"no live authorisation of {caller.department} for scope {scope} and this"
                " purpose; the query was refused and logged"
            )
        authorisation = live[0]
        records = [
            r
            for r in uow.records.of_subject(subject.id)
            if r.is_displayable_on(today)
            and scope in ("report", "records")
            and _for_agencies(policy, r)
        ]
        entries = [
            e
            for e in uow.entries.of_subject(subject.id, policy.list_types)
            if e.is_in_force_on(today) and scope in ("report", "lists")
        ]
        # What was returned, by id: who received which item is what the feed follows.
        returned = encode_returned(
            [Delivered(ItemKind.RECORD, r.id) for r in records]
            + [Delivered(ItemKind.ENTRY, e.id or 0) for e in entries]
        )
        (query_id,) = uow.queries.add_many(
            [
                QueryEntry(
                    now,
                    key,
                    QueryKind.AGENCY,
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
                data={
                    "authorisation": authorisation.id,
                    "returned": returned,
                    "staff": member.number,
                    "key": caller.prefix,
                },
            )
        )
        uow.commit()
    return AgencyAnswer(query_id, authorisation, subject, records, entries)


#: The authorisation scopes that cover each kind of entity an exchange event is about (the same
#: rule `agency_query` answers by).
_SCOPES_OF = {EntityType.RECORD: ("report", "records"), EntityType.LISTING: ("report", "lists")}


class LiveAuthorisations:
    """The exchange's `Authorisations` port, answered from this platform in the relay's own
    transaction (`xinyong exchange run` relays with it): an agency peer that is a registered
    agency here receives nothing new while `require_standing` refuses it (on the agency
    blacklist, no licence valid that day), and an `authorised` item only under the subject's live
    authorisation of it in a scope covering the item. A peer registered here as no agency is
    neither suspended nor authorised by this area (its peer entitlement alone governs it)."""

    def is_suspended(self, uow: UnitOfWork, peer: str, *, on: datetime) -> bool:
        party = uow.departments.get(peer)
        if party is None or party.kind != AUTHORISED_KIND:
            return False
        try:
            require_standing(uow, peer, on=business_date(on))
        except AgencySuspended:
            return True
        return False

    def is_authorised(self, uow: UnitOfWork, peer: str, change: Change, *, on: datetime) -> bool:
        kind = SubjectType(change.subject.type.value)
        try:
            subject = find_subject(uow, change.subject.number, kind)
        except DomainError:  # not held here, or not a valid number: nobody authorised
            return False
        day, scopes = business_date(on), _SCOPES_OF[change.entity.type]
        return any(
            a.grantee == peer and a.scope in scopes and a.is_live_on(day)
            for a in uow.authorisations.of_subject(subject.id or 0)
        )
