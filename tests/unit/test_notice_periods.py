"""How a published listing's period on a list with a public notice was counted (from its decision,
as before publication moved it, or from the day it binds), the end it has counted again, and the
mend over the fakes: the exchange hears of each listing it mends, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.factories import rail_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on, submitted
from xinyong.domain import calendar
from xinyong.domain.calendar import Deadline, add_months
from xinyong.domain.deadlines import Counted, DeadlineKind, recount
from xinyong.domain.exchange import EventKind
from xinyong.domain.lists import EntryState, IllegalTransition, ListEntry, ListType, PeriodRule
from xinyong.domain.notice_periods import (
    Count,
    PeriodCount,
    count_of,
    recount_from_binding,
    recount_notice,
)
from xinyong.domain.policy import Policy
from xinyong.services.notice_periods import Finding, mend_notice_periods
from xinyong.services.outbound import RECEIVED_BY

DECIDED = date(2026, 10, 12)
PUBLISHED = date(2026, 11, 2)  # November's first working day
BINDS = date(2026, 11, 12)  # after seven working days of notice, 3 to 11 November


def published(list_type: ListType, *, ends_on: date | None, ground: str | None = None) -> ListEntry:
    """A listing decided on 12 October and published on 2 November, with the end given."""
    return ListEntry(
        id=1,
        list_type=list_type,
        subject_id=7,
        state=EntryState.PUBLISHED,
        proposed_by="BJ-RAIL-officer",
        grounds="在动车组列车上吸烟",
        decided_on=DECIDED,
        published_on=PUBLISHED,
        ends_on=ends_on,
        ground=ground,
    )


def decided_and_published(list_type: ListType, ground: str | None = None) -> ListEntry:
    """The same listing taken through `ListEntry`'s own steps: the end publication gives now."""
    entry = ListEntry(
        id=1,
        list_type=list_type,
        subject_id=7,
        state=EntryState.PROPOSED,
        proposed_by="BJ-RAIL-officer",
        grounds="在动车组列车上吸烟",
        ground=ground,
    )
    entry.serve_notice(on=date(2026, 9, 28))
    entry.decide(reasons="查证属实", on=DECIDED)
    entry.publish(on=PUBLISHED)
    return entry


def test_a_railway_end_counted_from_the_decision_is_counted_again_as_publication_counts_it(
    policy: Policy,
) -> None:
    rail = policy.list_types["RAIL-SERIOUS"]
    old = published(rail, ends_on=DECIDED + timedelta(days=180), ground="smoking_on_train")
    now = decided_and_published(rail, ground="smoking_on_train")
    assert now.ends_on == date(2027, 5, 11)

    assert count_of(old) == PeriodCount(Count.FROM_DECISION, BINDS, now.ends_on)
    assert count_of(now) == PeriodCount(Count.FROM_BINDING, BINDS)

    assert recount_from_binding(old, on=date(2027, 4, 9)) == date(2027, 4, 10)
    assert old.ends_on == now.ends_on
    assert count_of(old) == PeriodCount(Count.FROM_BINDING, BINDS)  # once only
    with pytest.raises(IllegalTransition, match="not counted from its decision"):
        recount_from_binding(old, on=date(2027, 4, 9))


def test_the_air_lists_year_is_counted_again_from_the_binding_day(policy: Policy) -> None:
    air = policy.list_types["AIR-SERIOUS"]
    old = published(air, ends_on=add_months(DECIDED, 12))
    assert count_of(old) == PeriodCount(
        Count.FROM_DECISION, BINDS, decided_and_published(air).ends_on
    )
    assert decided_and_published(air).ends_on == date(2027, 11, 12)


def test_a_listing_whose_end_from_the_decision_has_passed_is_not_put_back_in_force(
    policy: Policy,
) -> None:
    rail = policy.list_types["RAIL-SERIOUS"]
    old_end = DECIDED + timedelta(days=180)
    standing = published(rail, ends_on=old_end, ground="smoking_on_train")
    with pytest.raises(IllegalTransition, match="not put back in force"):
        recount_from_binding(standing, on=old_end)  # it stopped binding that day
    swept = published(rail, ends_on=old_end, ground="smoking_on_train")
    swept.exit(ground="expiry", on=old_end)
    with pytest.raises(IllegalTransition, match="not put back in force"):
        recount_from_binding(swept, on=old_end - timedelta(days=1))
    assert swept.ends_on == standing.ends_on == old_end


