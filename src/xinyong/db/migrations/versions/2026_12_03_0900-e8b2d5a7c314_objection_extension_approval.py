"""An objection's extension keeps its reasons and its approval

The source department's deadline is extended once, with approval: the objection keeps why, who
approved it and the approval's reference (domain/objections.py Extension). Objections extended
before this revision keep `extended` without them: the columns stay empty.

Revision ID: e8b2d5a7c314
Revises: f1a8c3e5b702
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e8b2d5a7c314"
down_revision = "f1a8c3e5b702"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extension_reasons", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("extension_approved_by", sa.String(length=100), nullable=True)
        )
        batch_op.add_column(
            sa.Column("extension_approval_reference", sa.String(length=100), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_column("extension_approval_reference")
        batch_op.drop_column("extension_approved_by")
        batch_op.drop_column("extension_reasons")
