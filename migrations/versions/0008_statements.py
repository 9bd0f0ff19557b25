"""Statements: ordered extracts of the FRMR record as signed PDF documents.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("frmr_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_statements"),
    )
    op.create_index("ix_statements_frmr_id_created_at", "statements", ["frmr_id", "created_at"])
    op.create_table(
        "statement_signers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_statement_signers"),
    )


def downgrade() -> None:
    op.drop_table("statement_signers")
    op.drop_index("ix_statements_frmr_id_created_at", table_name="statements")
    op.drop_table("statements")
