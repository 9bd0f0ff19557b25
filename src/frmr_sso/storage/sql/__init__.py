"""Durable store on SQLAlchemy Core (async): SQLite embedded, PostgreSQL in production."""

from __future__ import annotations

from frmr_sso.storage.sql.audit import SqlAuditRepository
from frmr_sso.storage.sql.change_requests import SqlChangeRequestRepository
from frmr_sso.storage.sql.clients import SqlClientRepository
from frmr_sso.storage.sql.engine import create_engine, ping, write_transaction
from frmr_sso.storage.sql.passkeys import SqlPasskeyRepository
from frmr_sso.storage.sql.registry import SqlRegistryRepository
from frmr_sso.storage.sql.second_factor import SqlSecondFactorRepository
from frmr_sso.storage.sql.signing_keys import SqlSigningKeyRepository
from frmr_sso.storage.sql.statements import SqlStatementRepository
from frmr_sso.storage.sql.subjects import SqlSubjectRepository
from frmr_sso.storage.sql.support_requests import SqlSupportRequestRepository

__all__ = [
    "SqlAuditRepository",
    "SqlChangeRequestRepository",
    "SqlClientRepository",
    "SqlPasskeyRepository",
    "SqlRegistryRepository",
    "SqlSecondFactorRepository",
    "SqlSigningKeyRepository",
    "SqlStatementRepository",
    "SqlSubjectRepository",
    "SqlSupportRequestRepository",
    "create_engine",
    "ping",
    "write_transaction",
]
