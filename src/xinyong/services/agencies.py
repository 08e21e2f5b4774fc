"""Agencies as supervised bodies: the credit centre records licences and keeps the agency
blacklist; an agency's query (and its feed) passes `require_standing` before anything else; an
agency that let acknowledgements of corrections, repairs or revocations go past their deadline is
flagged (`flag_overdue_agencies`, run by the sweep, audits it once per acknowledgement)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.agencies import AGENCY_KIND, AgencySuspended, Blacklisting, Licence, standing
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.errors import Conflict, Invalid, NotFound

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
