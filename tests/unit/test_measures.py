"""The measure registry and the check: which rewards or punishments apply for a matter on a day."""

from __future__ import annotations

import copy
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import CatalogError
from xinyong.domain.index import Triggers, postings_for
from xinyong.domain.lists import (
    Decider,
    ListEntry,
    ListKind,
    ListType,
    propose_listing,
    record_decided_listing,
)
from xinyong.domain.measures import (
    Match,
    Measure,
    MeasureCategory,
    Registry,
    applicable_measures,
    read_registry,
)
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.subjects import RoleKind
from xinyong.policy import PACKAGED, read_toml

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CHECK_DAY = date(2026, 6, 1)
ALL_ROLES = {
    RoleKind.LEGAL_REPRESENTATIVE,
    RoleKind.PRINCIPAL_RESPONSIBLE,
    RoleKind.ACTUAL_CONTROLLER,
}
REQUIRED_MATTERS = {
    "flight",
    "soft_sleeper",
    "g_train_seat",
    "high_speed_first_class",
    "star_hotel",
    "high_fee_private_school",
    "luxury_consumption",
    "real_estate_purchase",
    "administrative_permit",
    "government_procurement",
    "civil_service_recruitment",
    "fiscal_subsidy",
    "public_tender",
    "state_owned_enterprise_leadership",
    "bank_loan_review",
    "routine_inspection",
    "business_registration_filing",
}
CONSUMPTION_MATTERS = {
    "flight",
    "soft_sleeper",
    "g_train_seat",
    "high_speed_first_class",
    "star_hotel",
    "high_fee_private_school",
    "luxury_consumption",
    "real_estate_purchase",
}


@pytest.fixture(scope="module")
def lists(policy: Policy) -> dict[str, ListType]:
    return dict(policy.list_types)


def kinds(lists: dict[str, ListType]) -> dict[str, ListKind]:
    """Each list's code and kind, as the registry reads its triggers against them."""
    return {code: t.kind for code, t in lists.items()}


@pytest.fixture(scope="module")
def registry(lists: dict[str, ListType]) -> Registry:
    file = PACKAGED / "measures.toml"
    return read_registry(read_toml(file), str(file), kinds(lists))


def record(list_type: ListType, *, decided_on: date = date(2026, 3, 2), **kw: Any) -> ListEntry:
    """A listing a court or authority decided, as the platform records it."""
    return record_decided_listing(
        list_type,
        age_of_majority=18,
        subject_id=kw.pop("subject_id", 7),
        subject_age=kw.pop("subject_age", 41),
        grounds=kw.pop("grounds", "（2026）京0105执1234号"),
        decided_on=decided_on,
        recorded_by="feed",
        at=AT,
        **kw,
    )


def platform_decided(list_type: ListType) -> ListEntry:
    """A platform listing noticed on 2 March 2026 and decided after its five-day window."""
    entry = propose_listing(
        list_type,
        age_of_majority=18,
        subject_id=7,
        subject_age=41,
        grounds="承诺不实",
        basis_records=(55,),
        proposed_by="staff-3",
        at=AT,
    )
    entry.serve_notice(on=date(2026, 3, 2))
    entry.decide(reasons="符合列入条件", on=date(2026, 3, 16))
    return entry


def codes(matches: list[Match]) -> list[str]:
    return [m.measure.code for m in matches]


# -- the shipped registry --------------------------------------------------------------------


def test_shipped_registry_loads_with_at_least_22_measures(
    registry: Registry, policy: Policy
) -> None:
    assert len(registry.measures) >= 22
    assert set(policy.registry.measures) == set(registry.measures)


def test_shipped_registry_covers_all_four_categories(registry: Registry) -> None:
    assert {m.category for m in registry.measures.values()} == set(MeasureCategory)


def test_shipped_registry_declares_the_matters_departments_check(registry: Registry) -> None:
    assert set(registry.matters) >= REQUIRED_MATTERS
    for matter in registry.matters.values():
        assert matter.name_zh, matter.code
        assert matter.name_en, matter.code


