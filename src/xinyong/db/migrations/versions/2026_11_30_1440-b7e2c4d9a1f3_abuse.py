"""Agencies as supervised bodies (licences, the agency blacklist); API tokens that expire in
minutes with rotating refresh tokens (kind, family, used_at on account tokens)

Revision ID: b7e2c4d9a1f3
Revises: b7d2e91c4a05
Create Date: 2026-11-30 14:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types

revision = "b7e2c4d9a1f3"
down_revision = "b7d2e91c4a05"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_licences",
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_agency_licences_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("department_code", name=op.f("pk_agency_licences")),
    )
    op.create_table(
        "agency_blacklistings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("ground", sa.Text(), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("listed_by", sa.String(length=100), nullable=False),
        sa.Column("listed_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_agency_blacklistings_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_blacklistings")),
    )
    with op.batch_alter_table("agency_blacklistings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agency_blacklistings_department_code"), ["department_code"], unique=False
        )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="session")
        )
        batch_op.add_column(sa.Column("family", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("used_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_account_tokens_family"), ["family"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tokens_family"))
        batch_op.drop_column("used_at")
        batch_op.drop_column("family")
        batch_op.drop_column("kind")
    with op.batch_alter_table("agency_blacklistings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_blacklistings_department_code"))
    op.drop_table("agency_blacklistings")
    op.drop_table("agency_licences")
