"""The listing index gives the database's answer: after a load, and while it follows the change log.

The reference answer comes from the database alone: each subject's entries and the entries of the
organisations it currently answers for, through `applicable_measures`, the pure rule. The index
must agree for every subject and every matter, and keep agreeing while listings, exits,
withdrawals and roles change and the days pass (periods run out, roles begin and end).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.conftest import Clock
from tests.factories import (
    citizen_id,
    credit_code,
    debtor_row,
    organisation_debtor_row,
    penalty_row,
    serious_penalty_row,
    tax_violation_row,
)
from xinyong.db.checks import SqlIndexSource
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.calendar import business_date
from xinyong.domain.catalog import SubjectType
from xinyong.domain.list_proposals import open_entry_of
from xinyong.domain.lists import (
    Decider,
    EntryState,
    ListEntry,
    ListType,
    PeriodRule,
    propose_listing,
    record_decided_listing,
)
from xinyong.domain.measures import applicable_measures
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import Role, RoleKind, Subject
from xinyong.services import decided_lists, list_proposals, lists
from xinyong.services.checks import Checker
from xinyong.services.records import submit_record
from xinyong.services.subjects import record_role

UowFactory = Callable[[], SqlUnitOfWork]
#: (measure, entry, role it reaches the subject through, under objection)
Answer = set[tuple[str, int, RoleKind | None, bool]]

PERSONS = 300
ORGANISATIONS = 40
FOOD = "FOOD-DRUG-SERIOUS"


@dataclass
class World:
    """The synthetic population and what the random series needs to remember about it."""

    persons: list[Subject]
    organisations: list[Subject]
    roles: set[tuple[int, int, RoleKind, date]] = field(default_factory=set)
    entries: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # proposals under way (FOOD-DRUG-SERIOUS)

    @property
    def subjects(self) -> list[Subject]:
        return [*self.persons, *self.organisations]


def _stored_id(subject: Subject) -> int:
    assert subject.id is not None
    return subject.id


# -- the population, stored straight through the repositories -------------------------------------


def _entry(list_type: ListType, subject_id: int, rng: random.Random, today: date) -> ListEntry:
    """One entry in a random state, its dates moved through the domain's own transitions."""
    decided_on = today - timedelta(days=rng.randrange(0, 1500))
    at = datetime.combine(decided_on, time(2, 0), tzinfo=UTC)
    if list_type.decided_by is Decider.PLATFORM:
        entry = propose_listing(
            list_type,
            subject_id=subject_id,
            subject_age=40,
            grounds="synthetic",
            basis_records=(0,),  # the index reads no records
            proposed_by="synth",
            at=at,
            age_of_majority=18,
        )
        stop = rng.choice(["proposed", "noticed", "withdrawn", "decided", "decided", "decided"])
        if stop == "proposed":
            return entry
        if stop == "withdrawn":
            entry.withdraw(on=decided_on)
            return entry
        entry.serve_notice(on=decided_on - timedelta(days=30))  # 5 working days always fit
        if stop == "noticed":
            return entry
        entry.decide(reasons="synthetic", on=decided_on)
    else:
        months = None
        if list_type.period_rule is PeriodRule.EXTENDABLE and rng.random() < 0.3:
            months = (list_type.period_months or 0) + rng.randint(
                list_type.min_extension_months or 1, list_type.max_extension_months or 1
            )
        entry = record_decided_listing(
            list_type,
            subject_id=subject_id,
            subject_age=40,
            grounds="synthetic",
            decided_on=decided_on,
            recorded_by="synth",
            at=at,
            months=months,
            age_of_majority=18,
        )
    if list_type.published and rng.random() < 0.5:
        entry.publish(on=decided_on)
    if rng.random() < 0.3:
        exit_on = decided_on + timedelta(days=rng.randrange(0, (today - decided_on).days + 1))
        grounds = [g for g in list_type.exit_grounds if g != "expiry"]
        entry.exit(ground=rng.choice(grounds), on=exit_on)
    entry.under_objection = rng.random() < 0.1
    return entry


