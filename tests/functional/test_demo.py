"""`xinyong synth` and `xinyong demo --no-serve` through Typer's runner, on a temporary database."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from tests.functional.helpers import run, words
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.services import keys, records


def test_synth_writes_the_files_its_summary_names(database: str, tmp_path: Path) -> None:
    result = run("synth", "--persons", "200", "--seed", "5", "--out", "out", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["persons"] == 200
    assert summary["organisations"] == 20
    files = [Path(f) for f in summary["files"]]
    assert files
    assert all(f.parent == Path("out") and f.suffix == ".csv" for f in files)
    rows = sum(len(f.read_text(encoding="utf-8").splitlines()) - 1 for f in files)
    assert rows == summary["records"]


def test_synth_prints_a_one_line_summary(database: str) -> None:
    result = run("synth", "--persons", "100", "--out", "out", "--format", "jsonl")

    assert result.exit_code == 0, result.output
    text = words(result.stdout)
    assert re.fullmatch(
        r"100 persons, 10 organisations, \d+ records \(1 deliberate identity conflicts\)"
        r" in \d+ files under out",
        text,
    ), text
    assert list(Path("out").glob("*.jsonl"))


def test_demo_loads_lists_opens_an_account_and_prints_four_working_keys(
    database: str, tmp_path: Path
) -> None:
    result = run("demo", "--persons", "300", "--no-serve")

    assert result.exit_code == 0, result.output
    text = words(result.stdout)
    assert f"database {database} migrated" in text
    loaded = re.search(r"ingested: (\d+) accepted, 0 unchanged, 0 rejected", text)
    assert loaded, text
    assert "listed: " in text
    assert "COURT-DEBTORS (from court records)" in text
    login = tmp_path / "var" / "demo-person.json"
    assert stat.S_IMODE(login.stat().st_mode) == 0o600
    person = json.loads(login.read_text(encoding="utf-8"))
    assert set(person) == {"number", "name", "password"}
    tokens = dict(re.findall(r"(\S+) key \([^)]*\): (xy_\S+)", text))
    assert set(tokens) == {"credit-centre", "source-department", "implementing-department",
                           "credit-agency"}  # fmt: skip
    engine = make_engine(database)
    try:
        uow = SqlUnitOfWork(make_session_factory(engine))
        assert records.count_records(uow) == int(loaded.group(1))
        centre = keys.authenticate(uow, tokens["credit-centre"])
        agency = keys.authenticate(uow, tokens["credit-agency"])
    finally:
        engine.dispose()
    assert centre is not None
    assert centre.department is None
    assert centre.scopes == set(ROLE_SCOPES[Role.CREDIT_CENTRE])
    assert agency is not None
    assert agency.scopes == set(ROLE_SCOPES[Role.CREDIT_AGENCY])


def test_demo_does_not_load_the_population_twice(database: str) -> None:
    assert run("demo", "--persons", "100", "--no-serve").exit_code == 0

    again = run("demo", "--persons", "100", "--no-serve")

    assert again.exit_code == 0, again.output
    text = words(again.stdout)
    assert "demo data is not loaded again" in text
    assert "ingested:" not in text
    assert "credit-centre key" in text
