"""Storage ports: the only way the core reaches durable or ephemeral state.

``KeyValueStore`` holds ephemeral values with a time to live (login
transactions, codes, sessions, counters). Every operation is atomic on each
implementation: ``set_if_absent``, ``get_and_delete`` and ``incr`` must stay
exact when many requests race on the same key.

The repositories hold durable state and speak plain frozen records, never ORM
rows; their failures are ``frmr_sso.storage.errors.StorageError``. Times are
timezone-aware UTC ``datetime`` values, in and out.

The ports live in submodules by subject (``kv``, ``oauth``, ``subjects``,
``audit``, ``cabinet``, ``account``); import them from here, ``frmr_sso.storage.ports``.
"""

from __future__ import annotations

from frmr_sso.storage.ports.account import ConsentRecord, ConsentRepository, PersonAuditReader
from frmr_sso.storage.ports.audit import (
    GENESIS_HASH,
    AuditFilter,
    AuditLog,
    AuditRecord,
    AuditRepository,
    PurgedBatch,
    audit_chain_hash,
)
from frmr_sso.storage.ports.cabinet import (
    ChangeRequestRepository,
    StatementRecord,
    StatementRepository,
    StatementSignerRecord,
    SupportRequestRepository,
)
from frmr_sso.storage.ports.kv import KeyValueStore, utcnow
from frmr_sso.storage.ports.oauth import (
    ClientRecord,
    ClientRepository,
    KeyStatus,
    RefreshFamilyRecord,
    RefreshTokenRecord,
    RefreshTokenRepository,
    SigningKeyRecord,
    SigningKeyRepository,
)
from frmr_sso.storage.ports.subjects import (
    LoginSubject,
    PasskeyRecord,
    PasskeyRepository,
    SecondFactorRepository,
    SubjectLink,
    SubjectRecord,
    SubjectRepository,
    TotpCredentialRecord,
)

__all__ = [
    "GENESIS_HASH",
    "AuditFilter",
    "AuditLog",
    "AuditRecord",
    "AuditRepository",
    "ChangeRequestRepository",
    "ClientRecord",
    "ClientRepository",
    "ConsentRecord",
    "ConsentRepository",
    "KeyStatus",
    "KeyValueStore",
    "LoginSubject",
    "PasskeyRecord",
    "PasskeyRepository",
    "PersonAuditReader",
    "PurgedBatch",
    "RefreshFamilyRecord",
    "RefreshTokenRecord",
    "RefreshTokenRepository",
    "SecondFactorRepository",
    "SigningKeyRecord",
    "SigningKeyRepository",
    "StatementRecord",
    "StatementRepository",
    "StatementSignerRecord",
    "SubjectLink",
    "SubjectRecord",
    "SubjectRepository",
    "SupportRequestRepository",
    "TotpCredentialRecord",
    "audit_chain_hash",
    "utcnow",
]
