"""The command line through Typer's runner on a temporary SQLite file: the CLI, not the database."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.factories import citizen_id, debtor_row, penalty_row
from xinyong.cli import app
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.access import Scope
from xinyong.policy import PACKAGED
from xinyong.services import keys

VALID_ID = "11010519491231002X"
BAD_CHECK_CHARACTER = "11010519491231002Y"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at an empty SQLite file and work in a temporary folder.

    The console is 80 columns wide, as when the output is piped or read in CI, whatever the
    terminal the tests run in.
    """
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("XINYONG_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    return url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def squashed(text: str) -> str:
    """The text without whitespace: the console wraps long lines, even inside a path."""
    return "".join(text.split())


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def migrated(database: str) -> str:
    """A migrated database with the policy's departments registered, through the CLI itself."""
    assert run("db", "upgrade").exit_code == 0
    assert run("departments", "sync").exit_code == 0
    return database


# xinyong id check


def test_a_valid_citizen_id_number_is_explained(database: str) -> None:
    result = run("id", "check", VALID_ID)
    assert result.exit_code == 0, result.output
    text = words(result.output)
    assert "valid citizen id" in text
    assert "1949-12-31" in text
    assert "female" in text
    assert "Beijing Chaoyang" in text


def test_an_invalid_check_character_is_named(database: str) -> None:
    result = run("id", "check", BAD_CHECK_CHARACTER)
    assert result.exit_code == 1
    text = words(result.output)
    assert "invalid" in text
    assert "check character is Y" in text
    assert "needs X" in text
    assert "Traceback" not in result.output


def test_a_valid_number_as_json(database: str) -> None:
    result = run("id", "check", VALID_ID, "--json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert answer["valid"] is True
    assert answer["kind"] == "citizen_id"
    assert (answer["birth_date"], answer["sex"], answer["region"]) == (
        "1949-12-31",
        "female",
        "Beijing Chaoyang",
    )
    assert answer["masked"] == "1101051949****002X"


def test_an_invalid_number_as_json(database: str) -> None:
    result = run("id", "check", "--json", BAD_CHECK_CHARACTER)
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["valid"] is False
    assert "check character" in answer["reason"]


def test_spaces_and_a_lower_case_x_are_normalised(database: str) -> None:
    result = run("id", "check", "--json", "110105 1949 1231 002x")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["number"] == VALID_ID


def test_a_unified_social_credit_code_is_recognised(database: str) -> None:
    result = run("id", "check", "--json", "91110105MA00000012")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["kind"] == "unified_social_credit_code"
    assert answer["region_code"] == "110105"


def test_a_credit_code_of_a_government_body_is_recognised_without_a_kind(database: str) -> None:
    # Its first 17 characters are digits, like a citizen ID number's.
    result = run("id", "check", "--json", "11110000000021135M")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "unified_social_credit_code"


def test_a_credit_code_of_a_government_body_is_valid_with_its_kind(database: str) -> None:
    result = run("id", "check", "--json", "--kind", "uscc", "11110000000021135M")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["registration_authority"] == "1"


def test_a_region_code_newer_than_the_birth_year_is_valid(database: str) -> None:
    # Shenzhen Nanshan (440305) was created in 1983; the holder was born in 1965.
    result = run("id", "check", "440305196501011232")
    assert result.exit_code == 0, result.output
    text = words(result.output)
    assert "valid citizen id" in text
    assert "Guangdong Nanshan" in text


def test_a_mistyped_id_number_is_never_called_a_credit_code(database: str) -> None:
    # Month 13; both check characters happen to fit, and as a credit code its "region" would
    # be 010519.
    result = run("id", "check", "110105194913310259")
    assert result.exit_code == 1, result.output
    text = words(result.output)
    assert "invalid citizen id: birth date 19491331 is not a calendar date" in text
    assert "credit code" not in text
    assert "010519" not in text


def test_a_mistyped_id_number_as_json_is_an_invalid_citizen_id(database: str) -> None:
    result = run("id", "check", "--json", "110105194913310259")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert (answer["valid"], answer["kind"]) == (False, "citizen_id")
    assert answer["reason"] == "birth date 19491331 is not a calendar date"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105180001010010", "birth date 1800-01-01 is more than 130 years ago"),
        ("110105209901010012", "birth date 2099-01-01 is in the future"),
    ],
    ids=["1800", "future"],
)
def test_an_implausible_birth_date_is_refused(database: str, number: str, reason: str) -> None:
    result = run("id", "check", "--json", number)
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout) == {"valid": False, "kind": "citizen_id", "reason": reason}


