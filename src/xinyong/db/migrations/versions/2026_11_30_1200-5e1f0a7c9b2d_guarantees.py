"""Guarantees end to end: mandates, revocation deadlines, list grounds and deletions, document
keys (duplicates merged), subject changes held for review, feed deadlines

Revision ID: 5e1f0a7c9b2d
Revises: def4f1ba58ff
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "5e1f0a7c9b2d"
down_revision = "def4f1ba58ff"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# The document key as this revision defines it (domain.records.document_key at the time): a
# migration never imports code that may change after it.
_BRACKETS = dict.fromkeys("[(【〖{［（｛", "〔") | dict.fromkeys("])】〗}］）｝", "〕")
_TRANSLATION = str.maketrans(_BRACKETS)


def _key(number: str) -> str:
    return "".join(unicodedata.normalize("NFKC", number).split()).translate(_TRANSLATION).upper()


def upgrade() -> None:
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matters", _JSON, nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("submits_for", _JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ground", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("deletion_ground", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("deletion_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("deletion_due_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("deletion_due_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "deletion_due_official", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
    with op.batch_alter_table("identity_reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "other_subject_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("pending", _JSON, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_identity_reviews_other_subject_id"), ["other_subject_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_identity_reviews_other_subject_id_subjects"),
            "subjects",
            ["other_subject_id"],
            ["id"],
        )
    with op.batch_alter_table("feed_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdraw_by", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("document_key", sa.String(length=100), nullable=True))

    _backfill_document_keys()

    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.alter_column("document_key", existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_constraint(
            "uq_credit_records_department_code_document_number", type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_credit_records_department_code_document_key"),
            ["department_code", "document_key"],
        )


def _backfill_document_keys() -> None:
    """Key every record, and merge records that turn out to be one document: the newest stays,
    the others become its revisions, and what pointed at them points at it."""
    bind = op.get_bind()
    records = sa.table(
        "credit_records",
        sa.column("id", sa.BigInteger),
        sa.column("department_code", sa.String),
        sa.column("document_number", sa.String),
        sa.column("document_key", sa.String),
        sa.column("content_hash", sa.String),
        sa.column("original", _JSON),
        sa.column("fields", _JSON),
        sa.column("batch_id", sa.BigInteger),
        sa.column("received_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(
            records.c.id,
            records.c.department_code,
            records.c.document_number,
            records.c.received_at,
        ).order_by(records.c.id)
    ).all()
    groups: dict[tuple[str, str], list[tuple[int, datetime]]] = {}
    for record_id, department, number, received in rows:
        key = _key(number)
        bind.execute(records.update().where(records.c.id == record_id).values(document_key=key))
        groups.setdefault((department, key), []).append((record_id, received))
    now = datetime.now(UTC)
    for members in groups.values():
        if len(members) > 1:
            survivor = max(members, key=lambda m: (m[1], m[0]))[0]
            for duplicate in (m[0] for m in members if m[0] != survivor):
                _merge(bind, records, duplicate, survivor, now)


def _merge(
    bind: sa.engine.Connection, records: sa.TableClause, duplicate: int, survivor: int, at: datetime
) -> None:
    revisions = sa.table(
        "record_revisions",
        sa.column("record_id", sa.BigInteger),
        sa.column("content_hash", sa.String),
        sa.column("original", _JSON),
        sa.column("fields", _JSON),
        sa.column("batch_id", sa.BigInteger),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("superseded_at", sa.DateTime(timezone=True)),
    )
    row = bind.execute(sa.select(records).where(records.c.id == duplicate)).one()
    bind.execute(
        revisions.insert().values(
            record_id=survivor,
            content_hash=row.content_hash,
            original=row.original,
            fields=row.fields,
            batch_id=row.batch_id,
            received_at=row.received_at,
            superseded_at=at,
        )
    )
    bind.execute(
        revisions.update().where(revisions.c.record_id == duplicate).values(record_id=survivor)
    )
    for table, column in (
        ("objections", "record_id"),
        ("repairs", "record_id"),
        ("identity_reviews", "record_id"),
    ):
        t = sa.table(table, sa.column(column, sa.BigInteger))
        bind.execute(t.update().where(t.c[column] == duplicate).values({column: survivor}))
    entries = sa.table(
        "list_entries",
        sa.column("id", sa.BigInteger),
        sa.column("source_record_id", sa.BigInteger),
        sa.column("basis_records", _JSON),
    )
    linked = bind.execute(
        sa.select(entries.c.id).where(entries.c.source_record_id == survivor)
    ).first()
    # One listing per source record: a second one linked to the duplicate keeps its history
    # but no longer claims the record.
    bind.execute(
        entries.update()
        .where(entries.c.source_record_id == duplicate)
        .values(source_record_id=None if linked else survivor)
    )
    for entry_id, basis in bind.execute(sa.select(entries.c.id, entries.c.basis_records)).all():
        if basis and duplicate in basis:
            merged = sorted({survivor if r == duplicate else r for r in basis})
            bind.execute(
                entries.update().where(entries.c.id == entry_id).values(basis_records=merged)
            )
    bind.execute(records.delete().where(records.c.id == duplicate))


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_credit_records_department_code_document_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_credit_records_department_code_document_number",
            ["department_code", "document_number"],
        )
        batch_op.drop_column("document_key")
        batch_op.drop_column("withdraw_by")
    with op.batch_alter_table("feed_items", schema=None) as batch_op:
        batch_op.drop_column("due_on")
    with op.batch_alter_table("identity_reviews", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_identity_reviews_other_subject_id_subjects", type_="foreignkey"
        )
        batch_op.drop_index("ix_identity_reviews_other_subject_id")
        batch_op.drop_column("pending")
        batch_op.drop_column("other_subject_id")
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.drop_column("deletion_due_official")
        batch_op.drop_column("deletion_due_days")
        batch_op.drop_column("deletion_due_from")
        batch_op.drop_column("deletion_due")
        batch_op.drop_column("deletion_ground")
        batch_op.drop_column("ground")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("submits_for")
        batch_op.drop_column("matters")
