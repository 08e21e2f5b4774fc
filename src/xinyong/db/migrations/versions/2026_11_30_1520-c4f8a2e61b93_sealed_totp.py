"""Staff TOTP secrets sealed at rest, as identifiers are

The conversion runs here, with the keys the command loaded from its settings (the key file or
XINYONG_KEYS; docs/at-rest.md), as the identifiers' own migration (b7e2c4d91a05) did:
`xinyong db upgrade` loads them before it migrates, and a migration without keys stops before
it changes anything. A secret already sealed (a rerun after a partial copy) is left alone.

Revision ID: c4f8a2e61b93
Revises: c4a9e1f27b63
Create Date: 2026-11-30 15:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xinyong.db.types
from xinyong.domain import vault

revision = "c4f8a2e61b93"
down_revision = "c4a9e1f27b63"
branch_labels = None
depends_on = None

_STAFF = sa.table("staff", sa.column("id"), sa.column("totp_secret", sa.String))


def _convert(*, seal: bool) -> None:
    keys = vault.current()  # raises before anything changes when no keys are loaded
    conn = op.get_bind()
    rows = conn.execute(sa.select(_STAFF.c.id, _STAFF.c.totp_secret)).fetchall()
    for staff_id, stored in rows:
        is_sealed = stored.startswith(vault.SEALED_PREFIX)
        if is_sealed == seal:
            continue
        value = keys.seal(stored) if seal else keys.open(stored)
        conn.execute(_STAFF.update().where(_STAFF.c.id == staff_id).values(totp_secret=value))


def upgrade() -> None:
    vault.current()
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=xinyong.db.types.Sealed(),
            existing_nullable=False,
        )
    _convert(seal=True)


def downgrade() -> None:
    _convert(seal=False)
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=xinyong.db.types.Sealed(),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
