"""FRMR registry: persons (unique SNILS) and their employment records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "frmr_persons",
        sa.Column("frmr_id", sa.String(64), nullable=False),
        sa.Column("snils", sa.String(11), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("middle_name", sa.String(100), nullable=True),
        sa.Column("gender", sa.String(1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("frmr_id", name="pk_frmr_persons"),
        sa.UniqueConstraint("snils", name="uq_frmr_persons_snils"),
    )
    op.create_table(
        "frmr_employments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("frmr_id", sa.String(64), nullable=False),
        sa.Column("organization_oid", sa.String(128), nullable=False),
        sa.Column("organization_name", sa.String(500), nullable=False),
        sa.Column("post_id", sa.String(32), nullable=False),
        sa.Column("post_name", sa.String(300), nullable=False),
        sa.Column("position_type", sa.SmallInteger(), nullable=False),
        sa.Column("rate", sa.Numeric(4, 2), nullable=False),
        sa.Column("begin_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_frmr_employments"),
        sa.ForeignKeyConstraint(
            ["frmr_id"], ["frmr_persons.frmr_id"],
            name="fk_frmr_employments_frmr_id_frmr_persons", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_frmr_employments_frmr_id", "frmr_employments", ["frmr_id"])


def downgrade() -> None:
    op.drop_index("ix_frmr_employments_frmr_id", table_name="frmr_employments")
    op.drop_table("frmr_employments")
    op.drop_table("frmr_persons")
