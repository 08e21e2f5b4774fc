"""A copy of a peer's listing keeps the mark its origin gave it

`list_entries.under_objection` is the mark every output shows: on a copy of a peer's listing,
the origin's mark and any an objection here sets. An objection decided here lifted it whatever
the origin's last event said. `marked_at_origin` keeps the origin's mark apart, so that only the
origin's own event lifts it (services/inbound.py apply_listing).

Copies stored before this revision take their current mark as the origin's: a copy marked only
by an objection here keeps its mark after that objection is decided until the origin next sends
the listing (reconciliation finds the difference and asks for it). This node's own listings are
marked by nobody else: theirs stays false.

Revision ID: b4d9e1f6a273
Revises: a8e749dc890a
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b4d9e1f6a273"
down_revision = "a8e749dc890a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite adds it in place, and on PostgreSQL the hashed table's
    # partitions take it from their parent.
    op.add_column(
        "list_entries",
        sa.Column("marked_at_origin", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE list_entries SET marked_at_origin = under_objection WHERE proposed_by LIKE 'node:%'"
    )


def downgrade() -> None:
    with op.batch_alter_table("list_entries") as batch:
        batch.drop_column("marked_at_origin")
