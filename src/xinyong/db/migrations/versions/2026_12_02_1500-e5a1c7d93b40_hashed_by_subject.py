"""Records, their revisions and list entries keyed by subject; hashed by subject on PostgreSQL

On both databases: every reference to a record names the record's subject beside its id
(`record_subject_id` in objections, repairs and identity reviews, `source_subject_id` in list
entries, `subject_id` in revisions), and references to a list entry name its subject; the
references follow a record whose subject an identity review changes (`ON UPDATE CASCADE`). One
record per document moves from a unique key of `credit_records` to the table
`record_documents`, filled from the records. On PostgreSQL `credit_records`,
`record_revisions` and `list_entries` are then rebuilt as tables partitioned by `HASH
(subject_id)` (`HASH_PARTITIONS` partitions, `XINYONG_HASH_PARTITIONS` to choose another count
when the node is set up), whose primary keys are `(id, subject_id)`. docs/scale.md says why.

Revision ID: e5a1c7d93b40
Revises: b4d91e6c2a57
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

from xinyong.db.types import BigId

revision = "e5a1c7d93b40"
down_revision = "b4d91e6c2a57"
branch_labels = None
depends_on = None

#: The tables hashed by subject on PostgreSQL (as db/partitions.py HASHED).
HASHED = ("credit_records", "record_revisions", "list_entries")
HASH_PARTITIONS = 16

#: (table, the record column, its new subject column) for the references to a record.
_TO_RECORDS = (
    ("objections", "record_id", "record_subject_id"),
    ("repairs", "record_id", "record_subject_id"),
    ("identity_reviews", "record_id", "record_subject_id"),
    ("list_entries", "source_record_id", "source_subject_id"),
    ("record_revisions", "record_id", "subject_id"),
)


#: Objections and repairs about a list entry that name another subject than the entry's: the
#: services never write one (`file_objection`, `apply_for_repair` refuse it), but a database
#: holding one cannot take the new reference.
_MISMATCHED = """
SELECT count(*) FROM {table} t JOIN list_entries e ON e.id = t.entry_id
WHERE t.subject_id <> e.subject_id
"""


def upgrade() -> None:
    conn = op.get_bind()
    partitions = _partitions() if conn.dialect.name == "postgresql" else 0
    for table in ("objections", "repairs"):
        found = conn.scalar(sa.text(_MISMATCHED.format(table=table)))
        if found:
            raise SystemExit(
                f"{found} row(s) of {table} name another subject than their list entry's;"
                " correct them before this migration (nothing was changed)"
            )
    with op.batch_alter_table("credit_records") as batch:
        batch.create_unique_constraint("uq_credit_records_subject_id_id", ["subject_id", "id"])
        batch.drop_constraint("uq_credit_records_department_code_document_key", type_="unique")
        batch.drop_index("ix_credit_records_subject_id")
        batch.create_index("ix_credit_records_document", ["department_code", "document_key"])
    op.create_table(
        "record_documents",
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("document_key", sa.String(100), nullable=False),
        sa.Column("subject_id", BigId, nullable=False),
        sa.Column("record_id", BigId, nullable=False),
        sa.PrimaryKeyConstraint("department_code", "document_key", name="pk_record_documents"),
        sa.ForeignKeyConstraint(
            ["subject_id", "record_id"],
            ["credit_records.subject_id", "credit_records.id"],
            name="fk_record_documents_subject_id_credit_records",
            onupdate="CASCADE",
        ),
    )
    op.create_index("ix_record_documents_record", "record_documents", ["record_id", "subject_id"])
    op.execute(
        "INSERT INTO record_documents (department_code, document_key, subject_id, record_id)"
        " SELECT department_code, document_key, subject_id, id FROM credit_records"
    )
    with op.batch_alter_table("list_entries") as batch:
        batch.create_unique_constraint("uq_list_entries_subject_id_id", ["subject_id", "id"])
        batch.drop_index("ix_list_entries_subject_id")
    for table, record, subject in _TO_RECORDS:
        op.add_column(table, sa.Column(subject, BigId, nullable=True))
        op.execute(
            f"UPDATE {table} SET {subject} = (SELECT c.subject_id FROM credit_records c"  # noqa: S608
            f" WHERE c.id = {table}.{record})"
        )
        with op.batch_alter_table(table) as batch:
            if table in ("identity_reviews", "record_revisions"):
                batch.alter_column(subject, existing_type=BigId, nullable=False)
            batch.drop_constraint(f"fk_{table}_{record}_credit_records", type_="foreignkey")
            if table == "list_entries":
                batch.drop_constraint("uq_list_entries_source_record_id", type_="unique")
                batch.create_unique_constraint(
                    "uq_list_entries_subject_id_source_record_id", ["subject_id", record]
                )
                batch.create_index("ix_list_entries_source", [record, subject])
            if table != "record_revisions" and table != "identity_reviews":
                # A reference names both columns or neither (a foreign key of two columns
                # is not checked while one of them is empty).
                kind = "source_subject" if table == "list_entries" else "record_subject"
                batch.create_check_constraint(
                    batch.f(f"ck_{table}_{kind}"), f"({record} IS NULL) = ({subject} IS NULL)"
                )
            batch.create_foreign_key(
                f"fk_{table}_{subject}_credit_records",
                "credit_records",
                [subject, record],
                ["subject_id", "id"],
                onupdate="CASCADE",
            )
            if table in ("objections", "repairs"):
                batch.drop_constraint(f"fk_{table}_entry_id_list_entries", type_="foreignkey")
                batch.create_foreign_key(
                    f"fk_{table}_subject_id_list_entries",
                    "list_entries",
                    ["subject_id", "entry_id"],
                    ["subject_id", "id"],
                )
    if partitions:
        for table in HASHED:
            _rebuild(conn, table, partitions=partitions)


def _partitions() -> int:
    """How many hash partitions: `XINYONG_HASH_PARTITIONS`, at least one."""
    given = os.environ.get("XINYONG_HASH_PARTITIONS") or str(HASH_PARTITIONS)
    if not given.isdigit() or int(given) < 1:
        raise SystemExit(
            f"XINYONG_HASH_PARTITIONS: must be a whole number of 1 or more, not {given!r}"
        )
    return int(given)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for table in HASHED:
            _rebuild(conn, table, partitions=0)
    for table, record, subject in reversed(_TO_RECORDS):
        with op.batch_alter_table(table) as batch:
            if table in ("objections", "repairs"):
                batch.drop_constraint(f"fk_{table}_subject_id_list_entries", type_="foreignkey")
                batch.create_foreign_key(
                    f"fk_{table}_entry_id_list_entries", "list_entries", ["entry_id"], ["id"]
                )
            batch.drop_constraint(f"fk_{table}_{subject}_credit_records", type_="foreignkey")
            if table != "record_revisions" and table != "identity_reviews":
                kind = "source_subject" if table == "list_entries" else "record_subject"
                batch.drop_constraint(batch.f(f"ck_{table}_{kind}"), type_="check")
            if table == "list_entries":
                batch.drop_index("ix_list_entries_source")
                batch.drop_constraint("uq_list_entries_subject_id_source_record_id", type_="unique")
                batch.create_unique_constraint(
                    "uq_list_entries_source_record_id", ["source_record_id"]
                )
            batch.create_foreign_key(
                f"fk_{table}_{record}_credit_records", "credit_records", [record], ["id"]
            )
            batch.drop_column(subject)
    with op.batch_alter_table("list_entries") as batch:
        batch.create_index("ix_list_entries_subject_id", ["subject_id"])
        batch.drop_constraint("uq_list_entries_subject_id_id", type_="unique")
    op.drop_index("ix_record_documents_record", "record_documents")
    op.drop_table("record_documents")
    with op.batch_alter_table("credit_records") as batch:
        batch.drop_index("ix_credit_records_document")
        batch.create_index("ix_credit_records_subject_id", ["subject_id"])
        batch.create_unique_constraint(
            "uq_credit_records_department_code_document_key", ["department_code", "document_key"]
        )
        batch.drop_constraint("uq_credit_records_subject_id_id", type_="unique")


def _rebuild(conn: sa.Connection, table: str, *, partitions: int) -> None:
    """Rebuild `table` as partitioned by `HASH (subject_id)` into `partitions` partitions (or,
    with none, back as a plain table) in place: its rows, sequence, keys, indexes and the
    references both ways kept."""
    pk = f"pk_{table}"
    # Indexes of their own (not those of a key: the keys are made again as keys).
    indexes = conn.execute(
        sa.text(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS (SELECT 1 FROM pg_constraint"
            " c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)"
            " ORDER BY i.indexrelid::regclass::text"
        ),
        {"t": table},
    ).scalars()
    index_defs = [d.replace(" ON ONLY ", " ON ") for d in indexes]
    # Unique keys of the table, and references from it and to it (not a partition's copies).
    keys = conn.execute(
        sa.text(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE (contype = 'u' AND conrelid = CAST(:t AS regclass)) OR (contype = 'f' AND"
            " (conrelid = CAST(:t AS regclass) OR confrelid = CAST(:t AS regclass))"
            " AND conparentid = 0) ORDER BY contype DESC, conname"
        ),
        {"t": table},
    ).all()
    for name, owner, _ in reversed(keys):  # references before the keys they rest on
        op.execute(f'ALTER TABLE {owner} DROP CONSTRAINT "{name}"')
    sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})

    new = f"{table}_rebuilt"
    spec = " PARTITION BY HASH (subject_id)" if partitions else ""
    op.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){spec}")
    for i in range(partitions):
        op.execute(
            f"CREATE TABLE {table}_h{i} PARTITION OF {new}"
            f" FOR VALUES WITH (MODULUS {partitions}, REMAINDER {i})"
        )
    op.execute(f"INSERT INTO {new} SELECT * FROM {table}")  # noqa: S608
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
    key = "id, subject_id" if partitions else "id"
    op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{pk}" PRIMARY KEY ({key})')
    for definition in index_defs:
        op.execute(definition)
    for name, owner, definition in keys:  # keys first, then the references resting on them
        op.execute(f'ALTER TABLE {owner} ADD CONSTRAINT "{name}" {definition}')
