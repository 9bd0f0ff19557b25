"""Composition root: settings in, every store and service out. No import-time globals."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.audit.writer import BatchingAuditWriter
from frmr_sso.bootstrap.cabinet_backend import CabinetRequests, build_cabinet_requests
from frmr_sso.cabinet.mount import demo_cabinet_client
from frmr_sso.cabinet_backend.statements.service import StatementService
from frmr_sso.config import Settings
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.logout import LogoutService
from frmr_sso.login.service import LoginService, LoginSettings
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.login.session_store import SessionStore
from frmr_sso.login.transaction import LoginTransactions
from frmr_sso.login.upstream_logout import UpstreamLogout
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
from frmr_sso.registry.demo import seed_demo_registry
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.enrolment import AccountSecondFactor
from frmr_sso.second_factor.login_step import SecondFactorStep
from frmr_sso.second_factor.policy import PendingLogins, SecondFactorGate, SecondFactorPolicy
from frmr_sso.security.crypto import FieldCipher, SecretKeys
from frmr_sso.security.services import Security, build_security, namespace, person_limits
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import (
    SqlAuditRepository,
    SqlClientRepository,
    SqlRegistryRepository,
    SqlSecondFactorRepository,
    SqlSigningKeyRepository,
    SqlStatementRepository,
    SqlSubjectRepository,
)
from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.storage.sql.migrate import is_current, upgrade
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from frmr_sso.upstream.base import Connector
from frmr_sso.upstream.config import build_connectors, load_upstreams
from frmr_sso.web.metrics import Metrics

if TYPE_CHECKING:
    from frmr_sso.tracing.provider import Tracing

log = logging.getLogger(__name__)
UPSTREAM_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
ID_TOKEN_TTL_FLOOR = 3600  # id_tokens live up to an hour; their key must outlive them
CLOCK_SKEW = 300


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
    registry: SqlRegistryRepository
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
    account_sessions: SessionManager
    cabinet_requests: CabinetRequests

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
    except BaseException:
        await http.aclose()
        raise
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    kv = open_kv(  # revocations followed by Redis's invalidation; opaque records and snapshots never change
        settings.redis_url, cached=((DENY_PREFIX,), (RECORD_PREFIX, SNAPSHOT_PREFIX)),
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
    registry, subjects = SqlRegistryRepository(engine), SqlSubjectRepository(engine)
    clients = ClientService(SqlClientRepository(engine))
    sessions = SessionStore(
        kv, FieldCipher.from_settings(settings, purpose="sso-session"),
        idle_ttl=settings.session_idle_ttl, absolute_ttl=settings.session_absolute_ttl,
    )
    backchannel = BackchannelLogout(
        issuer=settings.issuer, signer=keys, clients=clients.get, http=http, auditor=auditor,
        allow_http_loopback=settings.is_demo,
    )

    async def revoke_session(sid: str, at: datetime) -> int:
        """The session's refresh families, and every access token of it (refused by its ``sid``)."""
        await deny_session(kv, sid, ttl=settings.access_token_ttl)
        return await refresh_repository.revoke_session(sid, reason="logout", at=at)

    security = build_security(settings, kv, auditor)
    gate, credentials = build_second_factor(settings, engine, kv, auditor)
    account_sessions = SessionManager(
        sessions=sessions, clients=clients.get, revoke_session=revoke_session, backchannel=backchannel,
        auditor=auditor, csrf_key=SecretKeys.from_settings(settings).derive_key("account-sessions-csrf"),
    )
    tokens = TokenService(
        issuer=settings.issuer,
        signer=keys,
        refresh_tokens=refresh_repository,
        kv=kv,
        lifetimes=TokenLifetimes.from_settings(settings),
        auditor=auditor,
        end_session=partial(account_sessions.end_compromised, by="refresh_reuse"),
        roles=registry.roles_of,
        opaque=opaque,
    )
    login = LoginService(
        _login_settings(settings),
        clients=clients.get, connectors=connectors, sessions=sessions, session_manager=account_sessions,
        registry=registry, roles=registry.roles_of,
        transactions=LoginTransactions(kv, ttl=settings.login_transaction_ttl),
        subjects=subjects, kv=kv, auditor=auditor, second_factor=gate,
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
            limits=person_limits(settings, kv),
        ),
        audit=audit,
        metrics=metrics,
        auditor=auditor,
        audit_writer=audit_writer,
        connectors=connectors,
        userinfo=UserInfoService(bearer=bearer, kv=kv),
        sessions=sessions,
        login=login,
        logout=LogoutService(
            issuer=settings.issuer, clients=clients.get, sessions=sessions, kv=kv,
            key_lookup=keys.verification_key, auditor=auditor,
            revoke_session=revoke_session, backchannel=backchannel,
            upstream=UpstreamLogout(issuer=settings.issuer, connectors=connectors, kv=kv),
        ),
        security=security,
        second_factor=SecondFactorStep(
            pending=gate.pending, credentials=credentials, security=security, clients=clients.get,
            complete=login.complete, auditor=auditor,
        ),
        totp=credentials,
        account_second_factor=AccountSecondFactor(
            sessions=sessions, credentials=credentials, security=security, kv=kv, auditor=auditor,
            sealer=FieldCipher.from_settings(settings, purpose="second-factor-account"),
        ),
        account_sessions=account_sessions,
        cabinet_requests=build_cabinet_requests(
            settings, engine, kv, auditor=auditor, registry=registry, observe=metrics.observe
        ),
    )
    try:
        await _prepare_stored_state(container)
    except StorageError as exc:  # the database is down: start anyway, /health/ready reports it
        log.error("stored state not prepared; keys load on first use", extra={"error": str(exc)})
    except BaseException:
        await container.aclose()
        raise
    return container


