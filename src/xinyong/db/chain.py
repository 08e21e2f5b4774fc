"""The chained logs in the database: links computed as rows are appended, signed checkpoints,
and the reading side of `xinyong audit verify` (domain/chain.py says what a link is)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, Engine, String, column, func, insert, select, table
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db.base import Base, copy_rows, table_of
from xinyong.db.checks import CHANGE_LOG_LOCK
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain import chain, vault

#: PostgreSQL advisory locks taken by a transaction that appends to a chain, so that appends
#: are serialised and each links to the row before it (SQLite's single writer needs none).
#: Audit events share the change log's lock, and a unit of work takes it before the query
#: log's: every transaction takes them in that order, so none waits for another in a cycle.
CHAIN_LOCKS = {"audit_events": CHANGE_LOG_LOCK, "queries": 0x78_79_71_6C}


class LogCheckpointRow(Base):
    """A signed statement that a chained log reached this entry with this link."""

    __tablename__ = "log_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    table_name: Mapped[str] = mapped_column(String(32), index=True)
    #: `reached`: the log reached `upto_id` with link `chain`; `start`: the entries before
    #: `upto_id` were deleted after retention and the log now starts there, after `chain`.
    kind: Mapped[str] = mapped_column(String(8))
    upto_id: Mapped[int] = mapped_column(BigInteger)
    chain: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(128))
    public_key: Mapped[str] = mapped_column(String(64))


def _typed(name: str) -> Any:
    columns: list[Any] = [column("id"), column("prev_hash"), column("chain")]
    typed: dict[str, Any] = {"at": UTCDateTime(), "data": Json}
    columns += [column(c, typed.get(c)) for c in chain.CHAINED[name]]
    return table(name, *columns)


def lock_chain(conn: Connection, name: str) -> None:
    """Serialise appends to a chain until this transaction ends (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCKS[name])))


def last_link(conn: Connection, name: str) -> str:
    """The link of the chain's newest row (the genesis link for an empty chain)."""
    t = _typed(name)
    found = conn.scalar(select(t.c.chain).order_by(t.c.id.desc()).limit(1))
    return str(found) if found else chain.GENESIS


def chained_values(prev: str, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Query-log rows' values (in `chain.CHAINED["queries"]` order) with their `prev_hash`
    and `chain` appended, linked from `prev`."""
    keys = vault.current()
    out: list[tuple[Any, ...]] = []
    for values in rows:
        link = keys.link(prev, chain.content("queries", values))
        out.append((*values, prev, link))
        prev = link
    return out


def link_rows(name: str, rows: Sequence[dict[str, Any]], prev: str) -> str:
    """Set `prev_hash` and `chain` on rows about to be appended in this order; return the last
    link. Values must be those the database gives back (timezone-aware times, plain JSON)."""
    keys = vault.current()
    columns = chain.CHAINED[name]
    for row in rows:
        link = keys.link(prev, chain.content(name, [row[c] for c in columns]))
        row["prev_hash"], row["chain"] = prev, link
        prev = link
    return prev


def append_chained(conn: Connection, name: str, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows to a chained log in the connection's transaction."""
    if not rows:
        return
    lock_chain(conn, name)
    link_rows(name, rows, last_link(conn, name))
    if conn.dialect.name == "postgresql":
        copy_rows(conn, _typed(name), rows)
    else:
        conn.execute(insert(_typed(name)), list(rows))


class SqlChainStore:
    """The chained logs and their checkpoints, read and written through an engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def links(self, table_name: str, *, after_id: int = 0) -> Iterator[chain.Link]:
        """Every row of a chained log after `after_id`, in order, as the chain sees it."""
        t = _typed(table_name)
        columns = chain.CHAINED[table_name]
        query = (
            select(t.c.id, t.c.prev_hash, t.c.chain, *(t.c[c] for c in columns))
            .where(t.c.id > after_id)
            .order_by(t.c.id)
        )
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=10_000).execute(query):
                content = chain.content(table_name, list(row[3:]))
                yield chain.Link(int(row[0]), row[1], row[2], content)

    def link_of(self, table_name: str, entry_id: int) -> str | None:
        t = _typed(table_name)
        with self.engine.connect() as conn:
            found = conn.scalar(select(t.c.chain).where(t.c.id == entry_id))
        return str(found) if found is not None else None

    def oldest(self, table_name: str) -> tuple[int, str | None] | None:
        t = _typed(table_name)
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.id, t.c.prev_hash).order_by(t.c.id).limit(1)).first()
        return None if row is None else (int(row[0]), row[1])

    def newest(self, table_name: str) -> tuple[int, str, int] | None:
        t = _typed(table_name)
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.id, t.c.chain).order_by(t.c.id.desc()).limit(1)).first()
            if row is None:
                return None
            count = int(conn.scalar(select(func.count()).select_from(t)) or 0)
        return int(row[0]), str(row[1] or ""), count

    def checkpoints(self, table_name: str) -> list[Any]:
        t = table_of(LogCheckpointRow)
        with self.engine.connect() as conn:
            query = select(t).where(t.c.table_name == table_name).order_by(t.c.id)
            return list(conn.execute(query).fetchall())

    def add_checkpoint(
        self,
        *,
        table: str,
        upto_id: int,
        link: str,
        entries: int,
        at: datetime,
        signature: str,
        public_key: str,
        kind: str = "reached",
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(LogCheckpointRow).values(
                    at=at,
                    table_name=table,
                    kind=kind,
                    upto_id=upto_id,
                    chain=link,
                    entries=entries,
                    signature=signature,
                    public_key=public_key,
                )
            )
