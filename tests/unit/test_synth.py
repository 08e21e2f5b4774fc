"""The synthetic population: realistic batch files whose every row passes the catalog gate."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from stdnum.cn import uscc

import xinyong
from xinyong.domain.catalog import COMMON_FIELDS, Nature, Severity, SubjectType
from xinyong.domain.errors import RowRejected
from xinyong.domain.identifiers import parse_citizen_id, parse_credit_code
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.records import Submission, validate_row
from xinyong.policy import PACKAGED
from xinyong.synth.population import DEBTOR_ITEM, BatchFormat, SynthSummary, write_population

TODAY = date(2026, 5, 15)
PERSONS = 2000
NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{2,5}·[\u4e00-\u9fff]{2,5}$")


@dataclass
class Run:
    """One generated population, read back and put through the catalog gate."""

    summary: SynthSummary
    directory: Path
    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    accepted: list[Submission] = field(default_factory=list)
    rejected: list[tuple[str, int, list[str]]] = field(default_factory=list)


def read_rows(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix == ".csv":
            return list(csv.DictReader(fh))
        return [json.loads(line) for line in fh]


def generate(
    policy: Policy,
    directory: Path,
    *,
    persons: int = PERSONS,
    conflicts: int | None = None,
    fmt: BatchFormat = "csv",
) -> Run:
    summary = write_population(
        policy, persons=persons, out_dir=directory, today=TODAY, conflicts=conflicts, format=fmt
    )
    run = Run(summary, directory)
    gate = policy.gate(TODAY)
    for path in summary.files:
        department = policy.department(path.stem)
        assert department is not None, path
        rows = run.rows[department.code] = read_rows(path)
        for number, raw in enumerate(rows, start=1):
            try:
                run.accepted.append(validate_row(raw, row=number, department=department, gate=gate))
            except RowRejected as exc:
                reasons = [f"{p.field}: {p.reason}" for p in exc.problems]
                run.rejected.append((department.code, number, reasons))
    return run


def digest(directory: Path) -> str:
    files = sorted(directory.iterdir())
    return hashlib.sha256(b"".join(f.name.encode() + f.read_bytes() for f in files)).hexdigest()


@pytest.fixture(scope="module", params=["csv", "jsonl"])
def run(
    request: pytest.FixtureRequest, policy: Policy, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    directory = tmp_path_factory.mktemp(f"population-{request.param}")
    return generate(policy, directory, fmt=request.param)


def persons_of(run: Run) -> list[Submission]:
    return [s for s in run.accepted if s.subject_type is SubjectType.PERSON]


def conflict_rows(run: Run) -> list[Submission]:
    """Rows whose stated birth date disagrees with the birth date in the citizen ID number."""
    return [
        s
        for s in persons_of(run)
        if s.person and s.stated_birth_date and s.stated_birth_date != s.person.birth_date
    ]


def test_every_generated_row_passes_the_catalog_gate(run: Run) -> None:
    assert run.rejected == []
    assert len(run.accepted) == run.summary.records > PERSONS


def test_the_summary_counts_what_the_files_hold(run: Run, policy: Policy) -> None:
    summary = run.summary
    providers = [d for d in policy.departments if d.items]
    suffix = summary.files[0].suffix

    assert summary.persons == PERSONS
    assert summary.files == [run.directory / f"{d.code}{suffix}" for d in providers]
    assert summary.records_by_department == {
        code: len(rows) for code, rows in sorted(run.rows.items()) if rows
    }
    assert summary.records_by_item == dict(
        sorted(Counter(s.item.code for s in run.accepted).items())
    )
    assert summary.records == sum(summary.records_by_item.values())
    assert summary.conflicts == max(1, PERSONS // 5000)


def test_document_numbers_are_unique_within_each_department(run: Run) -> None:
    keys = Counter(s.key for s in run.accepted)

    assert keys.most_common(1)[0][1] == 1


def test_court_and_penalty_document_numbers_look_like_real_ones(run: Run) -> None:
    numbers = [s.document_number for s in run.accepted]
    court = re.compile(r"^[京津冀沪].{1,3}(执|民|刑)字〔20\d\d〕第\d{5}号$")
    penalty = re.compile(r"^[京津冀沪][^〔]+罚〔20\d\d〕\d+号$")

    assert any(court.match(n) for n in numbers)
    assert any(penalty.match(n) for n in numbers)
    assert all(re.search(r"〔20\d\d〕(第)?\d+号$", n) for n in numbers)


def test_the_csv_header_is_the_common_fields_then_the_department_items_fields(
    run: Run, policy: Policy
) -> None:
    if run.summary.files[0].suffix != ".csv":
        pytest.skip("JSON Lines files have no header")
    for path in run.summary.files:
        department = policy.department(path.stem)
        assert department is not None
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        declared = {f.name for code in department.items for f in policy.catalog.items[code].fields}

        assert header[: len(COMMON_FIELDS)][:2] == ["item", "document_number"]
        assert set(header[: len(COMMON_FIELDS)]) == COMMON_FIELDS
        assert set(header[len(COMMON_FIELDS) :]) == declared
        assert len(header) == len(set(header))


def test_persons_have_valid_unique_numbers_and_chinese_names(run: Run) -> None:
    names: defaultdict[str, set[str]] = defaultdict(set)
    for submission in persons_of(run):
        names[submission.subject_number].add(submission.subject_name)
        assert NAME.match(submission.subject_name), submission.subject_name
    numbers = list(names)

    assert all(parse_citizen_id(n, today=TODAY).number == n for n in numbers)
    assert sum(n.startswith("11") for n in numbers) > len(numbers) // 5  # born in Beijing
    assert len({n[:2] for n in numbers}) > 15  # and all over the country
    assert sum(len(v) > 1 for v in names.values()) == run.summary.conflicts


def test_deliberate_conflicts_reuse_a_number_with_a_misspelt_name_and_a_wrong_birth_date(
    run: Run,
) -> None:
    conflicts = conflict_rows(run)
    assert len(conflicts) == run.summary.conflicts
    for conflict in conflicts:
        others = [
            s
            for s in persons_of(run)
            if s.subject_number == conflict.subject_number and s is not conflict
        ]
        assert others, "a conflict reuses a number that is already in a batch"
        original = others[0].subject_name
        assert conflict.subject_name != original
        assert len(conflict.subject_name) == len(original)
        assert sum(a != b for a, b in zip(conflict.subject_name, original, strict=True)) == 1
        assert conflict.department not in {s.department for s in others}


def test_outside_the_conflicts_a_stated_birth_date_matches_the_number(run: Run) -> None:
    stated = [s for s in persons_of(run) if s.stated_birth_date is not None]

    assert len(stated) > len(conflict_rows(run))
    assert len(stated) - len(conflict_rows(run)) == sum(
        s.stated_birth_date == s.person.birth_date for s in stated if s.person
    )


def test_minors_get_no_items_with_an_age_threshold_and_few_negative_records(
    run: Run, policy: Policy
) -> None:
    majority = policy.periods.age_of_majority
    minors = [
        s
        for s in persons_of(run)
        if s.person and s.person.is_minor_on(TODAY, age_of_majority=majority)
    ]

    assert minors, "a few minors are part of the population"
    assert all(s.item.min_subject_age is None for s in minors)
    assert sum(s.item.nature is Nature.NEGATIVE for s in minors) <= len(minors) // 3
    for submission in persons_of(run):
        assert submission.person is not None
        assert 16 <= submission.person.age_on(TODAY) <= 85
        threshold = submission.item.min_subject_age
        if threshold is not None:
            assert submission.person.age_on(submission.decision_date) >= threshold
        elif submission.person.age_on(submission.decision_date) < majority:
            assert submission.item.nature is not Nature.NEUTRAL  # no licences for minors


def test_persons_have_about_one_and_a_half_records_each_mostly_none_to_two(run: Run) -> None:
    conflicts = {s.key for s in conflict_rows(run)}
    per_person = Counter(s.subject_number for s in persons_of(run) if s.key not in conflicts)
    with_many = sum(count > 2 for count in per_person.values())

    assert 1.3 <= sum(per_person.values()) / PERSONS <= 1.7
    assert with_many < PERSONS * 0.25


def test_a_small_share_of_persons_are_listed_dishonest_judgment_debtors(
    run: Run, policy: Policy
) -> None:
    if DEBTOR_ITEM not in policy.catalog.items:
        pytest.skip(f"the catalog has no {DEBTOR_ITEM}")
    debtors = {s.subject_number for s in run.accepted if s.item.code == DEBTOR_ITEM}

    assert PERSONS * 0.015 <= len(debtors) <= PERSONS * 0.04


def test_neutral_and_positive_records_outnumber_negative_ones(run: Run) -> None:
    natures = Counter(s.item.nature for s in run.accepted)

    assert natures[Nature.NEGATIVE] < natures[Nature.POSITIVE] + natures[Nature.NEUTRAL]
    assert natures[Nature.NEGATIVE] > 0


def test_negative_records_are_mostly_minor_or_general(run: Run) -> None:
    severities = Counter(
        s.assessment.severity
        for s in run.accepted
        if s.item.nature is Nature.NEGATIVE and s.item.code != DEBTOR_ITEM
    )

    assert severities[Severity.SERIOUS] > 0
    assert (
        severities[Severity.MINOR] + severities[Severity.GENERAL] > 3 * severities[Severity.SERIOUS]
    )


def test_most_records_are_still_displayed(run: Run) -> None:
    expired = sum(s.expired_on_arrival for s in run.accepted)

    assert expired < len(run.accepted) * 0.2
    assert all(s.decision_date >= date(TODAY.year - 4, TODAY.month, 1) for s in run.accepted)


def test_items_needing_consent_carry_a_consent_reference(run: Run) -> None:
    consented = [s for s in run.accepted if s.item.needs_consent]

    assert all(s.consent_reference for s in consented)
    assert all(s.consent_reference is None for s in run.accepted if not s.item.needs_consent)


def test_fines_are_mostly_small_with_a_few_large_ones(run: Run) -> None:
    fines = sorted(
        float(str(s.fields["fine_amount"])) for s in run.accepted if "fine_amount" in s.fields
    )
    if len(fines) < 20:
        pytest.skip("the catalog has too few items with a fine amount")

    assert fines[len(fines) // 2] < 5000
    assert fines[-1] > 20 * fines[len(fines) // 2]


def test_organisations_get_valid_unique_credit_codes_and_company_names(run: Run) -> None:
    organisations = {
        s.subject_number: s.subject_name
        for s in run.accepted
        if s.subject_type is SubjectType.ORGANISATION
    }
    if not organisations:
        pytest.skip("the catalog has no organisation items")

    assert run.summary.organisations == PERSONS // 10
    assert len(organisations) <= run.summary.organisations
    assert all(parse_credit_code(code).code == code for code in organisations)
    assert all(name.endswith(("公司", "店", "馆", "部")) for name in organisations.values())


def test_the_same_seed_writes_byte_identical_files(policy: Policy, tmp_path: Path) -> None:
    first = write_population(policy, persons=300, out_dir=tmp_path / "a", today=TODAY, seed=7)
    second = write_population(policy, persons=300, out_dir=tmp_path / "b", today=TODAY, seed=7)

    assert first.records == second.records
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_another_seed_writes_different_files(policy: Policy, tmp_path: Path) -> None:
    write_population(policy, persons=300, out_dir=tmp_path / "a", today=TODAY, seed=7)
    write_population(policy, persons=300, out_dir=tmp_path / "b", today=TODAY, seed=8)

    assert digest(tmp_path / "a") != digest(tmp_path / "b")


def test_files_do_not_depend_on_the_process_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from datetime import date; from pathlib import Path;"
        "from xinyong.domain.policy import load_policy;"
        "from xinyong.synth.population import write_population;"
        "write_population(load_policy(), persons=200, out_dir=Path(sys.argv[1]),"
        f" today=date({TODAY.year}, {TODAY.month}, {TODAY.day}))"
    )
    source = str(Path(xinyong.__file__).parents[1])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": path}
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / hash_seed)], check=True, env=env
        )

    assert digest(tmp_path / "1") == digest(tmp_path / "2")


def test_progress_hears_the_persons_done_in_steps(policy: Policy, tmp_path: Path) -> None:
    heard: list[int] = []

    write_population(policy, persons=2500, out_dir=tmp_path, today=TODAY, progress=heard.append)

    assert heard == [1000, 2000, 2500]


def test_the_number_of_conflicts_can_be_chosen(policy: Policy, tmp_path: Path) -> None:
    run = generate(policy, tmp_path, persons=500, conflicts=5)

    assert run.rejected == []
    assert run.summary.conflicts == len(conflict_rows(run)) == 5


def test_no_persons_gives_header_only_files(policy: Policy, tmp_path: Path) -> None:
    summary = write_population(policy, persons=0, out_dir=tmp_path, today=TODAY)

    assert (summary.records, summary.conflicts, summary.organisations) == (0, 0, 0)
    assert all(len(path.read_text(encoding="utf-8").splitlines()) == 1 for path in summary.files)


def test_a_negative_number_of_persons_is_refused(policy: Policy, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="persons"):
        write_population(policy, persons=-1, out_dir=tmp_path, today=TODAY)


SMALL_CATALOG = """
[[items]]
code = "TST-PEN-01"
name_zh = "测试处罚信息"
name_en = "Test penalty"
category = "administrative"
subject_type = "person"
nature = "negative"
legal_basis = ["《测试条例》第一条"]
providers = ["tester"]
public = true
sharing_scope = "public"
retention_years = 0
update_frequency = "monthly"
min_subject_age = 21

