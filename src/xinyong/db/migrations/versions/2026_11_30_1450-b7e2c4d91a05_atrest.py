"""Identifiers at rest: numbers and phones sealed, keyed hashes and keys; chained logs and
signed checkpoints

The conversion runs here, with the keys the command loaded from its settings (the key file or
XINYONG_KEYS; docs/at-rest.md): `xinyong db upgrade` loads them before it migrates, and a
migration without keys stops before it changes anything.

Revision ID: b7e2c4d91a05
Revises: b7e2c4d9a1f3
Create Date: 2026-11-30 14:30:00.000000
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from stdnum.cn import ric

import xinyong.db.types
from xinyong.db.types import Json, UTCDateTime
from xinyong.domain import chain, vault

revision = "b7e2c4d91a05"
down_revision = "b7e2c4d9a1f3"
branch_labels = None
depends_on = None

_CHUNK = 5000
_ORG_BASE = 1 << 62


def _old_org_key(code: str) -> int:
    """The unkeyed key an organisation had before this revision."""
    digest = hashlib.blake2b(code.encode(), digest_size=8).digest()
    return _ORG_BASE | (int.from_bytes(digest, "big") & (_ORG_BASE - 1))


def _old_key(kind: str, number: str) -> int:
    return _old_org_key(number) if kind == "organisation" else int(number[:17])


def _rows(conn: sa.Connection, query: Any) -> Iterator[Any]:
    yield from conn.execute(query).fetchall()


def _rekey(conn: sa.Connection, table: str, mapping: dict[int, int]) -> None:
    """Move `table.subject_key` from old keys to new ones (marked negative meanwhile, so that a
    new key equal to an old one not yet moved is never moved twice)."""
    conn.execute(sa.text(f"UPDATE {table} SET subject_key = -subject_key - 1"))  # noqa: S608
    distinct = sa.text(f"SELECT DISTINCT subject_key FROM {table}")  # noqa: S608
    present = [int(k) for (k,) in conn.execute(distinct)]
    moves = []
    for marked in present:
        old = -marked - 1
        new = mapping.get(old)
        if new is None and old < 10**17:
            # A person checked without a record: the 17 digits give the number back.
            digits = f"{old:017d}"
            new = vault.current().subject_key(
                digits + ric.calc_check_digit(digits), organisation=False
            )
        moves.append({"marked": marked, "new": old if new is None else new})
    if moves:
        conn.execute(
            sa.text(f"UPDATE {table} SET subject_key = :new WHERE subject_key = :marked"),  # noqa: S608
            moves,
        )


def _seal_json(
    conn: sa.Connection, table: str, columns: tuple[str, ...], *, seal: bool, pk: str = "id"
) -> None:
    keys = vault.current()
    t = sa.table(table, sa.column(pk), *(sa.column(c, Json) for c in columns))
    for row in _rows(conn, sa.select(t.c[pk], *(t.c[c] for c in columns))):
        values = {
            c: (keys.seal_identifiers(v) if seal else keys.open_all(v)) if v is not None else None
            for c, v in zip(columns, row[1:], strict=True)
        }
        conn.execute(t.update().where(t.c[pk] == row[0]).values(**values))


def _seal_text(conn: sa.Connection, table: str, columns: tuple[str, ...], *, seal: bool) -> None:
    keys = vault.current()
    t = sa.table(table, sa.column("id"), *(sa.column(c, sa.String) for c in columns))
    for row in _rows(conn, sa.select(t.c.id, *(t.c[c] for c in columns))):
        values = {
            c: (keys.seal(v) if seal else keys.open(v)) if v is not None else None
            for c, v in zip(columns, row[1:], strict=True)
        }
        conn.execute(t.update().where(t.c.id == row[0]).values(**values))


def _chain_existing(conn: sa.Connection, table: str) -> None:
    keys = vault.current()
    typed: dict[str, Any] = {"at": UTCDateTime(), "data": Json}
    columns = chain.CHAINED[table]
    t = sa.table(
        table,
        sa.column("id"),
        sa.column("prev_hash"),
        sa.column("chain"),
        *(sa.column(c, typed.get(c)) for c in columns),
    )
    prev = chain.GENESIS
    batch: list[dict[str, Any]] = []
    update = (
        t.update()
        .where(t.c.id == sa.bindparam("row_id"))
        .values(prev_hash=sa.bindparam("p"), chain=sa.bindparam("c"))
    )
    for row in _rows(conn, sa.select(t.c.id, *(t.c[c] for c in columns)).order_by(t.c.id)):
        link = keys.link(prev, chain.content(table, list(row[1:])))
        batch.append({"row_id": row[0], "p": prev, "c": link})
        prev = link
        if len(batch) >= _CHUNK:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)


def upgrade() -> None:
    conn = op.get_bind()
    keys = vault.current()  # raises before anything changes when no keys are loaded
    sealed = xinyong.db.types.Sealed()

    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("subject_key", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("masked_hash", sa.String(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_subjects_number"), type_="unique")
        batch_op.alter_column("number", existing_type=sa.String(length=18), type_=sealed)
    mapping: dict[int, int] = {}
    subjects = sa.table(
        "subjects",
        sa.column("id"),
        sa.column("kind"),
        sa.column("number"),
        sa.column("number_hash"),
        sa.column("subject_key"),
        sa.column("masked_hash"),
    )
    for subject_id, kind, number in _rows(
        conn, sa.select(subjects.c.id, subjects.c.kind, subjects.c.number)
    ):
        organisation = kind == "organisation"
        new_key = keys.subject_key(number, organisation=organisation)
        mapping[_old_key(kind, number)] = new_key
        conn.execute(
            subjects.update()
            .where(subjects.c.id == subject_id)
            .values(
                number=keys.seal(number),
                number_hash=keys.digest(number),
                subject_key=new_key,
                masked_hash=None
                if organisation
                else keys.digest(number[:10] + number[14:], purpose="masked"),
            )
        )
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.alter_column("number_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("subject_key", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_subjects_number_hash"), ["number_hash"])
        batch_op.create_index(batch_op.f("ix_subjects_subject_key"), ["subject_key"])
        batch_op.create_index(batch_op.f("ix_subjects_masked_hash"), ["masked_hash"])

    _rekey(conn, "queries", mapping)
    _rekey(conn, "feed_items", mapping)

    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_hash", sa.String(length=64), nullable=True))
        batch_op.drop_index(batch_op.f("ix_registrations_number"))
        batch_op.alter_column("number", existing_type=sa.String(length=18), type_=sealed)
        batch_op.alter_column("phone", existing_type=sa.String(length=20), type_=sealed)
    registrations = sa.table(
        "registrations", sa.column("id"), sa.column("number"), sa.column("number_hash")
    )
    for row_id, number in _rows(conn, sa.select(registrations.c.id, registrations.c.number)):
        conn.execute(
            registrations.update()
            .where(registrations.c.id == row_id)
            .values(number_hash=keys.digest(number))
        )
    _seal_text(conn, "registrations", ("number", "phone"), seal=True)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.alter_column("number_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f("ix_registrations_number_hash"), ["number_hash"])

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.String(length=20), type_=sealed)
    _seal_text(conn, "accounts", ("phone",), seal=True)
    with op.batch_alter_table("tipoffs", schema=None) as batch_op:
        batch_op.alter_column("subject_number", existing_type=sa.String(length=18), type_=sealed)
        batch_op.alter_column("contact", existing_type=sa.String(length=100), type_=sealed)
    _seal_text(conn, "tipoffs", ("subject_number", "contact"), seal=True)

    _seal_json(conn, "credit_records", ("original", "fields"), seal=True)
    _seal_json(conn, "record_revisions", ("original", "fields"), seal=True)
    _seal_json(conn, "identity_reviews", ("pending",), seal=True)
    _seal_json(conn, "exchange_outbox", ("change",), seal=True, pk="seq")

    for table in chain.CHAINED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("chain", sa.String(length=64), nullable=True))
        _chain_existing(conn, table)

    op.create_table(
        "log_checkpoints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("upto_id", sa.BigInteger(), nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_checkpoints")),
    )
    with op.batch_alter_table("log_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_checkpoints_table_name"), ["table_name"])


def downgrade() -> None:
    conn = op.get_bind()
    keys = vault.current()
    with op.batch_alter_table("log_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_checkpoints_table_name"))
    op.drop_table("log_checkpoints")
    for table in chain.CHAINED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("chain")
            batch_op.drop_column("prev_hash")

    _seal_json(conn, "exchange_outbox", ("change",), seal=False, pk="seq")
    _seal_json(conn, "identity_reviews", ("pending",), seal=False)
    _seal_json(conn, "record_revisions", ("original", "fields"), seal=False)
    _seal_json(conn, "credit_records", ("original", "fields"), seal=False)

    _seal_text(conn, "tipoffs", ("subject_number", "contact"), seal=False)
    with op.batch_alter_table("tipoffs", schema=None) as batch_op:
        batch_op.alter_column("contact", existing_type=sa.String(120), type_=sa.String(100))
        batch_op.alter_column("subject_number", existing_type=sa.String(120), type_=sa.String(18))
    _seal_text(conn, "accounts", ("phone",), seal=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.String(120), type_=sa.String(20))
    _seal_text(conn, "registrations", ("number", "phone"), seal=False)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_number_hash"))
        batch_op.drop_column("number_hash")
        batch_op.alter_column("phone", existing_type=sa.String(120), type_=sa.String(20))
        batch_op.alter_column("number", existing_type=sa.String(120), type_=sa.String(18))
        batch_op.create_index(batch_op.f("ix_registrations_number"), ["number"])

    subjects = sa.table(
        "subjects",
        sa.column("id"),
        sa.column("kind"),
        sa.column("number"),
        sa.column("subject_key"),
    )
    mapping: dict[int, int] = {}
    for subject_id, kind, sealed_number, key in _rows(
        conn,
        sa.select(subjects.c.id, subjects.c.kind, subjects.c.number, subjects.c.subject_key),
    ):
        number = keys.open(sealed_number)
        mapping[int(key)] = _old_key(kind, number)
        conn.execute(subjects.update().where(subjects.c.id == subject_id).values(number=number))
    for table in ("queries", "feed_items"):
        conn.execute(sa.text(f"UPDATE {table} SET subject_key = -subject_key - 1"))  # noqa: S608
        moves = [{"marked": -new - 1, "old": old} for new, old in mapping.items()]
        if moves:
            conn.execute(
                sa.text(f"UPDATE {table} SET subject_key = :old WHERE subject_key = :marked"),  # noqa: S608
                moves,
            )
        # Keys of subjects never stored cannot be turned back: they keep their keyed value.
        conn.execute(
            sa.text(f"UPDATE {table} SET subject_key = -subject_key - 1 WHERE subject_key < 0")  # noqa: S608
        )
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subjects_masked_hash"))
        batch_op.drop_index(batch_op.f("ix_subjects_subject_key"))
        batch_op.drop_constraint(batch_op.f("uq_subjects_number_hash"), type_="unique")
        batch_op.drop_column("masked_hash")
        batch_op.drop_column("subject_key")
        batch_op.drop_column("number_hash")
        batch_op.alter_column("number", existing_type=sa.String(120), type_=sa.String(18))
        batch_op.create_unique_constraint(batch_op.f("uq_subjects_number"), ["number"])
