"""Agencies as supervised bodies: the credit centre records licences and keeps the agency
blacklist, registers each agency's staff (every agency key is issued to one of them) and keeps
the staff blacklist; an agency's query (and its feed) passes `require_standing` and
`require_staff_standing` before anything else; an
agency that let acknowledgements of corrections, repairs or revocations go past their deadline is
flagged (`flag_overdue_agencies`, run by the sweep, audits it once per acknowledgement)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.agencies import (
    AGENCY_KIND,
    UNSTAFFED_KEY,
    AgencyStaffMember,
    AgencySuspended,
    Blacklisting,
    Licence,
    staff_standing,
    standing,
)
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.identifiers import redact_id_numbers

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class AgencyRepository(Protocol):
    def licence_of(self, agency: str) -> Licence | None: ...
    def set_licence(self, agency: str, licence: Licence, *, by: str, at: datetime) -> bool:
        """Store the agency's current licence; return True if anything changed."""
        ...

    def active_blacklisting(self, agency: str) -> Blacklisting | None: ...
    def add_blacklisting(self, blacklisting: Blacklisting) -> int: ...
    def save_blacklisting(self, blacklisting: Blacklisting) -> None: ...
    def blacklistings(self) -> list[Blacklisting]: ...
    def add_staff(self, member: AgencyStaffMember) -> int: ...
    def staff_member(self, agency: str, number: str) -> AgencyStaffMember | None: ...
    def staff_by_id(self, staff_id: int) -> AgencyStaffMember | None: ...
    def staff_of(self, agency: str) -> list[AgencyStaffMember]: ...
    def active_staff_blacklisting(self, staff_id: int) -> Blacklisting | None: ...
    def add_staff_blacklisting(self, blacklisting: Blacklisting) -> int: ...
    def save_staff_blacklisting(self, blacklisting: Blacklisting) -> None: ...
    def save_staff_departure(self, member: AgencyStaffMember) -> None: ...


@dataclass(frozen=True, slots=True)
class AgencyStanding:
    """An agency, its licence and blacklisting, and whether it may query today (and why not)."""

    code: str
    name: str
    licence: Licence | None
    blacklisting: Blacklisting | None
    refused_because: str | None
    #: Acknowledgements of corrections, repairs and revocations past their working-day deadline.
    overdue_acknowledgements: int = 0

    @property
    def flagged(self) -> bool:
        """It has not acknowledged, in time, what it was told to put right."""
        return self.overdue_acknowledgements > 0


def _require_agency(uow: UnitOfWork, code: str) -> str:
    department = uow.departments.get(code)
    if department is None or department.kind != AGENCY_KIND:
        raise NotFound(f"agency {code} is not a registered credit reporting agency")
    return department.name


def record_licence(uow: UnitOfWork, code: str, licence: Licence, *, actor: str) -> bool:
    """Record an agency's licence (a new one, or a renewal); audited. True if it changed."""
    with uow:
        _require_agency(uow, code)
        at = uow.now()
        changed = uow.agencies.set_licence(code, licence, by=actor, at=at)
        if changed:
            uow.audit.add(
                AuditEvent(
                    EventTag.AGENCY_LICENSED,
                    actor,
                    "agency",
                    code,
                    at,
                    data={
                        "number": licence.number,
                        "authority": licence.authority,
                        "from": licence.valid_from.isoformat(),
                        "until": licence.valid_until.isoformat(),
                    },
                )
            )
        uow.commit()
    return changed


def blacklist_agency(
    uow: UnitOfWork, code: str, *, ground: str, on: date | None, actor: str
) -> Blacklisting:
    """Put an agency on the agency blacklist (seed IV(1)): its queries are refused from now on."""
    if not ground.strip():
        raise Invalid("ground: say why the agency is put on the blacklist")
    with uow:
        _require_agency(uow, code)
        at = uow.now()
        if uow.agencies.active_blacklisting(code) is not None:
            raise Conflict(f"agency {code} is on the blacklist already")
        entry = Blacklisting(None, code, ground.strip(), on or business_date(at), actor, at)
        uow.agencies.add_blacklisting(entry)
        uow.audit.add(
            AuditEvent(
                EventTag.AGENCY_BLACKLISTED,
                actor,
                "agency",
                code,
                at,
                reason=entry.ground,
                data={"blacklisting": entry.id, "on": entry.listed_on.isoformat()},
            )
        )
        uow.commit()
    return entry