def test_an_unknown_region_code_is_valid_and_flagged(database: str) -> None:
    result = run("id", "check", "--json", "449999198001011236")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["valid"] is True
    assert answer["region_code"] == "449999"
    assert answer["region_known"] is False
    assert "to be reviewed" in answer["region"]


def test_a_credit_code_says_who_registered_it_and_as_what(database: str) -> None:
    result = run("id", "check", "--json", "91110000100000000R")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["kind"] == "unified_social_credit_code"
    assert answer["organisation_type"] == "enterprise"
    assert answer["region"] == "Beijing"


def test_a_credit_code_with_an_unassigned_type_is_invalid(database: str) -> None:
    result = run("id", "check", "--kind", "uscc", "94110000100000000G")
    assert result.exit_code == 1, result.output
    assert "organisation type 4 (position 2) is not one" in words(result.output)


def test_an_unknown_kind_is_refused(database: str) -> None:
    result = run("id", "check", "--kind", "company", VALID_ID)
    assert result.exit_code == 2
    assert "--kind must be one of auto, citizen, uscc" in words(result.output)


# xinyong catalog

MINIMAL_ITEM = """
[[items]]
code = "TST-PEN-01"
name_zh = "测试处罚"
name_en = "Test penalty"
category = "administrative"
subject_type = "person"
nature = "negative"
legal_basis = ["《中华人民共和国行政处罚法》第四十八条"]
providers = ["market_regulation"]
public = true
sharing_scope = "public"
retention_years = 5
update_frequency = "within 7 working days of the decision"

[items.severity]
default = "general"

[[items.fields]]
name = "penalty_type"
type = "enum"
values = ["warning", "fine"]
label_zh = "处罚类别"
label_en = "Kind of penalty"
"""


def test_the_catalog_is_listed_with_every_code_in_full(database: str) -> None:
    # At 80 columns the code column was once cut to "ADM-PEN-…", so `catalog list | grep` failed.
    result = run("catalog", "list")
    assert result.exit_code == 0, result.output
    codes = [item["code"] for item in json.loads(run("catalog", "list", "--json").stdout)]
    assert f"{len(codes)} items" in result.output
    missing = [code for code in codes if code not in result.output]
    assert missing == []


def test_the_catalog_is_listed_as_json(database: str) -> None:
    result = run("catalog", "list", "--json", "--category", "administrative")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert "ADM-PEN-01" in {i["code"] for i in items}
    assert {i["category"] for i in items} == {"administrative"}


def test_a_catalog_item_is_shown_with_its_legal_basis_and_fields(database: str) -> None:
    result = run("catalog", "show", "ADM-PEN-01")
    assert result.exit_code == 0, result.output
    text = words(result.output)
    assert "Administrative penalty (person)" in text
    assert "legal basis" in text
    assert "fine_amount" in text


def test_a_catalog_item_as_json(database: str) -> None:
    result = run("catalog", "show", "ADM-PEN-01", "--json")
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)
    assert item["code"] == "ADM-PEN-01"
    assert "penalty_type" in {f["name"] for f in item["fields"]}


