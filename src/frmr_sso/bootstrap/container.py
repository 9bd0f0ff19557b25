"""``Container``: every store and service the application uses, built from one ``Settings``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.audit.login_history import LoginHistory
from frmr_sso.audit.writer import BatchingAuditWriter
from frmr_sso.bootstrap.account import build_account_consents, build_login_history
from frmr_sso.bootstrap.cabinet_backend import CabinetRequests, build_cabinet_requests
from frmr_sso.bootstrap.login import build_login_area
from frmr_sso.bootstrap.resources import (
    UPSTREAM_TIMEOUT,
    build_key_ring,
    build_statement_signer,
    build_upstream_connectors,
    prepare_stored_state,
)
from frmr_sso.bootstrap.security import build_security, person_limits
from frmr_sso.cabinet_backend.statements.service import StatementService
from frmr_sso.config import Settings
from frmr_sso.login.consent import ConsentStep
from frmr_sso.login.consents import AccountConsents
from frmr_sso.login.logout import LogoutService
from frmr_sso.login.service import LoginService
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.login.session_store import SessionStore
from frmr_sso.oauth.access_tokens import DENY_PREFIX, deny_session
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.jwt_verify import KeyLookupVerifier
from frmr_sso.oauth.opaque_tokens import KEY_PURPOSE, RECORD_PREFIX, OpaqueTokens
from frmr_sso.oauth.revocation import RevocationService
from frmr_sso.oauth.tokens import TokenLifetimes, TokenService
from frmr_sso.oidc.discovery import ProviderMetadata
from frmr_sso.oidc.keys import KeyRing
from frmr_sso.oidc.userinfo import SNAPSHOT_PREFIX, UserInfoService
from frmr_sso.registry.access import RegistryAccess
from frmr_sso.registry.api import RegistryApi
from frmr_sso.registry.record_cache import GENERATION_KEY, CachedRegistry, RegistryGeneration
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.enrolment import AccountSecondFactor
from frmr_sso.second_factor.login_step import SecondFactorStep
from frmr_sso.second_factor.passkey_account import AccountPasskeys
from frmr_sso.second_factor.passkey_login import PasskeyLoginStep
from frmr_sso.second_factor.passkeys import Passkeys
from frmr_sso.security.crypto import FieldCipher, SecretKeys
from frmr_sso.security.services import Security
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import (
    SqlAuditRepository,
    SqlClientRepository,
    SqlRegistryRepository,
    SqlStatementRepository,
    SqlSubjectRepository,
)
from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.storage.sql.migrate import upgrade
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from frmr_sso.upstream.base import Connector
from frmr_sso.web.cabinet_auth import Callers
from frmr_sso.web.login_http import LoginServices
from frmr_sso.web.metrics import Metrics
from frmr_sso.web.refusals import RefusalAudit

if TYPE_CHECKING:
    from frmr_sso.tracing.provider import Tracing

log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    kv: KeyValueStore
    http: httpx.AsyncClient
    keys: KeyRing
    clients: ClientService
    discovery: ProviderMetadata
    tokens: TokenService
    verifier: KeyLookupVerifier
    bearer: BearerValidator
    introspection: IntrospectionService
    revocation: RevocationService
    registry: CachedRegistry
    registry_access: RegistryAccess
    registry_api: RegistryApi
    subjects: SqlSubjectRepository
    statements: StatementService
    audit: SqlAuditRepository
    metrics: Metrics
    auditor: Auditor
    audit_writer: BatchingAuditWriter
    connectors: dict[str, Connector]
    userinfo: UserInfoService
    sessions: SessionStore
    login: LoginService
    logout: LogoutService
    security: Security
    second_factor: SecondFactorStep
    totp: TotpCredentials
    account_second_factor: AccountSecondFactor
    passkeys: Passkeys
    passkey_login: PasskeyLoginStep
    account_passkeys: AccountPasskeys
    consent: ConsentStep
    account_consents: AccountConsents
    login_history: LoginHistory
    account_sessions: SessionManager
    cabinet_requests: CabinetRequests
    # what the web layer hands routes together: see ``web/deps.py``
    login_services: LoginServices
    refusal_audit: RefusalAudit
    callers: Callers

    async def aclose(self) -> None:
        await self.statements.aclose()  # statements being generated stay pending, resumed later
        try:
            if self.security.bearer_refusals is not None:
                await self.security.bearer_refusals.aclose()  # counted refusals, before the writer
            await self.audit_writer.aclose()  # queued audit records, before the engine goes
        except Exception as exc:  # the database is down: the writer has logged what was lost
            log.error("audit records not flushed on shutdown", extra={"error": type(exc).__name__})
        await self.http.aclose()
        await self.kv.close()
        await self.engine.dispose()


async def build_container(settings: Settings, *, tracing: Tracing | None = None) -> Container:
    if settings.is_demo:
        await asyncio.to_thread(upgrade, settings.database_url)
    http = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, follow_redirects=False)
    try:
        connectors = build_upstream_connectors(settings, http)
        statement_signer = build_statement_signer(settings)
    except BaseException:
        await http.aclose()
        raise
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    kv = open_kv(  # revocations followed by Redis's invalidation; opaque records and snapshots never change
        settings.redis_url, cached=((DENY_PREFIX, GENERATION_KEY), (RECORD_PREFIX, SNAPSHOT_PREFIX)),
        cache_max_age=settings.token_cache_seconds,
    )
    if tracing is not None:  # spans for upstream calls, SQL statements and Redis commands
        tracing.instrument(http=http, engine=engine, kv=kv)
    keys = build_key_ring(settings, engine)
    verifier = KeyLookupVerifier(keys.verification_key, issuer=settings.issuer)
    opaque = OpaqueTokens(SecretKeys.from_settings(settings).opening_keys(KEY_PURPOSE))
    bearer = BearerValidator(issuer=settings.issuer, verifier=verifier, kv=kv, opaque=opaque)
    refresh_repository = SqlRefreshTokenRepository(engine)
    audit = SqlAuditRepository(engine)
    metrics = Metrics()
    audit_writer = BatchingAuditWriter(audit)
    auditor = Auditor(audit_writer, observers=[metrics.observe])
    metrics.watch_connectors(connectors)
    generation = RegistryGeneration(kv)
    registry = CachedRegistry(
        SqlRegistryRepository(engine), generation, max_age=settings.token_cache_seconds
    )
    subjects = SqlSubjectRepository(engine)
    clients = ClientService(SqlClientRepository(engine))

    async def revoke_session(sid: str, at: datetime) -> int:
        """The session's refresh families, and every access token of it (refused by its ``sid``)."""
        await deny_session(kv, sid, ttl=settings.access_token_ttl)
        return await refresh_repository.revoke_session(sid, reason="logout", at=at)

    security = build_security(settings, kv, auditor)
    area = build_login_area(
        settings, engine=engine, kv=kv, http=http, keys=keys, clients=clients, connectors=connectors,
        registry=registry, subjects=subjects, security=security, auditor=auditor,
        revoke_session=revoke_session,
    )
    tokens = TokenService(
        issuer=settings.issuer,
        signer=keys,
        refresh_tokens=refresh_repository,
        kv=kv,
        lifetimes=TokenLifetimes.from_settings(settings),
        auditor=auditor,
        end_session=partial(area.account_sessions.end_compromised, by="refresh_reuse"),
        roles=registry.roles_of,
        opaque=opaque,
    )
    container = Container(
        settings=settings,
        engine=engine,
        kv=kv,
        http=http,
        keys=keys,
        clients=clients,
        discovery=ProviderMetadata.build(settings),
        tokens=tokens,
        verifier=verifier,
        bearer=bearer,
        introspection=IntrospectionService(
            issuer=settings.issuer, refresh_tokens=tokens.refresh_tokens, bearer=bearer
        ),
        revocation=RevocationService(
            refresh_tokens=tokens.refresh_tokens, kv=kv, bearer=bearer, auditor=auditor
        ),
        registry=registry,
        registry_access=RegistryAccess(bearer=bearer, kv=kv),
        registry_api=RegistryApi(registry),
        subjects=subjects,
        statements=StatementService(
            SqlStatementRepository(engine), registry,
            FieldCipher.from_settings(settings, purpose="statement-signing-key"),
            signer_name=f"ФРМР {settings.issuer}", auditor=auditor, time_zone=settings.time_zone,
            limits=person_limits(settings, kv), signer=statement_signer,
        ),
        audit=audit,
        metrics=metrics,
        auditor=auditor,
        audit_writer=audit_writer,
        connectors=connectors,
        userinfo=UserInfoService(bearer=bearer, kv=kv),
        sessions=area.sessions,
        login=area.login,
        logout=area.logout,
        security=security,
        second_factor=area.second_factor,
        totp=area.totp,
        account_second_factor=area.account_second_factor,
        passkeys=area.passkeys,
        passkey_login=area.passkey_login,
        account_passkeys=area.account_passkeys,
        consent=area.consent,
        account_consents=build_account_consents(
            area.consent_gate, clients=clients.get, refresh=refresh_repository, auditor=auditor
        ),
        login_history=build_login_history(engine),
        account_sessions=area.account_sessions,
        cabinet_requests=build_cabinet_requests(
            settings, engine, kv, auditor=auditor, registry=registry, registry_changed=registry.changed,
            observe=metrics.observe
        ),
        login_services=LoginServices(
            area.login, area.logout, area.sessions,
            secure_cookies=settings.issuer.startswith("https://"),
            transaction_ttl=settings.login_transaction_ttl, session_ttl=settings.session_absolute_ttl,
        ),
        refusal_audit=RefusalAudit(security, clients),
        callers=Callers(bearer, kv),
    )
    try:
        await prepare_stored_state(settings, engine, clients, registry, keys)
    except StorageError as exc:  # the database is down: start anyway, /health/ready reports it
        log.error("stored state not prepared; keys load on first use", extra={"error": str(exc)})
    except BaseException:
        await container.aclose()
        raise
    return container
