"""Migrations: `upgrade head` builds the schema the areas' tables describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from xinyong.db.migrate import current_revision
from xinyong.db.schema import metadata


def test_the_migrated_schema_matches_the_rows_exactly(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        drift = compare_metadata(context, metadata)
    assert drift == [], f"the tables (db/<area>.py) and the migrations differ: {drift}"


def test_the_database_is_at_the_newest_revision(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from xinyong.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    assert current_revision(engine) == head


def test_every_table_the_rows_declare_exists(engine: Engine) -> None:
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
