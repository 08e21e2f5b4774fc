"""`xinyong db upgrade` and `xinyong departments`: the database migrated, departments registered."""

from __future__ import annotations

from tests.functional.helpers import run, words


def test_the_database_is_migrated_and_departments_registered(database: str) -> None:
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "sqlite" in upgraded.output
    synced = run("departments", "sync")
    assert synced.exit_code == 0, synced.output
    assert "added, changed or deactivated" in words(synced.output)
    again = run("departments", "sync")
    assert "0 added, changed or deactivated" in words(again.output)
    listed = run("departments", "list")
    assert "BJ-AMR" in listed.output