def test_no_question_arises_without_a_public_notice_a_publication_or_an_end(
    policy: Policy,
) -> None:
    rail = policy.list_types["RAIL-SERIOUS"]
    assert count_of(published(rail, ends_on=None, ground="fare_evasion")) is None  # until paid
    unpublished = replace(
        published(rail, ends_on=DECIDED + timedelta(days=180)),
        state=EntryState.DECIDED,
        published_on=None,
    )
    assert count_of(unpublished) is None  # publication will count it from the binding day
    food = policy.list_types["FOOD-DRUG-SERIOUS"]
    assert not food.public_notice_working_days
    assert count_of(published(food, ends_on=add_months(DECIDED, 36))) is None


def test_an_end_that_fits_both_counts_or_neither_is_not_guessed(policy: Policy) -> None:
    """An extendable period on a list with a public notice (none ships one): 12 October to
    12 November is 31 days, so 25 months from the decision and 24 months moved to the binding
    day end on the same day, and nothing says which the decision chose."""
    extendable = replace(
        policy.list_types["RAIL-SERIOUS"],
        period_rule=PeriodRule.EXTENDABLE,
        period_days=None,
        period_months=24,
        max_extension_months=36,
        grounds=(),
    )
    from_decision = published(extendable, ends_on=add_months(DECIDED, 24))
    assert count_of(from_decision) == PeriodCount(Count.FROM_DECISION, BINDS, date(2028, 11, 12))
    assert count_of(published(extendable, ends_on=date(2028, 11, 12))) == PeriodCount(
        Count.EITHER, BINDS
    )
    assert count_of(published(extendable, ends_on=date(2028, 10, 13))) == PeriodCount(
        Count.NEITHER, BINDS
    )
    # The railway's 180 days, had the policy said 90 when it was decided.
    rail = policy.list_types["RAIL-SERIOUS"]
    changed = published(rail, ends_on=DECIDED + timedelta(days=90), ground="smoking_on_train")
    assert count_of(changed) == PeriodCount(Count.NEITHER, BINDS)


def test_the_mend_queues_each_listing_it_mends_for_the_exchange_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    uow.committed.node_code = "BJ"
    rail = policy.list_types["RAIL-SERIOUS"]
    stored = submitted(uow, policy, rail_row(), department="BJ-RAIL")
    old_end = DECIDED + timedelta(days=180)
    own = published(rail, ends_on=old_end, ground="smoking_on_train")
    copy = replace(own, proposed_by=f"{RECEIVED_BY}SH")  # another platform's: its origin mends it
    with uow:
        for entry in (own, copy):
            entry.id = None
            entry.subject_id = stored.record.subject_id
            entry.basis_records = (stored.record.id,)
            uow.entries.add(entry, department="BJ-RAIL", source_record=None, at=uow.now())
        uow.commit()
    before = len(uow.committed.outbox)
    uow.at = on(date(2026, 11, 20))

    found = mend_notice_periods(uow, policy, actor="cli")

    assert [(f.entry_id, f.finding) for f in found] == [(own.id, Finding.MENDED)]
    (change,) = uow.committed.outbox[before:]
    assert change.kind is EventKind.LISTING_IN_FORCE
    assert change.state["ends_on"] == "2027-05-11"
    assert mend_notice_periods(uow, policy, actor="cli") == []
    assert len(uow.committed.outbox) == before + 1


# -- a notice counted Monday to Friday: its year not yet in the official calendar -------------

COVERED = calendar.official_years()
BEFORE_2026 = frozenset(y for y in COVERED if y < 2026)
#: Wednesday 30 September 2026. Officially (National Day 1 to 7 October, Saturday 10 October
#: worked) seven working days of notice run to Thursday 15 October; counted Monday to Friday they
#: would end on Friday 9 October, six days inside the real notice.
ON_THE_EVE = date(2026, 9, 30)