def _person(i: int) -> Subject:
    born = date(1950, 1, 1) + timedelta(days=37 * i)  # a birth date each: numbers never repeat
    return Subject(None, SubjectType.PERSON, citizen_id(born=born), f"测试{i:03d}", born)


def _populate(make_uow: UowFactory, policy: Policy, rng: random.Random, today: date) -> World:
    person_lists = [t for t in policy.list_types.values() if t.subject_type is SubjectType.PERSON]
    org_lists = [
        t for t in policy.list_types.values() if t.subject_type is SubjectType.ORGANISATION
    ]
    persons = [_person(i) for i in range(PERSONS)]
    organisations = [
        Subject(None, SubjectType.ORGANISATION, credit_code(), f"测试公司{i:02d}")
        for i in range(ORGANISATIONS)
    ]
    world = World(persons, organisations)
    uow = make_uow()
    with uow:
        now = uow.now()
        uow.subjects.add_many(world.subjects, at=now)
        for subject in world.subjects:
            choices = person_lists if subject.kind is SubjectType.PERSON else org_lists
            if rng.random() < (0.4 if subject.kind is SubjectType.PERSON else 0.6):
                for list_type in rng.sample(choices, k=min(len(choices), rng.randint(1, 3))):
                    entry = _entry(list_type, _stored_id(subject), rng, today)
                    uow.entries.add(entry, department=None, source_record=None, at=now)
                    assert entry.id is not None
                    world.entries.append(entry.id)
        for org in organisations:
            for _ in range(rng.randint(1, 4)):
                role = _random_role(world, rng, today, org=org)
                uow.subjects.add_role(role)
        uow.commit()
    return world


def _random_role(
    world: World, rng: random.Random, today: date, *, org: Subject | None = None
) -> Role:
    """A role not recorded yet: past, current, or starting soon; open or ending soon."""
    while True:
        organisation = org or rng.choice(world.organisations)
        person = rng.choice(world.persons)
        kind = rng.choice(list(RoleKind))
        since = today + timedelta(days=rng.randint(-900, 45))
        until = None if rng.random() < 0.5 else since + timedelta(days=rng.randint(0, 120))
        key = (_stored_id(organisation), _stored_id(person), kind, since)
        if key not in world.roles:
            world.roles.add(key)
            return Role(key[0], key[1], kind, since, until)


# -- the two answers ------------------------------------------------------------------------------


def _reference(
    uow: SqlUnitOfWork, policy: Policy, subject: Subject, day: date
) -> dict[str, Answer]:
    """What the database says, for every matter: through the pure rule, no index involved."""
    own = uow.entries.of_subject(_stored_id(subject), policy.list_types)
    through: list[tuple[RoleKind, ListEntry]] = []
    if subject.kind is SubjectType.PERSON:
        for role in uow.subjects.roles_of(_stored_id(subject)):
            if role.person_id == subject.id and role.is_current_on(day):
                org_entries = uow.entries.of_subject(role.organisation_id, policy.list_types)
                through.extend((role.kind, entry) for entry in org_entries)
    out: dict[str, Answer] = {}
    for matter in policy.registry.matters:
        matches = applicable_measures(
            policy.registry, matter, own_entries=own, organisations_entries=through, on=day
        )
        out[matter] = {
            (m.measure.code, m.entry.id or 0, m.via_role, m.under_objection) for m in matches
        }
    return out


def _indexed(checker: Checker, subject: Subject, matter: str) -> Answer:
    return {
        (h.measure.code, h.posting.entry_id, h.posting.role, h.posting.under_objection)
        for h in checker.answer(subject.number, matter).hits
    }


@dataclass
class Tally:
    answers: int = 0
    hits: int = 0
    through_roles: int = 0
    under_objection: int = 0


def _assert_same(
    make_uow: UowFactory, policy: Policy, checker: Checker, world: World, clock: Clock
) -> Tally:
    """Every subject, every matter: the index's answer is the database's."""
    day = business_date(clock())
    tally = Tally()
    uow = make_uow()
    with uow:
        for subject in world.subjects:
            expected = _reference(uow, policy, subject, day)
            for matter, want in expected.items():
                got = _indexed(checker, subject, matter)
                assert got == want, f"subject {subject.id}, {matter} on {day}"
                tally.answers += 1
                tally.hits += len(want)
                tally.through_roles += sum(1 for hit in want if hit[2] is not None)
                tally.under_objection += sum(1 for hit in want if hit[3])
    return tally


