"""Testing or expert review stops an objection's clock: since when, why, and the days moved

The working days testing or expert review takes are not counted toward an objection's deadline
(domain/objections.py Objection.pause and resume). Objections before this revision were never
paused.

Revision ID: b4d91e6c2a57
Revises: a7c3e9d41f20
Create Date: 2026-12-02 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b4d91e6c2a57"
down_revision = "a7c3e9d41f20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("pause_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("paused_working_days", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_column("paused_working_days")
        batch_op.drop_column("pause_kind")
        batch_op.drop_column("paused_since")