def test_an_unknown_catalog_item_fails(database: str) -> None:
    result = run("catalog", "show", "NOPE")
    assert result.exit_code == 1
    assert "NOPE is not in catalog" in words(result.output)


def test_a_packaged_catalog_file_validates(database: str, tmp_path: Path) -> None:
    copy = tmp_path / "administrative.toml"
    shutil.copy(PACKAGED / "catalog" / "2024.1" / "administrative.toml", copy)
    result = run("catalog", "validate", str(copy))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_a_minimal_catalog_file_validates(database: str, tmp_path: Path) -> None:
    file = tmp_path / "minimal.toml"
    file.write_text(MINIMAL_ITEM, encoding="utf-8")
    result = run("catalog", "validate", str(file))
    assert result.exit_code == 0, result.output
    assert "1 items" in words(result.output)


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (
            MINIMAL_ITEM.replace('legal_basis = ["《中华人民共和国行政处罚法》第四十八条"]', ""),
            "legal_basis",
        ),
        (MINIMAL_ITEM.replace('name = "penalty_type"', 'name = "religion"'), "fields.religion"),
        (MINIMAL_ITEM.replace('type = "enum"', 'type = "colour"'), "fields.penalty_type.type"),
        (MINIMAL_ITEM.replace('category = "administrative"', 'category = "gossip"'), "category"),
        (MINIMAL_ITEM.replace('default = "general"', 'default = "dire"'), "default"),
    ],
    ids=[
        "no legal basis",
        "banned field",
        "unknown field type",
        "unknown category",
        "bad severity",
    ],
)
def test_a_broken_catalog_file_is_refused_naming_file_item_and_field(
    database: str, tmp_path: Path, broken: str, field: str
) -> None:
    assert broken != MINIMAL_ITEM
    file = tmp_path / "broken.toml"
    file.write_text(broken, encoding="utf-8")
    result = run("catalog", "validate", str(file))
    assert result.exit_code == 1, result.output
    text = squashed(result.output)
    assert squashed(str(file)) in text
    assert "'TST-PEN-01'" in text
    assert f"field'{field}'" in text
    assert "Traceback" not in result.output


def test_a_catalog_file_that_is_not_toml_is_refused_naming_the_file(
    database: str, tmp_path: Path
) -> None:
    file = tmp_path / "broken.toml"
    file.write_text("[[items]]\ncode = \n", encoding="utf-8")
    result = run("catalog", "validate", str(file))
    assert result.exit_code == 1
    assert squashed(str(file)) in squashed(result.output)
    assert "Traceback" not in result.output


# xinyong db, departments and keys


def test_the_database_is_migrated_and_departments_registered(database: str) -> None:
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "sqlite" in upgraded.output
    synced = run("departments", "sync")
    assert synced.exit_code == 0, synced.output
    assert "added or changed" in synced.output
    again = run("departments", "sync")
    assert "0 added or changed" in words(again.output)
    listed = run("departments", "list")
    assert "BJ-AMR" in listed.output


def test_a_created_key_is_printed_once_and_authenticates(migrated: str) -> None:
    result = run("keys", "create", "--department", "BJ-AMR", "--scope", "records:write")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("xy_")
    engine = make_engine(migrated)
    try:
        key = keys.authenticate(SqlUnitOfWork(make_session_factory(engine)), token)
    finally:
        engine.dispose()
    assert key is not None
    assert key.department == "BJ-AMR"
    assert key.scopes == {Scope.RECORDS_WRITE}


def test_the_key_list_never_shows_a_secret(migrated: str) -> None:
    token = run("keys", "create", "--role", "credit_centre").stdout.strip()
    prefix, secret = token.removeprefix("xy_").split("_", 1)
    result = run("keys", "list")
    assert result.exit_code == 0, result.output
    assert prefix in result.output
    assert secret not in squashed(result.output)
    assert token not in squashed(result.output)


