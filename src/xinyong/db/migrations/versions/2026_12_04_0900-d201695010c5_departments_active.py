"""A department the policy drops is kept, inactive

`xinyong departments sync` registered the policy's departments but left one the policy no longer
has as it was, with its items and the authorities it submits for: it went on submitting records
while checks already followed the new policy. Departments are never deleted (records, cases,
batches and keys name them); `active` says whether the policy still registers one, and one it
does not acts on no mandate (domain/departments.py `Department.require_active`). Every department
stored before this revision was registered by the policy of its day and stays active until the
next sync deactivates those the policy has dropped. Downgrading drops the column: a department
deactivated by then is stored like any other, as every department was before this revision.

Revision ID: d201695010c5
Revises: c7e2a94d5f18
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d201695010c5"
down_revision = "c7e2a94d5f18"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("active")
