"""`xinyong keys`: a key is printed once, authenticates, never shows its secret, and is revoked."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import TEST_KEYS
from tests.functional.helpers import run, squashed, words
from xinyong.db.engine import make_engine
from xinyong.db.staff import SqlStaffRepository
from xinyong.db.subjects import SqlSubjectRepository
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault
from xinyong.domain.access import Scope
from xinyong.domain.vault import Vault
from xinyong.services import keys


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


# The key file: `keys init`, and rotating the data key while the platform serves


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The tests' keys in a key file instead of XINYONG_KEYS; the keys reinstalled after."""
    path = tmp_path / "keys.json"
    path.write_text(TEST_KEYS, encoding="utf-8")
    monkeypatch.delenv("XINYONG_KEYS")
    monkeypatch.setenv("XINYONG_KEY_FILE", str(path))
    yield path
    vault.install(Vault.from_material(json.loads(TEST_KEYS)))


def test_keys_init_writes_a_private_key_file_and_never_overwrites_it(tmp_path: Path) -> None:
    target = tmp_path / "new" / "keys.json"

    written = run("keys", "init", "--key-file", str(target))

    assert written.exit_code == 0, written.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    Vault.from_material(json.loads(target.read_text(encoding="utf-8")))  # well-formed
    again = run("keys", "init", "--key-file", str(target))
    assert again.exit_code == 2
    assert "exists already" in again.output


def test_a_command_without_keys_says_how_to_make_them(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XINYONG_KEYS")
    monkeypatch.setenv("XINYONG_KEY_FILE", str(tmp_path / "none.json"))

    result = run("db", "upgrade")

    assert result.exit_code == 2
    assert "xinyongkeysinit" in squashed(result.output)


def test_rotating_the_data_key_seals_every_row_again_and_reads_go_on(
    key_file: Path, debtor: str
) -> None:
    url = os.environ["XINYONG_DATABASE_URL"]
    old = vault.current()
    old_seal = old.seal(debtor)
    added = run(
        "staff", "add", "li.centre", "--name", "李", "--role", "credit_centre",
        stdin="staff password 1\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    secret = added.stdout.split("TOTP secret: ")[1].split()[0]

    rotated = run("keys", "rotate-data-key")

    assert rotated.exit_code == 0, rotated.output
    assert "data key version 2 is current" in words(rotated.output)
    assert "resealed:" in rotated.output
    assert "subjects" in rotated.output
    assert "staff" in rotated.output
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = [str(n) for (n,) in conn.execute(text("SELECT number FROM subjects"))]
            originals = [
                str(o) for (o,) in conn.execute(text("SELECT original FROM credit_records"))
            ]
            totp = conn.execute(text("SELECT totp_secret FROM staff")).scalar_one()
        assert stored
        assert all(n.startswith("sealed:2:") for n in stored)
        assert all("sealed:1:" not in o for o in originals)
        assert any("sealed:2:" in o for o in originals)
        assert totp.startswith("sealed:2:")  # the second factor's secret is sealed again too
        with make_session_factory(engine)() as session:
            staff_user = SqlStaffRepository(session).by_username("li.centre")
        assert staff_user is not None
        assert staff_user.totp_secret == secret
        # A process still holding only version 1 reads the key file again when it meets 2.
        vault.install(old, reload=lambda: Vault.from_material(json.loads(key_file.read_text())))
        with make_session_factory(engine)() as session:  # closed: SQLite's lock goes with it
            subject = SqlSubjectRepository(session).get_by_number(debtor)
        assert subject is not None
        assert subject.number == debtor
        assert vault.current().current_version == 2
        assert vault.current().open(old_seal) == debtor  # version 1 stays readable
    finally:
        engine.dispose()
    assert "nothing left to reseal" in run("keys", "reseal").output
