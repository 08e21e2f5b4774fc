"""Lists: the shipped list types, how a broken list file is reported, the listing procedure, and
its use cases over the fakes.

The 2026 dates rest on the State Council's 2026 holiday arrangement as chinese-calendar carries it:
Mid-Autumn 25-27 September, National Day 1-7 October, with Sunday 20 September and Saturday
10 October worked.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import court_listing, on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import Deadline
from xinyong.domain.catalog import SubjectType
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import CatalogError, DomainError, Invalid, NotAllowed, NotFound
from xinyong.domain.lists import (
    Decider,
    EntryState,
    IllegalTransition,
    ListEntry,
    ListKind,
    ListType,
    MinorNeverListed,
    Period,
    PeriodRule,
    Publication,
    SeriousField,
    propose_listing,
    read_list_types,
)
from xinyong.domain.lists import (
    record_decided_listing as record_listing,
)
from xinyong.domain.policy import Policy
from xinyong.policy import PACKAGED, read_toml
from xinyong.services import decided_lists, documents, list_proposals, lists
from xinyong.services.records import Stored

AT = datetime(2026, 9, 25, 9, 30, tzinfo=UTC)
#: Served on Monday 28 September 2026; five working days run to the make-up Saturday 10 October.
NOTICE_DAY = date(2026, 9, 28)
DEADLINE = date(2026, 10, 10)


@pytest.fixture(scope="module")
def catalog_codes(policy: Policy) -> frozenset[str]:
    return frozenset(policy.catalog.items)


@pytest.fixture(scope="module")
def shipped(catalog_codes: frozenset[str]) -> dict[str, ListType]:
    file = PACKAGED / "lists.toml"
    return {t.code: t for t in read_list_types(read_toml(file), str(file), catalog_codes)}


def propose(list_type: ListType, **overrides: Any) -> ListEntry:
    args: dict[str, Any] = {
        "subject_id": 7,
        "subject_age": 41,
        "grounds": "因销售有毒有害食品被吊销食品经营许可证",
        "basis_records": (101,),
        "proposed_by": "staff-12",
        "at": AT,
    }
    args.update(overrides)
    return propose_listing(list_type, age_of_majority=18, **args)


def record(list_type: ListType, **overrides: Any) -> ListEntry:
    args: dict[str, Any] = {
        "subject_id": 7,
        "subject_age": 41,
        "grounds": "（2026）京0105执1234号：有履行能力而拒不履行",
        "decided_on": date(2026, 3, 2),
        "recorded_by": "court-feed",
        "at": AT,
    }
    args.update(overrides)
    return record_listing(list_type, age_of_majority=18, **args)


def decided(list_type: ListType) -> ListEntry:
    """A platform listing noticed on 28 September 2026 and decided on Monday 12 October."""
    entry = propose(list_type)
    entry.serve_notice(on=NOTICE_DAY)
    entry.decide(reasons="经审查，符合列入条件", on=date(2026, 10, 12))
    return entry


# -- the shipped lists -----------------------------------------------------------------------


def test_shipped_lists_load_with_at_least_eight_types(
    shipped: dict[str, ListType], policy: Policy
) -> None:
    assert len(shipped) >= 8
    assert set(policy.list_types) == set(shipped)


def test_court_debtors_list_is_decided_by_the_court_with_its_period_and_grounds(
    shipped: dict[str, ListType],
) -> None:
    court = shipped["COURT-DEBTORS"]

    assert court.decided_by is Decider.COURT
    assert court.kind is ListKind.SERIOUS_UNTRUSTWORTHY
    assert court.serious_field is SeriousField.REFUSING_LEGAL_OBLIGATIONS
    assert court.subject_type is SubjectType.PERSON
    assert court.period_rule is PeriodRule.EXTENDABLE
    assert (court.period_months, court.max_extension_months) == (24, 36)
    assert court.removal_working_days == 3
    assert court.source_items == frozenset({"JUD-DEBTOR-01"})
    assert {"performance", "settlement", "creditor_consent", "termination", "expiry"} <= set(
        court.exit_grounds
    )
    assert any("最高人民法院关于公布失信被执行人名单信息的若干规定" in b for b in court.legal_basis)
    assert any("有履行能力而拒不履行" in c and "不受" in c for c in court.criteria)


def test_serious_lists_cover_all_four_fields_and_name_theirs(
    shipped: dict[str, ListType],
) -> None:
    serious = [t for t in shipped.values() if t.kind is ListKind.SERIOUS_UNTRUSTWORTHY]

    assert all(t.serious_field is not None for t in serious)
    assert {t.serious_field for t in serious} == set(SeriousField)


def test_every_list_cites_its_basis_criteria_and_exit_grounds(
    shipped: dict[str, ListType],
) -> None:
    for list_type in shipped.values():
        assert list_type.name_zh, list_type.code
        assert list_type.name_en, list_type.code
        assert list_type.criteria, list_type.code
        assert list_type.exit_grounds, list_type.code
        assert all("《" in b and "》" in b for b in list_type.legal_basis), list_type.code


def test_platform_run_lists_give_a_defence_window_and_rest_on_catalog_items(
    shipped: dict[str, ListType], catalog_codes: frozenset[str]
) -> None:
    platform = [t for t in shipped.values() if t.decided_by is Decider.PLATFORM]

    assert platform
    for list_type in platform:
        assert list_type.defence_working_days >= 5, list_type.code
        assert list_type.source_items, list_type.code
        assert list_type.source_items <= catalog_codes, list_type.code


def test_key_supervision_lists_are_never_published(shipped: dict[str, ListType]) -> None:
    key = [t for t in shipped.values() if t.kind is ListKind.KEY_SUPERVISION]

    assert len(key) >= 2
    assert not any(t.published for t in key)


def test_good_credit_entries_include_the_three_year_status_and_refusable_honours(
    shipped: dict[str, ListType],
) -> None:
    good = [t for t in shipped.values() if t.kind is ListKind.GOOD_CREDIT]
    status = shipped["GOOD-NO-NEGATIVE-3Y"]

    assert len(good) >= 3
    assert status.kind is ListKind.GOOD_CREDIT
    assert status.period_rule is PeriodRule.UNTIL_EXIT
    assert shipped["GOOD-MORAL-MODEL"].refusable
    assert shipped["GOOD-VOLUNTEER"].refusable
    assert not any(t.refusable for t in shipped.values() if t.kind is not ListKind.GOOD_CREDIT)


# -- broken list files -----------------------------------------------------------------------

VALID: dict[str, Any] = {
    "code": "TEST-LIST",
    "name_zh": "测试名单",
    "name_en": "Test list",
    "kind": "serious_untrustworthy",
    "serious_field": "health_and_safety",
    "subject_type": "person",
    "decided_by": "platform",
    "legal_basis": ["《中华人民共和国食品安全法》第一百三十五条"],
    "criteria": ["受到较重行政处罚的"],
    "period_rule": "fixed",
    "period_months": 36,
    "defence_working_days": 5,
    "exit_grounds": ["expiry", "repair"],
    "source_items": ["ADM-PEN-01"],
    "proposed_by_kinds": ["market_regulation"],
}


def read_one(catalog_codes: frozenset[str], **changes: Any) -> list[ListType]:
    """Read a one-list file built from VALID; a change to None removes the key."""
    raw = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return read_list_types({"lists": [raw]}, "broken.toml", catalog_codes)


def refusal(catalog_codes: frozenset[str], **changes: Any) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        read_one(catalog_codes, **changes)
    assert caught.value.file == "broken.toml"
    assert caught.value.item == "TEST-LIST"
    return caught.value


def test_the_valid_test_list_reads(catalog_codes: frozenset[str]) -> None:
    (list_type,) = read_one(catalog_codes)

    assert list_type.defence_working_days == 5
    assert list_type.published


def test_a_serious_list_without_its_field_is_refused(catalog_codes: frozenset[str]) -> None:
    error = refusal(catalog_codes, serious_field=None)

    assert error.field == "serious_field"
    assert "four fields" in error.reason


def test_an_unknown_key_is_refused_naming_it(catalog_codes: frozenset[str]) -> None:
    error = refusal(catalog_codes, defense_working_days=5)

    assert error.field == "defense_working_days"
    assert "misspelt" in error.reason


def test_a_platform_list_without_a_defence_window_is_refused(
    catalog_codes: frozenset[str],
) -> None:
    assert refusal(catalog_codes, defence_working_days=None).field == "defence_working_days"
    assert refusal(catalog_codes, defence_working_days=0).field == "defence_working_days"


def test_a_source_item_outside_the_catalog_is_refused_naming_it(
    catalog_codes: frozenset[str],
) -> None:
    error = refusal(catalog_codes, source_items=["ADM-PEN-01", "NOT-IN-01"])

    assert error.field == "source_items"
    assert "NOT-IN-01" in error.reason
    assert "ADM-PEN-01" not in error.reason


@pytest.mark.parametrize("rule", ["fixed", "extendable"])
def test_a_fixed_or_extendable_period_without_months_is_refused(
    catalog_codes: frozenset[str], rule: str
) -> None:
    assert refusal(catalog_codes, period_rule=rule, period_months=None).field == "period_months"
    assert refusal(catalog_codes, period_rule=rule, period_months=0).field == "period_months"


def test_a_list_without_a_legal_basis_is_refused(catalog_codes: frozenset[str]) -> None:
    assert refusal(catalog_codes, legal_basis=[]).field == "legal_basis"
    assert refusal(catalog_codes, legal_basis=None).field == "legal_basis"


def test_an_unknown_decider_is_refused(catalog_codes: frozenset[str]) -> None:
    assert "decided_by" in refusal(catalog_codes, decided_by="mayor").field


def test_a_code_used_twice_is_refused(catalog_codes: frozenset[str]) -> None:
    with pytest.raises(CatalogError) as caught:
        read_list_types({"lists": [dict(VALID), dict(VALID)]}, "broken.toml", catalog_codes)

    assert caught.value.field == "code"


def test_a_serious_field_outside_the_four_is_refused_naming_serious_field(
    catalog_codes: frozenset[str],
) -> None:
    # the ValueError from SeriousField is reported under "kind/subject_type/decided_by/period_rule"
    assert refusal(catalog_codes, serious_field="traffic").field == "serious_field"


def test_a_published_key_supervision_list_is_refused(catalog_codes: frozenset[str]) -> None:
    # docs/domain.md §7: key supervision lists mean closer supervision, not publication
    error = refusal(catalog_codes, kind="key_supervision", serious_field=None, published=True)

    assert error.field == "published"


def test_a_refusable_serious_list_is_refused(catalog_codes: frozenset[str]) -> None:
    # only honours, volunteering and donations may be refused by the person (docs/domain.md §7)
    assert refusal(catalog_codes, refusable=True).field == "refusable"


def test_a_refusable_entry_must_exit_on_refusal_and_a_derived_status_needs_its_years(
    catalog_codes: frozenset[str],
) -> None:
    good = {
        "kind": "good_credit",
        "serious_field": None,
        "decided_by": "authority",
        "period_rule": "until_exit",
        "period_months": None,
        "defence_working_days": 0,
        "proposed_by_kinds": None,  # an authority's list is recorded, never proposed
    }
    assert read_one(catalog_codes, **good, refusable=True, exit_grounds=["refusal"])
    error = refusal(catalog_codes, **good, refusable=True, exit_grounds=["revocation"])
    assert (error.field, error.reason) == ("exit_grounds", "a refusable entry exits on 'refusal'")
    for years in (None, 0, True, "3"):
        error = refusal(catalog_codes, **good, derived=True, clean_years=years)
        assert error.field == "clean_years"
    [status] = read_one(catalog_codes, **good, derived=True, clean_years=3)
    assert (status.derived, status.clean_years) == (True, 3)


def test_a_published_flag_that_is_not_a_boolean_is_refused(
    catalog_codes: frozenset[str],
) -> None:
    # bool("false") is True: the string would silently publish the list
    assert refusal(catalog_codes, published="false").field == "published"


# -- the platform's procedure ----------------------------------------------------------------


def test_a_proposal_starts_the_procedure(shipped: dict[str, ListType]) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])

    assert entry.state is EntryState.PROPOSED
    assert entry.basis_records == (101,)
    assert entry.proposed_at == AT
    assert not entry.is_in_force_on(date(2026, 10, 1))


def test_a_proposal_without_a_basis_record_is_refused(shipped: dict[str, ListType]) -> None:
    with pytest.raises(NotAllowed, match="at least one record"):
        propose(shipped["FOOD-DRUG-SERIOUS"], basis_records=())


def test_a_notice_served_before_national_day_2026_runs_past_the_holiday(
    shipped: dict[str, ListType],
) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])

    # 29 and 30 September, then 1-7 October off, then 8 and 9 October and Saturday 10 October
    deadline = entry.serve_notice(on=NOTICE_DAY)

    assert deadline.day == DEADLINE
    assert deadline.official
    assert entry.state is EntryState.NOTICED
    assert entry.noticed_on == NOTICE_DAY
    assert entry.defence_deadline == deadline


@pytest.mark.parametrize("day", [date(2026, 10, 8), DEADLINE])
def test_a_defence_within_the_window_is_recorded(shipped: dict[str, ListType], day: date) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.serve_notice(on=NOTICE_DAY)

    entry.state_defence("处罚决定已被复议机关变更", on=day)

    assert entry.defence == "处罚决定已被复议机关变更"
    assert entry.state is EntryState.NOTICED


def test_a_defence_after_the_window_is_refused(shipped: dict[str, ListType]) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.serve_notice(on=NOTICE_DAY)

    with pytest.raises(IllegalTransition, match="2026-10-10"):
        entry.state_defence("迟到的申辩", on=date(2026, 10, 11))
    assert entry.defence is None


@pytest.mark.parametrize("day", [date(2026, 10, 9), DEADLINE])
def test_a_decision_on_or_before_the_defence_deadline_is_refused(
    shipped: dict[str, ListType], day: date
) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.serve_notice(on=NOTICE_DAY)

    with pytest.raises(IllegalTransition, match="runs to 2026-10-10"):
        entry.decide(reasons="符合列入条件", on=day)
    assert entry.state is EntryState.NOTICED


def test_a_decision_after_the_window_fixes_the_period(shipped: dict[str, ListType]) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.serve_notice(on=NOTICE_DAY)

    entry.decide(reasons="经审查，申辩理由不成立", on=date(2026, 10, 12))

    assert entry.state is EntryState.DECIDED
    assert entry.decided_on == date(2026, 10, 12)
    assert entry.decision_reasons == "经审查，申辩理由不成立"
    assert entry.ends_on == date(2029, 10, 12)


def test_a_decided_listing_is_published_and_then_exits_on_a_listed_ground(
    shipped: dict[str, ListType],
) -> None:
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])

    entry.publish(on=date(2026, 10, 13))
    assert entry.state is EntryState.PUBLISHED
    assert entry.published_on == date(2026, 10, 13)

    entry.exit(ground="repair", on=date(2027, 11, 1))
    assert (entry.state, entry.exit_ground, entry.exited_on) == (
        EntryState.EXITED,
        "repair",
        date(2027, 11, 1),
    )


def test_an_exit_on_a_ground_the_list_does_not_name_is_refused(
    shipped: dict[str, ListType],
) -> None:
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])

    with pytest.raises(IllegalTransition, match="ground: not an exit ground"):
        entry.exit(ground="settlement", on=date(2027, 1, 4))
    assert entry.state is EntryState.DECIDED


def test_a_listing_is_in_force_from_its_decision_until_its_period_ends(
    shipped: dict[str, ListType],
) -> None:
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])

    assert entry.is_in_force_on(date(2026, 10, 12))
    assert entry.is_in_force_on(date(2029, 10, 11))
    assert not entry.is_in_force_on(date(2029, 10, 12))


def test_a_listing_is_not_in_force_before_its_decision_day(
    shipped: dict[str, ListType],
) -> None:
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])

    assert not entry.is_in_force_on(date(2026, 10, 11))


def test_an_exited_listing_is_out_of_force_from_its_exit_day(
    shipped: dict[str, ListType],
) -> None:
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])
    entry.exit(ground="revocation", on=date(2027, 1, 4))

    assert not entry.is_in_force_on(date(2027, 1, 4))
    assert not entry.is_in_force_on(date(2027, 6, 1))


def test_an_exited_listing_was_still_in_force_the_day_before_its_exit(
    shipped: dict[str, ListType],
) -> None:
    # a check or a feedback review for a past day must see the listing as it stood then
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])
    entry.exit(ground="revocation", on=date(2027, 1, 4))

    assert entry.is_in_force_on(date(2027, 1, 3))


def test_an_exit_by_expiry_before_the_period_ends_is_refused(
    shipped: dict[str, ListType],
) -> None:
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])  # ends 2029-10-12

    with pytest.raises(IllegalTransition):
        entry.exit(ground="expiry", on=date(2027, 1, 4))


def test_a_list_without_an_end_cannot_exit_by_expiry(shipped: dict[str, ListType]) -> None:
    entry = record(shipped["GOOD-MORAL-MODEL"])

    assert "expiry" not in entry.list_type.exit_grounds
    with pytest.raises(IllegalTransition):
        entry.exit(ground="expiry", on=date(2030, 1, 2))


def test_a_proposal_or_notice_can_be_withdrawn_and_never_takes_force(
    shipped: dict[str, ListType],
) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.serve_notice(on=NOTICE_DAY)

    entry.withdraw(on=date(2026, 10, 9))

    assert entry.state is EntryState.WITHDRAWN
    assert not entry.is_in_force_on(date(2026, 10, 12))


def test_deciding_a_listing_that_is_only_proposed_is_an_illegal_transition(
    shipped: dict[str, ListType],
) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])

    with pytest.raises(
        IllegalTransition,
        match="cannot decide a listing that is proposed; it must be noticed",
    ):
        entry.decide(reasons="跳过告知", on=date(2026, 10, 12))


def test_publishing_a_listing_that_is_only_noticed_is_an_illegal_transition(
    shipped: dict[str, ListType],
) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.serve_notice(on=NOTICE_DAY)

    with pytest.raises(
        IllegalTransition,
        match="cannot publish a listing that is noticed; it must be decided",
    ):
        entry.publish(on=date(2026, 10, 12))


def test_ending_a_withdrawn_listing_is_an_illegal_transition(
    shipped: dict[str, ListType],
) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.withdraw(on=date(2026, 9, 28))

    with pytest.raises(
        IllegalTransition,
        match="cannot end a listing that is withdrawn; it must be decided or published",
    ):
        entry.exit(ground="revocation", on=date(2026, 10, 12))


def test_serving_notice_twice_is_an_illegal_transition(shipped: dict[str, ListType]) -> None:
    entry = propose(shipped["FOOD-DRUG-SERIOUS"])
    entry.serve_notice(on=NOTICE_DAY)

    with pytest.raises(IllegalTransition, match="it must be proposed"):
        entry.serve_notice(on=date(2026, 10, 12))
    assert entry.noticed_on == NOTICE_DAY


def test_a_key_supervision_listing_is_decided_but_never_published(
    shipped: dict[str, ListType],
) -> None:
    entry = decided(shipped["KEY-COMMITMENT-BROKEN"])

    with pytest.raises(IllegalTransition, match="not a published list"):
        entry.publish(on=date(2026, 10, 13))
    assert entry.state is EntryState.DECIDED
    assert entry.is_in_force_on(date(2027, 10, 11))
    assert not entry.is_in_force_on(date(2027, 10, 12))
    assert entry.publication_refused(on=date(2026, 10, 13)) == (
        "KEY-COMMITMENT-BROKEN is not a published list"
    )


def test_a_listing_whose_period_ended_is_not_published(shipped: dict[str, ListType]) -> None:
    entry = decided(shipped["FOOD-DRUG-SERIOUS"])
    assert entry.ends_on is not None
    assert entry.publication_refused(on=entry.ends_on - timedelta(days=1)) is None

    with pytest.raises(IllegalTransition, match=f"period ended on {entry.ends_on}"):
        entry.publish(on=entry.ends_on)
    assert entry.state is EntryState.DECIDED
    assert entry.published_on is None


def test_a_decider_is_named_with_its_article() -> None:
    assert [d.in_words for d in Decider] == ["a platform", "a court", "an authority"]


# -- who may be listed, and by whom ----------------------------------------------------------


@pytest.mark.parametrize("age", [0, 16, 17])
def test_a_minor_is_never_proposed(shipped: dict[str, ListType], age: int) -> None:
    with pytest.raises(MinorNeverListed, match="minors are never listed"):
        propose(shipped["FOOD-DRUG-SERIOUS"], subject_age=age)


@pytest.mark.parametrize("age", [0, 16, 17])
def test_a_minor_is_never_recorded_on_a_court_list(shipped: dict[str, ListType], age: int) -> None:
    with pytest.raises(MinorNeverListed):
        record(shipped["COURT-DEBTORS"], subject_age=age)


def test_a_person_who_has_turned_eighteen_may_be_listed(shipped: dict[str, ListType]) -> None:
    assert propose(shipped["FOOD-DRUG-SERIOUS"], subject_age=18).state is EntryState.PROPOSED
    assert record(shipped["COURT-DEBTORS"], subject_age=18).state is EntryState.DECIDED


def test_a_court_list_cannot_be_proposed_by_the_platform(shipped: dict[str, ListType]) -> None:
    with pytest.raises(NotAllowed, match="decided by a court; record its decision"):
        propose(shipped["COURT-DEBTORS"])


def test_a_platform_list_cannot_be_recorded_as_decided(shipped: dict[str, ListType]) -> None:
    with pytest.raises(NotAllowed, match="propose it instead"):
        record(shipped["FOOD-DRUG-SERIOUS"])


def test_a_court_listing_recorded_for_24_months_ends_24_months_later(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], decided_on=date(2026, 3, 2), months=24)

    assert entry.state is EntryState.DECIDED
    assert entry.ends_on == date(2028, 3, 2)
    assert entry.is_in_force_on(date(2028, 3, 1))
    assert not entry.is_in_force_on(date(2028, 3, 2))


def test_a_court_listing_recorded_without_months_takes_the_list_period(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], decided_on=date(2026, 8, 31))

    assert entry.ends_on == date(2028, 8, 31)


def test_a_court_listing_extended_by_three_years_ends_five_years_later(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], decided_on=date(2026, 3, 2), months=24 + 36)

    assert entry.ends_on == date(2031, 3, 2)


def test_a_court_listing_longer_than_the_longest_extension_is_refused(
    shipped: dict[str, ListType],
) -> None:
    # 2 years, extendable by 1-3 years: 61 months is outside what the court's rule allows
    with pytest.raises(DomainError):
        record(shipped["COURT-DEBTORS"], months=24 + 36 + 1)


def test_an_until_exit_status_has_no_end(shipped: dict[str, ListType]) -> None:
    entry = record(
        shipped["GOOD-NO-NEGATIVE-3Y"],
        grounds="2023-01-01 至 2025-12-31 无不良信用记录",
        decided_on=date(2026, 1, 5),
    )

    assert entry.ends_on is None
    assert entry.is_in_force_on(date(2036, 1, 5))
    entry.exit(ground="new_negative_record", on=date(2036, 2, 1))
    assert not entry.is_in_force_on(date(2036, 2, 1))


# -- grounds with their own periods (SPC 2017 rules, Art. 2) ---------------------------------


def test_the_court_list_names_its_six_grounds_and_only_one_is_open_ended(
    shipped: dict[str, ListType],
) -> None:
    court = shipped["COURT-DEBTORS"]

    assert court.ground_field == "dishonest_conduct"
    assert [g.code for g in court.grounds] == [
        "able_but_refuses",
        "obstructs_enforcement",
        "evades_enforcement",
        "violates_property_reporting",
        "violates_consumption_restriction",
        "breaks_settlement_agreement",
    ]
    open_ended = [g.code for g in court.grounds if g.period.rule is PeriodRule.UNTIL_EXIT]
    assert open_ended == ["able_but_refuses"]
    assert court.period_of("evades_enforcement") == Period(PeriodRule.EXTENDABLE, 24, None, 36, 12)


def test_a_debtor_able_to_perform_who_refuses_stays_listed_until_a_deletion_ground(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], ground="able_but_refuses")

    assert entry.ends_on is None
    assert entry.ground == "able_but_refuses"
    assert entry.is_in_force_on(date(2028, 3, 2))  # past the two years of the other grounds
    assert entry.is_in_force_on(date(2036, 1, 1))
    entry.exit(ground="performance", on=date(2036, 1, 2))
    assert not entry.is_in_force_on(date(2036, 1, 2))


def test_an_open_ended_ground_takes_no_length_in_months(shipped: dict[str, ListType]) -> None:
    with pytest.raises(NotAllowed, match="no fixed period"):
        record(shipped["COURT-DEBTORS"], ground="able_but_refuses", months=24)


def test_the_other_court_grounds_last_two_years_extendable_by_one_to_three(
    shipped: dict[str, ListType],
) -> None:
    court = shipped["COURT-DEBTORS"]

    assert record(court, ground="violates_property_reporting").ends_on == date(2028, 3, 2)
    assert record(court, ground="obstructs_enforcement", months=36).ends_on == date(2029, 3, 2)
    assert record(court, ground="obstructs_enforcement", months=60).ends_on == date(2031, 3, 2)
    for months in (12, 25, 35, 61):  # shorter than the rule, or an extension under a year
        with pytest.raises(NotAllowed, match="24 months, or 36 to 60 months"):
            record(court, ground="obstructs_enforcement", months=months)


def test_an_unknown_ground_is_refused_naming_the_list_grounds(
    shipped: dict[str, ListType],
) -> None:
    with pytest.raises(NotAllowed, match="not a ground of COURT-DEBTORS"):
        record(shipped["COURT-DEBTORS"], ground="rude_to_the_bailiff")


def test_the_court_record_decides_the_ground(shipped: dict[str, ListType]) -> None:
    court = shipped["COURT-DEBTORS"]

    found = court.ground_for_record("JUD-DEBTOR-01", {"dishonest_conduct": "able_but_refuses"})
    other = court.ground_for_record("JUD-DEBTOR-01", {"dishonest_conduct": "evades_enforcement"})

    assert found is not None
    assert found.code == "able_but_refuses"
    assert other is not None
    assert other.code == "evades_enforcement"
    with pytest.raises(NotAllowed, match="rests on JUD-DEBTOR-01"):
        court.ground_for_record("ADM-PEN-01", {"dishonest_conduct": "able_but_refuses"})


def test_the_court_lists_put_the_fifteen_day_review_in_article_12(
    shipped: dict[str, ListType],
) -> None:
    # 若干规定（2017）第十一条 lists who may apply for correction; 第十二条 sets the 15-day review
    for code in ("COURT-DEBTORS", "COURT-DEBTORS-ORG"):
        review = [r for r in shipped[code].remedies if "十五日" in r]
        assert review, code
        assert all("第十二条" in r and "第十一条" not in r for r in review), code


def test_a_court_listing_may_be_deleted_early(shipped: dict[str, ListType]) -> None:
    # 若干规定第二条第二款: the court may delete early once the debtor performs or corrects
    entry = record(shipped["COURT-DEBTORS"], ground="obstructs_enforcement")

    entry.exit(ground="early_deletion", on=date(2026, 9, 1))

    assert entry.exit_ground == "early_deletion"


# -- a record varied to another ground of its list ------------------------------------------


def test_a_court_record_varied_to_another_ground_makes_that_ground(
    shipped: dict[str, ListType],
) -> None:
    court = shipped["COURT-DEBTORS"]
    refuses = {"dishonest_conduct": "able_but_refuses"}

    other = court.other_ground("JUD-DEBTOR-01", refuses, "evades_enforcement")

    assert other is not None
    assert other.code == "able_but_refuses"
    assert court.other_ground("JUD-DEBTOR-01", refuses, "able_but_refuses") is None
    assert court.other_ground("JUD-DEBTOR-01", refuses, None) is None  # ground not known
    assert not court.grounded_on("JUD-DEBTOR-01", refuses, None, "evades_enforcement")
    assert court.grounded_on("JUD-DEBTOR-01", refuses, None, "able_but_refuses")
    assert court.grounded_on("JUD-DEBTOR-01", refuses, None, None)
    assert court.grounded_by("JUD-DEBTOR-01", refuses, None)  # it grounds the list still
    assert court.follows_its_records
    assert not shipped["RAIL-SERIOUS"].follows_its_records


def test_a_court_listing_follows_its_record_to_the_open_ended_ground(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], ground="evades_enforcement")
    assert entry.ends_on == date(2028, 3, 2)

    entry.follow_ground("able_but_refuses", on=date(2026, 9, 1))

    assert (entry.ground, entry.ends_on) == ("able_but_refuses", None)
    assert entry.state is EntryState.DECIDED
    assert entry.is_in_force_on(date(2030, 1, 1))  # past the two years of its old ground


def test_a_court_listing_varied_from_the_open_ended_ground_takes_two_years_from_its_decision(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], ground="able_but_refuses")

    entry.follow_ground("obstructs_enforcement", on=date(2026, 9, 1))

    assert (entry.ground, entry.ends_on) == ("obstructs_enforcement", date(2028, 3, 2))
    assert entry.is_in_force_on(date(2028, 3, 1))
    assert not entry.is_in_force_on(date(2028, 3, 2))


def test_a_ground_with_the_same_period_keeps_the_listings_extension(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], ground="obstructs_enforcement", months=60)

    entry.follow_ground("evades_enforcement", on=date(2026, 9, 1))

    assert (entry.ground, entry.ends_on) == ("evades_enforcement", date(2031, 3, 2))


def test_a_new_ground_whose_period_has_run_out_ends_the_listing_on_its_last_day(
    shipped: dict[str, ListType],
) -> None:
    entry = record(shipped["COURT-DEBTORS"], ground="able_but_refuses")

    entry.follow_ground("evades_enforcement", on=date(2028, 6, 1))  # two years from 2 March 2026

    assert (entry.state, entry.exit_ground) == (EntryState.EXITED, "expiry")
    assert (entry.ends_on, entry.exited_on) == (date(2028, 3, 2), date(2028, 3, 2))
    assert not entry.is_in_force_on(date(2028, 6, 1))


def test_a_listing_with_a_public_notice_follows_from_the_day_it_binds(
    shipped: dict[str, ListType],
) -> None:
    """An authority's list with a public notice (the railway's figures, recorded rather than
    run): the new ground's period runs from the day after the notice, as publication's does."""
    notice_list = dataclasses.replace(shipped["RAIL-SERIOUS"], decided_by=Decider.AUTHORITY)
    fare = record(notice_list, ground="fare_evasion", decided_on=date(2026, 10, 12))
    fare.publish(on=date(2026, 11, 2))  # binds from 12 November
    smoking = record(notice_list, ground="smoking_on_train", decided_on=date(2026, 10, 12))
    smoking.publish(on=date(2026, 11, 2))
    assert smoking.ends_on == date(2027, 5, 11)

    fare.follow_ground("smoking_on_train", on=date(2026, 12, 1))
    smoking.follow_ground("fare_evasion", on=date(2026, 12, 1))

    assert fare.ends_on == date(2027, 5, 11)  # 180 days from 12 November, not the decision
    assert smoking.ends_on is None


def test_a_platform_listing_never_follows_its_record_to_another_ground(
    shipped: dict[str, ListType],
) -> None:
    """The person was noticed and heard on the listing's ground: another needs its own
    procedure."""
    entry = propose(shipped["RAIL-SERIOUS"], ground="smoking_on_train")
    entry.serve_notice(on=NOTICE_DAY)
    entry.decide(reasons="经审查，符合列入条件", on=date(2026, 10, 12))

    with pytest.raises(IllegalTransition, match="propose again"):
        entry.follow_ground("fare_evasion", on=date(2026, 10, 13))
    assert entry.ground == "smoking_on_train"


def test_a_listing_no_longer_in_force_does_not_follow(shipped: dict[str, ListType]) -> None:
    entry = record(shipped["COURT-DEBTORS"], ground="evades_enforcement")
    entry.exit(ground="performance", on=date(2026, 6, 1))

    with pytest.raises(IllegalTransition, match="only a listing in force"):
        entry.follow_ground("able_but_refuses", on=date(2026, 9, 1))
    assert (entry.ground, entry.ends_on) == ("evades_enforcement", date(2028, 3, 2))


# -- the food licence bar rests only on a revoked licence (Food Safety Law Art. 135) ---------


def test_only_a_licence_revocation_grounds_the_food_licence_list(
    shipped: dict[str, ListType],
) -> None:
    revoked = shipped["FOOD-LICENCE-REVOKED"]

    ground = revoked.ground_for_record("ADM-PEN-01", {"penalty_type": "licence_revocation"})

    assert ground is not None
    assert ground.code == "licence_revoked"
    assert revoked.period_of("licence_revoked") == Period(PeriodRule.FIXED, 60)
    for other in ("fine", "licence_suspension", "practice_ban", None):
        with pytest.raises(NotAllowed, match="penalty_type"):
            revoked.ground_for_record("ADM-PEN-01", {"penalty_type": other})


def test_the_food_licence_bar_runs_five_years_from_the_revocation(
    shipped: dict[str, ListType],
) -> None:
    entry = record(
        shipped["FOOD-LICENCE-REVOKED"],
        grounds="京市监罚〔2026〕88号：吊销食品经营许可证",
        decided_on=date(2026, 3, 2),
        ground="licence_revoked",
    )

    assert entry.ends_on == date(2031, 3, 2)


# -- the railway list follows its own basis (发改财金〔2018〕384号) ------------------------------


def test_the_railway_list_publishes_monthly_after_a_seven_working_day_notice(
    shipped: dict[str, ListType],
) -> None:
    rail = shipped["RAIL-SERIOUS"]

    assert rail.public_notice_working_days == 7
    assert rail.publication is Publication.MONTHLY
    # decided in mid-September 2026: published on Thursday 8 October, the first working day
    # after National Day; seven working days (9 October, the make-up Saturday 10 October,
    # 12 to 16 October) end on Friday 16 October, so the restriction binds from 17 October
    assert rail.publication_day(date(2026, 9, 16)) == date(2026, 10, 8)
    assert rail.publication_day(date(2026, 10, 8)) == date(2026, 10, 8)
    assert rail.publication_day(date(2026, 10, 9)) == date(2026, 11, 2)
    assert rail.takes_force(date(2026, 10, 8)) == date(2026, 10, 17)


def test_a_railway_listing_binds_only_after_its_public_notice(
    shipped: dict[str, ListType],
) -> None:
    rail = shipped["RAIL-SERIOUS"]
    entry = propose(rail, ground="smoking_on_train")
    entry.serve_notice(on=NOTICE_DAY)
    entry.decide(reasons="经审查，符合列入条件", on=date(2026, 10, 12))

    # decided, not yet published: the person has had no public notice to object in
    assert entry.force_window() is None
    assert not entry.is_in_force_on(date(2026, 11, 11))
    assert entry.awaits_force_on(date(2026, 11, 11))
    entry.publish(on=date(2026, 11, 2))  # November's first working day
    # seven working days of notice, 3 to 11 November
    assert entry.binds_from == date(2026, 11, 12)
    assert not entry.is_in_force_on(date(2026, 11, 11))
    assert entry.awaits_force_on(date(2026, 11, 11))
    assert entry.is_in_force_on(date(2026, 11, 12))
    assert not entry.awaits_force_on(date(2026, 11, 12))
    # the 180 days run from the day it binds
    assert entry.ends_on == date(2027, 5, 11)
    assert entry.is_in_force_on(date(2027, 5, 10))
    assert not entry.is_in_force_on(date(2027, 5, 11))


def test_an_objection_upheld_during_the_notice_means_the_listing_never_binds(
    shipped: dict[str, ListType],
) -> None:
    entry = propose(shipped["RAIL-SERIOUS"], ground="smoking_on_train")
    entry.serve_notice(on=NOTICE_DAY)
    entry.decide(reasons="经审查，符合列入条件", on=date(2026, 10, 12))
    entry.publish(on=date(2026, 11, 2))

    entry.exit(ground="revocation", on=date(2026, 11, 6))

    assert entry.force_window() is None
    assert not any(entry.is_in_force_on(date(2026, 11, d)) for d in range(2, 31))
    assert not entry.awaits_force_on(date(2026, 11, 9))


def test_conduct_endangering_railway_safety_restricts_for_180_days(
    shipped: dict[str, ListType],
) -> None:
    rail = shipped["RAIL-SERIOUS"]
    ground = rail.ground_for_record("SU-RAIL-01", {"conduct": "smoking_on_emu_train"})
    assert ground is not None
    entry = propose(rail, ground=ground.code)
    entry.serve_notice(on=NOTICE_DAY)

    entry.decide(reasons="经审查，符合列入条件", on=date(2026, 10, 12))

    assert entry.ends_on == date(2027, 4, 10)  # 180 days, not six months
    with pytest.raises(IllegalTransition, match="ground: not an exit ground"):
        entry.exit(ground="fare_paid", on=date(2026, 11, 1))


def test_fare_evasion_restricts_until_the_fare_is_paid(shipped: dict[str, ListType]) -> None:
    rail = shipped["RAIL-SERIOUS"]
    ground = rail.ground_for_record("SU-RAIL-01", {"conduct": "fare_evasion_refusing_to_pay"})
    assert ground is not None
    assert ground.code == "fare_evasion"
    entry = propose(rail, ground=ground.code)
    entry.serve_notice(on=NOTICE_DAY)
    entry.decide(reasons="无票乘车且拒不补票", on=date(2026, 10, 12))
    entry.publish(on=date(2026, 11, 2))

    assert entry.ends_on is None
    assert entry.is_in_force_on(date(2027, 10, 12))  # no fixed period runs out
    entry.exit(ground="fare_paid", on=date(2027, 11, 3))
    assert not entry.is_in_force_on(date(2027, 11, 3))


# -- broken grounds and periods --------------------------------------------------------------


def test_a_list_with_grounds_reads_and_a_ground_without_a_rule_takes_the_lists(
    catalog_codes: frozenset[str], policy: Policy
) -> None:
    (list_type,) = read_list_types(
        {"lists": [{**VALID, "ground_field": "penalty_type", "grounds": [*GROUNDS]}]},
        "broken.toml",
        catalog_codes,
        policy.catalog.items,
    )

    assert list_type.period_of("revoked") == Period(PeriodRule.FIXED, 36)
    assert list_type.period_of("banned") == Period(PeriodRule.UNTIL_EXIT)
    assert list_type.exit_grounds_for("banned") == ("expiry", "repair", "ban_lifted")
    assert list_type.exit_grounds_for("revoked") == ("expiry", "repair")


GROUNDS: list[dict[str, Any]] = [
    {"code": "revoked", "name_zh": "吊销许可证", "record_values": ["licence_revocation"]},
    {
        "code": "banned",
        "name_zh": "从业禁止",
        "record_values": ["practice_ban"],
        "period_rule": "until_exit",
        "exit_grounds": ["ban_lifted"],
    },
]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"ground_field": "violation"}, "ground_field", "not an enum field of ADM-PEN-01"),
        ({"ground_field": "colour"}, "ground_field", "not an enum field of ADM-PEN-01"),
        (
            {"grounds": [{**GROUNDS[0], "record_values": ["licence_revoked"]}]},
            "grounds.revoked.record_values",
            "'licence_revoked' is not a value of ADM-PEN-01.penalty_type",
        ),
        (
            {"grounds": [GROUNDS[0], {**GROUNDS[1], "record_values": ["licence_revocation"]}]},
            "grounds.banned.record_values",
            "already makes the ground revoked",
        ),
        (
            {"grounds": [{**GROUNDS[0], "record_values": []}]},
            "grounds.revoked.record_values",
            "must name the penalty_type values",
        ),
        (
            {"grounds": [GROUNDS[0], GROUNDS[0]]},
            "grounds.revoked.code",
            "declared twice",
        ),
        (
            {"grounds": [{**GROUNDS[0], "period": 36}]},
            "grounds.revoked.period",
            "not a key of a list ground",
        ),
        (
            {"grounds": [{**GROUNDS[1], "period_months": 12}]},
            "grounds.banned.period_months",
            "an until_exit period has no length",
        ),
        (
            {"grounds": [{**GROUNDS[0], "period_months": 12}]},
            "grounds.revoked.period_rule",
            "names its rule",
        ),
        (
            {"grounds": [{**GROUNDS[0], "code": "Revoked"}]},
            "grounds.Revoked.code",
            "lower_snake_case",
        ),
    ],
)
def test_a_broken_ground_is_refused_naming_it(
    catalog_codes: frozenset[str],
    policy: Policy,
    changes: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    raw = {**VALID, "ground_field": "penalty_type", "grounds": GROUNDS, **changes}

    with pytest.raises(CatalogError) as caught:
        read_list_types({"lists": [raw]}, "broken.toml", catalog_codes, policy.catalog.items)

    assert (caught.value.item, caught.value.field) == ("TEST-LIST", field)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"period_days": 180}, "period_months"),  # months and days both
        (
            {
                "period_rule": "extendable",
                "max_extension_months": 6,
                "period_days": 180,
                "period_months": None,
            },
            "period_days",
        ),
        (
            {"period_rule": "extendable", "max_extension_months": 12, "min_extension_months": 24},
            "min_extension_months",
        ),
        ({"max_extension_months": 12}, "max_extension_months"),  # a fixed period is not extended
        ({"period_rule": "until_exit", "period_months": None, "period_days": 30}, "period_days"),
        ({"period_months": True}, "period_months"),
        ({"public_notice_working_days": -1}, "public_notice_working_days"),
        ({"publication": "weekly"}, "publication"),
        (
            {
                "kind": "key_supervision",
                "serious_field": None,
                "published": False,
                "publication": "monthly",
            },
            "publication",
        ),
    ],
)
def test_a_period_or_publication_rule_that_does_not_fit_is_refused(
    catalog_codes: frozenset[str], changes: dict[str, Any], field: str
) -> None:
    assert refusal(catalog_codes, **changes).field == field


# The listing use cases over the fakes: each step audited; checks told only of what changes them

FOOD = "FOOD-DRUG-SERIOUS"  # platform-run, five working days of defence


def _proposal(uow: FakeUnitOfWork, policy: Policy) -> tuple[Stored, int]:
    """A market regulator's serious penalty (a fine of 80,000 yuan), and a serious food-safety
    listing proposed on it."""
    uow.at = on(NOTICE_DAY)
    stored = submitted(uow, policy, penalty_row(fine_amount="80000"))
    view = list_proposals.propose(
        uow,
        policy,
        list_code=FOOD,
        subject_number=stored.subject_number,
        grounds="多次销售超过保质期的食品",
        basis_records=[stored.record.id],
        department="BJ-AMR",
        actor="amr-officer",
    )
    assert view.entry.id is not None
    return stored, view.entry.id


def _decide(uow: FakeUnitOfWork, policy: Policy, entry_id: int) -> lists.EntryView:
    return lists.decide(
        uow,
        policy,
        entry_id,
        reasons="查证属实",
        months=None,
        department="BJ-AMR",
        actor="amr-head",
    )


def test_a_listing_is_decided_only_after_its_defence_window_and_only_then_reaches_checks(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    _, entry_id = _proposal(uow, policy)
    assert uow.committed.changes == []  # a proposal is in force nowhere
    served = lists.serve_notice(uow, policy, entry_id, department="BJ-AMR", actor="amr-clerk")
    assert served.entry.defence_deadline == Deadline(DEADLINE, official=True)

    uow.at = on(DEADLINE)  # the deadline day itself is still the person's
    before = uow.snapshot()
    with pytest.raises(IllegalTransition):
        _decide(uow, policy, entry_id)
    assert uow.committed == before  # refused: neither audited nor in the change log

    uow.at = on(date(2026, 10, 12))
    decided = _decide(uow, policy, entry_id)
    assert (decided.entry.state, decided.entry.decided_on) == (
        EntryState.DECIDED,
        date(2026, 10, 12),
    )
    [change] = uow.committed.changes
    assert (change.kind, change.entity_id) == (ChangeKind.LISTING, entry_id)
    trail = [e.tag for e in uow.committed.audit if e.entity_type == "list_entry"]
    assert trail == [
        EventTag.LISTING_PROPOSED,
        EventTag.LISTING_NOTICE_SERVED,
        EventTag.LISTING_DECIDED,
    ]


def test_a_proposal_rests_only_on_the_subjects_own_active_records(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, _ = _proposal(uow, policy)
    someone_else = submitted(uow, policy)
    before = uow.snapshot()
    with pytest.raises(Invalid, match="someone else"):
        list_proposals.propose(
            uow,
            policy,
            list_code=FOOD,
            subject_number=stored.subject_number,
            grounds="多次销售超过保质期的食品",
            basis_records=[someone_else.record.id],
            department="BJ-AMR",
            actor="amr-officer",
        )
    with pytest.raises(Invalid, match="does not exist"):  # another department's record
        list_proposals.propose(
            uow,
            policy,
            list_code=FOOD,
            subject_number=stored.subject_number,
            grounds="多次销售超过保质期的食品",
            basis_records=[stored.record.id],
            department="BJ-HEALTH",  # competent for the list, but the record is not its own
            actor="health-officer",
        )
    assert uow.committed == before


def test_a_department_cannot_see_or_move_another_departments_entry(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    _, entry_id = _proposal(uow, policy)
    before = uow.snapshot()
    with pytest.raises(NotFound, match=f"list entry {entry_id} does not exist"):
        lists.serve_notice(uow, policy, entry_id, department="BJ-TAX", actor="tax-1")
    with pytest.raises(NotFound, match=f"list entry {entry_id} does not exist"):
        lists.get_entry(uow, policy, entry_id, department="BJ-TAX", actor="tax-1")
    with pytest.raises(NotFound, match=f"list entry {entry_id} does not exist"):
        documents.document_of(uow, policy, entry_id, department="BJ-TAX", actor="tax-1")
    # To another department the entry does not exist; each reach for it is audited, with the
    # step and the person, and nothing else changed.
    refused = uow.committed.audit[len(before.audit) :]
    assert [(e.tag, e.entity_id, e.actor) for e in refused] == [
        (EventTag.MANDATE_REFUSED, "listing:notice_served", "tax-1"),
        (EventTag.MANDATE_REFUSED, "listing:read", "tax-1"),
        (EventTag.MANDATE_REFUSED, "listing:document", "tax-1"),
    ]
    with uow:
        subject_id = uow.entries.get(entry_id, policy.list_types).subject_id
    assert {e.subject_id for e in refused} == {subject_id}
    assert uow.committed.entries == before.entries
    view = lists.get_entry(uow, policy, entry_id, department="BJ-AMR", actor="amr-1")
    assert view.department == "BJ-AMR"
    assert len(uow.committed.audit) == len(before.audit) + 3


def test_a_court_record_is_recorded_on_its_list_once_and_ended_on_one_of_its_grounds(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, entry = court_listing(uow, policy)
    assert (entry.list_type.code, entry.state) == ("COURT-DEBTORS", EntryState.DECIDED)
    assert decided_lists.record_court_listings(uow, policy, actor="court-feed") == 0
    with uow:
        assert uow.entries.source_record_of(entry.id or 0) == stored.record.id
    assert [c.kind for c in uow.committed.changes] == [ChangeKind.LISTING]

    with pytest.raises(IllegalTransition):
        lists.end_listing(
            uow, policy, entry.id or 0, ground="bored", note="", department=None, actor="c"
        )
    ended = lists.end_listing(
        uow,
        policy,
        entry.id or 0,
        ground="performance",
        note="已履行完毕",
        department="BJ-HCOURT",
        actor="court-clerk",
    )
    assert (ended.entry.state, ended.entry.exit_ground) == (EntryState.EXITED, "performance")
    assert [c.kind for c in uow.committed.changes] == [ChangeKind.LISTING, ChangeKind.LISTING]