def test_a_key_for_an_unregistered_department_is_refused(migrated: str) -> None:
    result = run("keys", "create", "--department", "NOPE", "--scope", "records:write")
    assert result.exit_code == 2
    assert "not registered" in result.output
    assert "xy_" not in result.output


def test_an_unknown_scope_is_refused_listing_the_scopes(migrated: str) -> None:
    result = run("keys", "create", "--scope", "records:delete")
    assert result.exit_code == 2
    assert "records:write" in result.output


def test_a_revoked_key_no_longer_authenticates(migrated: str) -> None:
    token = run("keys", "create", "--scope", "catalog:read").stdout.strip()
    prefix = token.removeprefix("xy_").split("_", 1)[0]
    assert run("keys", "revoke", prefix).exit_code == 0
    engine = make_engine(migrated)
    try:
        assert keys.authenticate(SqlUnitOfWork(make_session_factory(engine)), token) is None
    finally:
        engine.dispose()


# xinyong ingest


@pytest.fixture
def batch_file(tmp_path: Path) -> tuple[Path, list[dict[str, object]]]:
    """A CSV of five rows written by the test: rows 2 and 4 are bad."""
    rows = [penalty_row() for _ in range(5)]
    rows[1]["fine_amount"] = "lots"
    rows[3]["subject_id"] = BAD_CHECK_CHARACTER
    path = tmp_path / "amr.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


