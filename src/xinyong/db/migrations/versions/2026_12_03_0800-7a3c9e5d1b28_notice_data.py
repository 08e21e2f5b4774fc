"""Notices keep what happened as data

A notice in a person's file (`notices`) keeps, beside its English sentence (`detail`), what
happened as data (`data`: which deadline, how it changed, the days and why), so the portal, the
printed report and the API say it in the reader's language (services/notice_words.py). Notices
kept before this revision have no data and are shown by their sentence.

Revision ID: 7a3c9e5d1b28
Revises: d2b7f4a9c611
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "7a3c9e5d1b28"
down_revision = "d2b7f4a9c611"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("data")
