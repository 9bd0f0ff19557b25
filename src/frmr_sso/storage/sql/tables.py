"""SQLAlchemy Core tables of the durable store, one metadata for SQLite and PostgreSQL.

The schema itself is created only by the Alembic history in ``migrations/``;
this module describes it for queries (and for ``alembic revision
--autogenerate`` when a developer writes the next migration). A test keeps the
two in step.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite, which keeps no zone, stores naive UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


AUDIT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(255), nullable=True),
    sa.Column("public", sa.Boolean(), nullable=False),
    sa.Column("redirect_uris", sa.JSON(), nullable=False),
    sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
    sa.Column("grant_types", sa.JSON(), nullable=False),
    sa.Column("scopes", sa.JSON(), nullable=False),
    sa.Column("id_token_alg", sa.String(16), nullable=False),
    sa.Column("backchannel_logout_uri", sa.String(2048), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("require_second_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("refresh_rotation", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("refresh_grace", sa.Integer(), nullable=False, server_default="5"),
    sa.Column("first_party", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("access_token_format", sa.String(16), nullable=False, server_default="jwt"),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("alg", sa.String(16), nullable=False),
    sa.Column("private_key_encrypted", sa.Text(), nullable=False),
    sa.Column("public_jwk", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("not_after", UtcDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('active', 'previous', 'retired')", name="status"),
)

subjects = sa.Table(
    "subjects",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("esia_oid", sa.String(64), nullable=False, unique=True),
    sa.Column("snils_hash", sa.String(128), nullable=True, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_login_at", UtcDateTime(), nullable=True),
)

subject_links = sa.Table(
    "subject_links",
    metadata,
    sa.Column("link_key", sa.String(255), primary_key=True),
    sa.Column("subject_id", sa.String(36), sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("connector", sa.String(64), nullable=False),
    sa.Column("linked_at", UtcDateTime(), nullable=False),
)
"""Further upstream identities of a subject: the same verified SNILS through another upstream. The
subject's first identity stays in ``subjects.esia_oid``."""

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    sa.Column("occurred_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.Text(), nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("client_id", sa.String(128), nullable=True),
    sa.Column("subject_id", sa.String(36), nullable=True, index=True),
    sa.Column("snils_masked", sa.String(32), nullable=True),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # auditors filter by these and page by id: one (column, id) index each keeps both in the index
    sa.Index("ix_audit_events_client_id_id", "client_id", "id"),
    sa.Index("ix_audit_events_event_type_id", "event_type", "id"),
    sa.Index("ix_audit_events_ip_id", "ip", "id"),
    sa.Index("ix_audit_events_subject_id_id", "subject_id", "id"),  # a person's own login history
    sqlite_autoincrement=True,
)

refresh_families = sa.Table(
    "refresh_families",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("client_id", sa.String(128), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("scope", sa.String(1024), nullable=False),
    sa.Column("session_id", sa.String(128), nullable=True, index=True),
    sa.Column("auth_time", UtcDateTime(), nullable=False),
    sa.Column("acr", sa.String(128), nullable=True),
    sa.Column("amr", sa.JSON(), nullable=False),
    sa.Column("claims", sa.JSON(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("absolute_expires_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_reason", sa.String(64), nullable=True),
    sa.Index("ix_refresh_families_subject_client_id", "subject", "client_id"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "family_id",
        sa.String(36),
        sa.ForeignKey("refresh_families.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("parent_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("idle_expires_at", UtcDateTime(), nullable=False),
    sa.Column("used_at", UtcDateTime(), nullable=True),
    sa.Column("grace_token", sa.String(255), nullable=True),  # the token sealed under its parent
)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("subject_id", sa.String(36), primary_key=True),
    sa.Column("client_id", sa.String(128), primary_key=True),
    sa.Column("scopes", sa.JSON(), nullable=False),
    sa.Column("granted_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
