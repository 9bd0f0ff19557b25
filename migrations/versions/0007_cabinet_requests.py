"""Personal cabinet: change requests with documents, support requests.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("frmr_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("section", sa.String(16), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(160), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
        sa.ForeignKeyConstraint(
            ["frmr_id"],
            ["frmr_persons.frmr_id"],
            name=op.f("fk_change_requests_frmr_id_frmr_persons"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('awaiting_code', 'pending', 'approved', 'rejected')",
            name=op.f("ck_change_requests_status"),
        ),
    )
    op.create_index(
        op.f("ix_change_requests_frmr_id_created_at"), "change_requests", ["frmr_id", "created_at"]
    )
    op.create_index(op.f("ix_change_requests_status_created_at"), "change_requests", ["status", "created_at"])
    op.create_table(
        "change_request_documents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("filename", sa.String(120), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_request_documents")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_request_documents_request_id_change_requests"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        op.f("ix_change_request_documents_request_id"), "change_request_documents", ["request_id"]
    )
    op.create_table(
        "support_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("snils", sa.String(11), nullable=True),
        sa.Column("licence_number", sa.String(40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("problem_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=True),
        sa.Column("access_key_hash", sa.String(64), nullable=True),
        sa.Column("screenshot", sa.LargeBinary(), nullable=True),
        sa.Column("screenshot_type", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_requests")),
        sa.CheckConstraint(
            "status IN ('new', 'answered', 'closed')", name=op.f("ck_support_requests_status")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_support_requests_subject_id"), "support_requests", ["subject_id"])
    op.create_index(
        op.f("ix_support_requests_status_created_at"), "support_requests", ["status", "created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_support_requests_status_created_at"), table_name="support_requests")
    op.drop_index(op.f("ix_support_requests_subject_id"), table_name="support_requests")
    op.drop_table("support_requests")
    op.drop_index(op.f("ix_change_request_documents_request_id"), table_name="change_request_documents")
    op.drop_table("change_request_documents")
    op.drop_index(op.f("ix_change_requests_status_created_at"), table_name="change_requests")
    op.drop_index(op.f("ix_change_requests_frmr_id_created_at"), table_name="change_requests")
    op.drop_table("change_requests")
