"""Per-client refresh-token policy: rotation on or off and the grace window in seconds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(
            sa.Column("refresh_rotation", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("refresh_grace", sa.Integer(), nullable=False, server_default="5"))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("refresh_grace")
        batch.drop_column("refresh_rotation")
