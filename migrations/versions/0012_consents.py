"""Consent of a person to a third-party client, first-party clients, and the person's login history index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

``clients.first_party`` marks the operator's own applications (the personal cabinet and
systems the operator vouches for): they are not asked for the person's consent. ``consents``
keeps, per person and client, the scopes the person allowed. ``(subject_id, id)`` on the audit
log serves the person's own login history, newest first, without walking the whole log;
``(subject, client_id)`` on refresh families serves revoking one client's tokens of a person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("first_party", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "consents",
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "client_id", name="pk_consents"),
    )
    op.create_index("ix_audit_events_subject_id_id", "audit_events", ["subject_id", "id"])
    op.create_index("ix_refresh_families_subject_client_id", "refresh_families", ["subject", "client_id"])


def downgrade() -> None:
    op.drop_index("ix_refresh_families_subject_client_id", table_name="refresh_families")
    op.drop_index("ix_audit_events_subject_id_id", table_name="audit_events")
    op.drop_table("consents")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("first_party")
