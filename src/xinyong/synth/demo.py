"""Demo listings: put part of a loaded synthetic population on lists, the way it would happen.

Court lists are recorded from the courts' records; authority lists are recorded as decided; the
platform-run lists go through the whole procedure, dated in the past (proposal, notice, a defence
window on the official calendar, decision, publication), so that the demo shows each state.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from xinyong.domain.calendar import add_working_days, business_date
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import NotFound
from xinyong.domain.lists import Decider, ListKind
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord
from xinyong.domain.subjects import RoleKind
from xinyong.services import lists as listing
from xinyong.services.accounts import register
from xinyong.services.ports import UnitOfWork
from xinyong.services.subjects import record_role

ACTOR = "demo"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in China


def seed_listings(
    uow_at: Callable[[datetime | None], UnitOfWork],
    policy: Policy,
    *,
    today: date,
    seed: int = 2016,
    share: float = 0.004,
) -> dict[str, int]:
    """List a share of the population across the list types; return entries made per list.

    `uow_at(moment)` gives a unit of work whose clock reads `moment` (None: the real clock).
    """
    rng = random.Random(seed)
    made: dict[str, int] = {}
    made["COURT-DEBTORS (from court records)"] = listing.record_court_listings(
        uow_at(None), policy, actor=ACTOR
    )
    uow = uow_at(None)
    with uow:
        person_items = {
            c for c, i in policy.catalog.items.items() if i.subject_type is SubjectType.PERSON
        }
        org_items = {
            c for c, i in policy.catalog.items.items() if i.subject_type is SubjectType.ORGANISATION
        }
        person_records = uow.records.active_of_items(person_items)
        org_records = uow.records.active_of_items(org_items)
        numbers = {
            r.subject_id: uow.subjects.get(r.subject_id).number
            for r in [*person_records, *org_records]
        }
    adults = _adults(uow_at, person_records, today, policy.periods.age_of_majority)
    rng.shuffle(adults)
    # Good-credit entries go to people with no negative record at all.
    negative = {
        r.subject_id
        for r in person_records
        if (item := policy.catalog.get(r.item_code)) and item.nature.value == "negative"
    }
    per_list = max(3, int(len(numbers) * share))

    def take(
        n: int, items: frozenset[str] = frozenset(), *, clean: bool = False
    ) -> list[CreditRecord]:
        """The next `n` adults' records; only of `items` (what a listing may rest on) if given,
        only of people without a negative record if `clean`."""
        nonlocal adults
        chosen = [
            r
            for r in adults
            if (not items or r.item_code in items) and not (clean and r.subject_id in negative)
        ][:n]
        taken = {r.id for r in chosen}
        adults = [r for r in adults if r.id not in taken]
        return chosen

    for list_type in policy.list_types.values():
        if (
            list_type.subject_type is not SubjectType.PERSON
            or list_type.decided_by is Decider.COURT
        ):
            continue
        count = 0
        if list_type.decided_by is Decider.PLATFORM:
            chosen = take(per_list, list_type.source_items)
            count = _run_procedure(uow_at, policy, list_type.code, chosen, numbers, today)
        else:
            for record in take(per_list, clean=list_type.kind is ListKind.GOOD_CREDIT):
                decided_on = today - timedelta(days=rng.randint(10, 300))
                listing.record_decided(
                    uow_at(None),
                    policy,
                    list_code=list_type.code,
                    subject_number=numbers[record.subject_id],
                    grounds=_grounds(list_type.kind),
                    decided_on=decided_on,
                    months=None,
                    department=None,
                    actor=ACTOR,
                )
                count += 1
        made[list_type.code] = count
    made["COURT-DEBTORS-ORG (with legal representatives)"] = _organisations(
        uow_at, policy, org_records, take(per_list), numbers, today
    )
    return made


def _adults(
    uow_at: Callable[[datetime | None], UnitOfWork],
    records: list[CreditRecord],
    today: date,
    majority: int,
) -> list[CreditRecord]:
    seen: set[int] = set()
    out: list[CreditRecord] = []
    uow = uow_at(None)
    with uow:
        for record in records:
            if record.subject_id in seen:
                continue
            seen.add(record.subject_id)
            # Adults already a year ago: demo decisions are dated up to 300 days back.
            age = uow.subjects.get(record.subject_id).age_on(today - timedelta(days=366))
            if age is not None and age >= majority:
                out.append(record)
    return out


def _grounds(kind: ListKind) -> str:
    if kind is ListKind.GOOD_CREDIT:
        return "demo: designated by the awarding authority"
    return "demo: decided by the competent authority under the list's criteria"


def _run_procedure(
    uow_at: Callable[[datetime | None], UnitOfWork],
    policy: Policy,
    code: str,
    records: list[CreditRecord],
    numbers: dict[int, str],
    today: date,
) -> int:
    """Take each person through the procedure; the last two stay pending and withdrawn."""
    list_type = policy.list_types[code]
    proposed = today - timedelta(days=60)
    decided_on = add_working_days(proposed, list_type.defence_working_days + 1).day
    for i, record in enumerate(records):
        view = listing.propose(
            uow_at(_at(proposed)),
            policy,
            list_code=code,
            subject_number=numbers[record.subject_id],
            grounds="demo: serious violation found in the record it rests on",
            basis_records=[record.id],
            department=record.department,
            actor=ACTOR,
        )
        entry_id = view.entry.id or 0
        if i == len(records) - 1:
            continue  # stays proposed: a pending case on the staff's desk
        listing.serve_notice(uow_at(_at(proposed)), policy, entry_id, department=None, actor=ACTOR)
        if i == len(records) - 2:
            listing.withdraw(uow_at(_at(proposed)), policy, entry_id, department=None, actor=ACTOR)
            continue
        listing.decide(
            uow_at(_at(decided_on)),
            policy,
            entry_id,
            reasons="demo: the grounds are established; no defence was received in time",
            months=None,
            department=None,
            actor=ACTOR,
        )
        if list_type.published:
            listing.publish(uow_at(_at(decided_on)), policy, entry_id, department=None, actor=ACTOR)
    return len(records)


def _organisations(
    uow_at: Callable[[datetime | None], UnitOfWork],
    policy: Policy,
    org_records: list[CreditRecord],
    people: list[CreditRecord],
    numbers: dict[int, str],
    today: date,
) -> int:
    """List some organisations as dishonest debtors and give each a legal representative."""
    code = "COURT-DEBTORS-ORG"
    if code not in policy.list_types:
        return 0
    orgs = list(dict.fromkeys(r.subject_id for r in org_records))[: len(people)]
    for org, person in zip(orgs, people, strict=False):
        record_role(
            uow_at(None),
            organisation=numbers[org],
            person=numbers[person.subject_id],
            kind=RoleKind.LEGAL_REPRESENTATIVE,
            since=today - timedelta(days=400),
            until=None,
            actor=ACTOR,
        )
        listing.record_decided(
            uow_at(None),
            policy,
            list_code=code,
            subject_number=numbers[org],
            grounds="demo: the enforcing court listed the organisation",
            decided_on=today - timedelta(days=30),
            months=None,
            department=None,
            actor=ACTOR,
        )
    return len(orgs)


DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the demo person's published demo password


def demo_person(uow_at: Callable[[datetime | None], UnitOfWork], policy: Policy) -> tuple[str, str]:
    """Open an account for a demo person on the court's list: (number, name) to log in with."""
    uow = uow_at(None)
    with uow:
        today = business_date(uow.now())
        chosen: tuple[str, str] | None = None
        for record in uow.records.active_of_items({"JUD-DEBTOR-01"}):
            entries = uow.entries.of_subject(record.subject_id, policy.list_types)
            if any(e.is_in_force_on(today) for e in entries):
                subject = uow.subjects.get(record.subject_id)
                if uow.accounts.by_subject(record.subject_id) is None:
                    chosen = (subject.number, subject.name)
                    break
    if chosen is None:
        raise NotFound("the demo data has no listed person without an account")
    number, name = chosen
    register(
        uow_at(None), policy, number=number, name=name, phone="13800138000", password=DEMO_PASSWORD
    )
    return number, name
