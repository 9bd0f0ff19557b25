"""A rotated refresh token's child, sealed under the parent token, for the client's grace window.

A retried refresh (the same parent token again within the grace window) gets the same child back.
The child is kept with its row, encrypted under a key derived from the parent token, which the
broker never stores; the consuming UPDATE clears the parent's own sealed copy.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("grace_token", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("grace_token")