def lift_blacklisting(uow: UnitOfWork, code: str, *, reason: str, actor: str) -> Blacklisting:
    """Take an agency off the agency blacklist, with the reason."""
    with uow:
        _require_agency(uow, code)
        entry = uow.agencies.active_blacklisting(code)
        if entry is None:
            raise Conflict(f"agency {code} is not on the blacklist")
        at = uow.now()
        entry.lift(reason=reason, by=actor, at=at)
        uow.agencies.save_blacklisting(entry)
        uow.audit.add(
            AuditEvent(
                EventTag.AGENCY_BLACKLISTING_LIFTED,
                actor,
                "agency",
                code,
                at,
                reason=entry.lift_reason,
                data={"blacklisting": entry.id},
            )
        )
        uow.commit()
    return entry


@dataclass(frozen=True, slots=True)
class StaffStanding:
    """A staff member of an agency, their staff blacklisting if any, and whether they may query
    (given the agency's own standing)."""

    member: AgencyStaffMember
    blacklisting: Blacklisting | None

    @property
    def may_query(self) -> bool:
        return staff_standing(self.member, self.blacklisting) is None


def find_staff_member(uow: UnitOfWork, code: str, number: str) -> AgencyStaffMember:
    """The registered staff member of agency `code` with that staff number, or NotFound (inside
    the caller's transaction; the message never repeats anything shaped like an ID number)."""
    member = uow.agencies.staff_member(code, number.strip())
    if member is None or member.id is None:
        shown = redact_id_numbers(number.strip())[:40]
        raise NotFound(f"agency {code} has no registered staff member {shown}")
    return member


def register_staff(
    uow: UnitOfWork, code: str, *, number: str, name: str, actor: str
) -> AgencyStaffMember:
    """Register a staff member of an agency under the agency's own staff number, so that keys
    can be issued to them; audited (by staff number, never by name)."""
    with uow:
        _require_agency(uow, code)
        at = uow.now()
        member = AgencyStaffMember(None, code, number, name, actor, at)
        if uow.agencies.staff_member(code, member.number) is not None:
            raise Conflict(f"agency {code} has a staff member {member.number} already")
        uow.agencies.add_staff(member)
        uow.audit.add(
            AuditEvent(
                EventTag.AGENCY_STAFF_REGISTERED,
                actor,
                "agency_staff",
                str(member.id),
                at,
                data={"agency": code, "number": member.number},
            )
        )
        uow.commit()
    return member


def blacklist_staff(
    uow: UnitOfWork, code: str, number: str, *, ground: str, on: date | None, actor: str
) -> Blacklisting:
    """Put one staff member of an agency on the staff blacklist: every query and feed read with
    their keys is refused from now on; the agency and its other staff keep working."""
    if not ground.strip():
        raise Invalid("ground: say why the staff member is put on the blacklist")
    with uow:
        _require_agency(uow, code)
        member = find_staff_member(uow, code, number)
        at = uow.now()
        if uow.agencies.active_staff_blacklisting(member.id or 0) is not None:
            raise Conflict(f"staff member {member.number} of {code} is on the blacklist already")
        entry = Blacklisting(
            None, code, ground.strip(), on or business_date(at), actor, at, staff=member.id
        )
        uow.agencies.add_staff_blacklisting(entry)
        uow.audit.add(
            AuditEvent(
                EventTag.AGENCY_STAFF_BLACKLISTED,
                actor,
                "agency_staff",
                str(member.id),
                at,
                reason=entry.ground,
                data={
                    "agency": code,
                    "number": member.number,
                    "blacklisting": entry.id,
                    "on": entry.listed_on.isoformat(),
                },
            )
        )
        uow.commit()
    return entry


def record_staff_departure(
    uow: UnitOfWork, code: str, number: str, *, on: date | None, actor: str
) -> tuple[StaffStanding, list[str]]:
    """Record that a staff member left the agency: every key issued to them is revoked (each
    revocation audited, and servers drop the cached keys), no key is issued to them again, and
    a query with a key of theirs is refused. Return the member's standing (with their staff
    blacklisting, if any: leaving does not lift it) and the revoked keys' prefixes."""
    with uow:
        _require_agency(uow, code)
        member = find_staff_member(uow, code, number)
        at = uow.now()
        member.leave(on or business_date(at), today=business_date(at))
        uow.agencies.save_staff_departure(member)
        revoked = [
            k.prefix
            for k in uow.keys.list()
            if k.agency_staff_id == member.id and k.is_active and uow.keys.revoke(k.prefix, at=at)
        ]
        for prefix in revoked:
            uow.audit.add(
                AuditEvent(
                    EventTag.KEY_REVOKED,
                    actor,
                    "api_key",
                    prefix,
                    at,
                    reason="the staff member it was issued to left the agency",
                )
            )
        if revoked:
            uow.changes.append(ChangeKind.API_KEY, subject_id=None, entity_id=None, at=at)
        uow.audit.add(
            AuditEvent(
                EventTag.AGENCY_STAFF_LEFT,
                actor,
                "agency_staff",
                str(member.id),
                at,
                data={
                    "agency": code,
                    "number": member.number,
                    "on": str(member.left_on),
                    "keys_revoked": revoked,
                },
            )
        )
        listed = uow.agencies.active_staff_blacklisting(member.id or 0)
        uow.commit()
    return StaffStanding(member, listed), revoked


