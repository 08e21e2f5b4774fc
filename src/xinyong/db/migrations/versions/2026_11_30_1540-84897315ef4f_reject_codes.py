"""A batch's refused rows keep their reason's code and parts beside its English words

A page tells a refused row's reason in its reader's language by the code (domain/reasons.py),
no longer by matching the English. Rows refused before this revision keep no code: a page tells
them in English, or by a general sentence on a Chinese page.

Revision ID: 84897315ef4f
Revises: 923f32211d91
Create Date: 2026-11-30 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types

revision = "84897315ef4f"
down_revision = "923f32211d91"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_rejects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("parts", xinyong.db.types.Json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_rejects", schema=None) as batch_op:
        batch_op.drop_column("parts")
        batch_op.drop_column("code")
