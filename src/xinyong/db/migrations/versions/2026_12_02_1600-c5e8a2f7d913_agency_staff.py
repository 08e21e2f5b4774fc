"""Agency staff as identities, and the staff blacklist

The credit centre registers each agency's staff members by the agency's own staff number; an
agency's key is issued to one of them (`api_keys.agency_staff_id`), who is named in every query
made with it, and the centre puts one on the staff blacklist alone (domain/agencies.py). Agency
keys created before this revision name no staff member: their queries and feed reads are
refused until the centre issues new keys to staff members (docs/security.md, "Agencies").

Revision ID: c5e8a2f7d913
Revises: e5a1c7d93b40
Create Date: 2026-12-02 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types

revision = "c5e8a2f7d913"
down_revision = "e5a1c7d93b40"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agency_staff",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("staff_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column("registered_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_agency_staff_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_staff")),
        sa.UniqueConstraint(
            "department_code",
            "staff_number",
            name=op.f("uq_agency_staff_department_code_staff_number"),
        ),
    )
    op.create_table(
        "agency_staff_blacklistings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("staff_id", BIG_ID, nullable=False),
        sa.Column("ground", sa.Text(), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("listed_by", sa.String(length=100), nullable=False),
        sa.Column("listed_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["agency_staff.id"],
            name=op.f("fk_agency_staff_blacklistings_staff_id_agency_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_staff_blacklistings")),
    )
    with op.batch_alter_table("agency_staff_blacklistings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agency_staff_blacklistings_staff_id"), ["staff_id"], unique=False
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_staff_id", BIG_ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_agency_staff_id_agency_staff"),
            "agency_staff",
            ["agency_staff_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_keys_agency_staff_id_agency_staff"), type_="foreignkey"
        )
        batch_op.drop_column("agency_staff_id")
    with op.batch_alter_table("agency_staff_blacklistings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_staff_blacklistings_staff_id"))
    op.drop_table("agency_staff_blacklistings")
    op.drop_table("agency_staff")
