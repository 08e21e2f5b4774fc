"""The whole schema: importing this module registers every area's tables on `Base.metadata`
(each area keeps its rows beside its repository, in `db/<area>.py`)."""

from __future__ import annotations

from sqlalchemy import MetaData

from xinyong.db import (  # noqa: F401 - imported for the tables they declare
    accounts,
    agencies,
    audit,
    authorisations,
    batches,
    chain,
    checks,
    court_candidates,
    deadlines,
    departments,
    evidence,
    exchange,
    exchange_copies,
    feed,
    keys,
    lists,
    objections,
    querylog,
    records,
    registrations,
    repairs,
    reports,
    staff,
    subjects,
    tipoffs,
)
from xinyong.db.base import NAMING_CONVENTION, Base
from xinyong.db.engine import QUERY_LOG_SCHEMA, QUERY_LOG_TABLES

metadata = Base.metadata


def stored_metadata(dialect: str) -> MetaData:
    """The tables where a database of `dialect` keeps them: on SQLite the query log's in the
    attached file's schema (db/engine.py), elsewhere as declared. What alembic compares a
    database with."""
    if dialect != "sqlite":
        return metadata
    # An index's name as main's convention gives it, without the schema in its label.
    convention = {**NAMING_CONVENTION, "ix": "ix_%(table_name)s_%(column_0_name)s"}
    placed = MetaData(naming_convention=convention)
    for table in metadata.sorted_tables:  # a reference within the log's file follows it there
        if table.name in QUERY_LOG_TABLES:
            table.to_metadata(placed, schema=QUERY_LOG_SCHEMA)
        else:
            table.to_metadata(placed)
    return placed
