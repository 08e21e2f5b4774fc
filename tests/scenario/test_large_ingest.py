"""A synthetic population end to end: all stored, idempotent, exact rejects, and kill -9 safe.

The population size comes from XINYONG_SCENARIO_PERSONS (CI: 100 000; default 3 000 so that a
developer's `python3 dev.py test` stays quick). The same scenario runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from tests.conftest import PG_URL, _drop_postgres, _fresh_postgres
from xinyong.cli import app
from xinyong.db.batches import BatchRow
from xinyong.db.engine import make_engine
from xinyong.db.records import CreditRecordRow
from xinyong.db.subjects import SubjectRow
from xinyong.domain.batches import BatchStatus
from xinyong.domain.policy import Policy
from xinyong.synth.population import SynthSummary, write_population

PERSONS = int(os.environ.get("XINYONG_SCENARIO_PERSONS", "3000"))
TODAY = date.today()  # noqa: DTZ011 - the CLI under test dates records by the local day too

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> SynthSummary:
    out = tmp_path_factory.mktemp("population")
    return write_population(policy, persons=PERSONS, out_dir=out, today=TODAY)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A factory of empty, migrated databases (each call a new one) for one backend."""
    made: list[str] = []

    def make(name: str) -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / name}.db"
        else:
            assert PG_URL
            url = _fresh_postgres(PG_URL, suffix=name)
        made.append(url)
        run_cli(url, "db", "upgrade")
        run_cli(url, "departments", "sync")
        return url

    yield make
    for url in made:
        if not url.startswith("sqlite") and PG_URL:
            _drop_postgres(PG_URL, url)


def run_cli(url: str, *args: str) -> Result:
    """Run the real command line in this process (a process per call costs seconds of imports)."""
    result = CliRunner().invoke(app, list(args), env={"XINYONG_DATABASE_URL": url})
    if result.exit_code not in (0, 1):
        raise AssertionError(f"xinyong {' '.join(args)} failed: {result.output[-2000:]}")
    return result


def ingest_all(url: str, files: list[Path]) -> dict[str, int]:
    """Ingest the files in name order: the synthetic conflicts sort after the true rows."""
    totals = {"accepted": 0, "updated": 0, "unchanged": 0, "rejected": 0, "held_for_review": 0}
    for file in sorted(files):
        result = run_cli(url, "ingest", str(file), "--department", file.stem, "--json")
        summary = json.loads(result.stdout)
        for key in totals:
            totals[key] += summary[key]
    return totals


def snapshot(url: str) -> dict[str, object]:
    """What must be identical between two runs: every record's content and state, every subject."""
    engine: Engine = make_engine(url)
    r = CreditRecordRow
    with engine.connect() as conn:
        records = sorted(
            tuple(str(v) for v in row)
            for row in conn.execute(
                select(
                    r.department_code,
                    r.document_number,
                    r.item_code,
                    SubjectRow.number,
                    r.status,
                    r.severity,
                    r.published,
                    r.decision_date,
                    r.display_ends,
                    r.repair_from,
                    r.retention_ends,
                    r.publish_by,
                    r.content_hash,
                    r.source_row,
                ).join(SubjectRow, SubjectRow.id == r.subject_id)
            )
        )
        subjects = sorted(
            tuple(str(v) for v in row)
            for row in conn.execute(select(SubjectRow.number, SubjectRow.name, SubjectRow.kind))
        )
        batches = sorted(
            tuple(str(v) for v in row)
            for row in conn.execute(
                select(
                    BatchRow.department_code,
                    BatchRow.status,
                    BatchRow.rows_done,
                    BatchRow.accepted,
                    BatchRow.rejected,
                    BatchRow.held,
                )
            )
        )
        reviews = conn.execute(text("SELECT count(*) FROM identity_reviews")).scalar_one()
    engine.dispose()
    return {"records": records, "subjects": subjects, "batches": batches, "reviews": reviews}


def test_a_population_is_stored_once_and_a_second_ingest_adds_nothing(
    population: SynthSummary, new_database
) -> None:
    url = new_database("main")
    first = ingest_all(url, population.files)
    assert first["rejected"] == 0
    assert first["accepted"] == population.records
    assert first["held_for_review"] == population.conflicts
    second = ingest_all(url, population.files)
    assert second == {
        "accepted": 0,
        "updated": 0,
        "unchanged": population.records,
        "rejected": 0,
        "held_for_review": 0,
    }
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CreditRecordRow)).scalar_one() == (
            population.records
        )
    engine.dispose()


