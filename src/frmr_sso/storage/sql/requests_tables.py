"""Tables of the personal cabinet's requests (same metadata as ``tables.py``; migration 0007).

Documents and screenshots are blobs in the database, written in the same
transaction as their request: a failed upload leaves no row and no file behind.
"""

from __future__ import annotations

import sqlalchemy as sa

from frmr_sso.storage.sql.registry_tables import frmr_persons
from frmr_sso.storage.sql.tables import UtcDateTime, metadata

BLOB = sa.LargeBinary()

change_requests = sa.Table(
    "change_requests",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "frmr_id", sa.String(64), sa.ForeignKey(frmr_persons.c.frmr_id, ondelete="CASCADE"), nullable=False
    ),
    sa.Column("subject_id", sa.String(36), nullable=False),
    sa.Column("section", sa.String(16), nullable=False),
    sa.Column("proposal", sa.JSON(), nullable=False),
    sa.Column("comment", sa.Text(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("decided_by", sa.String(160), nullable=True),
    sa.Column("decided_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('awaiting_code', 'pending', 'approved', 'rejected')", name="status"),
    sa.Index("ix_change_requests_frmr_id_created_at", "frmr_id", "created_at"),
    sa.Index("ix_change_requests_status_created_at", "status", "created_at"),
)

change_request_documents = sa.Table(
    "change_request_documents",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "request_id",
        sa.String(36),
        sa.ForeignKey(change_requests.c.id, ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("filename", sa.String(120), nullable=False),
    sa.Column("content_type", sa.String(32), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("data", BLOB, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

support_requests = sa.Table(
    "support_requests",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("snils", sa.String(11), nullable=True),
    sa.Column("licence_number", sa.String(40), nullable=True),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("problem_time", UtcDateTime(), nullable=False),
    sa.Column("subject_id", sa.String(36), nullable=True, index=True),
    sa.Column("access_key_hash", sa.String(64), nullable=True),
    sa.Column("screenshot", BLOB, nullable=True),
    sa.Column("screenshot_type", sa.String(32), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("answered_at", UtcDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('new', 'answered', 'closed')", name="status"),
    sa.Index("ix_support_requests_status_created_at", "status", "created_at"),
    sqlite_autoincrement=True,
)
