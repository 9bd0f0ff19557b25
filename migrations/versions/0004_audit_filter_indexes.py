"""Indexes for the auditors' filters on audit_events: client, event type and IP, each with id.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

The query API filters by one of these columns and pages by id (``after_id``,
ascending), so ``(column, id)`` serves both the filter and the order.
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

INDEXES = {
    "ix_audit_events_client_id_id": ["client_id", "id"],
    "ix_audit_events_event_type_id": ["event_type", "id"],
    "ix_audit_events_ip_id": ["ip", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_events", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="audit_events")
