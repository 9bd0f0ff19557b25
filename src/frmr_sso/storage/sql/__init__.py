"""Durable store on SQLAlchemy Core (async): SQLite embedded, PostgreSQL in production."""

from __future__ import annotations

from frmr_sso.storage.sql.audit import SqlAuditRepository
from frmr_sso.storage.sql.clients import SqlClientRepository
from frmr_sso.storage.sql.engine import create_engine, ping, write_transaction
from frmr_sso.storage.sql.registry import SqlRegistryRepository
from frmr_sso.storage.sql.signing_keys import SqlSigningKeyRepository
from frmr_sso.storage.sql.subjects import SqlSubjectRepository

__all__ = [
    "SqlAuditRepository",
    "SqlClientRepository",
    "SqlRegistryRepository",
    "SqlSigningKeyRepository",
    "SqlSubjectRepository",
    "create_engine",
    "ping",
    "write_transaction",
]
