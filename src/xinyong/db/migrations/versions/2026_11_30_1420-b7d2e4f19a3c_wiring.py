"""Exchange: local copies of received listings; the court's published rows waiting for
identity review

Revision ID: b7d2e4f19a3c
Revises: 8a3f52c1d7e4
Create Date: 2026-11-30 14:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import xinyong.db.types

revision = "b7d2e4f19a3c"
down_revision = "8a3f52c1d7e4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_local_copies",
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_key", sa.String(length=255), nullable=False),
        sa.Column("local_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "entity_key", name=op.f("pk_exchange_local_copies")),
    )
    op.create_table(
        "court_candidates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("masked_number", sa.String(length=18), nullable=False),
        sa.Column("case_code", sa.String(length=100), nullable=False),
        sa.Column("court_name", sa.String(length=200), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "matches",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_court_candidates")),
        sa.UniqueConstraint("source", "row", name=op.f("uq_court_candidates_source_row")),
    )
    with op.batch_alter_table("court_candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_court_candidates_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("exchange_local_copies")
    with op.batch_alter_table("court_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_court_candidates_status"))
    op.drop_table("court_candidates")
