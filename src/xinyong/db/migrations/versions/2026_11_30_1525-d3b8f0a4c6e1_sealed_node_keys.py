"""The exchange node's private keys sealed at rest, as staff TOTP secrets are

With the signing and sealing keys in clear, a copy of the database could sign events as this
node and open what its peers seal to it. The conversion runs here, with the keys the command
loaded from its settings (docs/at-rest.md), as the identifiers' and the TOTP secrets' own
migrations did; without keys it stops before it changes anything. A key already sealed (a rerun
after a partial copy) is left alone; a downgrade opens them again.

Revision ID: d3b8f0a4c6e1
Revises: c4f8a2e61b93
Create Date: 2026-11-30 15:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types
from xinyong.domain import vault

revision = "d3b8f0a4c6e1"
down_revision = "c4f8a2e61b93"
branch_labels = None
depends_on = None

_COLUMNS = ("signing_key", "sealing_key")
_NODE = sa.table("exchange_node", sa.column("code"), *(sa.column(c, sa.String) for c in _COLUMNS))


def _convert(*, seal: bool) -> None:
    keys = vault.current()  # raises before anything changes when no keys are loaded
    conn = op.get_bind()
    rows = conn.execute(sa.select(_NODE.c.code, *(_NODE.c[c] for c in _COLUMNS))).fetchall()
    for code, *stored in rows:
        values = {}
        for column, value in zip(_COLUMNS, stored, strict=True):
            if value.startswith(vault.SEALED_PREFIX) != seal:
                values[column] = keys.seal(value) if seal else keys.open(value)
        if values:
            conn.execute(_NODE.update().where(_NODE.c.code == code).values(**values))


def upgrade() -> None:
    vault.current()
    with op.batch_alter_table("exchange_node", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=64),
                type_=xinyong.db.types.Sealed(),
                existing_nullable=False,
            )
    _convert(seal=True)


def downgrade() -> None:
    _convert(seal=False)
    with op.batch_alter_table("exchange_node", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.alter_column(
                column,
                existing_type=xinyong.db.types.Sealed(),
                type_=sa.String(length=64),
                existing_nullable=False,
            )
