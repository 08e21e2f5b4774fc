"""The exchange between platforms: node, peers, outbox, copies, applied-log, entity owners, refusals

Revision ID: c203b9180c2e
Revises: d1af8db63204
Create Date: 2026-11-30 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import xinyong.db.types

revision = "c203b9180c2e"
down_revision = "d1af8db63204"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_applied",
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_key", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("stream_seq", sa.BigInteger(), nullable=False),
        sa.Column("at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", "seq", name=op.f("pk_exchange_applied")),
    )
    op.create_table(
        "exchange_copies",
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint(
            "peer", "entity_type", "entity_key", name=op.f("pk_exchange_copies")
        ),
    )
    op.create_table(
        "exchange_entities",
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_key", sa.String(length=255), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "entity_key", name=op.f("pk_exchange_entities")),
    )
    op.create_table(
        "exchange_node",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("signing_key", sa.String(length=64), nullable=False),
        sa.Column("sealing_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_exchange_node")),
    )
    op.create_table(
        "exchange_outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_key", sa.String(length=255), nullable=False),
        sa.Column(
            "change",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_exchange_outbox")),
    )
    with op.batch_alter_table("exchange_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_exchange_outbox_pending", ["sent_at", "seq"], unique=False)

    op.create_table(
        "exchange_peers",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("signing_public", sa.String(length=64), nullable=False),
        sa.Column("sealing_public", sa.String(length=64), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("added_at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_exchange_peers")),
    )
    op.create_table(
        "exchange_refusals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("peer", sa.String(length=32), nullable=False),
        sa.Column("stream_seq", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_refusals")),
        sa.UniqueConstraint(
            "peer", "stream_seq", name=op.f("uq_exchange_refusals_peer_stream_seq")
        ),
    )
    with op.batch_alter_table("exchange_refusals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_refusals_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_refusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_refusals_at"))

    op.drop_table("exchange_refusals")
    op.drop_table("exchange_peers")
    with op.batch_alter_table("exchange_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_outbox_pending")

    op.drop_table("exchange_outbox")
    op.drop_table("exchange_node")
    op.drop_table("exchange_entities")
    op.drop_table("exchange_copies")
    op.drop_table("exchange_applied")