[items.severity]
default = "general"
rules = [
    { field = "amount", op = "gt", value = 1000, class = "serious" },
    { field = "repeat", op = "eq", value = true, class = "serious" },
    { field = "days", op = "lte", value = 2, class = "minor" },
]

[[items.fields]]
name = "amount"
type = "money"
min = 10
max = 5000
label_zh = "金额（元）"
label_en = "Amount"

[[items.fields]]
name = "days"
type = "integer"
min = 1
max = 30
label_zh = "天数"
label_en = "Days"

[[items.fields]]
name = "repeat"
type = "boolean"
required = false
label_zh = "是否再犯"
label_en = "Repeat offence"

[[items.fields]]
name = "happened_on"
type = "date"
label_zh = "发生日期"
label_en = "Happened on"

[[items.fields]]
name = "rate"
type = "decimal"
min = 0
max = 1
required = false
label_zh = "比例"
label_en = "Rate"

[[items.fields]]
name = "remarks"
type = "text"
required = false
label_zh = "备注"
label_en = "Remarks"

[[items]]
code = "TST-INC-01"
name_zh = "测试收入信息"
name_en = "Test income"
category = "self_declared"
subject_type = "person"
nature = "neutral"
legal_basis = ["《测试条例》第二条"]
providers = ["tester"]
public = false
sharing_scope = "authorised"
retention_years = 1
update_frequency = "yearly"
display = { rule = "fixed", months = 6 }