# -- the random series, through the services ------------------------------------------------------


def _step(
    make_uow: UowFactory, policy: Policy, world: World, rng: random.Random, clock: Clock
) -> str:
    """Do one random thing a department, a court or the centre would do; return what."""
    today = business_date(clock())
    action = rng.choices(
        ["court", "authority", "organisation", "propose", "decide", "withdraw", "end", "role"],
        weights=[3, 3, 2, 3, 3, 1, 4, 3],
    )[0]
    if action == "court" or action == "authority":
        decider = Decider.COURT if action == "court" else Decider.AUTHORITY
        candidates = [
            t
            for t in policy.list_types.values()
            if t.decided_by is decider and t.code in DECIDING_RECORDS
        ]
        return _record(make_uow, policy, world, rng, rng.choice(candidates), today)
    if action == "organisation":
        return _record(make_uow, policy, world, rng, policy.list_types["COURT-DEBTORS-ORG"], today)
    if action == "propose":
        uow = make_uow()
        with uow:  # a person has one open entry on a list at a time: the first who has none
            person = next(
                p
                for p in rng.sample(world.persons, len(world.persons))
                if open_entry_of(
                    uow.entries.of_subject(_stored_id(p), policy.list_types), FOOD, today
                )
                is None
            )
        decided = today - timedelta(days=rng.randint(0, 60))
        row = serious_penalty_row(
            subject_id=person.number, subject_name=person.name, decision_date=decided.isoformat()
        )
        stored = submit_record(make_uow(), policy, row, department="BJ-AMR", actor="amr-clerk")
        view = list_proposals.propose(
            make_uow(),
            policy,
            list_code=FOOD,
            subject_number=person.number,
            grounds="因食品安全违法行为受到较重行政处罚",
            basis_records=[stored.record.id],
            department="BJ-AMR",
            actor="amr-officer",
        )
        entry_id = view.entry.id or 0
        lists.serve_notice(make_uow(), policy, entry_id, department="BJ-AMR", actor="amr-clerk")
        world.pending.append(entry_id)
        world.entries.append(entry_id)
        return action
    if action == "decide":
        for entry_id in list(world.pending):
            entry = lists.get_entry(
                make_uow(), policy, entry_id, department=None, actor="test"
            ).entry
            deadline = entry.defence_deadline
            if deadline is not None and deadline.day < today:
                lists.decide(
                    make_uow(),
                    policy,
                    entry_id,
                    reasons="查证属实",
                    months=None,
                    department="BJ-AMR",
                    actor="amr-head",
                )
                if rng.random() < 0.5:
                    lists.publish(make_uow(), policy, entry_id, department="BJ-AMR", actor="w")
                world.pending.remove(entry_id)
                return action
        return "decide (none due)"
    if action == "withdraw" and world.pending:
        entry_id = rng.choice(world.pending)
        lists.withdraw(make_uow(), policy, entry_id, department="BJ-AMR", actor="amr-head")
        world.pending.remove(entry_id)
        return action
    if action == "end":
        for entry_id in rng.sample(world.entries, k=min(20, len(world.entries))):
            entry = lists.get_entry(
                make_uow(), policy, entry_id, department=None, actor="test"
            ).entry
            if entry.state in (EntryState.DECIDED, EntryState.PUBLISHED) and entry.is_in_force_on(
                today
            ):
                grounds = [g for g in entry.list_type.exit_grounds if g != "expiry"]
                lists.end_listing(
                    make_uow(),
                    policy,
                    entry_id,
                    ground=rng.choice(grounds),
                    note="synthetic",
                    department=None,
                    actor="centre-1",
                )
                return action
        return "end (none in force)"
    if action == "role":
        role = _random_role(world, rng, today)
        org = next(o for o in world.organisations if o.id == role.organisation_id)
        person = next(p for p in world.persons if p.id == role.person_id)
        record_role(
            make_uow(),
            organisation=org.number,
            person=person.number,
            kind=role.kind,
            since=role.since,
            until=role.until,
            actor="amr-clerk",
        )
        return action
    return "nothing"


