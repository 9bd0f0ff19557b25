"""A version stamp per FRMR person, raised by every write of the person or a section of their record.

The registry API's ETags come from it: a revalidation (If-None-Match) reads one integer instead of
the whole record.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("frmr_persons") as batch:
        batch.add_column(sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("frmr_persons") as batch:
        batch.drop_column("version")
