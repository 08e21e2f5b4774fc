"""Revisions keep their subject when an identity review moves their record

A revision is the version of a record that a resubmission replaced, and it belongs to the person
the record was about then. Until this revision `record_revisions.subject_id` was also the
reference to the record (`ON UPDATE CASCADE`), so a record an identity review moved to another
person took the earlier person's versions with it. The reference to the record moves to a column
of its own, `record_subject_id` (filled from `subject_id`, which follows the record as before),
and `subject_id` stays the person the revision was about (on PostgreSQL, the key the table is
hashed by). Revisions that moved with a record before this revision go back to the person they
were about: the one a resolved identity review moved the record away from, the first such review
resolved when or after the revision was written.

Downgrading makes every revision follow its record again (`subject_id` = `record_subject_id`).

Revision ID: f1a8c3e5b702
Revises: 7a3c9e5d1b28
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db.types import BigId

revision = "f1a8c3e5b702"
down_revision = "7a3c9e5d1b28"
branch_labels = None
depends_on = None

#: The identity reviews that moved a record away from the person a revision was about: a
#: resubmission under another person (kind `subject`) found to be theirs (`different_person`),
#: resolved when or after the revision was written.
_MOVED_AWAY = """
FROM identity_reviews r
WHERE r.record_id = record_revisions.record_id AND r.kind = 'subject'
AND r.status = 'resolved' AND r.resolution = 'different_person'
AND r.resolved_at >= record_revisions.superseded_at
"""
_BACK_TO_THEIR_SUBJECT = f"""
UPDATE record_revisions SET subject_id = (
    SELECT r.subject_id {_MOVED_AWAY} ORDER BY r.resolved_at, r.id LIMIT 1
)
WHERE EXISTS (SELECT 1 {_MOVED_AWAY})
"""  # noqa: S608 - constant text


def upgrade() -> None:
    op.add_column("record_revisions", sa.Column("record_subject_id", BigId, nullable=True))
    op.execute("UPDATE record_revisions SET record_subject_id = subject_id")
    with op.batch_alter_table("record_revisions") as batch:
        batch.alter_column("record_subject_id", existing_type=BigId, nullable=False)
        batch.drop_constraint("fk_record_revisions_subject_id_credit_records", type_="foreignkey")
        batch.create_foreign_key(
            "fk_record_revisions_record_subject_id_credit_records",
            "credit_records",
            ["record_subject_id", "record_id"],
            ["subject_id", "id"],
            onupdate="CASCADE",
        )
    op.execute(_BACK_TO_THEIR_SUBJECT)


def downgrade() -> None:
    op.execute("UPDATE record_revisions SET subject_id = record_subject_id")
    with op.batch_alter_table("record_revisions") as batch:
        batch.drop_constraint(
            "fk_record_revisions_record_subject_id_credit_records", type_="foreignkey"
        )
        batch.create_foreign_key(
            "fk_record_revisions_subject_id_credit_records",
            "credit_records",
            ["subject_id", "record_id"],
            ["subject_id", "id"],
            onupdate="CASCADE",
        )
        batch.drop_column("record_subject_id")