def published_on(list_type: ListType, day: date) -> ListEntry:
    """A listing on the smoking ground decided on 15 September 2026 and published on `day`."""
    decided = date(2026, 9, 15)
    entry = ListEntry(
        id=1,
        list_type=list_type,
        subject_id=7,
        state=EntryState.DECIDED,
        proposed_by="BJ-RAIL-officer",
        grounds="在动车组列车上吸烟",
        decided_on=decided,
        ends_on=list_type.ends_on(decided, ground="smoking_on_train"),
        ground="smoking_on_train",
    )
    entry.publish(on=day)
    return entry


def on_fallback(entry: ListEntry) -> Counted:
    assert entry.notice_ends is not None
    return Counted(
        DeadlineKind.PUBLIC_NOTICE, "list_entry", 1, 7, "BJ-RAIL", entry.notice_ends, running=True
    )


def test_a_notice_counted_monday_to_friday_binds_on_no_day_until_counted_officially(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    rail = policy.list_types["RAIL-SERIOUS"]
    assert rail.takes_force(ON_THE_EVE) == date(2026, 10, 16)
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    assert rail.public_notice(ON_THE_EVE) == Deadline(date(2026, 10, 9), False)
    assert rail.takes_force(ON_THE_EVE) is None  # the real end is not known yet

    entry = published_on(rail, ON_THE_EVE)
    assert entry.notice_ends == Deadline(date(2026, 10, 9), False, ON_THE_EVE, 7)
    assert entry.binds_from is None
    assert entry.force_window() is None
    days = [ON_THE_EVE + timedelta(days=n) for n in range(1, 400)]
    assert not any(entry.is_in_force_on(d) for d in days)
    assert entry.awaits_force_on(date(2026, 10, 10))  # in its notice, as the person is told
    assert entry.awaits_force_on(date(2026, 10, 15))

    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)  # the calendar arrives
    assert entry.binds_from is None  # as stored: the recount counts it again
    new = recount(on_fallback(entry))
    assert new == Deadline(date(2026, 10, 15), True)
    recount_notice(entry, new)
    assert entry.binds_from == date(2026, 10, 16)
    assert not entry.is_in_force_on(date(2026, 10, 15))
    assert entry.is_in_force_on(date(2026, 10, 16))
    # the 180 days run from the day it binds, as publication counts them on the official calendar
    assert entry.ends_on == date(2026, 10, 16) + timedelta(days=180)
    assert entry.ends_on == published_on(rail, ON_THE_EVE).ends_on


def test_a_notice_counted_monday_to_friday_never_ends_earlier_when_counted_officially(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Published on Thursday 8 October 2026: counted Monday to Friday the notice runs to Monday
    19 October; officially (Saturday 10 October worked) to Friday 16 October. The person was
    told the 19th: the day stands, now final, and the listing binds from the 20th."""
    rail = policy.list_types["RAIL-SERIOUS"]
    assert rail.takes_force(date(2026, 10, 8)) == date(2026, 10, 17)
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    entry = published_on(rail, date(2026, 10, 8))
    assert entry.notice_ends == Deadline(date(2026, 10, 19), False)
    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)

    new = recount(on_fallback(entry))
    assert new == Deadline(date(2026, 10, 19), True)
    recount_notice(entry, new)
    assert entry.binds_from == date(2026, 10, 20)
    assert entry.ends_on == date(2026, 10, 20) + timedelta(days=180)


def test_a_listing_published_before_its_notice_was_kept_binds_once_the_count_is_official(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row published before the notice's end was stored: counted from its publication when
    read, and binding only once that count is official."""
    entry = published(policy.list_types["RAIL-SERIOUS"], ends_on=None)
    entry.published_on = ON_THE_EVE
    assert entry.binds_from == date(2026, 10, 16)
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    assert entry.binds_from is None
    assert entry.awaits_force_on(date(2026, 10, 12))
