"""An identity review may be about a registration

A registration whose verified name is not the one the platform holds for its number was refused
with a message promising an identity review that nobody opened. Such a registration now waits
for one (services/registrations.py): the review names the registration (`registration_id`) and
no record, so `record_id` and `record_subject_id` may be empty. A review is about a record or a
registration, never both nor neither (`ck_identity_reviews_about`), and its reference to a record
names both columns or neither (`ck_identity_reviews_record_subject`: a foreign key of two columns
is not checked while one of them is empty). Every review stored before this revision is about a
record and keeps it.

Downgrading deletes the reviews about registrations (the table before cannot hold them; their
opening and deciding stay in the audit log) and makes the record columns required again. The
registrations that waited on one stay pending.

Revision ID: 5dc8711807d9
Revises: d201695010c5
Create Date: 2026-12-04 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db.types import BigId

revision = "5dc8711807d9"
down_revision = "d201695010c5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_reviews", schema=None) as batch_op:
        batch_op.alter_column("record_id", existing_type=BigId, nullable=True)
        batch_op.alter_column("record_subject_id", existing_type=BigId, nullable=True)
        batch_op.add_column(sa.Column("registration_id", BigId, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_identity_reviews_registration_id"), ["registration_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_identity_reviews_registration_id_registrations"),
            "registrations",
            ["registration_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_identity_reviews_record_subject"),
            "(record_id IS NULL) = (record_subject_id IS NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_identity_reviews_about"),
            "(record_id IS NULL) <> (registration_id IS NULL)",
        )


def downgrade() -> None:
    op.execute("DELETE FROM identity_reviews WHERE record_id IS NULL")
    with op.batch_alter_table("identity_reviews", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_identity_reviews_about"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_identity_reviews_record_subject"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_identity_reviews_registration_id_registrations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_identity_reviews_registration_id"))
        batch_op.drop_column("registration_id")
        batch_op.alter_column("record_subject_id", existing_type=BigId, nullable=False)
        batch_op.alter_column("record_id", existing_type=BigId, nullable=False)
