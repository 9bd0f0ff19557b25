"""Refresh-token families and their rotated tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-20

A family is one login's chain of refresh tokens; each token is stored only as
the SHA-256 of its value. ``parent_hash`` is unique: a token has at most one
child, whatever races happen above the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "refresh_families",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("scope", sa.String(1024), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=True),
        sa.Column("auth_time", _utc(), nullable=False),
        sa.Column("acr", sa.String(128), nullable=True),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("absolute_expires_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.Column("revoked_reason", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_families")),
    )
    op.create_index(op.f("ix_refresh_families_session_id"), "refresh_families", ["session_id"])
    op.create_index(
        op.f("ix_refresh_families_absolute_expires_at"), "refresh_families", ["absolute_expires_at"]
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("family_id", sa.String(36), nullable=False),
        sa.Column("parent_hash", sa.String(64), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("idle_expires_at", _utc(), nullable=False),
        sa.Column("used_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["refresh_families.id"],
            name=op.f("fk_refresh_tokens_family_id_refresh_families"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("parent_hash", name=op.f("uq_refresh_tokens_parent_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_refresh_families_absolute_expires_at"), table_name="refresh_families")
    op.drop_index(op.f("ix_refresh_families_session_id"), table_name="refresh_families")
    op.drop_table("refresh_families")
