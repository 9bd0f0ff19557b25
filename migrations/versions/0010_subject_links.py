"""Account linking: further upstream identities of a subject, found by the same verified SNILS.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "subject_links",
        sa.Column("link_key", sa.String(255), primary_key=True),
        sa.Column(
            "subject_id", sa.String(36), sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_subject_links_subject_id", "subject_links", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_subject_links_subject_id", table_name="subject_links")
    op.drop_table("subject_links")