#: The deciding authority's own record a decided listing rests on, by list: its department and a
#: row factory (only the deciding authority records a listing, on a record of its own).
DECIDING_RECORDS: dict[str, tuple[str, Callable[..., dict[str, object]]]] = {
    "COURT-DEBTORS": ("BJ-HCOURT", debtor_row),
    "COURT-DEBTORS-ORG": ("BJ-HCOURT", organisation_debtor_row),
    "TAX-MAJOR-VIOLATION": ("BJ-TAX", tax_violation_row),
    "FOOD-LICENCE-REVOKED": (
        "BJ-AMR",
        lambda **kw: penalty_row(penalty_type="licence_revocation", fine_amount=None, **kw),
    ),
}


def _record(
    make_uow: UowFactory,
    policy: Policy,
    world: World,
    rng: random.Random,
    list_type: ListType,
    today: date,
) -> str:
    if list_type.subject_type is SubjectType.ORGANISATION:
        subject = rng.choice(world.organisations)
    else:
        subject = rng.choice(world.persons)
    decided = today - timedelta(days=rng.randint(0, 300))
    department, row = DECIDING_RECORDS[list_type.code]
    submit_record(
        make_uow(),
        policy,
        row(
            subject_id=subject.number,
            subject_name=subject.name,
            decision_date=decided.isoformat(),
        ),
        department=department,
        actor="feed",
    )
    view = decided_lists.record_decided(
        make_uow(),
        policy,
        list_code=list_type.code,
        subject_number=subject.number,
        grounds="synthetic decision",
        decided_on=decided,
        months=None,
        department=department,
        actor="feed",
    )
    world.entries.append(view.entry.id or 0)
    return f"record {list_type.code}"


# -- the tests ------------------------------------------------------------------------------------


@pytest.fixture
def new_checker(
    database_url: str, policy: Policy, clock: Clock, seeded: UowFactory
) -> Iterator[Callable[[], Checker]]:
    """Make checkers that read through a read engine of their own, as the service runs them."""
    reads = make_engine(database_url, reads=True)
    sources: list[SqlIndexSource] = []

    def make() -> Checker:
        sources.append(SqlIndexSource(reads, policy.list_types))
        return Checker(policy, sources[-1], clock=clock)

    yield make
    for source in sources:
        source.close()
    reads.dispose()


def test_the_index_answers_as_the_database_after_a_load_and_while_it_follows_the_log(
    seeded: UowFactory, policy: Policy, clock: Clock, new_checker: Callable[[], Checker]
) -> None:
    rng = random.Random(20261120)
    world = _populate(seeded, policy, rng, business_date(clock()))
    follower = new_checker()
    follower.load()
    loaded = _assert_same(seeded, policy, follower, world, clock)
    assert loaded.answers == (PERSONS + ORGANISATIONS) * len(policy.registry.matters)
    assert loaded.hits > 100
    assert loaded.through_roles > 0
    assert loaded.under_objection > 0

    done: list[str] = []
    for checkpoint in range(3):
        for _ in range(50):
            clock.advance(hours=rng.choice([1, 5, 20, 30, 72]))
            done.append(_step(seeded, policy, world, rng, clock))
        applied = follower.sync()
        assert applied > 0, f"checkpoint {checkpoint}: nothing to follow"
        _assert_same(seeded, policy, follower, world, clock)
    for action in ("record COURT-DEBTORS", "record COURT-DEBTORS-ORG", "decide", "end", "role"):
        assert action in done, f"the series never did {action!r}: {sorted(set(done))}"

    # A day later, nothing written: periods and roles that end or begin still change the answer.
    clock.advance(days=30)
    assert follower.sync() == 0
    _assert_same(seeded, policy, follower, world, clock)

    fresh = new_checker()
    fresh.load()
    _assert_same(seeded, policy, fresh, world, clock)
    assert fresh.index.seq == follower.index.seq
    assert sorted(fresh.index, key=repr) == sorted(
        (p for p in follower.index if p.until is None or p.until > business_date(clock())),
        key=repr,
    )
