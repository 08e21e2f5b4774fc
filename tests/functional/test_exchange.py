"""`xinyong node` and `xinyong peers` through Typer's runner; and no NATS at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from xinyong.cli import app
from xinyong.domain.envelopes import NodeKeys


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    assert run("db", "upgrade").exit_code == 0


def test_a_node_is_initialised_once_and_shows_only_public_keys(migrated: None) -> None:
    result = run("node", "init", "--code", "GD", "--region", "440000", "--level", "provincial")
    assert result.exit_code == 0, result.output
    assert "node GD (provincial, region 440000)" in result.output
    shown = run("node", "show")
    assert shown.exit_code == 0
    assert shown.output.splitlines()[1:] == result.output.splitlines()[1:4]
    again = run("node", "init", "--code", "GD", "--region", "440000", "--level", "provincial")
    assert again.exit_code == 2
    assert "already node GD" in again.output


def test_bad_node_input_is_named(migrated: None) -> None:
    result = run("node", "init", "--code", "G.D", "--region", "440000", "--level", "provincial")
    assert result.exit_code == 2
    assert "node code" in result.output
    result = run("node", "init", "--code", "GD", "--region", "440000", "--level", "county")
    assert "level: one of national, provincial, municipal" in result.output


def test_peers_are_added_with_a_checked_fingerprint_listed_and_removed(migrated: None) -> None:
    assert (
        run("node", "init", "--code", "GD", "--region", "440000", "--level", "provincial").exit_code
        == 0
    )
    keys = NodeKeys.generate().public
    signing, sealing = keys.as_text()
    base = ["peers", "add", "CN", "--region", "100000", "--level", "national"]
    base += ["--signing-key", signing, "--sealing-key", sealing]
    wrong = run(*base, "--fingerprint", "0" * 16)
    assert wrong.exit_code == 2
    assert "do not match the fingerprint" in wrong.output
    assert run(*base, "--fingerprint", keys.fingerprint).exit_code == 0
    agency = ["peers", "add", "AG1", "--region", "110000", "--level", "municipal"]
    agency += ["--signing-key", signing, "--sealing-key", sealing]
    agency += ["--fingerprint", keys.fingerprint, "--kind", "agency"]
    unlicensed = run(*agency)
    assert unlicensed.exit_code == 2
    assert "licence" in unlicensed.output
    assert run(*agency, "--item", "ADM-PEN-01").exit_code == 0
    listed = run("peers", "list")
    assert "CN" in listed.output
    assert "ADM-PEN-01" in listed.output
    assert run("peers", "remove", "AG1").exit_code == 0
    assert "AG1" not in run("peers", "list").output
    assert run("peers", "remove", "AG1").exit_code == 2


def test_neither_the_cli_nor_the_web_app_loads_nats_at_start_up() -> None:
    code = (
        "import sys, xinyong.cli, xinyong.web.app;"
        "loaded = sorted(m for m in sys.modules if m == 'nats' or m.startswith('nats.'));"
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_courts_published_list_imports_as_review_candidates_never_records(
    migrated: None, tmp_path: Path
) -> None:
    import json

    from sqlalchemy import create_engine, func, select

    from tests.unit.test_court_list import published_row
    from xinyong.db.court_candidates import CourtCandidateRow
    from xinyong.db.records import CreditRecordRow

    path = tmp_path / "失信被执行人.jsonl"
    rows = [published_row(), published_row(iname="李某", sexy="X")]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = run("exchange", "court-import", str(path))
    assert result.exit_code == 1, result.output  # one row could not be read
    assert "row 2, sexy" in result.output
    assert "1 candidates for review" in result.output
    engine = create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CourtCandidateRow)) == 1
        assert conn.scalar(select(func.count()).select_from(CreditRecordRow)) == 0
    engine.dispose()
    assert run("exchange", "court-import", str(path)).exit_code == 2  # imported already


def test_the_exchange_status_needs_no_nats(migrated: None) -> None:
    assert (
        run("node", "init", "--code", "GD", "--region", "440000", "--level", "provincial").exit_code
        == 0
    )
    result = run("exchange", "status")
    assert result.exit_code == 0, result.output
    assert "node GD: last sequence 0, 0 pending" in result.output