def test_ingesting_a_file_reports_each_refused_row_and_writes_them_beside_it(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, rows = batch_file
    result = run("ingest", str(path), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["updated"], summary["unchanged"], summary["rejected"]) == (
        3,
        0,
        0,
        2,
    )
    assert {(e["row"], e["field"]) for e in summary["errors"]} == {
        (2, "fine_amount"),
        (4, "subject_id"),
    }
    rejects = path.with_name("amr.csv.rejects.csv")
    assert summary["rejects_file"] == str(rejects)
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        refused = list(csv.DictReader(fh))
    assert [r["row"] for r in refused] == ["2", "4"]
    assert "fine_amount" in refused[0]["errors"]
    assert "check character" in refused[1]["errors"]
    assert refused[0]["document_number"] == rows[1]["document_number"]


def test_ingesting_the_same_file_again_adds_nothing(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    first = json.loads(run("ingest", str(path), "--department", "BJ-AMR", "--json").stdout)
    result = run("ingest", str(path), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 1
    again = json.loads(result.stdout)
    assert (again["accepted"], again["updated"]) == (0, 0)
    assert again["unchanged"] == first["accepted"]
    assert again["rejected"] == first["rejected"]


def test_a_clean_file_is_ingested_with_exit_code_zero(migrated: str, tmp_path: Path) -> None:
    path = tmp_path / "clean.jsonl"
    path.write_text(
        "".join(json.dumps(penalty_row(), ensure_ascii=False) + "\n" for _ in range(3)),
        encoding="utf-8",
    )
    result = run("ingest", str(path), "--department", "BJ-AMR")
    assert result.exit_code == 0, result.output
    assert "3 accepted" in words(result.output)
    assert not path.with_name("clean.jsonl.rejects.csv").exists()


def test_a_file_that_is_not_utf8_is_refused_with_a_hint(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    gb = path.with_name("gb.csv")
    gb.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    result = run("ingest", str(gb), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 2, result.output
    text = words(result.output)
    assert "not utf-8" in text
    assert "--encoding gb18030" in text
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_a_gb18030_file_is_ingested_when_its_encoding_is_given(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    gb = path.with_name("gb.csv")
    gb.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    result = run("ingest", str(gb), "--department", "BJ-AMR", "--encoding", "gb18030", "--json")
    assert result.exit_code == 1, result.output
    assert (json.loads(result.stdout)["accepted"], json.loads(result.stdout)["rejected"]) == (3, 2)


def test_ingesting_for_an_unregistered_department_fails_cleanly(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    result = run("ingest", str(path), "--department", "NOPE", "--json")
    assert result.exit_code == 2
    assert "not registered" in result.output
    assert "Traceback" not in result.output


def test_the_list_types_and_measures_are_listed(database: str) -> None:
    types = run("lists", "types")
    assert types.exit_code == 0
    assert "COURT-DEBTORS" in types.output
    shown = run("lists", "show", "COURT-DEBTORS")
    assert shown.exit_code == 0
    assert "exit grounds" in shown.output
    assert run("lists", "show", "NOPE").exit_code == 1
    flights = run("measures", "list", "--matter", "flight")
    assert flights.exit_code == 0
    assert "COURT-DEBTORS" in squashed(flights.output)
    assert run("measures", "list", "--matter", "moon").exit_code == 1


# xinyong lists (entries), xinyong check, xinyong screen


@pytest.fixture
def debtor(migrated: str, tmp_path: Path) -> str:
    """A person with a court's dishonest-debtor record, ingested through the CLI."""
    number = citizen_id(born=date(1972, 2, 2))
    path = tmp_path / "court.csv"
    row = debtor_row(subject_id=number, decision_date=date.today().isoformat())  # noqa: DTZ011
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    result = run("ingest", str(path), "--department", "BJ-HCOURT", "--json")
    assert result.exit_code == 0, result.output
    return number


def test_a_court_record_becomes_a_listing_that_checks_see_until_it_ends(debtor: str) -> None:
    synced = run("lists", "court-sync")
    assert synced.exit_code == 0, synced.output
    assert "1 listings recorded" in synced.output
    assert run("lists", "court-sync").output.startswith("0 listings")

    checked = run(
        "check", "--matter", "flight", "--department", "BJ-CAAC-NC", "--json", "--subject", debtor
    )
    assert checked.exit_code == 0, checked.output
    answer = json.loads(checked.stdout)
    assert [m["code"] for m in answer["measures"]] == ["M-COURT-FLIGHT"]
    assert debtor not in checked.stdout  # masked
    entry = answer["measures"][0]["entry"]

    shown = run("lists", "entry", str(entry))
    assert "COURT-DEBTORS" in shown.output
    assert "decided" in shown.output
    ended = run("lists", "exit", str(entry), "--ground", "performance")
    assert ended.exit_code == 0, ended.output
    again = run(
        "check", "--matter", "flight", "--department", "BJ-CAAC-NC", "--json", "--subject", debtor
    )
    assert json.loads(again.stdout)["measures"] == []


def test_a_wrong_exit_ground_is_refused_with_the_grounds_there_are(debtor: str) -> None:
    run("lists", "court-sync")
    result = run("lists", "exit", "1", "--ground", "bored")
    assert result.exit_code == 2
    assert "performance" in words(result.output)


def test_screening_a_file_writes_a_result_row_per_input_row(debtor: str, tmp_path: Path) -> None:
    run("lists", "court-sync")
    numbers = tmp_path / "numbers.csv"
    clear = citizen_id(born=date(1990, 3, 3))
    numbers.write_text(f"number\n{clear}\n{debtor}\n{BAD_CHECK_CHARACTER}\n", encoding="utf-8")
    result = run(
        "screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["screened"], summary["listed"], summary["invalid"], summary["logged"]) == (
        3,
        1,
        1,
        2,
    )
    with Path(summary["out"]).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["status"] for r in rows] == ["clear", "listed", "invalid"]
    assert rows[1]["measures"] == "M-COURT-FLIGHT"
    assert BAD_CHECK_CHARACTER not in result.output


def test_screening_a_file_that_is_not_utf8_stops_with_a_clear_error(
    migrated: str, tmp_path: Path
) -> None:
    numbers = tmp_path / "numbers.csv"
    numbers.write_bytes(b"number\n" + citizen_id().encode("utf-16"))
    result = run("screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC")
    assert result.exit_code == 2
    assert "not UTF-8" in words(result.output)
