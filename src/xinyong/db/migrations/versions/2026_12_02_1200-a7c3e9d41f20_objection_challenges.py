"""An objection's decision taken to reconsideration or to court, kept with the objection

While it runs the objection's status is `challenged` and the item is marked "under objection"
again; its final decision closes it (domain/objections.py Challenge). Objections decided before
this revision were never challenged: the columns stay empty.

Revision ID: a7c3e9d41f20
Revises: 6f41cbb8a562
Create Date: 2026-12-02 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types

revision = "a7c3e9d41f20"
down_revision = "6f41cbb8a562"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("challenge_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("challenge_reference", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("challenged_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("challenged_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("challenged_outcome", sa.String(length=24), nullable=True))
        batch_op.add_column(
            sa.Column(
                "challenge_concluded_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("challenge_concluded_by", sa.String(length=100), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        for column in (
            "challenge_concluded_by",
            "challenge_concluded_at",
            "challenged_outcome",
            "challenged_by",
            "challenged_at",
            "challenge_reference",
            "challenge_kind",
        ):
            batch_op.drop_column(column)