[[items.fields]]
name = "income"
type = "money"
min = 0
requires_consent = true
label_zh = "收入（元）"
label_en = "Income"

[[items.fields]]
name = "source"
type = "enum"
values = ["wages", "other"]
label_zh = "来源"
label_en = "Source"
"""


def test_any_loaded_catalog_works_without_debtors_or_organisations(tmp_path: Path) -> None:
    root = tmp_path / "policy"
    (root / "catalog" / "2024.1").mkdir(parents=True)
    for name in ("banned_fields.toml", "periods.toml", "regions.toml"):
        shutil.copy(PACKAGED / name, root / name)
    shutil.copy(PACKAGED / "catalog" / "2024.1" / "manifest.toml", root / "catalog" / "2024.1")
    (root / "catalog" / "2024.1" / "test.toml").write_text(SMALL_CATALOG, encoding="utf-8")
    body = "11310000000099901"
    (root / "departments.toml").write_text(
        "[[departments]]\n"
        'code = "SH-TEST"\nname = "上海市测试局"\n'
        f'uscc = "{body}{uscc.calc_check_digit(body)}"\n'
        'region_code = "310000"\nkind = "tester"\nitems = ["TST-PEN-01", "TST-INC-01"]\n',
        encoding="utf-8",
    )
    policy = load_policy(root)

    run = generate(policy, tmp_path / "out", persons=1500, conflicts=3, fmt="jsonl")

    assert run.rejected == []
    assert run.summary.organisations == 0
    assert run.summary.conflicts == 3  # in the only department there is
    assert {s.item.code for s in run.accepted} == {"TST-PEN-01", "TST-INC-01"}
    penalties = [s for s in run.accepted if s.item.code == "TST-PEN-01"]
    assert all(s.person and s.person.age_on(s.decision_date) >= 21 for s in penalties)
    assert {s.assessment.severity for s in penalties} == set(Severity)
    assert sum(s.subject_number.startswith("31") for s in run.accepted) > len(run.accepted) // 5
    assert all(s.document_number.startswith("沪") for s in run.accepted)


def test_the_demo_lists_only_people_who_were_adults_on_the_day_of_every_conduct_on_record() -> None:
    """An adult a year ago whose record is about what they did at seventeen must not be picked:
    the listing would rest on a minor's conduct, which the domain refuses (the demo stopped on
    it at 3 000 persons)."""
    from datetime import UTC, datetime

    from xinyong.domain.records import CreditRecord, RecordStatus
    from xinyong.domain.subjects import Subject
    from xinyong.synth.demo import adults_among

    today = date(2026, 11, 30)
    at = datetime(2026, 11, 1, tzinfo=UTC)

    def record(id_: int, subject: int, occurred: date) -> CreditRecord:
        return CreditRecord(
            id=id_, department="BJ-AMR", document_number=f"D{id_}", item_code="ADM-PEN-01",
            catalog_version="2024.1", subject_id=subject, status=RecordStatus.ACTIVE,
            severity="general", published=True, decision_date=date(2026, 9, 1),
            display_ends=date(2027, 9, 1), repair_from=None, retention_ends=date(2031, 9, 1),
            publish_by=None, authority_name="北京市市场监督管理局",
            fields={"occurred_on": occurred.isoformat()}, content_hash="x", batch_id=None,
            received_at=at, updated_at=at,
        )  # fmt: skip

    def person(id_: int, born: date) -> Subject:
        return Subject(id_, SubjectType.PERSON, f"n{id_}", "某", birth_date=born)

    subjects = {
        1: person(1, date(1990, 1, 1)),  # an adult throughout
        2: person(2, date(2007, 6, 1)),  # 18 a year ago; 17 when one of their conducts happened
        3: person(3, date(2008, 6, 1)),  # still 17 a year ago
    }
    records = [
        record(10, 1, date(2026, 3, 1)),
        record(20, 2, date(2026, 8, 1)),
        record(21, 2, date(2025, 3, 1)),  # at 17
        record(11, 1, date(2025, 3, 1)),
        record(30, 3, date(2026, 8, 1)),
    ]
    assert [r.id for r in adults_among(records, subjects, today, 18)] == [10]


def test_a_record_with_an_age_floor_is_dated_no_earlier_than_the_day_the_gate_counts_that_age(
    policy: Policy,
) -> None:
    """Born on 29 February 2008, a person is 18 on 1 March 2026 as the gate counts (`age_on`);
    the generator dated records from 28 February, which the gate refused (a 100 000-person
    scenario generated on 1 December 2026 held one)."""
    import random

    from tests.factories import citizen_id
    from xinyong.synth.people import Subject
    from xinyong.synth.world import Offer, World

    item = next(i for i in policy.catalog.items.values() if i.min_subject_age == 18)
    department = next(d for d in policy.departments if item.code in d.items)
    born = date(2008, 2, 29)
    person = Subject(citizen_id(born=born), "赵萍诗", "110105", birth=born, age=18)
    today = date(2026, 3, 4)
    world = World(policy, random.Random(3), today)
    gate = policy.gate(today)
    for n in range(60):
        made = world.record(person, Offer(item, (department,), 1.0), department=department)
        assert made is not None
        _, row = made
        validate_row(row, row=n + 1, department=department, gate=gate)  # raises when refused
