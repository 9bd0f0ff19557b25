"""What the ``frmr-sso`` commands use, built as the server's services are: one audit record is written at
once (no batching writer, no metrics), the stores are those of the command's engine and KV store."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.bootstrap.login import build_second_factor
from frmr_sso.bootstrap.security import build_security
from frmr_sso.config import Settings
from frmr_sso.oauth.client_service import ClientService
from frmr_sso.registry.record_cache import CachedRegistry, RegistryGeneration
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.passkeys import Passkeys
from frmr_sso.security.services import Security
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import (
    SqlAuditRepository,
    SqlClientRepository,
    SqlRegistryRepository,
    SqlSubjectRepository,
)


def command_auditor(engine: AsyncEngine) -> Auditor:
    return Auditor(SqlAuditRepository(engine))


def audit_records(engine: AsyncEngine) -> SqlAuditRepository:
    return SqlAuditRepository(engine)


def registry_records(engine: AsyncEngine, kv: KeyValueStore) -> CachedRegistry:
    """The registry for a command that writes it: nothing cached, every write replaces the registry's
    generation in ``kv``, so that running instances sharing that store read the new records at once."""
    return CachedRegistry(SqlRegistryRepository(engine), RegistryGeneration(kv), max_age=0)


def subject_records(engine: AsyncEngine) -> SqlSubjectRepository:
    return SqlSubjectRepository(engine)


def command_clients(engine: AsyncEngine) -> ClientService:
    return ClientService(SqlClientRepository(engine))


def command_security(settings: Settings, kv: KeyValueStore, engine: AsyncEngine) -> Security:
    return build_security(settings, kv, command_auditor(engine))


def command_second_factor(
    settings: Settings, engine: AsyncEngine, kv: KeyValueStore, auditor: Auditor
) -> tuple[TotpCredentials, Passkeys]:
    _, credentials, passkeys = build_second_factor(settings, engine, kv, auditor)
    return credentials, passkeys
