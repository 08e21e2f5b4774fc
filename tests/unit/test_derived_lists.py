"""The derived status "no negative record for three consecutive years" over the fakes: the sweep
grants it to whoever is clean and nobody records it by hand; a new negative record ends it at
once; an organisation never holds it, nor does a minor (docs/domain.md §7)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import citizen_id, credit_code, penalty_row, volunteer_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.checks import ChangeKind
from xinyong.domain.lists import (
    DERIVATION_CORRECTED,
    NEW_NEGATIVE_RECORD,
    EntryState,
    ListEntry,
    MinorNeverListed,
    clean_since,
    derive_clean_status,
    is_clean,
    shown_between,
)
from xinyong.domain.policy import Policy
from xinyong.services.derived_lists import derive_clean_statuses
from xinyong.services.expiry import sweep
from xinyong.services.records import revoke_record

STATUS = "GOOD-NO-NEGATIVE-3Y"
#: The default penalty row: decided 1 September 2026, shown twelve months.
SHOWN = (date(2026, 9, 1), date(2027, 9, 1))
CLEAN_FROM = date(2030, 9, 1)  # three years after its display ended


@pytest.mark.parametrize(
    ("day", "known_since", "windows", "listed", "clean"),
    [
        (CLEAN_FROM, date(2026, 9, 1), [SHOWN], False, True),
        (date(2030, 8, 31), date(2026, 9, 1), [SHOWN], False, False),  # shown on 31 Aug 2027
        (CLEAN_FROM, date(2027, 9, 2), [], False, False),  # known for less than three years
        (CLEAN_FROM, date(2027, 9, 1), [], False, True),  # known exactly three years
        (CLEAN_FROM, None, [], False, False),  # never known
        (CLEAN_FROM, date(2020, 1, 1), [(date(2020, 1, 1), None)], False, False),  # still shown
        (CLEAN_FROM, date(2020, 1, 1), [(date(2031, 1, 1), None)], False, True),  # not yet
        (CLEAN_FROM, date(2020, 1, 1), [], True, False),  # a serious listing in force
    ],
)
def test_clean_means_known_three_years_with_no_negative_record_shown_and_no_serious_listing(
    day: date,
    known_since: date | None,
    windows: list[tuple[date, date | None]],
    listed: bool,
    clean: bool,
) -> None:
    assert clean_since(day, 3) == date(day.year - 3, day.month, day.day)
    start = clean_since(day, 3)
    facts = is_clean(
        day=day,
        years=3,
        known_since=known_since,
        negative_shown=any(shown_between(w, start, day) for w in windows),
        serious_or_key_in_force=listed,
        subject_age=40,
        age_of_majority=18,
    )
    assert facts is clean


@pytest.mark.parametrize(("age", "clean"), [(17, False), (18, True), (None, True)])
def test_a_minor_is_never_clean_however_long_the_platform_has_known_them(
    age: int | None, clean: bool
) -> None:
    """Minors are never listed, not even on a good list; an unknown age refuses nothing, as for
    the listings a department records."""
    facts = is_clean(
        day=CLEAN_FROM,
        years=3,
        known_since=date(2020, 1, 1),
        negative_shown=False,
        serious_or_key_in_force=False,
        subject_age=age,
        age_of_majority=18,
    )
    assert facts is clean


def test_the_status_is_never_derived_for_a_minor(policy: Policy) -> None:
    with pytest.raises(MinorNeverListed):
        derive_clean_status(
            policy.list_types[STATUS],
            subject_id=1,
            subject_age=17,
            on=CLEAN_FROM,
            at=on(CLEAN_FROM),
            age_of_majority=policy.periods.age_of_majority,
        )


def _held(uow: FakeUnitOfWork, policy: Policy, subject_id: int) -> list[ListEntry]:
    with uow:
        return [
            e
            for e in uow.entries.of_subject(subject_id, policy.list_types)
            if e.list_type.code == STATUS
        ]


def test_the_sweep_derives_the_status_the_day_three_clean_years_are_complete_and_only_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy, penalty_row(subject_id=citizen_id()))
    subject_id = stored.record.subject_id
    uow.at = on(date(2030, 8, 31))
    assert sweep(uow, policy, actor="sweep").clean_granted == 0
    assert _held(uow, policy, subject_id) == []

    uow.at = on(CLEAN_FROM)
    summary = sweep(uow, policy, actor="sweep")
    assert (summary.clean_granted, summary.clean_ended) == (1, 0)
    [entry] = _held(uow, policy, subject_id)
    assert (entry.state, entry.decided_on, entry.ends_on) == (EntryState.DECIDED, CLEAN_FROM, None)
    assert entry.proposed_by == "platform:derived"
    assert entry.is_in_force_on(CLEAN_FROM)
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.LISTING_RECORDED]
    assert (event.actor, event.subject_id) == ("sweep", subject_id)
    assert [c for c in uow.committed.changes if c.kind is ChangeKind.LISTING][-1].subject_id == (
        subject_id
    )

    assert derive_clean_statuses(uow, policy, actor="sweep") == (0, 0)  # safe to run again
    assert len(_held(uow, policy, subject_id)) == 1


def test_a_new_negative_record_ends_the_status_in_the_same_transaction(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    number = citizen_id()
    stored = submitted(uow, policy, penalty_row(subject_id=number))
    uow.at = on(CLEAN_FROM)
    derive_clean_statuses(uow, policy, actor="sweep")
    [entry] = _held(uow, policy, stored.record.subject_id)

    uow.at = on(date(2030, 10, 12))
    submitted(uow, policy, penalty_row(subject_id=number, decision_date="2030-09-28"))

    [ended] = _held(uow, policy, stored.record.subject_id)
    assert (ended.id, ended.state) == (entry.id, EntryState.EXITED)
    assert (ended.exit_ground, ended.exited_on) == (NEW_NEGATIVE_RECORD, date(2030, 10, 12))
    exits = [e for e in uow.committed.audit if e.tag is EventTag.LISTING_EXITED]
    assert [(e.actor, e.data["ground"]) for e in exits] == [("clerk", NEW_NEGATIVE_RECORD)]
    # Nothing for the sweep to do: the new record is shown, so the status is not derived again.
    assert derive_clean_statuses(uow, policy, actor="sweep") == (0, 0)


def test_an_organisation_never_holds_the_status_and_a_revoked_record_proves_nothing(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    company = penalty_row(
        item="ADM-PEN-02", subject_id=credit_code(), subject_name="北京某某有限公司"
    )
    submitted(uow, policy, company)
    revoked = submitted(uow, policy, penalty_row(subject_id=citizen_id()))
    revoke_record(
        uow, policy, revoked.record.id, department="BJ-AMR", reason="复议撤销", actor="amr-1"
    )
    uow.at = on(CLEAN_FROM)
    assert derive_clean_statuses(uow, policy, actor="sweep") == (0, 0)


def test_the_status_ends_when_the_records_it_was_derived_from_are_revoked(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy, penalty_row(subject_id=citizen_id()))
    uow.at = on(CLEAN_FROM)
    assert derive_clean_statuses(uow, policy, actor="sweep") == (1, 0)
    revoke_record(
        uow, policy, stored.record.id, department="BJ-AMR", reason="复议撤销", actor="amr-1"
    )
    assert derive_clean_statuses(uow, policy, actor="sweep") == (0, 1)
    [entry] = _held(uow, policy, stored.record.subject_id)
    assert (entry.state, entry.exit_ground) == (EntryState.EXITED, "revocation")


#: Born 15 June 2014: 12 when honoured as a volunteer on 15 October 2026 (an item with no minimum
#: age), 15 when the platform has known them three years, 18 on 15 June 2032.
BORN = date(2014, 6, 15)
KNOWN_THREE_YEARS = date(2029, 10, 15)
OF_AGE = date(2032, 6, 15)


def _volunteer(uow: FakeUnitOfWork, policy: Policy) -> int:
    row = volunteer_row(subject_id=citizen_id(born=BORN))
    return submitted(uow, policy, row, department="BJ-CIVIL").record.subject_id


def test_a_minor_known_three_clean_years_gets_the_status_only_once_of_age(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    subject_id = _volunteer(uow, policy)
    for day in (KNOWN_THREE_YEARS, OF_AGE - timedelta(days=1)):
        uow.at = on(day)
        assert derive_clean_statuses(uow, policy, actor="sweep") == (0, 0)
        assert _held(uow, policy, subject_id) == []

    uow.at = on(OF_AGE)
    assert derive_clean_statuses(uow, policy, actor="sweep") == (1, 0)
    [entry] = _held(uow, policy, subject_id)
    assert (entry.state, entry.decided_on) == (EntryState.DECIDED, OF_AGE)


def test_a_minor_holding_the_status_loses_it_at_the_next_sweep(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """A status derived for a minor before the sweep looked at ages is a derivation corrected."""
    subject_id = _volunteer(uow, policy)
    uow.at = on(KNOWN_THREE_YEARS)
    with uow:
        wrong = derive_clean_status(
            policy.list_types[STATUS],
            subject_id=subject_id,
            subject_age=None,  # as the sweep recorded it when it read no age
            on=KNOWN_THREE_YEARS,
            at=uow.now(),
            age_of_majority=policy.periods.age_of_majority,
        )
        uow.entries.add(wrong, department=None, source_record=None, at=uow.now())
        uow.commit()

    uow.at = on(date(2029, 10, 16))
    assert derive_clean_statuses(uow, policy, actor="sweep") == (0, 1)
    [entry] = _held(uow, policy, subject_id)
    assert (entry.state, entry.exit_ground) == (EntryState.EXITED, DERIVATION_CORRECTED)
