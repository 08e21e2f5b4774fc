"""A listing keeps the end of its public notice, and whether it was counted officially

On a list with a public notice (the railway's, the air list) a listing binds the day after its
notice ends. Counted Monday to Friday (its year not yet in the official calendar), that day may
fall inside the real notice, while the person may still object: such a listing now binds only
once its notice's end is official, counted again like every other deadline (`notice_ends`,
`_from`, `_days`, `_official`; docs/lists-and-measures.md, "Lists with a public notice").

Listings published before this revision keep the columns empty: their notice is counted from
`published_on` when read (domain/lists.py `ListEntry.binds_from`), binding once that count is
official.

Revision ID: c5e2a8f4d713
Revises: c6a2f8d4e915
Create Date: 2026-12-03 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c5e2a8f4d713"
down_revision = "c6a2f8d4e915"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite adds them in place, and on PostgreSQL the hashed table's
    # partitions take them from their parent.
    op.add_column("list_entries", sa.Column("notice_ends", sa.Date(), nullable=True))
    op.add_column("list_entries", sa.Column("notice_ends_from", sa.Date(), nullable=True))
    op.add_column("list_entries", sa.Column("notice_ends_days", sa.Integer(), nullable=True))
    op.add_column(
        "list_entries",
        sa.Column("notice_ends_official", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    with op.batch_alter_table("list_entries") as batch:
        batch.drop_column("notice_ends_official")
        batch.drop_column("notice_ends_days")
        batch.drop_column("notice_ends_from")
        batch.drop_column("notice_ends")
