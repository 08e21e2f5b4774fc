"""Agencies' acknowledgements of corrections, repairs and revocations in their feed

One row per feed item that asks an agency for an acknowledgement (`rights.toml [agencies]`): its
working-day deadline (stored like every other: the day, what it was counted from, how many
working days, whether on the official calendar), when and by whom it was acknowledged, and when
the sweep flagged it overdue. Its id is the feed item's seq. Items fed before this revision ask
for nothing back.

Revision ID: c4a9e1f27b63
Revises: c1a7e3b52d08
Create Date: 2026-11-30 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types

revision = "c4a9e1f27b63"
down_revision = "c1a7e3b52d08"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feed_acknowledgements",
        sa.Column("id", _ID, autoincrement=False, nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("ack_due", sa.Date(), nullable=False),
        sa.Column("ack_due_from", sa.Date(), nullable=True),
        sa.Column("ack_due_days", sa.Integer(), nullable=True),
        sa.Column("ack_due_official", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("acknowledged_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("flagged_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_feed_acknowledgements_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["feed_items.seq"], name=op.f("fk_feed_acknowledgements_id_feed_items")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_feed_acknowledgements_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_acknowledgements")),
    )
    with op.batch_alter_table("feed_acknowledgements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feed_acknowledgements_ack_due"), ["ack_due"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feed_acknowledgements_department_code"),
            ["department_code"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_feed_acknowledgements_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feed_acknowledgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_acknowledgements_subject_id"))
        batch_op.drop_index(batch_op.f("ix_feed_acknowledgements_department_code"))
        batch_op.drop_index(batch_op.f("ix_feed_acknowledgements_ack_due"))
    op.drop_table("feed_acknowledgements")
