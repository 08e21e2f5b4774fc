"""A department user may hold both of its department's roles; a court list candidate keeps its
reviewer's decision.

Revision ID: c1a7e3b52d08
Revises: b7e2c4d91a05
Create Date: 2026-11-30 15:00:00.000000+00:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types

# revision identifiers, used by Alembic.
revision = "c1a7e3b52d08"
down_revision = "b7e2c4d91a05"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("also_roles", xinyong.db.types.Json, nullable=True))
    op.add_column("court_candidates", sa.Column("subject_id", sa.BigInteger(), nullable=True))
    op.add_column("court_candidates", sa.Column("reasons", sa.Text(), nullable=True))
    op.add_column("court_candidates", sa.Column("decided_by", sa.String(length=100), nullable=True))
    op.add_column(
        "court_candidates",
        sa.Column("decided_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("court_candidates") as batch:
        for column in ("decided_at", "decided_by", "reasons", "subject_id"):
            batch.drop_column(column)
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("also_roles")
