"""Broker second factor: TOTP credentials and recovery codes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

One TOTP credential per subject (its secret sealed, the last accepted time
step), its recovery codes stored as keyed hashes, and the clients' flag that
makes the broker ask for the second factor on every login to them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "totp_credentials",
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_totp_credentials")),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_totp_credentials_subject_id_subjects"),
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("used_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", "code_hash", name=op.f("pk_recovery_codes")),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["totp_credentials.subject_id"],
            name=op.f("fk_recovery_codes_subject_id_totp_credentials"),
            ondelete="CASCADE",
        ),
    )
    with op.batch_alter_table("clients") as batch:
        batch.add_column(
            sa.Column("require_second_factor", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("require_second_factor")
    op.drop_table("recovery_codes")
    op.drop_table("totp_credentials")