def test_every_measure_cites_its_legal_basis_and_implementing_unit(registry: Registry) -> None:
    for measure in registry.measures.values():
        assert measure.legal_basis, measure.code
        assert all("《" in b and "》" in b for b in measure.legal_basis), measure.code
        assert measure.implementing_unit, measure.code
        assert measure.name_zh, measure.code
        assert measure.name_en, measure.code


def test_the_court_consumption_restrictions_cover_every_consumption_matter(
    registry: Registry,
) -> None:
    for matter in CONSUMPTION_MATTERS:
        court = [m for m in registry.for_matter(matter) if "COURT-DEBTORS" in m.triggers]
        assert court, matter
        for measure in court:
            assert measure.category is MeasureCategory.RIGHTS_REDUCING
            assert any("限制被执行人高消费及有关消费的若干规定" in b for b in measure.legal_basis)
            assert measure.reaches_roles == ALL_ROLES, measure.code


def test_the_flight_and_train_restrictions_name_the_carriers(registry: Registry) -> None:
    assert "航空公司" in registry.measures["M-COURT-FLIGHT"].implementing_unit
    assert "中国国家铁路集团" in registry.measures["M-COURT-G-TRAIN"].implementing_unit


def test_measures_reach_roles_only_through_an_organisation_list(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    for measure in registry.measures.values():
        if measure.reaches_roles:
            kinds = {lists[code].subject_type for code in measure.triggers}
            assert SubjectType.ORGANISATION in kinds, measure.code


def test_rewards_come_only_from_good_credit_and_punishments_never_do(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    for measure in registry.measures.values():
        kinds = {lists[code].kind for code in measure.triggers}
        if measure.category is MeasureCategory.REWARD:
            assert kinds == {ListKind.GOOD_CREDIT}, measure.code
        elif measure.category is not MeasureCategory.MARKET_SOCIAL:
            assert ListKind.GOOD_CREDIT not in kinds, measure.code


def test_key_supervision_lists_trigger_closer_inspection(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    closer = registry.measures["M-CLOSER-INSPECTION"]
    key = {code for code, t in lists.items() if t.kind is ListKind.KEY_SUPERVISION}

    assert closer.category is MeasureCategory.MANAGEMENT
    assert "routine_inspection" in closer.matters
    assert key <= closer.triggers
    assert registry.measures["M-NO-COMMITMENT-ROUTE"].category is MeasureCategory.MANAGEMENT


def test_market_and_social_measures_say_they_are_voluntary(registry: Registry) -> None:
    market = [m for m in registry.measures.values() if m.category is MeasureCategory.MARKET_SOCIAL]

    assert market
    assert all("自" in m.implementing_unit for m in market)
    assert all("decides for itself" in m.name_en for m in market)


# -- broken measure files --------------------------------------------------------------------

MATTERS = [{"code": "flight", "name_zh": "乘坐飞机", "name_en": "Flight"}]
VALID: dict[str, Any] = {
    "code": "M-TEST",
    "name_zh": "测试措施",
    "name_en": "Test measure",
    "category": "rights_reducing",
    "legal_basis": ["《最高人民法院关于限制被执行人高消费及有关消费的若干规定》第三条"],
    "implementing_unit": "各航空公司",
    "triggers": ["COURT-DEBTORS"],
    "matters": ["flight"],
}


def read_one(lists: dict[str, ListType], **changes: Any) -> Registry:
    """Read a one-measure file built from VALID; a change to None removes the key."""
    raw = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return read_registry({"matters": MATTERS, "measures": [raw]}, "broken.toml", kinds(lists))


def refusal(lists: dict[str, ListType], **changes: Any) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        read_one(lists, **changes)
    assert caught.value.file == "broken.toml"
    assert caught.value.item == "M-TEST"
    return caught.value


def test_the_valid_test_measure_reads(lists: dict[str, ListType]) -> None:
    registry = read_one(lists)

    assert registry.measures["M-TEST"].reaches_roles == frozenset()
    assert registry.measures["M-TEST"].applies_to("flight")


def test_a_measure_without_a_legal_basis_is_refused(lists: dict[str, ListType]) -> None:
    assert refusal(lists, legal_basis=None).field == "legal_basis"
    error = refusal(lists, legal_basis=[])
    assert error.field == "legal_basis"
    assert "directly" in error.reason


def test_a_blank_legal_basis_is_refused(lists: dict[str, ListType]) -> None:
    # [""] passes the "non-empty list" check today, so a measure can cite nothing
    assert refusal(lists, legal_basis=["  "]).field == "legal_basis"


def test_a_trigger_that_is_not_a_known_list_is_refused_naming_it(
    lists: dict[str, ListType],
) -> None:
    error = refusal(lists, triggers=["COURT-DEBTORS", "BLACKLIST-X"])

    assert error.field == "triggers"
    assert "BLACKLIST-X" in error.reason


def test_a_measure_without_triggers_is_refused(lists: dict[str, ListType]) -> None:
    assert "none given" in refusal(lists, triggers=None).reason


def test_an_unknown_matter_is_refused_naming_it(lists: dict[str, ListType]) -> None:
    error = refusal(lists, matters=["flight", "yacht"])

    assert error.field == "matters"
    assert "yacht" in error.reason


def test_a_category_outside_the_four_is_refused(lists: dict[str, ListType]) -> None:
    assert "category" in refusal(lists, category="shaming").field


def test_an_unknown_role_is_refused(lists: dict[str, ListType]) -> None:
    assert "reaches_roles" in refusal(lists, reaches_roles=["spouse"]).field


def test_an_unknown_key_is_refused_naming_it(lists: dict[str, ListType]) -> None:
    error = refusal(lists, legal_bases=["《某法》"])

    assert error.field == "legal_bases"
    assert "misspelt" in error.reason


def test_a_reward_triggered_by_a_punitive_list_is_refused_naming_it(
    lists: dict[str, ListType],
) -> None:
    for punitive in ("COURT-DEBTORS", "KEY-COMMITMENT-BROKEN"):
        error = refusal(lists, category="reward", triggers=["GOOD-EXEMPLAR", punitive])

        assert error.field == "triggers"
        assert error.reason == f"a reward is triggered by good-credit lists only, not {punitive}"


@pytest.mark.parametrize("category", ["rights_reducing", "management"])
def test_a_burden_triggered_by_a_good_credit_list_is_refused_naming_it(
    lists: dict[str, ListType], category: str
) -> None:
    error = refusal(lists, category=category, triggers=["COURT-DEBTORS", "GOOD-NO-NEGATIVE-3Y"])

    assert error.field == "triggers"
    assert error.reason == (
        f"a {category} measure is never triggered by a good-credit list: GOOD-NO-NEGATIVE-3Y"
    )


def test_a_market_measure_may_follow_either_kind_of_list(lists: dict[str, ListType]) -> None:
    """Banks may weigh a debtor listing or a good-credit entry: they are never compelled."""
    for trigger in ("COURT-DEBTORS", "GOOD-EXEMPLAR"):
        registry = read_one(lists, category="market_social", triggers=[trigger])
        assert registry.measures["M-TEST"].triggers == {trigger}


@pytest.mark.parametrize("unit", [None, "", "   ", 3])
def test_a_measure_without_an_implementing_unit_is_refused(
    lists: dict[str, ListType], unit: object
) -> None:
    """Missing (None removes the key), empty, blank or not text at all."""
    assert refusal(lists, implementing_unit=unit).field == "implementing_unit"


@pytest.mark.parametrize(
    ("old", "new", "measure", "field"),
    [
        (  # a reward granted to dishonest judgment debtors
            'triggers = ["GOOD-EXEMPLAR", "GOOD-MORAL-MODEL"',
            'triggers = ["COURT-DEBTORS", "GOOD-MORAL-MODEL"',
            "R-GREEN-CHANNEL",
            "triggers",
        ),
        (  # civil-service recruitment barred to moral models
            'triggers = ["COURT-DEBTORS"]\nmatters = ["civil_service_recruitment"]',
            'triggers = ["GOOD-MORAL-MODEL"]\nmatters = ["civil_service_recruitment"]',
            "M-COURT-CIVIL-SERVICE",
            "triggers",
        ),
        (
            'implementing_unit = "中国国家铁路集团有限公司"',
            'implementing_unit = ""',
            "M-COURT-G-TRAIN",
            "implementing_unit",
        ),
    ],
    ids=["reward-for-debtors", "bar-on-moral-models", "no-implementing-unit"],
)
def test_the_policy_refuses_a_measure_file_that_breaks_the_rules(
    tmp_path: Path, old: str, new: str, measure: str, field: str
) -> None:
    target = tmp_path / "policy"
    shutil.copytree(PACKAGED, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    file = target / "measures.toml"
    text = file.read_text(encoding="utf-8")
    assert text.count(old) >= 1
    file.write_text(text.replace(old, new, 1), encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_policy(target)

    assert (caught.value.file, caught.value.item, caught.value.field) == (str(file), measure, field)


def test_a_measure_code_used_twice_is_refused(lists: dict[str, ListType]) -> None:
    with pytest.raises(CatalogError) as caught:
        read_registry({"matters": MATTERS, "measures": [VALID, VALID]}, "broken.toml", kinds(lists))

    assert caught.value.field == "code"


def test_a_matter_code_used_twice_is_refused(lists: dict[str, ListType]) -> None:
    # today the second [[matters]] silently replaces the first
    twice = [*MATTERS, {"code": "flight", "name_zh": "坐飞机", "name_en": "Plane"}]

    with pytest.raises(CatalogError):
        read_registry({"matters": twice, "measures": [VALID]}, "broken.toml", kinds(lists))


# -- the check -------------------------------------------------------------------------------


def test_a_listed_debtor_buying_a_flight_gets_the_flight_restriction(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = record(lists["COURT-DEBTORS"])

    matches = applicable_measures(registry, "flight", own_entries=[entry], on=CHECK_DAY)

    assert matches == [Match(registry.measures["M-COURT-FLIGHT"], entry)]
    assert matches[0].via_role is None
    assert matches[0].entry is entry


def test_after_the_debtor_exits_the_list_nothing_applies(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = record(lists["COURT-DEBTORS"])
    entry.exit(ground="performance", on=date(2026, 5, 20))

    assert applicable_measures(registry, "flight", own_entries=[entry], on=CHECK_DAY) == []


def test_after_the_listing_period_ends_nothing_applies(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = record(lists["COURT-DEBTORS"], months=24)  # 2026-03-02 to 2028-03-02

    assert applicable_measures(registry, "flight", own_entries=[entry], on=date(2028, 3, 2)) == []


def test_a_matter_no_measure_of_the_list_covers_yields_nothing(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = record(lists["COURT-DEBTORS"])

    for matter in ("business_registration_filing", "routine_inspection", "no_such_matter"):
        assert applicable_measures(registry, matter, own_entries=[entry], on=CHECK_DAY) == []


def test_a_matter_that_no_measure_covers_yields_nothing(lists: dict[str, ListType]) -> None:
    registry = read_one(lists)  # one measure, for flights; "star_hotel" is not even declared
    entry = record(lists["COURT-DEBTORS"])

    assert applicable_measures(registry, "star_hotel", own_entries=[entry], on=CHECK_DAY) == []


def test_a_listing_still_in_procedure_triggers_nothing(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = propose_listing(
        lists["KEY-COMMITMENT-BROKEN"],
        age_of_majority=18,
        subject_id=7,
        subject_age=41,
        grounds="承诺不实",
        basis_records=(55,),
        proposed_by="staff-3",
        at=AT,
    )
    entry.serve_notice(on=date(2026, 3, 2))

    assert (
        applicable_measures(registry, "routine_inspection", own_entries=[entry], on=CHECK_DAY) == []
    )


def test_a_key_supervision_listing_brings_closer_inspection(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = platform_decided(lists["KEY-COMMITMENT-BROKEN"])

    matches = applicable_measures(registry, "routine_inspection", own_entries=[entry], on=CHECK_DAY)

    assert codes(matches) == ["M-CLOSER-INSPECTION"]
    assert codes(
        applicable_measures(registry, "administrative_permit", own_entries=[entry], on=CHECK_DAY)
    ) == ["M-NO-COMMITMENT-ROUTE"]


def test_an_organisations_listing_reaches_its_legal_representative_where_the_measure_says(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    company = record(lists["COURT-DEBTORS-ORG"], subject_id=900, subject_age=None)
    held = [(RoleKind.LEGAL_REPRESENTATIVE, company)]

    matches = applicable_measures(
        registry, "flight", own_entries=[], organisations_entries=held, on=CHECK_DAY
    )

    assert matches == [
        Match(registry.measures["M-COURT-FLIGHT"], company, RoleKind.LEGAL_REPRESENTATIVE)
    ]


def test_an_organisations_listing_does_not_reach_its_people_where_the_measure_is_silent(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    company = record(lists["COURT-DEBTORS-ORG"], subject_id=900, subject_age=None)
    held = [(role, company) for role in RoleKind]

    for matter in ("government_procurement", "public_tender", "fiscal_subsidy"):
        assert registry.for_matter(matter)
        matches = applicable_measures(
            registry, matter, own_entries=[], organisations_entries=held, on=CHECK_DAY
        )
        assert matches == [], matter


def test_an_organisations_listing_does_not_reach_a_role_the_measure_does_not_name(
    lists: dict[str, ListType],
) -> None:
    legal_rep_only = Measure(
        code="M-LR-ONLY",
        name_zh="三年内不得担任其他企业法定代表人",
        name_en="No other company's legal representative for three years",
        category=MeasureCategory.RIGHTS_REDUCING,
        legal_basis=("《企业信息公示暂行条例》第十八条",),
        implementing_unit="市场监督管理部门",
        triggers=frozenset({"COURT-DEBTORS-ORG"}),
        matters=frozenset({"business_registration_filing"}),
        reaches_roles=frozenset({RoleKind.LEGAL_REPRESENTATIVE}),
    )
    registry = Registry({"M-LR-ONLY": legal_rep_only}, {})
    company = record(lists["COURT-DEBTORS-ORG"], subject_id=900, subject_age=None)

    def check(role: RoleKind) -> list[Match]:
        return applicable_measures(
            registry,
            "business_registration_filing",
            own_entries=[],
            organisations_entries=[(role, company)],
            on=CHECK_DAY,
        )

    assert codes(check(RoleKind.LEGAL_REPRESENTATIVE)) == ["M-LR-ONLY"]
    assert check(RoleKind.ACTUAL_CONTROLLER) == []
    assert check(RoleKind.PRINCIPAL_RESPONSIBLE) == []


def test_an_exited_organisation_listing_reaches_nobody(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    company = record(lists["COURT-DEBTORS-ORG"], subject_id=900, subject_age=None)
    company.exit(ground="settlement", on=date(2026, 4, 1))

    matches = applicable_measures(
        registry,
        "flight",
        own_entries=[],
        organisations_entries=[(RoleKind.LEGAL_REPRESENTATIVE, company)],
        on=CHECK_DAY,
    )

    assert matches == []


def test_a_good_credit_entry_brings_rewards_for_an_administrative_permit(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = record(lists["GOOD-NO-NEGATIVE-3Y"], grounds="2023-2025 无不良记录")

    matches = applicable_measures(
        registry, "administrative_permit", own_entries=[entry], on=CHECK_DAY
    )

    assert codes(matches) == ["R-GREEN-CHANNEL", "R-PERMISSIVE-ACCEPTANCE"]
    assert all(m.measure.category is MeasureCategory.REWARD for m in matches)


def test_a_good_credit_entry_brings_fewer_inspections(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = record(lists["GOOD-EXEMPLAR"], grounds="2025年度诚信典型")

    matches = applicable_measures(registry, "routine_inspection", own_entries=[entry], on=CHECK_DAY)

    assert codes(matches) == ["R-FEWER-INSPECTIONS"]


def test_matches_are_sorted_by_measure_then_list(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    tax = record(lists["TAX-MAJOR-VIOLATION"], grounds="税稽罚〔2026〕12号")
    debtor = record(lists["COURT-DEBTORS"])
    good = record(lists["GOOD-EXEMPLAR"], grounds="2025年度诚信典型")

    matches = applicable_measures(
        registry, "bank_loan_review", own_entries=[tax, good, debtor], on=CHECK_DAY
    )

    assert [(m.measure.code, m.entry.list_type.code) for m in matches] == [
        ("M-LOAN-GOOD-CREDIT", "GOOD-EXEMPLAR"),
        ("M-LOAN-REVIEW-REFERENCE", "COURT-DEBTORS"),
        ("M-LOAN-REVIEW-REFERENCE", "TAX-MAJOR-VIOLATION"),
    ]


def test_a_match_is_under_objection_when_its_entry_is(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    contested = record(lists["COURT-DEBTORS"])
    contested.under_objection = True
    plain = record(lists["TAX-MAJOR-VIOLATION"], grounds="税稽罚〔2026〕12号")

    matches = applicable_measures(
        registry, "government_procurement", own_entries=[plain, contested], on=CHECK_DAY
    )

    assert [(m.entry.list_type.code, m.under_objection) for m in matches] == [
        ("COURT-DEBTORS", True),
        ("TAX-MAJOR-VIOLATION", False),
    ]


def test_a_decided_listing_recorded_for_the_future_triggers_nothing_yet(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    entry = record(lists["COURT-DEBTORS"], decided_on=date(2026, 7, 1))

    assert applicable_measures(registry, "flight", own_entries=[entry], on=CHECK_DAY) == []


def test_the_court_lists_are_court_decided(lists: dict[str, ListType]) -> None:
    assert lists["COURT-DEBTORS"].decided_by is Decider.COURT
    assert lists["COURT-DEBTORS-ORG"].subject_type is SubjectType.ORGANISATION


# -- policy substance: a measure reaches only whom its basis names ---------------------------


def test_the_food_licence_bar_is_not_triggered_by_the_food_and_drug_list(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    # Food Safety Law Art. 135(1) reaches those whose licence was revoked, not every listed person
    fined = platform_decided(lists["FOOD-DRUG-SERIOUS"])

    for matter in ("food_business_permit", "administrative_permit"):
        found = applicable_measures(registry, matter, own_entries=[fined], on=CHECK_DAY)
        assert "M-FOOD-DRUG-PERMIT-BAR" not in codes(found), matter
    assert "FOOD-DRUG-SERIOUS" not in registry.measures["M-FOOD-DRUG-PERMIT-BAR"].triggers


def test_a_revoked_food_licence_bars_a_new_one(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    revoked = record(lists["FOOD-LICENCE-REVOKED"], ground="licence_revoked")

    matches = applicable_measures(
        registry, "food_business_permit", own_entries=[revoked], on=CHECK_DAY
    )

    assert codes(matches) == ["M-FOOD-DRUG-PERMIT-BAR"]
    assert matches[0].measure.legal_basis == (
        "《中华人民共和国食品安全法》（2021年修正）第一百三十五条第一款",
    )
    # five years from the decision, then no more
    assert (
        applicable_measures(
            registry, "food_business_permit", own_entries=[revoked], on=date(2031, 3, 2)
        )
        == []
    )


def test_a_revoked_operators_legal_representative_is_barred_too(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    company = record(
        lists["FOOD-LICENCE-REVOKED-ORG"],
        subject_id=900,
        subject_age=None,
        ground="licence_revoked",
    )

    def through(role: RoleKind) -> list[str]:
        return codes(
            applicable_measures(
                registry,
                "food_business_permit",
                own_entries=[],
                organisations_entries=[(role, company)],
                on=CHECK_DAY,
            )
        )

    assert through(RoleKind.LEGAL_REPRESENTATIVE) == ["M-FOOD-DRUG-PERMIT-BAR"]
    assert through(RoleKind.ACTUAL_CONTROLLER) == []  # Art. 135 does not name the controller


def test_the_check_path_triggers_the_food_licence_bar_only_from_a_revocation(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    triggers = Triggers(registry)
    fined = platform_decided(lists["FOOD-DRUG-SERIOUS"])
    fined.id = 1
    revoked = record(lists["FOOD-LICENCE-REVOKED"], ground="licence_revoked")
    revoked.id = 2
    postings = [p for e in (fined, revoked) if (p := postings_for(17, e)) is not None]

    hits = triggers.hits(postings, "food_business_permit", CHECK_DAY)

    assert [(h.measure.code, h.posting.entry_id) for h in hits] == [("M-FOOD-DRUG-PERMIT-BAR", 2)]


def test_food_and_drug_listings_bring_no_fiscal_subsidy_bar(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    # the bar's cited bases (中办发〔2016〕64号, 国发〔2016〕33号（十）, 税务总局令第54号) speak of
    # court debtors, serious untrustworthy subjects in general and tax violators; none of them
    # of the food-and-drug list
    fined = platform_decided(lists["FOOD-DRUG-SERIOUS"])

    assert applicable_measures(registry, "fiscal_subsidy", own_entries=[fined], on=CHECK_DAY) == []
    assert registry.measures["M-FISCAL-SUBSIDY-BAR"].triggers == {
        "COURT-DEBTORS",
        "COURT-DEBTORS-ORG",
        "TAX-MAJOR-VIOLATION",
    }


def test_an_air_passenger_listing_bars_flights_once_its_public_notice_has_ended(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    listed = platform_decided(lists["AIR-SERIOUS"])  # decided on 16 March 2026

    def flight(on: date) -> list[str]:
        return codes(applicable_measures(registry, "flight", own_entries=[listed], on=on))

    assert flight(CHECK_DAY) == []  # decided, never published: no public notice, no bar
    listed.publish(on=date(2026, 4, 1))  # the first working day of April
    # seven working days of notice (2, 3, 7 to 10 and 13 April, Qingming 4 to 6 April off)
    assert flight(date(2026, 4, 13)) == []
    assert flight(date(2026, 4, 14)) == ["M-AIR-FLIGHT-BAR"]
    assert flight(CHECK_DAY) == ["M-AIR-FLIGHT-BAR"]
    assert listed.ends_on == date(2027, 4, 14)  # a year from the notice's end, not the decision


def test_a_wage_arrears_listing_reaches_the_legal_representative_the_regulation_names(
    registry: Registry, lists: dict[str, ListType]
) -> None:
    employer = record(lists["WAGE-ARREARS-ORG"], subject_id=901, subject_age=None)

    def through(role: RoleKind, matter: str) -> list[str]:
        return codes(
            applicable_measures(
                registry,
                matter,
                own_entries=[],
                organisations_entries=[(role, employer)],
                on=CHECK_DAY,
            )
        )

    assert through(RoleKind.LEGAL_REPRESENTATIVE, "government_procurement") == [
        "M-WAGE-PUBLIC-FUNDS-BAR"
    ]
    assert through(RoleKind.PRINCIPAL_RESPONSIBLE, "fiscal_subsidy") == ["M-WAGE-PUBLIC-FUNDS-BAR"]
    assert through(RoleKind.ACTUAL_CONTROLLER, "government_procurement") == []


@pytest.mark.parametrize(
    ("measure", "cited", "not_cited"),
    [
        # the recruitment clause is Art. 32(2); Art. 33 is about public services' favours
        ("R-VOLUNTEER-RECRUITMENT", "第三十二条第二款", "第三十三条"),
        # 国发〔2016〕33号: (四) is the green channel and permissive acceptance, (六) supervision
        ("R-GREEN-CHANNEL", "（国发〔2016〕33号）（四）", "（国发〔2016〕33号）（六）"),
        ("R-PERMISSIVE-ACCEPTANCE", "（国发〔2016〕33号）（四）", "（国发〔2016〕33号）（六）"),
        # Art. 67 of the bidding regulation is about collusive bids, not court debtors
        ("M-PUBLIC-TENDER-BAR", "法〔2016〕285号", "招标投标法实施条例"),
        # Drug Administration Law Art. 118 is a lifetime ban on drug business, not a food permit
        ("M-FOOD-DRUG-PERMIT-BAR", "食品安全法", "药品管理法"),
    ],
)
def test_citations_corrected_against_the_text(
    registry: Registry, measure: str, cited: str, not_cited: str
) -> None:
    basis = " ".join(registry.measures[measure].legal_basis)

    assert cited in basis
    assert not_cited not in basis