def build_second_factor(
    settings: Settings, engine: AsyncEngine, kv: KeyValueStore, auditor: Auditor
) -> tuple[SecondFactorGate, TotpCredentials]:
    """The broker's own TOTP: when it is asked (policy), the logins waiting for it, the credentials."""
    pending = PendingLogins(
        kv, FieldCipher.from_settings(settings, purpose="second-factor-pending"),
        ttl=settings.second_factor_pending_ttl,
    )
    policy = SecondFactorPolicy(frozenset(settings.second_factor_roles))
    keys = SecretKeys.from_settings(settings)
    credentials = TotpCredentials(
        SqlSecondFactorRepository(engine), kv, keys.cipher("totp"),
        recovery_key=keys.derive_key("recovery-codes"),
        older_recovery_keys=keys.earlier_keys("recovery-codes"),  # codes given out before still count
        namespace=namespace(settings),
    )
    gate = SecondFactorGate(
        policy, pending, issuer=settings.issuer, auditor=auditor, enrolled=credentials.enrolled
    )
    return gate, credentials


def _login_settings(settings: Settings) -> LoginSettings:
    """With the HMAC key that turns a SNILS into the subject's lookup hash (never stored in clear)."""
    keys = SecretKeys.from_settings(settings)
    return LoginSettings(
        issuer=settings.issuer, code_ttl=settings.code_ttl,
        snils_key=keys.derive_key("snils-hash"), earlier_snils_keys=keys.earlier_keys("snils-hash"),
    )


def build_upstream_connectors(settings: Settings, http: httpx.AsyncClient) -> dict[str, Connector]:
    """Connectors of FRMR_SSO_UPSTREAMS_FILE (ESIA first); none when no file is configured."""
    if settings.upstreams_file is None:
        return {}
    cipher = FieldCipher.from_settings(settings, purpose="upstream-tokens")
    return build_connectors(load_upstreams(settings.upstreams_file), http, cipher)


def build_key_ring(settings: Settings, engine: AsyncEngine) -> KeyRing:
    """Keys sealed under FRMR_SSO_SECRET_KEY. Outside the demo several instances may run, so a
    rotated key waits two reload intervals before it signs: by then every instance publishes it."""
    retention = max(settings.access_token_ttl, ID_TOKEN_TTL_FLOOR) + CLOCK_SKEW
    delay = 0.0 if settings.is_demo else 2 * settings.key_refresh_interval
    return KeyRing(
        SqlSigningKeyRepository(engine),
        FieldCipher.from_settings(settings, purpose="signing-keys"),
        retention=timedelta(seconds=retention),
        activation_delay=timedelta(seconds=delay),
        refresh_interval=settings.key_refresh_interval,
    )


async def _prepare_stored_state(container: Container) -> None:
    """Demo clients, the clients file and signing keys; skipped (readiness says why) without the schema."""
    settings = container.settings
    if not await is_current(container.engine):
        log.error("database schema is not current: run `frmr-sso migrate`; signing keys not loaded")
        return
    if settings.is_demo:
        await container.clients.seed_demo_clients()
        await container.clients.save(demo_cabinet_client(settings))
        await seed_demo_registry(container.registry)
    if settings.clients_file is not None:
        await container.clients.load_yaml(settings.clients_file, production=not settings.is_demo)
    await container.keys.ensure_keys()
