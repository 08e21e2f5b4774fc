"""A copy of a peer's record keeps the mark its origin gave it

`credit_records.under_objection` is the mark every output shows: on a copy of a peer's record,
the origin's mark and any an objection here sets. An objection decided here lifted it whatever
the origin's last event said, and the origin's lift lifted it while an objection here was still
open. `marked_at_origin` keeps the origin's mark apart, as `list_entries.marked_at_origin` does
for a listing's copy (revision b4d9e1f6a273), so that each lifts only its own
(services/inbound.py apply_record, services/objection_marks.py set_mark).

A copy is a record whose key (`<department>:<document key>`) an origin owns in
`exchange_entities`. Copies stored before this revision take their current mark as the
origin's: a copy marked only by an objection here keeps its mark after that objection is
decided until the origin next sends the record (reconciliation, which compares a copy by the
origin's mark, finds the difference and asks for it). This node's own records are marked by
nobody else: theirs stays false.

A plain ADD COLUMN: SQLite adds it in place, and on PostgreSQL the hashed table's partitions
take it from their parent; the update names no partition and reaches each.

Revision ID: c6a2f8d4e915
Revises: b4d9e1f6a273
Create Date: 2026-12-03 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c6a2f8d4e915"
down_revision = "b4d9e1f6a273"
branch_labels = None
depends_on = None

_COPIES_MARKED = """
UPDATE credit_records SET marked_at_origin = under_objection
WHERE under_objection
AND EXISTS (
    SELECT 1 FROM exchange_entities e
    WHERE e.entity_type = 'record'
    AND e.entity_key = credit_records.department_code || ':' || credit_records.document_key
)
"""


def upgrade() -> None:
    op.add_column(
        "credit_records",
        sa.Column("marked_at_origin", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(_COPIES_MARKED)


def downgrade() -> None:
    with op.batch_alter_table("credit_records") as batch:
        batch.drop_column("marked_at_origin")