CORRUPTIONS = [
    ("subject_id", lambda v: v[:-1] + ("0" if v[-1] != "0" else "1"), "subject_id"),
    ("decision_date", lambda v: "2024-02-30", "decision_date"),
    ("item", lambda v: "NO-SUCH-01", "item"),
    ("decision_date", lambda v: f"{TODAY.year + 1}-01-01", "decision_date"),
    ("document_number", lambda v: "", "document_number"),
    ("authority_uscc", lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"), "authority_uscc"),
    ("subject_name", lambda v: "", "subject_name"),
]


def corrupt_copy(files: list[Path], out: Path, share: int = 100) -> dict[tuple[str, int], str]:
    """Copy the files, corrupting every `share`-th row in one of several ways; return what broke."""
    out.mkdir()
    broken: dict[tuple[str, int], str] = {}
    counter = 0
    for file in files:
        with file.open(encoding="utf-8-sig", newline="") as src:
            reader = csv.DictReader(src)
            rows = list(reader)
            columns = reader.fieldnames or []
        for number, row in enumerate(rows, start=1):
            counter += 1
            if counter % share:
                continue
            column, damage, field = CORRUPTIONS[(counter // share) % len(CORRUPTIONS)]
            row[column] = damage(row[column])
            broken[file.stem, number] = field
        with (out / file.name).open("w", encoding="utf-8", newline="") as dst:
            writer = csv.DictWriter(dst, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return broken


def test_a_copy_with_one_percent_corrupted_rows_rejects_exactly_those(
    population: SynthSummary, new_database, tmp_path: Path
) -> None:
    broken = corrupt_copy(population.files, tmp_path / "corrupt")
    url = new_database("corrupt")
    totals = ingest_all(url, sorted((tmp_path / "corrupt").glob("*.csv")))
    assert totals["rejected"] == len(broken)
    assert totals["accepted"] == population.records - len(broken)
    refused: dict[tuple[str, int], str] = {}
    for rejects in (tmp_path / "corrupt").glob("*.rejects.csv"):
        department = rejects.name.removesuffix(".rejects.csv")
        with rejects.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            # A file with the catalog's data item `reason` has the report's as `xinyong_reason`.
            said = "xinyong_reason" if "xinyong_reason" in (reader.fieldnames or []) else "reason"
            for row in reader:
                refused[department, int(row["row"])] = row[said]
    assert set(refused) == set(broken)
    for key, field in broken.items():
        assert refused[key].startswith(f"{field}:") or f"; {field}:" in refused[key], refused[key]


def test_kill_9_mid_ingest_and_a_rerun_equal_an_uninterrupted_run(
    population: SynthSummary, new_database
) -> None:
    biggest = max(population.files, key=lambda f: f.stat().st_size)
    clean = new_database("clean")
    ingest_all(clean, population.files)

    url = new_database("killed")
    # Small chunks, killed after two: many commits still to go, so the kill lands mid-batch even
    # when the biggest file has only a few hundred rows (the README's small population).
    env = {**os.environ, "XINYONG_DATABASE_URL": url, "XINYONG_INGEST_CHUNK_ROWS": "50"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xinyong",
            "ingest",
            str(biggest),
            "--department",
            biggest.stem,
            "--json",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Poll through a read engine: its transactions take no write lock, so the poll never queues
    # behind the ingest (and so never wakes up only after the ingest has already finished).
    engine = make_engine(url, reads=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:  # wait for some chunks to commit, then kill
            with engine.connect() as conn:
                done = conn.execute(select(func.max(BatchRow.rows_done))).scalar() or 0
            if done >= 100 or process.poll() is not None:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # Decided after the kill, from what was committed: the process may have finished its
        # last chunk between the poll and the signal.
        with engine.connect() as conn:
            statuses = set(conn.execute(select(BatchRow.status)).scalars())
    finally:
        engine.dispose()
    killed_mid_batch = bool(statuses) and BatchStatus.COMPLETE.value not in statuses
    assert killed_mid_batch, f"the ingest was not killed mid-batch ({statuses}); use a larger file"
    ingest_all(url, population.files)  # the rerun resumes the killed batch, then the rest
    assert snapshot(url) == snapshot(clean)
