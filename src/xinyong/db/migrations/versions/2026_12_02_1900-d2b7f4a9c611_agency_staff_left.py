"""Agency staff who left the agency

The credit centre records the day a staff member of an agency left it (`agency_staff.left_on`):
their keys are revoked, no key is issued to them again, and a query with a key of theirs is
refused (domain/agencies.py `staff_standing`). Every member registered before this revision
still works there (the column is empty).

Revision ID: d2b7f4a9c611
Revises: c5e8a2f7d913
Create Date: 2026-12-02 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d2b7f4a9c611"
down_revision = "c5e8a2f7d913"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency_staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agency_staff", schema=None) as batch_op:
        batch_op.drop_column("left_on")
