"""The catalog gate: the shipped catalog and departments, and how a broken file is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.factories import penalty_item_toml
from xinyong.domain.catalog import (
    BannedFields,
    CatalogItem,
    Category,
    DisplayRule,
    FieldType,
    Nature,
    Severity,
    SharingScope,
    SubjectType,
)
from xinyong.domain.catalog_files import load_catalog, read_catalog_file
from xinyong.domain.errors import CatalogError
from xinyong.domain.policy import Policy, load_policy
from xinyong.policy import PACKAGED

#: The department kinds catalog items name as providers (docs/catalog.md lists them).
DEPARTMENT_KINDS = {
    "court",
    "market_regulation",
    "tax",
    "transport",
    "railway",
    "education",
    "human_resources",
    "social_security",
    "justice",
    "health",
    "intellectual_property",
    "finance",
    "ecology",
    "public_security",
    "housing",
    "culture_tourism",
    "emergency",
    "civil_affairs",
    "publicity",
    "development_reform",
    "credit_centre",
}
NUMERIC = {FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY}


# -- the shipped catalog ---------------------------------------------------------------------


def shipped(policy: Policy) -> list[CatalogItem]:
    return list(policy.catalog.items.values())


def test_shipped_catalog_loads_with_at_least_thirty_items(policy: Policy) -> None:
    assert policy.catalog.version == "2024.1"
    assert len(policy.catalog) >= 30


def test_shipped_catalog_covers_all_thirteen_categories(policy: Policy) -> None:
    assert {item.category for item in shipped(policy)} == set(Category)
    assert len(Category) == 13


def test_shipped_catalog_has_person_and_organisation_items(policy: Policy) -> None:
    kinds = [item.subject_type for item in shipped(policy)]

    assert kinds.count(SubjectType.PERSON) > kinds.count(SubjectType.ORGANISATION) > 0


def test_dishonest_judgment_debtor_item_is_public_serious_and_adult_only(policy: Policy) -> None:
    item = policy.catalog.get("JUD-DEBTOR-01")

    assert item is not None
    assert item.category is Category.JUDICIAL
    assert item.subject_type is SubjectType.PERSON
    assert item.nature is Nature.NEGATIVE
    assert item.default_severity is Severity.SERIOUS
    assert item.public
    assert item.min_subject_age == 18
    conduct = item.field_named("dishonest_conduct")
    assert conduct is not None
    assert "able_but_refuses" in conduct.values
    assert item.field_named("performance_status") is not None


def test_every_item_cites_a_legal_basis(policy: Policy) -> None:
    for item in shipped(policy):
        assert item.legal_basis, item.code
        assert all("《" in basis and "》" in basis for basis in item.legal_basis), item.code


def test_every_item_is_named_and_described_in_both_languages(policy: Policy) -> None:
    for item in shipped(policy):
        assert item.name_zh, item.code
        assert item.name_en, item.code
        assert 3 <= len(item.fields) <= 6, item.code
        for spec in item.fields:
            assert spec.label_zh, f"{item.code}.{spec.name}"
            assert spec.label_en, f"{item.code}.{spec.name}"


def test_public_items_are_shared_publicly_and_shared_only_items_are_not(policy: Policy) -> None:
    for item in shipped(policy):
        assert (item.sharing_scope is SharingScope.PUBLIC) == item.public, item.code


def test_negative_items_have_a_class_and_others_are_shown_for_a_term(policy: Policy) -> None:
    for item in shipped(policy):
        if item.nature is Nature.NEGATIVE:
            assert item.default_severity is not None, item.code
            assert item.display_rule is DisplayRule.SEVERITY, item.code
        else:
            assert item.default_severity is None, item.code
            assert not item.severity_rules, item.code
            assert item.display_rule in (DisplayRule.FIXED, DisplayRule.VALIDITY), item.code


def test_honours_are_shown_for_a_fixed_term(policy: Policy) -> None:
    honours = [item for item in shipped(policy) if item.category is Category.HONOUR]

    assert honours
    for item in honours:
        assert item.display_rule is DisplayRule.FIXED, item.code
        assert item.display_months == 36, item.code


def test_no_item_keeps_records_beyond_the_archive_cap(policy: Policy) -> None:
    for item in shipped(policy):
        assert 0 < item.retention_years <= policy.periods.max_retention_years, item.code


def test_severity_rules_compare_values_their_fields_can_hold(policy: Policy) -> None:
    for item in shipped(policy):
        for rule in item.severity_rules:
            spec = item.field_named(rule.field)
            assert spec is not None, item.code
            where = f"{item.code} rule on {rule.field}"
            if rule.op in ("gt", "gte", "lt", "lte"):
                assert spec.type in NUMERIC, where
            if spec.type is FieldType.ENUM:
                compared = rule.value if isinstance(rule.value, list) else [rule.value]
                assert {str(value) for value in compared} <= set(spec.values), where


def test_student_archive_items_apply_only_from_eighteen(policy: Policy) -> None:
    for code in ("ADM-EXAM-01", "CON-STULOAN-01"):
        item = policy.catalog.get(code)
        assert item is not None
        assert item.min_subject_age == 18, code


def test_income_is_declared_only_with_written_consent(policy: Policy) -> None:
    item = policy.catalog.get("SELF-INC-01")

    assert item is not None
    income = item.field_named("annual_income")
    assert income is not None
    assert income.type is FieldType.MONEY
    assert income.requires_consent
    assert item.needs_consent
    assert not item.public


def test_no_shipped_field_is_a_banned_concept(policy: Policy) -> None:
    for item in shipped(policy):
        for spec in item.fields:
            assert policy.banned.match(spec.name) is None, f"{item.code}.{spec.name}"
            assert policy.banned.match(spec.label_zh) is None, f"{item.code}.{spec.name}"


def test_providers_use_the_department_kind_vocabulary(policy: Policy) -> None:
    for item in shipped(policy):
        assert item.providers <= DEPARTMENT_KINDS, item.code


def test_every_item_is_provided_by_at_least_one_department(policy: Policy) -> None:
    provided = {code for department in policy.departments for code in department.items}

    assert set(policy.catalog.items) - provided == set()


def test_departments_are_unique_valid_and_known_kinds(policy: Policy) -> None:
    codes = [department.code for department in policy.departments]

    assert len(codes) == len(set(codes)) >= 15
    for department in policy.departments:
        if department.kind == "credit_agency":  # a registered party that provides nothing
            assert not department.items, department.code
            continue
        assert department.kind in DEPARTMENT_KINDS, department.code
        assert len(department.uscc) == 18, department.code
        assert department.region_code.startswith("11"), department.code
    court = policy.department("BJ-COURT-CY")
    assert court is not None
    assert court.name == "北京市朝阳区人民法院"
    assert court.uscc.startswith("11110105")
    assert court.can_submit("JUD-DEBTOR-01")
    assert not court.can_submit("ADM-PEN-01")


def test_every_shipped_item_is_in_the_catalog_documentation(policy: Policy) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "catalog.md").read_text(encoding="utf-8")

    missing = [item.code for item in shipped(policy) if f"| `{item.code}` |" not in docs]

    assert missing == [], "regenerate the table in docs/catalog.md"


# -- broken catalog files --------------------------------------------------------------------

SERIOUS_FROM_50000 = '{ field = "fine_amount", op = "gte", value = 50000, class = "serious" }'
VALID_ITEM = penalty_item_toml(
    "TST-PEN-01",
    "测试处罚信息",
    "Test penalty",
    severity_rules=f"rules = [{SERIOUS_FROM_50000}]",
)

SECOND_VIOLATION_FIELD = """
[[items.fields]]
name = "violation"
type = "string"
label_zh = "违法行为"
label_en = "Violation"
"""


def write(directory: Path, text: str, name: str = "broken.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(old: str, new: str) -> str:
    assert VALID_ITEM.count(old) == 1, old
    return VALID_ITEM.replace(old, new)


def test_the_valid_test_item_reads(tmp_path: Path, policy: Policy) -> None:
    (item,) = read_catalog_file(write(tmp_path, VALID_ITEM), policy.banned)

    assert item.code == "TST-PEN-01"
    assert item.severity_of({"fine_amount": "60000.00"}) is Severity.SERIOUS


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (
            edit('legal_basis = ["《中华人民共和国行政处罚法》第四十八条"]\n', ""),
            "legal_basis",
            "must cite at least one law",
        ),
        (
            edit('legal_basis = ["《中华人民共和国行政处罚法》第四十八条"]', "legal_basis = []"),
            "legal_basis",
            "must cite at least one law",
        ),
        (
            edit('category = "administrative"', 'category = "gossip"'),
            "category",
            "must be one of registration, judicial",
        ),
        (
            edit('name = "violation"', 'name = "blood_type"'),
            "fields.blood_type",
            "blood type may never be collected",
        ),
        (
            edit('label_zh = "违法事实"', 'label_zh = "宗教信仰"'),
            "fields.violation",
            "religious belief may never be collected",
        ),
        (
            edit('sharing_scope = "public"', 'sharing_scope = "government"'),
            "sharing_scope",
            "a public item must have sharing_scope = public",
        ),
        (
            edit('nature = "negative"', 'nature = "positive"'),
            "severity",
            "only negative items have a severity class",
        ),
        (
            edit('default = "general"', 'default = "grave"'),
            "default",
            "must be one of minor, general, serious",
        ),
        (
            VALID_ITEM + SECOND_VIOLATION_FIELD,
            "fields.violation",
            "is declared twice",
        ),
        (
            edit('type = "money"', 'type = "float"'),
            "fields.fine_amount.type",
            "must be one of string, text",
        ),
        (
            edit('field = "fine_amount"', 'field = "amount"'),
            "severity.rules[0]",
            "rule reads undeclared field 'amount'",
        ),
        (
            edit('op = "gte"', 'op = "like"'),
            "severity.rules[0]",
            "op must be one of",
        ),
        (
            edit('name = "violation"', 'name = "decision_date"'),
            "fields.decision_date",
            "do not redeclare it",
        ),
        (
            edit("retention_years = 5", 'retention_years = "five"'),
            "retention_years",
            "must be a whole number of years",
        ),
        (
            edit("public = true", 'public = "yes"'),
            "public",
            "must be true or false",
        ),
    ],
    ids=[
        "missing-legal-basis",
        "empty-legal-basis",
        "bad-category",
        "banned-field-name",
        "banned-field-label",
        "public-but-not-shared-publicly",
        "severity-on-positive-item",
        "unknown-severity-class",
        "duplicate-field",
        "unknown-field-type",
        "rule-on-undeclared-field",
        "unknown-rule-operator",
        "common-field-redeclared",
        "retention-not-a-number",
        "public-not-a-boolean",
    ],
)
def test_broken_item_is_reported_with_file_item_and_field(
    tmp_path: Path, policy: Policy, text: str, field: str, reason: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(path, policy.banned)

    error = caught.value
    assert error.file == str(path)
    assert error.item == "TST-PEN-01"
    assert error.field == field
    assert reason in error.reason
    assert str(path) in str(error)
    assert "'TST-PEN-01'" in str(error)


def test_negative_item_without_a_severity_table_is_refused(tmp_path: Path, policy: Policy) -> None:
    text = edit(
        '[items.severity]\ndefault = "general"\n'
        'rules = [{ field = "fine_amount", op = "gte", value = 50000, class = "serious" }]\n',
        "",
    )

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(write(tmp_path, text), policy.banned)

    assert (caught.value.item, caught.value.field) == ("TST-PEN-01", "severity")


def test_non_negative_item_may_not_be_displayed_by_severity(tmp_path: Path, policy: Policy) -> None:
    text = edit('nature = "negative"', 'nature = "neutral"\ndisplay = { rule = "severity" }')

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(write(tmp_path, text), policy.banned)

    assert caught.value.field == "display.rule"


def test_fixed_display_needs_months(tmp_path: Path, policy: Policy) -> None:
    text = edit("retention_years = 5", 'retention_years = 5\ndisplay = { rule = "fixed" }')

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(write(tmp_path, text), policy.banned)

    assert caught.value.field == "display.months"


def test_toml_syntax_error_names_the_file(tmp_path: Path, policy: Policy) -> None:
    path = write(tmp_path, VALID_ITEM.replace('code = "TST-PEN-01"', 'code = "TST-PEN-01'))

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(path, policy.banned)

    assert caught.value.file == str(path)
    assert "not valid TOML" in caught.value.reason
    assert "line 3" in caught.value.reason


def test_file_without_items_is_refused(tmp_path: Path, policy: Policy) -> None:
    path = write(tmp_path, "# nothing here\n")

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(path, policy.banned)

    assert (caught.value.file, caught.value.field) == (str(path), "items")


MANIFEST = 'version = "test"\nedition = "测试目录"\neffective = 2024-01-01\n'


def test_a_code_declared_in_two_files_is_refused(tmp_path: Path, policy: Policy) -> None:
    write(tmp_path, MANIFEST, "manifest.toml")
    write(tmp_path, VALID_ITEM, "a.toml")
    second = write(tmp_path, VALID_ITEM, "b.toml")

    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path, policy.banned)

    assert (caught.value.file, caught.value.item, caught.value.field) == (
        str(second),
        "TST-PEN-01",
        "code",
    )


def test_a_catalog_without_a_manifest_is_refused(tmp_path: Path, policy: Policy) -> None:
    write(tmp_path, VALID_ITEM, "a.toml")

    with pytest.raises(CatalogError, match="manifest is missing"):
        load_catalog(tmp_path, policy.banned)


def test_banned_concepts_match_names_and_aliases_whatever_the_case(policy: Policy) -> None:
    assert policy.banned.match("Blood Type") == "blood type"
    assert policy.banned.match("blood-group") == "blood type"
    assert policy.banned.match("血型") == "blood type"
    assert policy.banned.match("宗教信仰") == "religious belief"
    assert policy.banned.match("blood_donation_count") is None


def test_an_alias_written_with_a_dash_in_the_policy_file_still_matches() -> None:
    banned = BannedFields.from_policy(
        {"banned": [{"name": "blood_type", "label": "blood type", "aliases": ["Blood-Group"]}]}
    )

    assert banned.match("blood_group") == "blood type"


def test_a_field_whose_label_contains_a_banned_concept_is_refused(
    tmp_path: Path, policy: Policy
) -> None:
    text = edit('name = "violation"', 'name = "abo_group"').replace(
        'label_zh = "违法事实"', 'label_zh = "血型（ABO）"'
    )

    with pytest.raises(CatalogError):
        read_catalog_file(write(tmp_path, text), policy.banned)


def test_a_numeric_rule_on_a_text_field_is_refused(tmp_path: Path, policy: Policy) -> None:
    text = edit('field = "fine_amount"', 'field = "violation"')

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(write(tmp_path, text), policy.banned)

    assert caught.value.field == "severity.rules[0]"


def test_a_misspelt_key_is_refused(tmp_path: Path, policy: Policy) -> None:
    text = edit("retention_years = 5", "retention_years = 5\nmin_subjct_age = 18")

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(write(tmp_path, text), policy.banned)

    assert caught.value.field == "min_subjct_age"


# -- broken departments ----------------------------------------------------------------------


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(PACKAGED, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def append_department(directory: Path, text: str) -> None:
    with (directory / "departments.toml").open("a", encoding="utf-8") as fh:
        fh.write(text)


def test_a_department_may_not_list_an_item_its_kind_cannot_provide(policy_copy: Path) -> None:
    append_department(
        policy_copy,
        '\n[[departments]]\ncode = "BJ-TEST"\nname = "测试局"\nuscc = "11110000000021135M"\n'
        'region_code = "110000"\nkind = "tax"\nitems = ["JUD-DEBTOR-01"]\n',
    )

    with pytest.raises(CatalogError) as caught:
        load_policy(policy_copy)

    assert caught.value.file == str(policy_copy / "departments.toml")
    assert (caught.value.item, caught.value.field) == ("BJ-TEST", "items")
    assert "a tax department may not provide JUD-DEBTOR-01" in caught.value.reason


def test_a_department_with_a_bad_credit_code_is_refused(policy_copy: Path) -> None:
    append_department(
        policy_copy,
        '\n[[departments]]\ncode = "BJ-TEST"\nname = "测试局"\nuscc = "11110000000021135N"\n'
        'region_code = "110000"\nkind = "tax"\nitems = []\n',
    )

    with pytest.raises(CatalogError) as caught:
        load_policy(policy_copy)

    assert (caught.value.item, caught.value.field) == ("BJ-TEST", "uscc")


# -- every item that can be serious feeds a list with measures, or says why not --------------


def test_every_serious_item_feeds_a_list_with_measures_or_says_why_not(policy: Policy) -> None:
    triggered = {code for m in policy.registry.measures.values() for code in m.triggers}
    serious = [item for item in shipped(policy) if item.can_be_serious]

    assert len(serious) >= 20
    for item in serious:
        fed = {t.code for t in policy.list_types.values() if item.code in t.source_items}
        if item.no_list_reason:
            assert not fed, item.code
            assert len(item.no_list_reason) > 40, item.code  # a reason, not a placeholder
        else:
            assert fed & triggered, item.code


def test_serious_air_passenger_records_feed_the_air_list_and_its_flight_bar(
    policy: Policy,
) -> None:
    air = policy.catalog.items["SU-AIR-01"]

    assert air.can_be_serious
    assert not air.no_list_reason
    assert air.code in policy.list_types["AIR-SERIOUS"].source_items
    assert "AIR-SERIOUS" in policy.registry.measures["M-AIR-FLIGHT-BAR"].triggers


def test_only_an_item_that_can_be_serious_carries_a_no_list_reason(
    tmp_path: Path, policy: Policy
) -> None:
    text = edit(
        'rules = [{ field = "fine_amount", op = "gte", value = 50000, class = "serious" }]',
        'rules = [{ field = "fine_amount", op = "gte", value = 50000, class = "general" }]',
    ).replace(
        'update_frequency = "within 7 working days of the decision"',
        'update_frequency = "within 7 working days of the decision"\n'
        'no_list_reason = "never serious, so nothing to explain"',
    )

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(write(tmp_path, text), policy.banned)

    assert (caught.value.item, caught.value.field) == ("TST-PEN-01", "no_list_reason")


def _drop_reason(directory: Path, code: str) -> None:
    path = directory / "catalog" / "2024.1" / "serious_untrustworthy.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f'code = "{code}"')
    line = text.index("no_list_reason = ", start)
    end = text.index('"""\n', text.index('"""', line) + 3) + 4
    path.write_text(text[:line] + text[end:], encoding="utf-8")


def test_a_policy_with_a_serious_item_that_feeds_no_list_and_gives_no_reason_is_refused(
    policy_copy: Path,
) -> None:
    _drop_reason(policy_copy, "SU-MR-01")

    with pytest.raises(CatalogError) as caught:
        load_policy(policy_copy)

    assert (caught.value.item, caught.value.field) == ("SU-MR-01", "no_list_reason")
    assert "can be serious" in caught.value.reason


def test_a_no_list_reason_on_an_item_that_feeds_a_list_is_refused(policy_copy: Path) -> None:
    path = policy_copy / "catalog" / "2024.1" / "serious_untrustworthy.toml"
    text = path.read_text(encoding="utf-8")
    anchor = text.index('code = "SU-AIR-01"')
    line = text.index("update_frequency = ", anchor)
    text = text[:line] + 'no_list_reason = "contradicts the list"\n' + text[line:]
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_policy(policy_copy)

    assert (caught.value.item, caught.value.field) == ("SU-AIR-01", "no_list_reason")
    assert "AIR-SERIOUS" in caught.value.reason


# -- enum values in words (the report prints labels, never codes) -------------------------------

ENUM_FIELD = """
[[items.fields]]
name = "procedure"
type = "enum"
values = ["ordinary", "simplified"]
{labels}
label_zh = "程序类型"
label_en = "Procedure"
"""


def test_every_shipped_enum_value_has_a_chinese_label(policy: Policy) -> None:
    unlabelled = [
        f"{item.code}.{spec.name}={value}"
        for item in policy.catalog
        for spec in item.fields
        if spec.type is FieldType.ENUM
        for value in spec.values
        if value not in spec.value_labels
    ]

    assert unlabelled == []
    licence = policy.catalog.get("ADM-LIC-01")
    assert licence is not None
    kind = licence.field_named("licence_kind")
    assert kind is not None
    assert kind.value_label("franchise") == ("特许", "franchise")
    assert kind.value_label("general") == ("普通许可", "general")


def test_value_labels_read_with_english_defaulting_to_the_value_in_words(
    tmp_path: Path, policy: Policy
) -> None:
    labels = (
        'value_labels_zh = { ordinary = "普通程序", simplified = "简易程序" }\n'
        'value_labels_en = { simplified = "simplified procedure" }'
    )
    text = VALID_ITEM + ENUM_FIELD.format(labels=labels)

    (item,) = read_catalog_file(write(tmp_path, text), policy.banned)

    spec = item.field_named("procedure")
    assert spec is not None
    assert spec.value_label("ordinary") == ("普通程序", "ordinary")
    assert spec.value_label("simplified") == ("简易程序", "simplified procedure")


@pytest.mark.parametrize(
    ("labels", "field", "reason"),
    [
        (
            'value_labels_zh = { ordinary = "普通程序" }',
            "fields.procedure.value_labels_zh",
            "has no label for ['simplified']",
        ),
        (
            'value_labels_zh = { ordinary = "普通程序", simplified = "简易", summary = "x" }',
            "fields.procedure.value_labels_zh",
            "labels unknown values ['summary']",
        ),
        (
            'value_labels_zh = { ordinary = "普通程序", simplified = "" }',
            "fields.procedure.value_labels_zh",
            "must map each value to a label",
        ),
        (
            'value_labels_en = { ordinary = "ordinary" }',
            "fields.procedure.value_labels_en",
            "needs value_labels_zh too",
        ),
    ],
    ids=["missing-value", "unknown-value", "empty-label", "english-alone"],
)
def test_broken_value_labels_are_refused(
    tmp_path: Path, policy: Policy, labels: str, field: str, reason: str
) -> None:
    text = VALID_ITEM + ENUM_FIELD.format(labels=labels)

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(write(tmp_path, text), policy.banned)

    assert caught.value.field == field
    assert reason in caught.value.reason


def _exclude_from_repair(directory: Path, line: str) -> None:
    rights = directory / "rights.toml"
    text = rights.read_text(encoding="utf-8")
    rights.write_text(
        text.replace("[repairs.unrepairable]\n", f"[repairs.unrepairable]\n{line}\n"),
        encoding="utf-8",
    )


def test_conduct_excluded_from_repair_is_a_negative_catalog_item_with_its_law(
    policy_copy: Path,
) -> None:
    _exclude_from_repair(policy_copy, '"ADM-PEN-01" = "《某某法》第十条"')
    assert load_policy(policy_copy).repairs.unrepairable == {"ADM-PEN-01": "《某某法》第十条"}

    for line, item in (
        ('"ADM-NOPE-99" = "《某某法》第十条"', "ADM-NOPE-99"),  # no such item
        ('"HON-GOOD-01" = "《某某法》第十条"', "HON-GOOD-01"),  # positive: nothing to repair
        ('"ADM-PEN-02" = ""', "ADM-PEN-02"),  # no law named
    ):
        broken = policy_copy.parent / item
        shutil.copytree(PACKAGED, broken, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        _exclude_from_repair(broken, line)
        with pytest.raises(CatalogError) as caught:
            load_policy(broken)
        assert (caught.value.item, caught.value.field) == (item, "unrepairable")


EVALUATIONS = PACKAGED / "catalog" / "2024.1" / "evaluation.toml"
CRITERIA_FIELD = """[[items.fields]]
name = "criteria_reference"
type = "string"
"""


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (CRITERIA_FIELD, '[[items.fields]]\nname = "criteria_reference_old"\ntype = "string"\n',
         "fields"),
        (CRITERIA_FIELD, CRITERIA_FIELD + "required = false\n", "fields"),
        ('public = false\nsharing_scope = "government"', 'public = true\nsharing_scope = "public"',
         "public"),
    ],
)  # fmt: skip
def test_an_evaluation_names_its_published_criteria_and_is_not_published(
    tmp_path: Path, policy: Policy, old: str, new: str, field: str
) -> None:
    shipped = EVALUATIONS.read_text(encoding="utf-8")
    assert [i.code for i in read_catalog_file(EVALUATIONS, policy.banned)] == [
        "EVAL-TAX-01",
        "EVAL-LAW-01",
    ]
    assert old in shipped
    path = write(tmp_path, shipped.replace(old, new, 1))  # the first item, EVAL-TAX-01

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(path, policy.banned)

    assert (caught.value.item, caught.value.field) == ("EVAL-TAX-01", field)
