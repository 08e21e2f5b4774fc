"""`xinyong synth` and `xinyong demo --no-serve` through Typer's runner, on a temporary database."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest

from tests.functional.helpers import masked, run, words
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.policy import load_policy
from xinyong.services import keys, records, staff


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
    # Each key on its label's line, as docs/quickstart.md says (the console wrapped them).
    on_their_lines = re.findall(r"^(\S+) key \([^)\n]*\): (xy_\S+)$", result.stdout, re.M)
    assert dict(on_their_lines) == tokens
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


def test_the_demo_publishes_what_a_running_platform_would_have_published(database: str) -> None:
    """Its court-list and honour entries were all left decided: the public search of the court
    list said 0 and the exemplars page said there was nothing, beside hundreds of entries."""
    from sqlalchemy import text

    result = run("demo", "--persons", "300", "--no-serve")
    assert result.exit_code == 0, result.output
    said = re.search(r"published: (\d+) entries of the published lists", words(result.stdout))
    assert said, result.stdout
    engine = make_engine(database)
    try:
        with engine.connect() as conn:
            published = dict(
                conn.execute(
                    text(
                        "SELECT list_code, count(*) FROM list_entries"
                        " WHERE state = 'published' GROUP BY list_code"
                    )
                ).all()
            )
            left = conn.scalar(
                text(
                    "SELECT count(*) FROM list_entries WHERE state = 'decided'"
                    " AND list_code IN ('COURT-DEBTORS', 'GOOD-EXEMPLAR')"
                    " AND (ends_on IS NULL OR ends_on > CURRENT_DATE)"
                )
            )
    finally:
        engine.dispose()
    assert published.get("COURT-DEBTORS", 0) > 0
    assert published.get("GOOD-EXEMPLAR", 0) > 0
    assert sum(published.values()) >= int(said.group(1))
    assert left == 0


def test_demo_does_not_load_the_population_twice(database: str) -> None:
    assert run("demo", "--persons", "100", "--no-serve").exit_code == 0

    again = run("demo", "--persons", "100", "--no-serve")

    assert again.exit_code == 0, again.output
    text = words(again.stdout)
    assert "demo data is not loaded again" in text
    assert "ingested:" not in text
    assert "credit-centre key" in text


#: How the demo names each of its examples, as it prints them.
EXAMPLES = (
    "credit-centre key",
    "source-department key",
    "implementing-department key",
    "credit-agency key",
    "the demo person",
)


def printed_examples(stdout: str) -> dict[str, list[str]]:
    """The commands the demo prints (indented, one a line), under the example they belong to."""
    found: dict[str, list[str]] = {}
    text: list[str] = []
    commands: list[str] = []

    def close() -> None:
        if commands:
            (name,) = [n for n in EXAMPLES if any(line.startswith(n) for line in text)]
            found[name] = list(commands)
            text.clear()
            commands.clear()

    for line in stdout.splitlines():
        if line.startswith("  "):
            commands.append(line.strip())
        else:
            close()
            text.append(line)
    close()
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(database: str, port: int) -> Iterator[str]:
    """The platform's server on `database`, as `xinyong serve` starts it, until the block ends."""
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "xinyong.web.app:create_app", "--factory",
         "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "XINYONG_DATABASE_URL": database},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


BASH = shutil.which("bash")


@pytest.mark.skipif(
    shutil.which("curl") is None or BASH is None,
    reason="the demo prints curl commands for a POSIX shell",
)
def test_every_command_the_demo_prints_works_as_printed(database: str, tmp_path: Path) -> None:
    """One example for each of the four keys and for the demo person's login, run by a shell
    against the served platform exactly as printed; none of them carries the person's number."""
    port = free_port()
    result = run("demo", "--persons", "300", "--no-serve", "--port", str(port))
    assert result.exit_code == 0, result.output
    examples = printed_examples(result.stdout)
    assert set(examples) == set(EXAMPLES)
    person = json.loads((tmp_path / "var" / "demo-person.json").read_text(encoding="utf-8"))
    assert person["number"] not in result.stdout
    assert person["password"] not in result.stdout

    answers: dict[str, str] = {}
    with serving(database, port):
        for name, commands in examples.items():
            done = subprocess.run(
                [BASH or "bash", "-e", "-o", "pipefail", "-c", "\n".join(commands)],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, (name, commands, done.stdout, done.stderr)
            answers[name] = done.stdout

    assert isinstance(json.loads(answers["credit-centre key"]), list)  # the review queue
    sent = json.loads(answers["source-department key"])
    assert sent["rows"] > 0
    assert (sent["unchanged"] + sent["held_for_review"], sent["rejected"]) == (sent["rows"], 0)
    checked = json.loads(answers["implementing-department key"])
    assert "M-COURT-FLIGHT" in [m["code"] for m in checked["measures"]]
    queried = json.loads(answers["credit-agency key"])
    assert queried["subject"] == masked(person["number"])
    assert [e["list_type"] for e in queried["entries"]] == ["COURT-DEBTORS"]
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_demo_prints_a_console_user_per_console_whose_login_works(
    database: str, tmp_path: Path
) -> None:
    first = run("demo", "--persons", "100", "--no-serve")
    assert first.exit_code == 0, first.output
    text = words(first.stdout)
    printed = re.findall(r"(demo\.\w+) \(([\w+]+), [^)]*\): password (\S+) TOTP secret (\w+)", text)
    assert [(u, r) for u, r, _, _ in printed] == [
        # The source department (BJ-AMR) checks for matters too: its user holds both roles.
        ("demo.source", "source_department+implementing_department"),
        ("demo.check", "implementing_department"),
        ("demo.centre", "credit_centre"),
    ]
    saved = tmp_path / "var" / "demo-staff.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    again = run("demo", "--persons", "100", "--no-serve")
    assert re.findall(r"password (\S+) TOTP secret (\w+)", words(again.stdout)) == [
        (p, s) for _, _, p, s in printed
    ]
    engine = make_engine(database)
    try:
        factory = make_session_factory(engine)
        for username, _, password, secret in printed:
            pending = staff.start_login(
                SqlUnitOfWork(factory), load_policy(), username=username, password=password
            )
            code = pyotp.TOTP(secret).now()  # the clock is the real one here
            assert staff.finish_login(
                SqlUnitOfWork(factory), load_policy(), token=pending.token, code=code
            ).confirmed
    finally:
        engine.dispose()