def lift_staff_blacklisting(
    uow: UnitOfWork, code: str, number: str, *, reason: str, actor: str
) -> Blacklisting:
    """Take a staff member of an agency off the staff blacklist, with the reason."""
    with uow:
        _require_agency(uow, code)
        member = find_staff_member(uow, code, number)
        entry = uow.agencies.active_staff_blacklisting(member.id or 0)
        if entry is None:
            raise Conflict(f"staff member {member.number} of {code} is not on the blacklist")
        at = uow.now()
        entry.lift(reason=reason, by=actor, at=at)
        uow.agencies.save_staff_blacklisting(entry)
        uow.audit.add(
            AuditEvent(
                EventTag.AGENCY_STAFF_BLACKLISTING_LIFTED,
                actor,
                "agency_staff",
                str(member.id),
                at,
                reason=entry.lift_reason,
                data={"agency": code, "number": member.number, "blacklisting": entry.id},
            )
        )
        uow.commit()
    return entry


def staff_standings(uow: UnitOfWork, code: str) -> list[StaffStanding]:
    """Every registered staff member of an agency, by staff number, and whether they may query."""
    with uow:
        _require_agency(uow, code)
        return [
            StaffStanding(m, uow.agencies.active_staff_blacklisting(m.id or 0))
            for m in sorted(uow.agencies.staff_of(code), key=lambda m: m.number)
        ]


def agency_standings(uow: UnitOfWork) -> list[AgencyStanding]:
    """Every registered agency with its licence, blacklisting and standing today."""
    with uow:
        today = business_date(uow.now())
        overdue = Counter(a.agency for a in uow.feed.overdue_acknowledgements(today))
        out = []
        for d in sorted(uow.departments.list(), key=lambda d: d.code):
            if d.kind != AGENCY_KIND:
                continue
            licence = uow.agencies.licence_of(d.code)
            listed = uow.agencies.active_blacklisting(d.code)
            why = standing(d.code, licence, listed, today)
            out.append(AgencyStanding(d.code, d.name, licence, listed, why, overdue[d.code]))
    return out


def flag_overdue_agencies(uow: UnitOfWork, *, actor: str) -> int:
    """Flag every agency with acknowledgements newly past their deadline: one audit event per
    agency naming the feed items, each acknowledgement flagged once. Return how many agencies
    were flagged now. Safe to run again at any time (the sweep runs it)."""
    with uow:
        now = uow.now()
        fresh = [
            a for a in uow.feed.overdue_acknowledgements(business_date(now)) if a.flagged_at is None
        ]
        by_agency: dict[str, list[int]] = {}
        for owed in fresh:
            by_agency.setdefault(owed.agency, []).append(owed.seq)
            owed.flagged_at = now
            uow.feed.save_acknowledgement(owed)
        for agency, seqs in sorted(by_agency.items()):
            uow.audit.add(
                AuditEvent(
                    EventTag.AGENCY_FLAGGED,
                    actor,
                    "agency",
                    agency,
                    now,
                    reason="acknowledgements past their working-day deadline",
                    data={"feed_items": seqs},
                )
            )
        if by_agency:  # nothing new: no transaction to commit
            uow.commit()
    return len(by_agency)


def blacklistings(uow: UnitOfWork) -> list[Blacklisting]:
    with uow:
        return uow.agencies.blacklistings()


def require_standing(uow: UnitOfWork, code: str, *, on: date) -> None:
    """Raise AgencySuspended when the agency may not query on `on` (inside the caller's
    transaction: the caller logs and audits the refusal)."""
    why = standing(code, uow.agencies.licence_of(code), uow.agencies.active_blacklisting(code), on)
    if why is not None:
        raise AgencySuspended(code, why)


def require_staff_standing(uow: UnitOfWork, code: str, staff: int | None) -> AgencyStaffMember:
    """Return the staff member of agency `code` a key is issued to, or raise AgencySuspended when
    there is none or they are on the staff blacklist (inside the caller's transaction: the caller
    logs and audits the refusal)."""
    member = uow.agencies.staff_by_id(staff) if staff is not None else None
    if member is None or member.id is None or member.agency != code:
        raise AgencySuspended(code, UNSTAFFED_KEY)
    why = staff_standing(member, uow.agencies.active_staff_blacklisting(member.id))
    if why is not None:
        raise AgencySuspended(code, why, staff=member.number)
    return member
